"""The panels over the wire: the workbench on a RemoteBackend attached to a served
kafkatui cluster (real clock, real ports), as `kafkatui --bootstrap-server` runs it.

What an admin API or a client can do is done and checked twice: on screen, and in the
engine behind the listeners (the truth). What needs kafkatui's own cluster is dimmed in
the footer, and pressing it says why instead of failing (ENGINE_ACTIONS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RadioButton, Select, Static

from kafkatui.backends.base import Feature
from kafkatui.backends.offset_reset import ResetStrategy, execute_reset, plan_reset
from kafkatui.backends.remote import RemoteBackend
from kafkatui.engine.clients.partitioner import partition_for_key
from kafkatui.engine.cluster import TopicDescription
from kafkatui.engine.log.records import Record
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels import PANELS
from kafkatui.tui.panels.groups import GroupsPanel
from kafkatui.tui.panels.partitions import PartitionsPanel
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from kafkatui.tui.widgets.producer_path import ProducerPath
from tests.tui.conftest import SIZE, make_remote_app, sales
from tests.wire.conftest import ServedCluster

GROUP = "workbench"


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(autouse=True)
def quick_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the producer path's step-by-step reveal, at a pace that keeps the suite fast."""
    monkeypatch.setattr(ProducerPath, "STEP_DELAY", 0.01)


async def _until(check: Callable[[], bool], pilot: Pilot, timeout: float = 30.0) -> None:
    """Wait on the real clock (the served cluster's) for what a client will see soon."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await pilot.pause(0.1)


async def _open(app: KafkaTuiApp, pilot: Pilot, key: str) -> None:
    await app.ready.wait()
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause(0.2)
    await app.workers.wait_for_complete()


def _row(app: KafkaTuiApp, table_id: str, key: str) -> list[str]:
    return [str(cell) for cell in app.query_one(table_id, DataTable).get_row(key)]


def _rows(app: KafkaTuiApp, table_id: str) -> list[list[str]]:
    table = app.query_one(table_id, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _last(app: KafkaTuiApp):  # type: ignore[no-untyped-def]
    return list(app._notifications)[-1]


def _truth(served: ServedCluster, topic: str) -> TopicDescription:
    """The topic as the engine behind the listeners has it (read on the server's loop)."""

    async def describe() -> TopicDescription:
        return served.cluster.describe_topic(topic)

    return served.call(describe())


def _records(served: ServedCluster, topic: str, partition: int) -> list[Record]:
    """A partition's records as the leader's log holds them."""
    batches = served.call(served.cluster.read_log(topic, partition, 0))
    return [r for batch in batches for r in batch.records]


def _topics(served: ServedCluster) -> list[str]:
    async def names() -> list[str]:
        return served.cluster.topic_names()

    return served.call(names())


# --- topics ----------------------------------------------------------------------------


async def test_create_a_topic_with_a_config_override_through_the_dialog(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "2")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CreateTopicScreen)
        await pilot.press(*"orders")
        await pilot.click("#partitions")
        await pilot.press("end", "backspace", "4")
        await pilot.click("#configs")
        await pilot.press(*"retention.ms=60000")
        await pilot.click("#create")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, CreateTopicScreen)
        assert _last(app).title == "Created topic orders"
        await _until(lambda: app.query_one("#topic-list", DataTable).row_count == 1, pilot)
        assert _row(app, "#topic-list", "orders")[:4] == ["orders", "4", "1", "0"]
        # The configs table: the override first, marked as one, then Kafka's defaults.
        configs = _rows(app, "#configs")
        assert configs[0] == ["retention.ms", "topic override", "60000"]
        assert ["cleanup.policy", "default", "delete"] in configs
        # The engine behind the listeners has it as asked.
        described = _truth(served, "orders")
        assert len(described.partitions) == 4
        assert described.configs["retention.ms"] == "60000"


async def test_an_invalid_topic_is_refused_inline_by_the_dialog(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "2")
        await pilot.press("n", *"bad name!")
        await pilot.click("#configs")
        await pilot.press(*"retention.ms=soon")
        await pilot.click("#create")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CreateTopicScreen)
        assert "INVALID_TOPIC_EXCEPTION" in str(screen.query_one("#name-error").render())
        assert "INVALID_CONFIG" in str(screen.query_one("#configs-error").render())
        await pilot.press("escape")
        assert _topics(served) == []


async def test_a_topic_the_broker_refuses_is_said_in_the_dialog_as_kafka_names_it(
    served: ServedCluster,
) -> None:
    """Replication factor 4 on 3 brokers: the dialog knows the cluster's size from its
    metadata and says so inline, as Kafka names it; nothing is created."""
    app = make_remote_app(served.bootstrap)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "2")
        await pilot.press("n", *"wide")
        await pilot.click("#replication")
        await pilot.press("end", "backspace", "4")
        await pilot.click("#create")
        screen = app.screen
        assert isinstance(screen, CreateTopicScreen)

        def said() -> str:
            return " ".join(str(w.render()) for w in screen.query(".error"))

        await _until(lambda: "INVALID_REPLICATION_FACTOR" in said(), pilot)
        assert "between 1 and 3 (the broker count)" in said()
        await pilot.press("escape")
        assert "wide" not in _topics(served)
        assert app.is_running


