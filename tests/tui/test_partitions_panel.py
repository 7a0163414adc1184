"""The Partitions panel: the grid of replicas, broker and network faults, snapshots.

The cluster runs on a ManualClock, so nothing the controller does on a timer happens
until a test moves the clock (`Cluster.advance_until`); in between, the grid holds still.
With the sample setup (seed 7), broker 2 leads clients-0 and sales-2, whose replicas are
(2, 3, 1): when broker 2 goes, broker 3 takes over.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from kafkatui.backends.base import Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.partitions import PartitionsPanel
from kafkatui.tui.panels.partitions_links import LinkChoice, LinkScreen, check_link
from tests.tui.conftest import SIZE, make_app, sales, until
from tests.tui.test_snapshots import driven

LED_BY_2 = (("clients", 0), ("sales", 2))


async def _open(app: KafkaTuiApp, pilot: Pilot, *keys: str) -> PartitionsPanel:
    await app.ready.wait()
    await pilot.pause()
    await pilot.press("6", *keys)
    await pilot.pause(0.2)
    panel = app.panel("partitions")
    assert isinstance(panel, PartitionsPanel)
    return panel


def _cell(panel: PartitionsPanel, topic: str, partition: int, broker_id: int) -> str:
    cell = panel.replica_cell(topic, partition, broker_id)
    assert cell is not None
    return str(cell.render())


def _header(panel: PartitionsPanel, broker_id: int) -> str:
    """A broker's column header (the first column is the partitions')."""
    return str(panel.query_one("#partitions-header").children[broker_id].render())


def _text(app: KafkaTuiApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def _backend(app: KafkaTuiApp) -> EmbeddedBackend:
    assert isinstance(app.backend, EmbeddedBackend)
    return app.backend


def _leaders(backend: EmbeddedBackend) -> dict[tuple[str, int], int]:
    return {
        (t, p.partition): p.leader
        for t in backend.topic_names()
        for p in backend.describe_topic(t).partitions
    }


def _titles(app: KafkaTuiApp) -> list[str]:
    return [n.title for n in app._notifications]


def _last(app: KafkaTuiApp):  # type: ignore[no-untyped-def]
    return list(app._notifications)[-1]


async def test_the_grid_shows_every_replica_with_its_role_and_offsets() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        backend = _backend(app)
        for (topic, partition), leader in _leaders(backend).items():
            assert _cell(panel, topic, partition, leader).startswith("leader · epoch 0")
        assert "follower · in sync" in _cell(panel, "sales", 0, 1)
        leo = backend.describe_topic("sales").partitions[0].log_end_offset
        assert f"LEO {leo}" in _cell(panel, "sales", 0, 3)
        assert _header(panel, 1).startswith("▸ broker 1 ★ controller\n● running")
        assert "every link healthy" in _text(app, "#partitions-links")
        assert not panel.query(".-flash")  # nothing flashes on first sight


async def test_crash_holds_leadership_until_the_session_times_out() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot, "right", "k")
        backend = _backend(app)
        cluster = backend.cluster
        assert cluster.broker_state(2) == "crashed"
        assert "broker.session.timeout.ms=9000" in _last(app).message
        assert _header(panel, 2) == "▸ broker 2\n✖ crashed\ncontroller notices in 9.0 s"
        # Mid-election: the controller has not noticed, so broker 2 still "leads".
        assert "6 partition(s) (2 without a reachable leader)" in _text(app, "#partitions-summary")
        for topic, partition in LED_BY_2:
            assert _leaders(backend)[(topic, partition)] == 2
            assert _cell(panel, topic, partition, 2) == "leader unreachable\nelection pending"
        waited = await cluster.advance_until(lambda: cluster.broker_state(2) == "stopped")
        assert waited >= 9000
        await pilot.pause(0.3)
        for topic, partition in LED_BY_2:
            assert _leaders(backend)[(topic, partition)] == 3
            assert _cell(panel, topic, partition, 3).startswith("leader · epoch 1")
            assert _cell(panel, topic, partition, 2).startswith("offline")
        # Fenced, as the crash notice and the legend promised (and down).
        assert _header(panel, 2) == "▸ broker 2\n○ fenced · down\n"
        assert app.is_running


async def test_restart_rejoins_the_isr_and_preferred_election_moves_leaders_back() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot, "right", "k")
        backend = _backend(app)
        cluster = backend.cluster
        await cluster.advance_until(lambda: cluster.broker_state(2) == "stopped")
        await pilot.press("r")
        await pilot.pause(0.2)
        assert cluster.broker_state(2) == "running"
        assert "Broker 2 restarted" in _titles(app)

        def rejoined() -> bool:
            return all(2 in backend.describe_topic(t).partitions[p].isr for t, p in LED_BY_2)

        await cluster.advance_until(rejoined)
        await pilot.pause(0.3)
        assert _cell(panel, "clients", 0, 2).startswith("follower · in sync")
        await pilot.press("p")
        await pilot.pause(0.2)
        assert all(_leaders(backend)[key] == 2 for key in LED_BY_2)
        assert _cell(panel, "sales", 2, 2).startswith("leader · epoch 2")
        assert any("2 partition(s) moved leadership back" in n.message for n in app._notifications)


async def test_graceful_stop_moves_leaders_at_once_and_flashes_them() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        # The flash lasts FLASH_SECONDS of wall time, which a loaded machine can spend
        # before the pilot looks: what was flashed is recorded as it ends, too.
        unflashed: list[tuple[str, int, int]] = []
        unflash = panel._unflash

        def recording(keys: list[tuple[str, int, int]]) -> None:
            unflashed.extend(keys)
            unflash(keys)

        panel._unflash = recording  # type: ignore[method-assign]
        await pilot.press("right", "s")
        backend = _backend(app)
        await until(pilot, lambda: backend.cluster.broker_state(2) == "stopped", "broker 2 stopped")
        assert backend.cluster.broker_state(2) == "stopped"  # no clock needed: controlled shutdown
        assert all(_leaders(backend)[key] == 3 for key in LED_BY_2)
        assert _cell(panel, "sales", 2, 3).startswith("leader · epoch 1")
        assert "Controlled shutdown" in _last(app).message
        flashing = panel.replica_cell("sales", 2, 3)
        assert flashing is not None and (flashing.has_class("-flash") or ("sales", 2, 3) in unflashed)
        await until(pilot, lambda: ("sales", 2, 3) in unflashed, "the flash ending", rounds=1000)
        assert not panel.query(".-flash")


async def test_crashing_the_controller_leaves_the_role_empty_until_an_election() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot, "k")
        cluster = _backend(app).cluster
        assert cluster.controller_id == -1
        assert "controller.quorum.election.timeout.ms" in _last(app).message
        assert "electing…" in _text(app, "#partitions-summary")
        assert "★ electing…" in _text(app, "#partitions-corner")
        await cluster.advance_until(lambda: cluster.controller_id != -1)
        await pilot.pause(0.3)
        assert "controller: broker 2" in _text(app, "#partitions-summary")
        assert _header(panel, 2).startswith("broker 2 ★ controller")


async def test_cut_and_heal_a_link_through_the_dialog() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "right", "right", "c")
        assert isinstance(app.screen, LinkScreen)
        await pilot.press("1", "enter")  # the field starts with broker 1 selected; typing replaces it
        await pilot.pause(0.2)
        assert not isinstance(app.screen, LinkScreen)
        assert _backend(app).cluster.network.link(1, 3).cut
        assert _text(app, "#partitions-links") == "links: 1 ⇹ 3 cut"
        message = _last(app).message
        assert "Broker 3 cannot reach the controller (broker 1)" in message
        await pilot.press("c", "enter")
        await pilot.pause(0.2)
        assert not _backend(app).cluster.network.link(1, 3).cut
        assert _text(app, "#partitions-links") == "links: every link healthy"
        assert "Link 1 ⇹ 3 healed" in _titles(app)


async def test_latency_dialog_checks_what_is_typed() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "l")
        screen = app.screen
        assert isinstance(screen, LinkScreen)
        await pilot.press("1", "enter")  # enter on the broker field moves on to the latency
        assert screen.query_one("#link-ms", Input).has_focus

        def error() -> str:
            return str(screen.query_one("#link-error", Label).render())

        await pilot.press("enter")
        assert error().startswith("That is broker 1 itself")
        screen.query_one("#link-other", Input).value = "3"
        await pilot.press("enter")
        assert error() == "Type a latency in milliseconds (0 removes it)."
        await pilot.press(*"70000", "enter")
        assert error() == "Latency is 0 to 60,000 ms, not 70,000."
        screen.query_one("#link-ms", Input).value = "40"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, LinkScreen)
        assert _backend(app).cluster.network.link(1, 3).latency_ms == 40
        assert _text(app, "#partitions-links") == "links: 1 ⇹ 3 40 ms"


async def test_restarting_a_running_broker_is_an_error_notification() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "r")
        assert _titles(app)[-1] == "INVALID_REQUEST"
        assert "already running" in _last(app).message
        await pilot.press("k", "k")  # the second crash finds it already stopped
        await pilot.pause(0.1)
        assert _titles(app)[-1] == "BROKER_NOT_AVAILABLE"
        assert app.is_running


async def test_a_backend_without_faults_disables_them_and_says_why() -> None:
    from kafkatui.common.clock import ManualClock
    from kafkatui.engine.cluster import Cluster
    from kafkatui.tui.config import Settings

    async def factory() -> EmbeddedBackend:
        backend = EmbeddedBackend(await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7))
        backend.supports_faults = False
        backend.faults_unsupported_reason = "a real cluster's brokers are not ours to stop"
        await sales(backend)
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot, "k", "s")
        assert _backend(app).cluster.broker_state(1) == "running"
        assert panel.check_action("crash", ()) is None  # shown, disabled
        assert panel.check_action("elect_preferred", ()) is True  # ElectLeaders is an admin call
        line = panel.query_one("#partitions-unsupported", Static)
        assert line.display and "not ours to stop" in str(line.render())


async def test_cluster_panel_shows_the_new_broker_states() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "right", "right", "s", "left", "k")
        await pilot.press("1")
        await pilot.pause(0.2)
        table = app.query_one("#brokers")
        statuses = [table.get_row_at(i)[1] for i in range(3)]  # type: ignore[attr-defined]
        assert statuses == ["● running", "✖ crashed — controller notices in 9.0 s", "○ fenced · down"]


async def test_a_broker_cut_off_from_the_controller_is_fenced_while_up() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        backend = _backend(app)
        cluster = backend.cluster
        assert backend.controller_id == 1
        await backend.engine_controls(Feature.NETWORK).cut_link(1, 3)
        await cluster.advance_until(lambda: cluster.broker_state(3) == "fenced")
        await pilot.pause(0.3)
        assert _header(panel, 3).startswith("broker 3\n⚠ fenced · up")


async def test_a_follower_shows_its_own_hw_and_the_leaders_until_its_next_fetch() -> None:
    """Kafka's leader computes the HW; a follower learns it from the answer to its next
    fetch. On the manual clock that fetch waits (replica.fetch.wait.max.ms) until the
    clock moves, so the follower's HW stays behind, and the cell says so."""
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        backend = _backend(app)
        p = backend.describe_topic("sales").partitions[0]
        followers = [b for b in p.replicas if b != p.leader]
        hw = p.high_watermark
        for b in followers:
            assert _cell(panel, "sales", 0, b) == f"follower · in sync\nLEO {hw} · HW {hw - 1} → {hw}"
        assert _cell(panel, "sales", 0, p.leader).endswith(f"LEO {hw} · HW {hw}")
        # The followers' next fetch answers: the engine publishes no event for a
        # follower's HW, and the panel still catches up (it looks again while behind).
        clock = backend.cluster.clock
        assert isinstance(clock, ManualClock)
        await clock.advance(backend.cluster.defaults.replica_fetch_wait_max_ms)
        for _ in range(100):
            if all(_cell(panel, "sales", 0, b).endswith(f"HW {hw}") for b in followers):
                break
            await pilot.pause(0.05)
        for b in followers:
            assert _cell(panel, "sales", 0, b) == f"follower · in sync\nLEO {hw} · HW {hw}"


