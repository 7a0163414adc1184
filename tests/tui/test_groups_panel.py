"""The Groups panel: workbench consumers joining, crashing and rebalancing, snapshots.

The cluster runs on a ManualClock: the workbench consumers' poll loops and heartbeats
sleep on it, so a group only moves when a test drives the clock (`advance_until`).
The sample setup's topics clients and sales have 3 partitions each.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.errors import KafkaError
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.groups import GroupsPanel
from kafkatui.tui.panels.log import LogPanel
from kafkatui.tui.widgets.sparkline import Sparkline
from tests.tui.conftest import SIZE, make_app, sales
from tests.tui.test_snapshots import driven

GROUP = "workbench"


async def _open(app: KafkaTuiApp, pilot: Pilot, *keys: str) -> GroupsPanel:
    await app.ready.wait()
    await pilot.pause()
    await pilot.press("7", *keys)
    await pilot.pause(0.2)
    panel = app.panel("groups")
    assert isinstance(panel, GroupsPanel)
    return panel


def _backend(app: KafkaTuiApp) -> EmbeddedBackend:
    assert isinstance(app.backend, EmbeddedBackend)
    return app.backend


def _stable_with(backend: EmbeddedBackend, members: int, partitions: int = 3):  # type: ignore[no-untyped-def]
    def check() -> bool:
        views = [v for v in backend.consumers(GROUP) if v.status != "crashed"]
        return (
            len(views) == members
            and all(v.joined for v in views)
            and len({v.generation_id for v in views}) == 1
            and sum(len(v.partitions) for v in views) == partitions
        )

    return check


async def _column(panel: GroupsPanel, key: str) -> str:
    await panel.refresh_data()
    column = panel.member_column(key)
    assert column is not None, f"no column for {key}"
    return column.text


async def _two_joined(app: KafkaTuiApp, pilot: Pilot) -> tuple[GroupsPanel, EmbeddedBackend]:
    """`a` twice, then the clock until both consumers are members of one generation."""
    panel = await _open(app, pilot, "a", "a")
    backend = _backend(app)
    await backend.cluster.advance_until(_stable_with(backend, 2), limit_ms=60_000)
    await panel.refresh_data()
    return panel, backend


async def test_two_consumers_share_the_partitions_and_a_crash_moves_them() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel, backend = await _two_joined(app, pilot)
        assert panel.view is not None and panel.view.state == "Stable"
        assert len(panel.view.members) == 2
        summary = str(panel.query_one("#groups-summary").render())
        assert "Stable" in summary and f"generation {panel.view.generation_id}" in summary
        first, second = await _column(panel, "consumer-1"), await _column(panel, "consumer-2")
        # `a` subscribes to the first topic, clients (3 partitions); range: 0, 1 | 2
        assert "clients-0" in first and "clients-1" in first and "clients-2" in second

        await pilot.click("#groups-members _Column")  # the first column: consumer-1
        assert panel.selected_member == "consumer-1"
        await pilot.press("k")
        await pilot.pause()
        assert any("crashed" in (n.title or "") for n in app._notifications)
        assert "crashed" in await _column(panel, "consumer-1")  # still a member: session runs
        took = await backend.cluster.advance_until(_stable_with(backend, 1), limit_ms=60_000)
        assert took >= 9_000  # noticed only after session.timeout.ms (10 s)
        survivor = await _column(panel, "consumer-2")
        assert all(f"clients-{p}" in survivor for p in range(3))
        assert panel.member_column("consumer-1") is None
        assert panel.view is not None and len(panel.view.members) == 1


async def test_stop_leaves_at_once_and_a_paused_consumer_lags_then_leaves() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel, backend = await _two_joined(app, pilot)
        await pilot.click("#groups-members _Column")
        await pilot.press("right")
        assert panel.selected_member == "consumer-2"
        await pilot.press("x")  # stop consumer-2 gracefully
        await pilot.pause()
        took = await backend.cluster.advance_until(_stable_with(backend, 1), limit_ms=60_000)
        assert took < 9_000  # LeaveGroup: no session timeout to wait for
        await pilot.press("p")  # the selection fell back on consumer-1: pause it
        await pilot.pause()
        assert "paused" in await _column(panel, "consumer-1")

        # Paused, it heartbeats but reads nothing: what is produced now is lag.
        for i in range(6):
            await backend.produce(ProduceRequest("clients", f"late-{i}", partition=i % 3, acks="1"))
        await backend.cluster.advance_until(lambda: True)
        await panel.refresh_data()
        assert panel.view is not None and len(panel.view.members) == 1
        assert sum(p.lag for p in panel.view.partitions) == 6
        assert "lag 2" in await _column(panel, "consumer-1")
        # Each partition's lag over time, a sample a second: flat while it read, then the
        # top bar once the next second's sample shows it lagging.
        start = backend.clock.now_ms()
        await backend.cluster.advance_until(lambda: backend.clock.now_ms() >= start + 1_000)
        await panel.refresh_data()
        column = panel.member_column("consumer-1")
        assert column is not None
        lines = column.query(Sparkline)
        assert len(lines) == 3 and all(line.data[-1] == 2 for line in lines)
        assert all(str(line.render()).endswith("█") for line in lines)

        # ... until max.poll.interval.ms (30 s) passes without a poll: it leaves the group.
        left = await backend.cluster.advance_until(
            lambda: backend.consumers(GROUP)[0].phase == "left", limit_ms=60_000
        )
        assert left >= 25_000
        column = await _column(panel, "consumer-1")
        assert "max.poll.interval.ms" in column and "not a member" in column
        assert panel.view is not None and panel.view.state == "Empty"

        await pilot.press("p")  # resume: it rejoins, reads, commits, and the lag is gone
        await backend.cluster.advance_until(_stable_with(backend, 1), limit_ms=60_000)
        start = backend.clock.now_ms()
        await backend.cluster.advance_until(lambda: backend.clock.now_ms() >= start + 6_000)
        await panel.refresh_data()
        assert panel.view is not None and panel.view.state == "Stable"
        assert sum(p.lag for p in panel.view.partitions) == 0


async def test_assignor_cycles_and_new_consumers_use_it() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot, "s", "a")
        assert panel.assignor == "roundrobin"
        assert [v.assignor for v in _backend(app).consumers()] == ["roundrobin"]
        await pilot.press("s", "s", "s")
        assert panel.assignor == "range"


async def test_the_topic_a_new_consumer_subscribes_to_is_said_before_and_after() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        summary = str(panel.query_one("#groups-summary").render())
        assert "new consumers subscribe to clients (the first topic; t)" in summary
        await pilot.press("t")  # choose another before adding
        await pilot.pause(0.2)
        assert list(app._notifications)[-1].message.startswith("New consumers (a) subscribe to sales.")
        summary = str(panel.query_one("#groups-summary").render())
        assert "new consumers subscribe to sales (chosen; t)" in summary
        await pilot.press("a")
        await pilot.pause(0.2)
        last = list(app._notifications)[-1]
        assert last.title == "consumer-1 joins workbench on sales"
        assert last.message.startswith("consumer-1 subscribes to sales (chosen; t chooses another)")
        [consumer] = _backend(app).consumers(GROUP)
        assert consumer.topic == "sales"
        panel.chosen_topic = None  # the group's own topic now wins over the first topic
        await panel.refresh_data()
        summary = str(panel.query_one("#groups-summary").render())
        assert "new consumers subscribe to sales (the group's topic; t)" in summary


async def test_errors_are_notifications() -> None:
    app = make_app()  # no topics at all
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "a", "k")
        titles = [n.title for n in app._notifications]
        assert "No topic" in titles and "No consumer selected" in titles
        with pytest.raises(KafkaError):
            await _backend(app).add_consumer(GROUP, "nope", "range")
        with pytest.raises(KafkaError):
            await _backend(app).crash_consumer(99)


async def _two_stable_consumers(backend: EmbeddedBackend) -> None:
    await sales(backend)
    await backend.add_consumer(GROUP, "sales", "range")
    await backend.add_consumer(GROUP, "sales", "range")
    await backend.cluster.advance_until(_stable_with(backend, 2), limit_ms=60_000)
    # Past auto.commit.interval.ms: every partition has a committed offset to show.
    start = backend.clock.now_ms()
    await backend.cluster.advance_until(lambda: backend.clock.now_ms() >= start + 6_000)


def test_snapshot_stable_group(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_two_stable_consumers)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "7"))


async def _mid_rebalance(backend: EmbeddedBackend) -> None:
    """A third consumer has sent JoinGroup: the group is PreparingRebalance, and the two
    members still read their partitions until a heartbeat tells them to rejoin."""
    await _two_stable_consumers(backend)
    await backend.add_consumer(GROUP, "sales", "range")

    def third_waits() -> bool:
        third = backend.consumers(GROUP)[2]
        return bool(third.member_id) and third.phase == "joining"

    await backend.cluster.advance_until(third_waits, limit_ms=10_000)


def test_snapshot_mid_rebalance(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_mid_rebalance)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "7"))


async def test_the_log_view_shows_where_each_consumer_reads() -> None:
    app = make_app(_two_stable_consumers)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("3")
        log = app.panel("log")
        assert isinstance(log, LogPanel)
        await log.show("sales")
        log._show_readers()
        readers = log.log_view.readers
        # range over sales' 3 partitions: consumer-1 reads 0 and 1, consumer-2 reads 2,
        # each caught up: its next poll starts at the log end.
        ends = {p.partition: p.log_end_offset for p in _backend(app).describe_topic("sales").partitions}
        assert readers == {
            0: (("consumer-1", ends[0]),),
            1: (("consumer-1", ends[1]),),
            2: (("consumer-2", ends[2]),),
        }
        await backend_pause_and_produce(_backend(app))
        log._show_readers()
        assert log.log_view.readers[0] == (("consumer-1", ends[0]),)  # paused: stays put
        assert log.log_view.readers[2] == (("consumer-2", ends[2] + 1),)  # read the new record


async def backend_pause_and_produce(backend: EmbeddedBackend) -> None:
    await backend.pause_consumer(backend.consumers(GROUP)[0].consumer_id)
    start = backend.clock.now_ms()  # let the poll under way (500 ms long-poll) end
    await backend.cluster.advance_until(lambda: backend.clock.now_ms() >= start + 1_000)
    for partition in range(3):
        await backend.produce(ProduceRequest("sales", f"new-{partition}", partition=partition, acks="1"))
    start = backend.clock.now_ms()
    await backend.cluster.advance_until(lambda: backend.clock.now_ms() >= start + 2_000)


def test_snapshot_log_with_consumers(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def setup(backend: EmbeddedBackend) -> None:
        await _two_stable_consumers(backend)
        await backend_pause_and_produce(backend)

    app = make_app(setup)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "3")(pilot)
        log = app.panel("log")
        assert isinstance(log, LogPanel)
        await log.show("sales", 0, 0)
        log._show_readers()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