async def test_delete_a_topic_asks_first_then_it_is_gone_on_the_broker(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "2")
        app.query_one("#topic-list").focus()
        assert app.panel("topics").selected_topic == "clients"  # type: ignore[attr-defined]
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "its 3 record(s)" in str(app.screen.query_one(".question").render())
        await pilot.press("n")
        await pilot.pause()
        assert "clients" in _topics(served)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        assert _topics(served) == ["sales"]
        await _until(lambda: app.query_one("#topic-list", DataTable).row_count == 1, pilot)
        assert _row(app, "#topic-list", "sales")[:4] == ["sales", "3", "3", "6"]


# --- produce ---------------------------------------------------------------------------


async def _produce_panel(app: KafkaTuiApp, pilot: Pilot) -> ProducePanel:
    await _open(app, pilot, "4")
    panel = app.panel("produce")
    assert isinstance(panel, ProducePanel)
    await _until(lambda: "sales" in [v for _, v in panel.query_one("#topic", Select)._options], pilot)
    panel.query_one("#topic", Select).value = "sales"
    await pilot.pause()
    return panel


async def _send(pilot: Pilot, panel: ProducePanel, key: str, value: str) -> ProducerPath:
    panel.query_one("#key", Input).value = key
    panel.query_one("#value", Input).value = value
    await pilot.pause()
    path = panel.query_one(ProducerPath)
    before = path.trace
    panel.action_send()

    def shown() -> bool:  # this send's path, or its failure
        return (path.trace is not before and path.complete) or "not produced" in path.outcome

    await _until(shown, pilot)
    assert "not produced" not in path.outcome, path.outcome
    await pilot.pause()
    return path


async def test_a_keyed_record_lands_where_murmur2_says_with_its_offset(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        expected = partition_for_key(b"client-9", 3)
        before = len(_records(served, "sales", expected))
        path = await _send(pilot, panel, "client-9", '{"price": 4}')
        assert f"partition {expected} at offset {before}" in path.outcome
        path = await _send(pilot, panel, "client-9", '{"price": 5}')
        assert f"partition {expected} at offset {before + 1}" in path.outcome
        records = _records(served, "sales", expected)[before:]
        assert [(r.key, r.value) for r in records] == [
            (b"client-9", b'{"price": 4}'),
            (b"client-9", b'{"price": 5}'),
        ]


# --- log -------------------------------------------------------------------------------


async def test_the_log_reads_the_records_at_their_partition_and_offset(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "3")
        log = app.panel("log")
        await log.show("sales")  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        view = log.log_view  # type: ignore[attr-defined]
        truth = {p: _records(served, "sales", p) for p in range(3)}
        for partition, records in truth.items():
            for record in records:
                view.move_to(partition, record.offset)
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                shown = view.record_at(view.cursor)
                assert shown is not None
                assert (shown.partition, shown.offset, shown.key, shown.value) == (
                    partition,
                    record.offset,
                    record.key,
                    record.value,
                )
        assert sum(len(r) for r in truth.values()) == 6


# --- groups ----------------------------------------------------------------------------


def _summary(panel: GroupsPanel) -> str:
    return str(panel.query_one("#groups-summary").render())


async def test_a_consumer_joins_reads_to_lag_0_then_a_reset_offsets_shows_the_lag(
    served: ServedCluster,
) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "7")
        panel = app.panel("groups")
        assert isinstance(panel, GroupsPanel)
        await pilot.press("t")  # from the first topic (clients) to sales
        assert panel.chosen_topic == "sales"
        await pilot.press("a")
        backend = app.backend
        assert isinstance(backend, RemoteBackend)

        def caught_up() -> bool:
            view = panel.view
            return (
                view is not None
                and view.state == "Stable"
                and len(view.members) == 1
                and len(view.partitions) == 3
                and all(p.lag == 0 for p in view.partitions)
            )

        await _until(caught_up, pilot, timeout=60)
        column = panel.member_column("consumer-1")
        assert column is not None
        text = column.text
        for p in range(3):
            assert f"sales-{p} · lag 0" in text
        assert "Stable" in _summary(panel) and "1 member(s)" in _summary(panel)

        # x: it commits and leaves; the group is empty, its offsets stay.
        await pilot.press("x")
        await _until(lambda: panel.view is not None and panel.view.state == "Empty", pilot)

        # kafka-consumer-groups.sh --reset-offsets --to-earliest --execute, from elsewhere.
        plan = await plan_reset(backend, GROUP, "sales", ResetStrategy.TO_EARLIEST)
        assert sum(r.old - r.new for r in plan) == 6
        await execute_reset(backend, GROUP, plan)
        await _until(lambda: "total lag 6" in _summary(panel), pilot)
        assert panel.view is not None
        assert {p.partition: p.committed for p in panel.view.partitions} == {0: 0, 1: 0, 2: 0}
        assert app.is_running


