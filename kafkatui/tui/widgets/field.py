"""A text field whose keys take effect in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class Field(Input):
    """An `Input` that runs its key bindings (ctrl+u, enter, …) where it types.

    Textual inserts a printable key as soon as the field reads it, but a bound key such
    as ctrl+u or enter first bubbles up to the app, which then runs the binding. When
    keys arrive in one burst (a fast typist, a paste of "ctrl+u text enter", a terminal
    that delivers them in one read) the characters typed after ctrl+u land before it
    runs, so ctrl+u erased them and enter submitted an empty field. Here a bound key
    runs in the field's own turn, so every key acts on what the keys before it did.
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            active = self.screen.active_bindings.get(event.key)
            if active is not None and await self.app.run_action(active.binding.action, active.node):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)
