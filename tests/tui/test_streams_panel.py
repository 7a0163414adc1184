"""The Streams panel driven with keys and forms: a bundled example started from the
panel on a chosen input topic, seen as Kafka's tools see it (group, members and their
tasks, lag, internal topics) and from inside (its topology, records processed), stopped
and started again; the same over the wire on a RemoteBackend. The streams runtime waits
on real time (its poll and commit interval), so these clusters run on the real clock
with group.initial.rebalance.delay.ms=0, Kafka's development setting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from kafkatui.backends.base import Backend, ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.streams.local import forget
from kafkatui.ecosystem.streams.runtime import NOT_RUNNING, PENDING_SHUTDOWN, RUNNING
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.streams import NO_APPLICATIONS, NOT_HERE, STOPPING, StreamsPanel
from kafkatui.tui.panels.streams_start import StartExampleScreen
from tests.tui.conftest import SIZE, make_remote_app
from tests.tui.conftest import until as until_real
from tests.wire.conftest import ServedCluster

LINES = "lines"  # the input topic chosen in the form (the example's own is streams-plaintext-input)
STEP_MS = 100  # the cluster time a round of `until` moves on: the runtime's poll timeout


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str, *, rounds: int = 400) -> None:
    """conftest's `until`; on a ManualClock each round moves the cluster STEP_MS on (the
    stream thread's poll, heartbeats and commits come due) and lets the app catch up."""
    backend = getattr(pilot.app, "backend", None)
    clock = backend.clock if backend is not None else None
    if not isinstance(clock, ManualClock):
        await until_real(pilot, condition, what, rounds=rounds)
        return
    for _ in range(rounds):
        if condition():
            return
        await clock.advance(STEP_MS)
        await pilot.pause()
    raise AssertionError(f"never saw {what} in {rounds * STEP_MS} ms of cluster time")


def streams_app(setup: Callable[[Backend], Awaitable[None]] | None = None) -> KafkaTuiApp:
    """The workbench on a one-broker cluster on a ManualClock (moved by `until`)."""

    async def factory() -> EmbeddedBackend:
        defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
        cluster = await Cluster.open(None, brokers=1, clock=ManualClock(), seed=7, defaults=defaults)
        backend = EmbeddedBackend(cluster)
        if setup is not None:
            await setup(backend)
        return backend

    return KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)


async def lines_topic(backend: Backend) -> None:
    await backend.create_topic(LINES, 2, 1)


def rows(app: KafkaTuiApp, table: str) -> list[list[str]]:
    found = app.query_one(table, DataTable)
    return [[str(cell) for cell in found.get_row_at(i)] for i in range(found.row_count)]


def shown(app: KafkaTuiApp, widget: str) -> str:
    return str(app.query_one(widget, Static).render())


async def start_word_count(app: KafkaTuiApp, pilot: Pilot[None], app_id: str, topic: str) -> None:
    """S, n, then the form: the word count is the first example. Each field is clicked
    and given its text at once (a key press is a full redraw of the workbench, ~0.4 s a
    character on a loaded machine; what is tested is that the dialog starts what its
    fields say, not that an Input takes keys)."""
    await pilot.press("S")
    await pilot.pause()
    await pilot.press("n")
    await until(
        pilot,
        lambda: isinstance(app.screen, StartExampleScreen) and bool(app.screen.query("#start")),
        "the start dialog",
    )
    await pilot.pause()
    for field, value in (("#streams-app-id", app_id), ("#streams-input", topic)):
        await pilot.click(field)
        app.screen.query_one(field, Input).value = value
    await pilot.click("#start")


async def test_no_applications_says_how_to_start_one_and_the_form_wants_an_input_topic() -> None:
    app = streams_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("S")
        await pilot.pause()
        panel = app.query_one(StreamsPanel)
        await panel.refresh_data()
        assert app.query_one("#streams-empty").display
        assert "kafkatui streams run" in NO_APPLICATIONS and shown(app, "#streams-empty") == NO_APPLICATIONS
        assert panel.unavailable("stop") is not None

        await start_word_count(app, pilot, "wc-missing", "nowhere")
        await pilot.pause()
        assert isinstance(app.screen, StartExampleScreen)
        error = str(app.screen.query_one("#streams-start-error", Static).render())
        assert error.startswith("UNKNOWN_TOPIC_OR_PARTITION: topic 'nowhere' does not exist")
        assert panel.runs == {}