def test_check_link() -> None:
    assert check_link("3", 1, [2, 3]) == LinkChoice(3)
    assert check_link(" 2 ", 1, [2, 3], "40") == LinkChoice(2, 40)
    assert check_link("", 1, [2, 3]) == "Type the broker at the other end: 2 or 3."
    assert check_link("x", 1, [2, 3]) == "'x' is not a broker id; type 2 or 3."
    assert check_link("7", 1, [2, 3]) == "There is no broker 7; type 2 or 3."
    assert check_link("1", 1, [2, 3]).startswith("That is broker 1 itself")  # type: ignore[union-attr]
    assert check_link("2", 1, [2, 3], "-5") == "Latency is 0 to 60,000 ms, not -5."
    assert check_link("2", 1, [2, 3], "0") == LinkChoice(2, 0)


async def below_min_isr(backend: EmbeddedBackend) -> None:
    """Topic t (RF 3, min.insync.replicas=2): 5 records acknowledged by all, then both
    followers stopped one after the other (the second with the ISR below 2, so it is the
    ELR), then 3 records with acks=1 that the held high watermark does not cover."""
    from tests.engine.test_eligible_leader_replicas import produce

    cluster = backend.cluster
    await cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"})
    await produce(cluster, range(5))
    _, first, second = cluster.describe_topic("t").partitions[0].replicas
    await cluster.stop_broker(first)
    await cluster.stop_broker(second)
    await produce(cluster, range(5, 8), acks="1")


