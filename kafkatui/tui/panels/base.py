"""The scaffold every workbench panel is built on: a widget over the backend that follows
engine events, reloads without piling up, ticks while shown and reports errors as
notifications."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ClassVar, Concatenate, ParamSpec, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, RadioSet, Select, Switch, TextArea
from textual.worker import Worker

from kafkatui.backends.base import Backend, Feature
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import Event

# What Escape leaves: the widgets of a form. A text field keeps number keys and letters
# to itself, so without a way out the panel keys (and 1–8) would be unreachable.
FIELDS = (Input, TextArea, Select, Switch, RadioSet)

P = ParamSpec("P")
PanelT = TypeVar("PanelT", bound="Panel")


def notify_error(app: App[object], error: BaseException) -> None:
    """An error as a notification titled with its Kafka name (never a traceback)."""
    if isinstance(error, KafkaError):
        app.notify(error.message, title=error.name, severity="error", timeout=6)
    else:
        name = type(error).__name__
        app.notify(str(error) or name, title=name, severity="error", timeout=6)


def reports_errors(
    method: Callable[Concatenate[PanelT, P], Awaitable[None]],
) -> Callable[Concatenate[PanelT, P], Awaitable[None]]:
    """A panel's async action (or reload) that stops at its first error and shows it as
    a notification (`Panel.report`), so its body reads straight through."""

    @functools.wraps(method)
    async def run(panel: PanelT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await method(panel, *args, **kwargs)
        except Exception as error:
            panel.report(error)

    return run


def arrow_bindings(panel_id: str, action: str, what: str) -> list[BindingType]:
    """←/→ choose the previous/next `what` (a broker, a consumer) with `action(step)`;
    kept out of the footer, which names the keys that act on the choice."""
    return [
        Binding(
            "left", f"{action}(-1)", f"Previous {what}", show=False, id=f"{panel_id}.previous",
            tooltip=f"Select the {what} to the left",
        ),
        Binding(
            "right", f"{action}(1)", f"Next {what}", show=False, id=f"{panel_id}.next",
            tooltip=f"Select the {what} to the right",
        ),
    ]  # fmt: skip


class Panel(Widget):
    """One tab of the workbench.

    A panel declares what it is and the scaffold does the rest:

    - PANEL_ID, TITLE (English), TITLE_PT and KEY (the key that shows it): the app
      builds its tab, key binding and palette entry from them; its help page is
      `tui/help/<language>/<PANEL_ID>.md`, its look `panels/<module>.tcss`.
    - BINDINGS: its actions, with ids (`<PANEL_ID>.<name>`) and tooltips (the footer,
      the palette and the user's key map use them). ENGINE_ACTIONS names those that
      need kafkatui's own cluster: on a backend that cannot do one its key shows
      dimmed and pressing it says why (KafkaTuiApp.run_action); panels need not check.
    - compose() and refresh_data(): what it shows, and how it reloads from the backend.
    - REFRESH_ON: the engine events after which it reloads (`refresh_soon`); a panel
      that follows events more finely overrides `on_engine_events`. The app calls that
      at most a few times per second with everything that happened since, so a burst
      of 10,000 records is one redraw, not 10,000. REFRESH_HIDDEN = False: a hidden
      panel skips them and catches up when its tab is shown (for costly redraws).
    - TICK: seconds between `on_tick` calls while the panel is shown, for what moves
      without events (lag, countdowns, clients).
    - FOCUS_SELF: the panel itself takes the keys when shown (←/→ choose a column)
      rather than its first field.

    Actions that call the backend are `@reports_errors`: an error is a notification.
    """

    PANEL_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    TITLE_PT: ClassVar[str] = ""
    KEY: ClassVar[str] = ""
    ENGINE_ACTIONS: ClassVar[dict[str, Feature]] = {}
    REFRESH_ON: ClassVar[tuple[type[Event], ...]] = ()
    REFRESH_HIDDEN: ClassVar[bool] = True
    TICK: ClassVar[float] = 0.0
    FOCUS_SELF: ClassVar[bool] = False
    can_focus = True  # Escape from a field gives the keys back to the panel itself

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "leave_field", "Leave field", id="panel.leave_field",
            tooltip="Give the keys back to the panel: 1–8 switch panels, letters run its actions",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(id=f"panel-{self.PANEL_ID}")
        self.backend = backend
        self._refresh_wanted = False
        self._refresher: Worker[None] | None = None

    def on_mount(self) -> None:
        if self.TICK:
            self.set_interval(self.TICK, self._tick)

    # --- keeping up with the cluster -------------------------------------------------

    async def refresh_data(self) -> None:
        """Reload what the panel shows from the backend."""

    def on_engine_events(self, events: list[Event]) -> None:
        """Engine events since the last call (only while the app runs)."""
        wanted = self.REFRESH_ON and (self.REFRESH_HIDDEN or self.shown)
        if wanted and any(isinstance(e, self.REFRESH_ON) for e in events):
            self.refresh_soon()

    def refresh_soon(self) -> None:
        """Reload after the reload under way, if any. One at a time, and never one
        cancelled half-way: a reload that remounts widgets and is cancelled leaves
        them blank; a burst of asks while one runs is one more reload, not many."""
        self._refresh_wanted = True
        if self._refresher is None or self._refresher.is_finished:
            self._refresher = self.run_worker(self._refresh_while_wanted, exit_on_error=False)

    async def _refresh_while_wanted(self) -> None:
        while self._refresh_wanted:
            self._refresh_wanted = False
            await self.refresh_data()

    def _tick(self) -> None:
        if self.shown:
            self.on_tick()

    def on_tick(self) -> None:
        """Every TICK seconds while the panel is shown."""

    @property
    def shown(self) -> bool:
        """Is the panel's tab the one on screen? (Hidden tabs are display: none.)"""
        return all(node.display for node in self.ancestors_with_self if isinstance(node, Widget))

    # --- actions and keys ------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        """Why this panel's `action` cannot run now (one line), or None.

        Here: actions its backend cannot do (ENGINE_ACTIONS). Panels add their own
        reasons (no topic chosen yet, a switch that must be on first); the footer shows
        such an action dimmed and pressing its key says why (KafkaTuiApp.run_action).
        """
        feature = self.ENGINE_ACTIONS.get(action)
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
        """Put the focus where a user starts on this panel (the panel itself with
        FOCUS_SELF, else the first focusable widget), so its keys work at once."""
        if self.FOCUS_SELF:
            self.focus()
            return
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def report(self, error: BaseException) -> None:
        """Show an error as a notification (never a traceback)."""
        notify_error(self.app, error)


class ShowTopic(Message):
    """Ask the app to open a topic (optionally at a partition/offset) in the log view."""

    def __init__(self, topic: str, partition: int | None = None, offset: int | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.partition = partition
        self.offset = offset


class TopicsChanged(Message):
    """A panel created or deleted a topic; others refresh their topic lists."""