async def test_start_the_word_count_on_another_topic_watch_it_and_stop_it() -> None:
    app = streams_app(lines_topic)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await start_word_count(app, pilot, "wc-panel", LINES)
        panel = app.query_one(StreamsPanel)
        await until(pilot, lambda: "wc-panel" in panel.runs, "the application started")
        streams = panel.runs["wc-panel"]
        backend = panel.backend
        for line in ("the cat and the hat", "the end"):
            await backend.produce(ProduceRequest(LINES, line, key=line))
        await until(pilot, lambda: streams.metrics()["process-total"] >= 9 and streams.committed, "counted")
        await panel.refresh_data()
        await until(pilot, lambda: rows(app, "#streams-apps")[0][1] == "Stable", "the group stable")
        app_row = rows(app, "#streams-apps")[0]
        assert app_row[:3] == ["wc-panel", "Stable", "1"]
        [member] = rows(app, "#streams-members")
        # Kafka's StreamThread consumer: <client.id>-StreamThread-<n>-consumer (client.id
        # defaults to the application id, with a process id in newer runtimes).
        assert member[0].startswith("wc-panel-") and member[0].endswith("-StreamThread-1-consumer")
        # Kafka's task ids: sub-topology 0 reads `lines`, 1 the repartition topic, 2 partitions each.
        assert member[1] == "0_0, 0_1, 1_0, 1_1"
        assert len(member) == 2
        assert {r[0] for r in rows(app, "#streams-inputs")} == {LINES}
        internal = {r[0]: r[1] for r in rows(app, "#streams-internal")}
        assert internal == {
            "wc-panel-counts-store-changelog": "changelog",
            "wc-panel-counts-store-repartition": "repartition",
        }
        topology = shown(app, "#streams-topology")
        assert "Sub-topology: 1" in topology and f"(topics: [{LINES}])" in topology
        assert "(stores: [counts-store])" in topology
        assert "Here: RUNNING" in shown(app, "#streams-local")
        # records/s: one sample a second of the cluster's clock, from the records processed.
        seen = panel.throughput["wc-panel"]
        await until(pilot, lambda: bool(seen.rates), "a records/s sample", rounds=1000)
        assert seen.total == streams.metrics()["process-total"] == 9 and sum(seen.rates) <= 9

        # The stop runs in a worker: while its last commit is held up the workbench goes on
        # answering, the application shows as stopping and cannot be stopped twice.
        release = asyncio.Event()
        commit = streams.commit

        async def slow_commit() -> None:
            await release.wait()
            await commit()

        streams.commit = slow_commit  # type: ignore[method-assign]
        await pilot.press("x")
        await until(pilot, lambda: streams.state == PENDING_SHUTDOWN, "stopping")
        await panel.refresh_data()
        assert rows(app, "#streams-apps")[0][4] == STOPPING
        assert shown(app, "#streams-local").startswith(f"Here: PENDING_SHUTDOWN · {STOPPING}")
        assert panel.unavailable("stop") == "wc-panel is stopping"
        await pilot.press("x")  # ignored, not a second close
        await pilot.press("n")  # the workbench still answers keys: the start dialog opens
        await until(pilot, lambda: isinstance(app.screen, StartExampleScreen), "the start dialog")
        await pilot.press("escape")
        assert streams.state == PENDING_SHUTDOWN
        release.set()
        await until(pilot, lambda: streams.state == NOT_RUNNING, "stopped")
        await panel.refresh_data()
        assert rows(app, "#streams-apps")[0][:3] == ["wc-panel", "Empty", "0"]
        assert {r[4] for r in rows(app, "#streams-inputs")} == {"0"}  # the held-up commit went through
        assert rows(app, "#streams-apps")[0][4] == NOT_RUNNING
        assert panel.unavailable("stop") == "wc-panel is not running"
        # Started again under the same id: the counts carry on (its state and checkpoint kept).
        await start_word_count(app, pilot, "wc-panel", LINES)
        await until(pilot, lambda: panel.runs["wc-panel"] is not streams, "a new instance")
        again = panel.runs["wc-panel"]
        await backend.produce(ProduceRequest(LINES, "the", key="x"))
        await until(
            pilot,
            lambda: again.state == RUNNING and again.store("counts-store").get("the") == 4,
            "the count going on from 3",
        )


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster(brokers=1)
    try:
        yield s
    finally:
        s.close()


async def test_over_the_wire_an_example_runs_and_one_started_elsewhere_is_listed(
    served: ServedCluster,
) -> None:
    app = make_remote_app(served.bootstrap, lines_topic)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await start_word_count(app, pilot, "wc-remote", LINES)
        panel = app.query_one(StreamsPanel)
        await until(pilot, lambda: "wc-remote" in panel.runs, "the application started", rounds=1000)
        streams = panel.runs["wc-remote"]
        await panel.backend.produce(ProduceRequest(LINES, "over the wire", key="k"))
        await until(pilot, lambda: bool(streams.committed), "committed over the wire", rounds=1500)
        # The remote backend learns of the internal topics from its next metadata refresh.
        await until(
            pilot, lambda: len(rows(app, "#streams-internal")) == 2, "the internal topics", rounds=1000
        )
        # The panel reloads every second while shown; a loaded machine may see the group
        # rebalance once more (a heartbeat late) before it settles.
        await until(
            pilot,
            lambda: rows(app, "#streams-apps")[0][:3] == ["wc-remote", "Stable", "1"],
            "the group stable with its one member",
            rounds=1500,
        )
        await pilot.press("x")
        await until(pilot, lambda: streams.state == NOT_RUNNING, "stopped", rounds=1000)
        # The panel forgets what it started (a new workbench, say): the application is still
        # on the cluster's books, with no topology to show.
        panel.runs.clear()
        forget(streams)
        await panel.refresh_data()
        assert rows(app, "#streams-apps")[0][:2] == ["wc-remote", "Empty"]
        assert shown(app, "#streams-local") == NOT_HERE
