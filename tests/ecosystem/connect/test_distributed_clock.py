"""Distributed mode on a cluster with a ManualClock: the workers' group loop (heartbeats,
the scheduled rebalance delay) runs on the cluster's clock, the one the coordinator
measures session.timeout.ms on, so a second worker joining and a silent worker's tasks
moving play out at set cluster times, stepped by `advance_until`, with no wall-clock
wait."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.connect.service import ConnectService
from kafkatui.ecosystem.connect.worker import WorkerConfig
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

SESSION_MS = 6_000  # the broker's group.min.session.timeout.ms
DELAY_MS = 2_000
CONFIG = WorkerConfig(
    distributed=True,
    session_timeout_ms=SESSION_MS,
    heartbeat_interval_ms=1_000,
    rebalance_timeout_ms=5_000,
    scheduled_rebalance_max_delay_ms=DELAY_MS,
    offset_flush_interval_ms=200,
)
SINK = "file-sink"


@pytest.fixture
async def backend() -> AsyncIterator[EmbeddedBackend]:
    defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
    cluster = await Cluster.open(None, brokers=1, clock=ManualClock(), seed=7, defaults=defaults)
    try:
        yield EmbeddedBackend(cluster)
    finally:
        await cluster.close()


def _sink_tasks(service: ConnectService) -> set[int]:
    return {n for c, n in service.worker.tasks if c == SINK}


def _settled(*services: ConnectService) -> bool:
    groups = [s.worker.group for s in services]
    return all(g is not None and not g.rebalancing and g.leader_url for g in groups)


async def _silence(service: ConnectService) -> None:
    """Gone without LeaveGroup, as a killed process: no more heartbeats, its tasks stop."""
    worker = service.worker
    assert worker.group is not None and worker.group._loop is not None
    worker.group._loop.cancel()
    await service.http.close()
    for name in {c for c, _ in worker.tasks} | set(worker.connectors):
        await worker._stop_connector(name)
    for store in (worker.status, worker.offsets, worker.configs):
        await store.log.close()
    worker.started = False


class TwoWorkers:
    """Two workers of one Connect group; the first runs a sink of four tasks alone
    before the second starts."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.first, self.second = ConnectService(backend, CONFIG), ConnectService(backend, CONFIG)

    async def advance_until(self, check: Callable[[], bool], limit_ms: int = 120_000) -> None:
        await self.backend.cluster.advance_until(check, limit_ms=limit_ms)

    async def start(self, out: Path) -> None:
        await self.first.start(0)
        await self.advance_until(lambda: _settled(self.first))
        await self.backend.create_topic("lines", 4, 1, {})
        config = {"connector.class": "FileStreamSink", "file": str(out), "topics": "lines", "tasks.max": "4"}
        await self.first.worker.put_connector(SINK, config)
        await self.advance_until(lambda: _sink_tasks(self.first) == {0, 1, 2, 3})
        await self.second.start(0)
        await self.advance_until(
            lambda: (
                _settled(self.first, self.second)
                and len(_sink_tasks(self.first)) == len(_sink_tasks(self.second)) == 2
            )
        )

    async def close(self) -> None:
        await self.second.close()
        await self.first.close()


@pytest.fixture
async def two(backend: EmbeddedBackend, tmp_path: Path) -> AsyncIterator[TwoWorkers]:
    workers = TwoWorkers(backend)
    try:
        await workers.start(tmp_path / "out.txt")
        yield workers
    finally:
        await workers.close()


async def test_a_second_worker_joining_takes_half_the_tasks(two: TwoWorkers) -> None:
    assert _sink_tasks(two.first) | _sink_tasks(two.second) == {0, 1, 2, 3}

    def each_runs_two() -> bool:  # as the first reads connect-status, on its heartbeats
        ids = [t["worker_id"] for t in two.first.worker.status_info(SINK)["tasks"]]
        return sorted(ids.count(s.worker.config.worker_id) for s in (two.first, two.second)) == [2, 2]

    await two.advance_until(each_runs_two, limit_ms=5_000)


async def test_a_silent_workers_tasks_move_after_its_session_and_the_scheduled_delay(
    two: TwoWorkers,
) -> None:
    clock = two.backend.cluster.clock
    moving = _sink_tasks(two.second)
    await _silence(two.second)
    silent_at = clock.now_ms()
    # The coordinator has not given up on it yet: its two tasks run nowhere.
    await two.advance_until(lambda: clock.now_ms() - silent_at >= SESSION_MS - 1_000)
    assert _sink_tasks(two.first).isdisjoint(moving)
    await two.advance_until(lambda: _sink_tasks(two.first) == {0, 1, 2, 3}, limit_ms=30_000)
    # KIP-415: lost work waits out scheduled.rebalance.max.delay.ms after the session ends.
    assert clock.now_ms() - silent_at >= SESSION_MS + DELAY_MS - 1_000
    status = two.first.worker.status_info(SINK)
    assert {t["worker_id"] for t in status["tasks"]} == {two.first.worker.config.worker_id}


async def test_a_config_only_change_restarts_the_tasks_with_it(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    """FileStreamSink's task configs carry only `file`: a new value.converter leaves them
    equal, yet Kafka (3.9, KAFKA-9228) rewrites them and restarts the tasks, so the
    change reaches them."""
    worker = ConnectService(backend, CONFIG)
    await worker.start(0)
    try:
        await backend.cluster.advance_until(lambda: _settled(worker))
        string = "org.apache.kafka.connect.storage.StringConverter"
        json_ = "org.apache.kafka.connect.json.JsonConverter"
        config = {"connector.class": "FileStreamSink", "file": str(tmp_path / "out.txt"), "topics": "lines"}
        await worker.worker.put_connector(SINK, {**config, "value.converter": string})
        await backend.cluster.advance_until(lambda: (SINK, 0) in worker.worker.tasks)
        before = worker.worker.tasks[(SINK, 0)]
        assert before.value_converter_class == string
        task_configs = worker.worker.configs.state.tasks[SINK]

        await worker.worker.put_connector(SINK, {**config, "value.converter": json_})
        await backend.cluster.advance_until(
            lambda: worker.worker.tasks.get((SINK, 0), before) is not before, limit_ms=10_000
        )
        assert worker.worker.configs.state.tasks[SINK] == task_configs  # equal, rewritten all the same
        assert worker.worker.tasks[(SINK, 0)].value_converter_class == json_
    finally:
        await worker.close()
