"""The event timeline: every engine event as it happens, filterable and pausable; and
the REST view (`r`), the REST Proxy's requests and consumer instances."""

from __future__ import annotations

import dataclasses
from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, RichLog, Select, Static

from kafkatui.backends.base import Backend
from kafkatui.common import events as ev
from kafkatui.formatting import clock_time
from kafkatui.tui.panels.base import Panel
from kafkatui.tui.rest_activity import RestActivity, request_line
from kafkatui.tui.widgets.rest_view import RestView

EVENT_TYPES = sorted(
    cls.__name__
    for cls in vars(ev).values()
    if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event
)
_STYLES = {
    "ProduceRejected": "bold red",
    "BrokerStopped": "bold red",
    "BrokerStarted": "green",
    "BrokerFenced": "red",
    "BrokerUnfenced": "green",
    "ControllerElected": "bold yellow",
    "LeaderElected": "yellow",
    "IsrShrunk": "dark_orange",
    "IsrExpanded": "green",
    "LinkChanged": "magenta",
    "TopicCreated": "cyan",
    "TopicDeleted": "magenta",
    "RecordAppended": "blue",
    "HighWatermarkAdvanced": "bright_black",
    "RestRequestServed": "bold cyan",
    "RestConsumerChanged": "cyan",
}


def describe(event: ev.Event) -> str:
    """An event's fields as key=value, in declaration order (a REST request as the
    request line a teacher reads: "POST /topics/sales → 200 in 2.1 ms · records 1 in")."""
    if isinstance(event, ev.RestRequestServed):
        return request_line(event)
    if isinstance(event, ev.AclsCreated | ev.AclsDeleted):
        return "; ".join(b.describe() for b in event.bindings)
    parts = []
    for field in dataclasses.fields(event):
        if field.name == "timestamp_ms":
            continue
        parts.append(f"{field.name}={getattr(event, field.name)}")
    return " ".join(parts)


class EventsPanel(Panel):
    """Engine events scrolling with time."""

    PANEL_ID = "events"
    TITLE = "Events"
    TITLE_PT = "Eventos"
    KEY = "5"
    HISTORY = 5000

    BINDINGS = [
        Binding(
            "p", "pause", "Pause/resume", id="events.pause",
            tooltip="Hold the list still while events keep coming (counted, shown on resume)",
        ),
        Binding("f", "filter", "Filter", id="events.filter", tooltip="Show only one event type"),
        Binding("c", "clear", "Clear", id="events.clear", tooltip="Empty the list of events"),
        Binding(
            "r", "rest_view", "REST view", id="events.rest",
            tooltip="The REST Proxy's recent requests and consumer instances (r again: the events)",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.history: deque[ev.Event] = deque(maxlen=self.HISTORY)
        self.paused = False
        self.type_filter: str | None = None
        self._missed = 0
        self.rest = RestActivity()

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="events-timeline", id="events-switcher"):
            with Vertical(id="events-timeline"):
                with Horizontal():
                    yield Select(
                        [(name, name) for name in EVENT_TYPES],
                        prompt="All event types",
                        id="event-filter",
                        allow_blank=True,
                    )
                    yield Static(id="events-status")
                yield RichLog(id="event-log", max_lines=self.HISTORY, markup=False, wrap=False)
            yield RestView(id="events-rest")

    @property
    def showing_rest(self) -> bool:
        return self.query_one("#events-switcher", ContentSwitcher).current == "events-rest"

    def on_mount(self) -> None:
        self._update_status()

    def _visible(self, event: ev.Event) -> bool:
        return self.type_filter is None or type(event).__name__ == self.type_filter

    def _line(self, event: ev.Event) -> Text:
        name = type(event).__name__
        line = Text(clock_time(event.timestamp_ms) + "  ", style="dim")
        line.append(f"{name:<22}", style=_STYLES.get(name, "bold"))
        line.append(" " + describe(event))
        return line

    def on_engine_events(self, events: list[ev.Event]) -> None:
        self.history.extend(events)
        if self.rest.add(events) and self.showing_rest:
            self._show_rest()
        if self.paused:
            self._missed += len(events)
            self._update_status()
            return
        log = self.query_one("#event-log", RichLog)
        for event in events:
            if self._visible(event):
                log.write(self._line(event))

    def _rerender(self) -> None:
        log = self.query_one("#event-log", RichLog)
        log.clear()
        for event in self.history:
            if self._visible(event):
                log.write(self._line(event))

    def _update_status(self) -> None:
        state = f"paused — {self._missed} new event(s) held back" if self.paused else "live"
        shown = self.type_filter or "all types"
        self.query_one("#events-status", Static).update(
            f"{state} · showing {shown} · p pause, f filter, c clear, r REST view"
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        self.type_filter = event.value if isinstance(event.value, str) else None
        self._rerender()
        self._update_status()

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self._missed = 0
            self._rerender()
        self._update_status()

    def _show_rest(self) -> None:
        self.query_one(RestView).show(self.rest, self.backend.rest_proxy_url())

    def action_rest_view(self) -> None:
        switcher = self.query_one("#events-switcher", ContentSwitcher)
        if self.showing_rest:
            switcher.current = "events-timeline"
            self.focus_default()
        else:
            switcher.current = "events-rest"
            self._show_rest()
            self.query_one("#rest-requests").focus()

    def action_filter(self) -> None:
        if self.showing_rest:  # the filter is the timeline's
            self.query_one("#events-switcher", ContentSwitcher).current = "events-timeline"
        select = self.query_one("#event-filter", Select)
        select.focus()
        select.action_show_overlay()

    def action_clear(self) -> None:
        self.history.clear()
        self._missed = 0
        self.query_one("#event-log", RichLog).clear()
        self._update_status()