# --- partitions and brokers --------------------------------------------------------------


async def test_the_grid_shows_each_partitions_leader_and_isr_as_the_controller_has_them(
    served: ServedCluster,
) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "6")
        panel = app.panel("partitions")
        assert isinstance(panel, PartitionsPanel)
        for topic in ("clients", "sales"):
            for p in _truth(served, topic).partitions:
                leader = panel.replica_cell(topic, p.partition, p.leader)
                assert leader is not None
                assert str(leader.render()).startswith(f"leader · epoch {p.leader_epoch}")
                for follower in set(p.replicas) - {p.leader}:
                    cell = panel.replica_cell(topic, p.partition, follower)
                    assert cell is not None
                    in_sync = "in sync" if follower in p.isr else "out of sync"
                    assert str(cell.render()).startswith(f"follower · {in_sync}")
        # Faults are off, and the panel says why in a line of its own.
        line = panel.query_one("#partitions-unsupported", Static)
        assert line.display and "not kafkatui's own to stop" in str(line.render())


async def test_preferred_leader_election_works_over_the_wire(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "6")
        # Broker 2 goes down behind the listeners (kafkatui's own controls, the other side).
        served.call(served.cluster.stop_broker(2))
        moved = [
            (t, p.partition)
            for t in ("clients", "sales")
            for p in _truth(served, t).partitions
            if p.replicas[0] == 2
        ]
        assert moved and all(_truth(served, t).partitions[p].leader != 2 for t, p in moved)
        served.call(served.cluster.start_broker(2))

        def rejoined() -> bool:
            return all(2 in _truth(served, t).partitions[p].isr for t, p in moved)

        await _until(rejoined, pilot)
        await pilot.press("p")
        await _until(lambda: any("moved leadership back" in n.message for n in app._notifications), pilot)
        assert all(_truth(served, t).partitions[p].leader == 2 for t, p in moved)


async def test_the_cluster_panel_lists_the_brokers_and_the_controller(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, "1")
        rows = _rows(app, "#brokers")
        assert [row[0] for row in rows] == ["broker 1", "broker 2", "broker 3"]
        controller = served.cluster.controller_id
        assert "controller" in rows[controller - 1][2]
        assert sum("controller" in row[2] for row in rows) == 1


# --- what needs kafkatui's own cluster ---------------------------------------------------

ENGINE_ACTIONS = [  # (panel, its key, action, the feature it needs)
    (panel.PANEL_ID, panel.KEY, action, feature)
    for panel in PANELS
    for action, feature in panel.ENGINE_ACTIONS.items()
]


@pytest.mark.parametrize(
    ("panel_id", "key", "action", "feature"),
    ENGINE_ACTIONS,
    ids=[f"{p}.{a}" for p, _, a, _ in ENGINE_ACTIONS],
)
async def test_every_engine_only_action_is_dimmed_and_pressing_it_says_why(
    served: ServedCluster, panel_id: str, key: str, action: str, feature: Feature
) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, key)
        panel = app.panel(panel_id)
        if panel_id == "log":
            await panel.show("sales")  # type: ignore[attr-defined]
            await pilot.pause(0.2)
        assert panel.check_action(action, ()) is None  # in the footer, dimmed
        panel.focus()
        await app.run_action(action, panel)
        await pilot.pause()
        last = _last(app)
        assert last.title == f"{panel.action_label(action)}: not available"
        where = f"not available when attached to {served.bootstrap}"
        assert last.message == f"{feature.value} needs kafkatui's own cluster ({where})"
        assert all(b.running for b in served.cluster.brokers.values())
        assert app.is_running


async def test_acks_0_has_no_offset_and_the_latency_view_counts_per_setting(served: ServedCluster) -> None:
    app = make_remote_app(served.bootstrap, sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        for acks in ("1", "all", "0"):
            panel.query_one(f"#acks-{acks}", RadioButton).value = True
            await pilot.pause()
            path = await _send(pilot, panel, "client-1", f"acks={acks}")
        expected = partition_for_key(b"client-1", 3)
        assert f"sent to partition {expected}" in path.outcome and "no offset" in path.outcome
        lines = panel.query_one("#acks-latency").render().plain.splitlines()  # type: ignore[attr-defined]
        sends = {line.lstrip("▸").split()[0]: line.lstrip("▸").split()[1] for line in lines[1:]}
        assert sends == {"0": "1", "1": "1", "all": "1"}
        # All three were written, the unacknowledged one too.
        await _until(
            lambda: _truth(served, "sales").partitions[expected].high_watermark == 3 + 3,
            pilot,
        )


# --- log -------------------------------------------------------------------------------
