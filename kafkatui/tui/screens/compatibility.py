"""Choose a compatibility level (Confluent's CompatibilityLevel) for a subject, or the
global one: each level with what it promises; a subject may also follow the global level."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel
from kafkatui.tui.registry import FOLLOW_GLOBAL


class CompatibilityScreen(ModalScreen[str | None]):
    """Dismisses with the level chosen, FOLLOW_GLOBAL (a subject drops its own level),
    or None (cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="compatibility.cancel"),
    ]

    def __init__(self, subject: str | None, own: str | None, global_level: str) -> None:
        super().__init__()
        self.subject = subject
        self.own = own
        self.global_level = global_level

    def compose(self) -> ComposeResult:
        if self.subject is None:
            title = (
                f"Global compatibility level (now {self.global_level}): "
                "subjects without a level of their own follow it"
            )
        else:
            now = f"its own, {self.own}" if self.own else f"the global {self.global_level}"
            title = f"Compatibility of {self.subject} (now {now})"
        options = []
        if self.subject is not None:
            options.append(
                Option(
                    f"Follow the global level ({self.global_level}): no level of its own", id=FOLLOW_GLOBAL
                )
            )
        options += [Option(f"{level.value}: {level.meaning}", id=level.value) for level in CompatibilityLevel]
        with Vertical(id="compatibility-dialog"):
            yield Label(Content(title), id="compatibility-title")
            yield OptionList(*options, id="compatibility-levels")
            yield Label("enter choose · esc cancel", id="compatibility-hint")

    def on_mount(self) -> None:
        levels = self.query_one(OptionList)
        current = (self.own or FOLLOW_GLOBAL) if self.subject is not None else self.global_level
        levels.highlighted = levels.get_option_index(current)
        levels.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
