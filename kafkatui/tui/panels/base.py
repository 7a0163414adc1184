"""What every workbench panel is: a widget over the backend that follows engine events."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, RadioSet, Select, Switch, TextArea

from kafkatui.backends.base import Backend, Feature
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import Event

# Panel actions that need kafkatui's own cluster, by (panel id, action name). On a
# backend that cannot do one (`Backend.unavailable`), its key shows dimmed in the footer
# and pressing it explains why (KafkaTuiApp.run_action); panels need not check.
ENGINE_ACTIONS: dict[tuple[str, str], Feature] = {
    ("partitions", "stop"): Feature.STOP_BROKER,
    ("partitions", "crash"): Feature.STOP_BROKER,
    ("partitions", "restart"): Feature.STOP_BROKER,
    ("partitions", "cut"): Feature.NETWORK,
    ("partitions", "latency"): Feature.NETWORK,
    ("produce", "drop_ack"): Feature.LOST_ACKS,
    ("log", "compact"): Feature.LOG_CLEANER,
    ("log", "retention"): Feature.LOG_CLEANER,
    ("groups", "crash"): Feature.CRASH_CONSUMER,
}

# What Escape leaves: the widgets of a form. A text field keeps number keys and letters
# to itself, so without a way out the panel keys (and 1–7) would be unreachable.
FIELDS = (Input, TextArea, Select, Switch, RadioSet)


class Panel(Widget):
    """One tab of the workbench.

    Subclasses set PANEL_ID, TITLE (English), TITLE_PT and KEY (the key that shows the
    panel), and override `refresh_data` (reload from the backend) and, if they follow
    the cluster live, `on_engine_events`. The app calls `on_engine_events` at most a few
    times per second with everything that happened since, so a burst of 10,000 records
    is one redraw, not 10,000.
    """

    PANEL_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    TITLE_PT: ClassVar[str] = ""
    KEY: ClassVar[str] = ""
    can_focus = True  # Escape from a field gives the keys back to the panel itself

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "leave_field", "Leave field", id="panel.leave_field",
            tooltip="Give the keys back to the panel: 1–7 switch panels, letters run its actions",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(id=f"panel-{self.PANEL_ID}")
        self.backend = backend

    async def refresh_data(self) -> None:
        """Reload what the panel shows from the backend."""

    def on_engine_events(self, events: list[Event]) -> None:
        """Engine events since the last call (only while the app runs)."""

    def unavailable(self, action: str) -> str | None:
        """Why this panel's `action` cannot run now (one line), or None.

        Here: actions its backend cannot do. Panels add their own reasons (no topic
        chosen yet, a switch that must be on first); the footer shows such an action
        dimmed and pressing its key says why (KafkaTuiApp.run_action).
        """
        feature = ENGINE_ACTIONS.get((self.PANEL_ID, action))
        return None if feature is None else self.backend.unavailable(feature)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":
            return self.in_field  # False: hidden, and Escape goes to the next binding
        # None: the binding stays in the footer, dimmed (Textual's disabled state).
        return None if self.unavailable(action) is not None else True

    def action_label(self, action: str) -> str:
        """What the footer calls `action` ("end_txn(False)": "Abort"), for messages
        about it; an action named without its parameters gets its first binding's."""
        bindings = [b for found in self._bindings.key_to_bindings.values() for b in found if b.description]
        name = action.partition("(")[0]
        for binding in sorted(bindings, key=lambda b: b.action != action):
            if binding.action.partition("(")[0] == name:
                return binding.description
        return name.replace("_", " ").capitalize()

    @property
    def in_field(self) -> bool:
        """Is the focus in one of this panel's form fields?"""
        focused = self.screen.focused if self.is_attached else None
        return isinstance(focused, FIELDS) and self in focused.ancestors

    def action_leave_field(self) -> None:
        self.focus()

    def focus_default(self) -> None:
        """Put the focus where a user starts on this panel (the first focusable widget),
        so the panel's own key bindings work at once."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def report(self, error: Exception) -> None:
        """Show an error as a notification (never a traceback)."""
        if isinstance(error, KafkaError):
            self.app.notify(error.message, title=error.name, severity="error", timeout=6)
        else:
            self.app.notify(str(error), title=type(error).__name__, severity="error", timeout=6)


class ShowTopic(Message):
    """Ask the app to open a topic (optionally at a partition/offset) in the log view."""

    def __init__(self, topic: str, partition: int | None = None, offset: int | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.partition = partition
        self.offset = offset


class TopicsChanged(Message):
    """A panel created or deleted a topic; others refresh their topic lists."""
