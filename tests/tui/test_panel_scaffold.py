"""The panel scaffold (`panels/base.py`): a panel that only declares what it follows gets
reloads on those events (one at a time, never piled up), ticks while shown, and its
backend errors as notifications. A small panel over a real embedded cluster."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.pilot import Pilot
from textual.widgets import Static

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.common.events import Event, TopicCreated
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.stylesheets import component_stylesheets


class TopicCount(Panel):
    """How many topics there are: everything a panel needs, and nothing more."""

    PANEL_ID = "count"
    TITLE = "Count"
    TITLE_PT = "Contagem"
    KEY = "9"
    REFRESH_ON = (TopicCreated,)
    REFRESH_HIDDEN = False
    TICK = 0.05

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "delete_missing", "Delete", id="count.delete", tooltip="Delete a missing topic"),
    ]

    def __init__(self, backend: EmbeddedBackend) -> None:
        super().__init__(backend)
        self.reloads = 0
        self.ticks = 0
        self.gate: asyncio.Event | None = None  # set: a reload waits for it

    def compose(self) -> ComposeResult:
        yield Static(id="count")

    async def refresh_data(self) -> None:
        self.reloads += 1
        if self.gate is not None:
            await self.gate.wait()
        self.query_one("#count", Static).update(f"{len(self.backend.topic_names())} topic(s)")

    def on_tick(self) -> None:
        self.ticks += 1

    @reports_errors
    async def action_delete_missing(self) -> None:
        await self.backend.delete_topic("no-such-topic")
        self.app.notify("deleted")  # never reached: the error stops the action


class Harness(App[None]):
    CSS_PATH = component_stylesheets()

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []

    def compose(self) -> ComposeResult:
        yield Vertical(id="tab")

    async def on_mount(self) -> None:
        self.backend = EmbeddedBackend(await Cluster.open(None, brokers=1, clock=ManualClock(), seed=7))
        self.backend.bus.listen(self.events.append)
        self.panel = TopicCount(self.backend)
        await self.query_one("#tab").mount(self.panel)

    async def on_unmount(self) -> None:
        await self.backend.close()


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(app: Harness) -> str:
    return str(app.panel.query_one("#count", Static).render())


async def test_an_event_it_follows_reloads_it_and_hidden_it_waits() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        await _settle(pilot)
        await app.backend.create_topic("sales", 1)
        app.panel.on_engine_events(app.events)
        await _settle(pilot)
        assert app.panel.reloads == 1 and _text(app) == "1 topic(s)"

        app.query_one("#tab").display = False  # another tab is shown
        await pilot.pause()
        ticks = app.panel.ticks
        await app.backend.create_topic("clients", 1)
        app.panel.on_engine_events(app.events)
        await pilot.pause(0.2)
        await _settle(pilot)
        assert app.panel.reloads == 1 and _text(app) == "1 topic(s)"
        assert app.panel.ticks == ticks  # no ticks while hidden either

        app.query_one("#tab").display = True
        await pilot.pause(0.2)
        assert app.panel.ticks > ticks


async def test_asks_to_reload_during_a_reload_are_one_more_reload_not_a_pile() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        await _settle(pilot)
        app.panel.gate = asyncio.Event()
        for _ in range(5):
            app.panel.refresh_soon()
            await pilot.pause()
        assert app.panel.reloads == 1  # the first is still running: none cancelled, none started
        app.panel.gate.set()
        await _settle(pilot)
        assert app.panel.reloads == 2


async def test_a_backend_error_in_an_action_is_a_notification_named_as_kafka_names_it() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        await _settle(pilot)
        app.panel.focus()
        await pilot.press("x")
        await _settle(pilot)
        [note] = list(app._notifications)
        assert note.title == "UNKNOWN_TOPIC_OR_PARTITION" and note.severity == "error"
        assert app.is_running