async def test_the_elr_and_a_held_high_watermark_are_shown() -> None:
    app = make_app(below_min_isr)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        leader, first, second = _backend(app).describe_topic("t").partitions[0].replicas
        label = str(panel.query_one("#partitions-body .label", Static).render())
        assert label == f"t-0\nISR {leader} · ELR {second}"
        assert _cell(panel, "t", 0, leader) == "leader · epoch 0\nLEO 8 · HW 5 held"
        assert _cell(panel, "t", 0, second).startswith("down · eligible (ELR)")
        assert _cell(panel, "t", 0, first).startswith("offline")  # left with the ISR at 2
        held = _text(app, "#partitions-held")
        assert held.startswith("HW held: t-0 (ISR 1 < min.insync.replicas 2)")
        assert "NOT_ENOUGH_REPLICAS" in held
        # The eligible replica back: the ISR is at min.insync.replicas again, the ELR is
        # emptied and the high watermark moves to the leader's log end.
        await _backend(app).cluster.start_broker(second)
        cluster = _backend(app).cluster
        await cluster.advance_until(lambda: len(cluster.describe_topic("t").partitions[0].isr) == 2)
        await cluster.settle()
        await panel.refresh_data()
        await pilot.pause()
        assert _cell(panel, "t", 0, leader) == "leader · epoch 0\nLEO 8 · HW 8"
        assert not app.query_one("#partitions-held").has_class("-shown")


# --- snapshots -------------------------------------------------------------------------


def _settled(app: KafkaTuiApp, *keys: str):  # type: ignore[no-untyped-def]
    """Drive the keys, let the cluster settle (followers fetch from new leaders in their
    own time: SQLite answers from threads), redraw, and wait out any flash."""

    async def run_before(pilot: Pilot) -> None:
        await driven(app, *keys)(pilot)
        await _backend(app).cluster.settle()
        await app.panel("partitions").refresh_data()
        while app.query(".-flash"):
            await pilot.pause(0.1)
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_snapshot_all_brokers_up(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled(app, "6"))


def test_snapshot_one_broker_stopped(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled(app, "6", "right", "s"))


def test_snapshot_mid_election(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Broker 2 crashed; on the ManualClock the controller never notices, so it stays so."""
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled(app, "6", "right", "k"))


def test_snapshot_elr_and_held_high_watermark(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(below_min_isr)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled(app, "6"))
