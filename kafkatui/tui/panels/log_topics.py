"""What the Log and Records panels share: one topic shown at a time, chosen in a Select,
and an empty state in place of the panel's body while no topic is shown. A panel's
widgets are named after its PANEL_ID: `#<id>-topic` (the Select), `#<id>-empty`,
`#<id>-body` and `#<id>-status` (emptied with no topic)."""

from __future__ import annotations

from typing import ClassVar

from textual.widgets import Select, Static

from kafkatui.backends.base import Backend
from kafkatui.tui.panels.base import Panel


class TopicPanel(Panel):
    """A panel over one topic of the cluster's, kept in step with its list of topics."""

    NO_TOPICS: ClassVar[str] = "No topics yet — create one in Topics (n)"
    NO_TOPIC_CHOSEN: ClassVar[str] = "Choose a topic above."

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.topic: str | None = None
        self._topic_names: list[str] = []

    @property
    def topic_select(self) -> Select[str]:
        return self.query_one(f"#{self.PANEL_ID}-topic", Select)

    def _reload_topics(self) -> None:
        """The topic list again; a shown topic that is gone is shown no more (`topic_gone`)."""
        names = self.backend.topic_names()
        if names != self._topic_names:
            self._topic_names = names
            select = self.topic_select
            with select.prevent(Select.Changed):
                select.set_options([(name, name) for name in names])
                if self.topic in names:
                    select.value = self.topic
        if self.topic is not None and self.topic not in names:
            self.topic = None
            self.topic_gone()
        self._show_empty_state()

    def topic_gone(self) -> None:
        """The topic shown was deleted (`topic` is None now)."""

    def _choose_in_select(self, topic: str) -> None:
        """Show `topic` as chosen, without the Select telling the panel it changed."""
        select = self.topic_select
        with select.prevent(Select.Changed):
            select.value = topic

    def _show_empty_state(self) -> None:
        empty = self.query_one(f"#{self.PANEL_ID}-empty", Static)
        shown = self.topic is not None
        empty.update(self.NO_TOPICS if not self._topic_names else self.NO_TOPIC_CHOSEN)
        empty.display = not shown
        self.query_one(f"#{self.PANEL_ID}-body").display = shown
        if not shown:
            self.query_one(f"#{self.PANEL_ID}-status", Static).update("")
