"""What every workbench panel is: a widget over the backend that follows engine events."""

from __future__ import annotations

from typing import ClassVar

from textual.message import Message
from textual.widget import Widget

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

    DEFAULT_CSS = """
    Panel { height: 1fr; }
    """

    def __init__(self, backend: Backend) -> None:
        super().__init__(id=f"panel-{self.PANEL_ID}")
        self.backend = backend

    async def refresh_data(self) -> None:
        """Reload what the panel shows from the backend."""

    def on_engine_events(self, events: list[Event]) -> None:
        """Engine events since the last call (only while the app runs)."""

    def unavailable(self, action: str) -> str | None:
        """Why this panel's `action` cannot run on its backend (one line), or None."""
        feature = ENGINE_ACTIONS.get((self.PANEL_ID, action))
        return None if feature is None else self.backend.unavailable(feature)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None: the binding stays in the footer, dimmed (Textual's disabled state).
        return None if self.unavailable(action) is not None else True

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
