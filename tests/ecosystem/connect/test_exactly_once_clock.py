"""Exactly-once source support on a cluster with a ManualClock: the interval transaction
boundary (`transaction.boundary=interval`, KIP-618) is measured on the backend's clock,
as offset.flush.interval.ms is, so a transaction commits once its interval of cluster
time has passed, not of wall time, and a test steps it with no wait. The leader writes
connect-configs in its own transactions (`<group.id>-leader`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any, ClassVar, TypeVar

import pytest

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import Clock, ManualClock
from kafkatui.ecosystem.connect import eos
from kafkatui.ecosystem.connect.api import (
    SUPPORTED,
    ConnectException,
    Props,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from kafkatui.ecosystem.connect.plugins import PluginDesc
from kafkatui.ecosystem.connect.storage import ConfigStore, PrivilegedWriteException
from kafkatui.ecosystem.connect.worker import Worker, WorkerConfig
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

T = TypeVar("T")
TICKS = "com.example.TickSourceConnector"
INTERVAL_MS = 10_000


class TickSourceTask(SourceTask):
    """Sends what the test queues in `lines`; idle, it waits on the cluster's clock."""

    clock: ClassVar[Clock]
    lines: ClassVar[list[str]] = []

    def start(self, props: Props) -> None:
        self.sent = 0

    async def poll(self) -> list[SourceRecord] | None:
        if not TickSourceTask.lines:
            await TickSourceTask.clock.sleep(0.1)
            return None
        values, TickSourceTask.lines = TickSourceTask.lines, []
        records = []
        for value in values:
            self.sent += 1
            records.append(SourceRecord({"ticks": "p"}, {"n": self.sent}, "ticks", value))
        return records


class TickSourceConnector(SourceConnector):
    def start(self, props: Props) -> None:
        return None

    def task_class(self) -> type[Task]:
        return TickSourceTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{}]

    def exactly_once_support(self, props: Any) -> str:
        return SUPPORTED


@pytest.fixture
async def backend() -> AsyncIterator[EmbeddedBackend]:
    defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
    cluster = await Cluster.open(None, brokers=1, clock=ManualClock(), seed=7, defaults=defaults)
    TickSourceTask.clock, TickSourceTask.lines = cluster.clock, []
    try:
        yield EmbeddedBackend(cluster)
    finally:
        await cluster.close()


async def _on_clock(backend: EmbeddedBackend, step: Awaitable[T]) -> T:
    """`step` while the ManualClock moves (the transaction coordinator, the config
    topic's reads and the producer's waits are timed on it)."""
    task = asyncio.ensure_future(step)
    await backend.cluster.advance_until(task.done)
    return task.result()


async def test_the_interval_boundary_runs_on_the_cluster_clock(backend: EmbeddedBackend) -> None:
    cluster, clock = backend.cluster, backend.cluster.clock
    # offset.flush.interval.ms far away: only the transaction boundary commits.
    worker = Worker(backend, WorkerConfig(exactly_once_source_support="enabled",
                                          offset_flush_interval_ms=3_600_000))  # fmt: skip
    worker.plugins.plugins[TICKS] = PluginDesc(TICKS, TickSourceConnector)
    await _on_clock(backend, worker.start())
    try:
        await _on_clock(backend, worker.put_connector(TICKS, {
            "connector.class": TICKS, "exactly.once.support": "required",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "transaction.boundary": "interval", "transaction.boundary.interval.ms": str(INTERVAL_MS),
        }))  # fmt: skip
        await cluster.advance_until(lambda: hasattr(worker.tasks.get((TICKS, 0)), "open"))  # begun
        task: Any = worker.tasks[(TICKS, 0)]
        TickSourceTask.lines = ["a", "b"]
        await cluster.advance_until(lambda: task.records == 2 and task.open)
        opened_ms = clock.now_ms()
        await cluster.advance_until(lambda: clock.now_ms() - opened_ms >= INTERVAL_MS - 1_000)
        assert task.committed_transactions == 0, "committed before its interval of cluster time"
        (described,) = await backend.describe_transactions([task.producer.transactional_id])
        assert described.state == "Ongoing"
        await cluster.advance_until(lambda: task.committed_transactions == 1, limit_ms=5_000)
        assert clock.now_ms() - opened_ms >= INTERVAL_MS - 200  # opened_ms is read a poll late
        (described,) = await backend.describe_transactions([task.producer.transactional_id])
        assert described.state == "CompleteCommit"
        assert worker.offsets.get(TICKS, {"ticks": "p"}) == {"n": 2}
        # Nothing sent since: no empty transaction is opened, none committed.
        await cluster.advance_until(lambda: clock.now_ms() - opened_ms >= 3 * INTERVAL_MS)
        assert task.committed_transactions == 1
    finally:
        await _on_clock(backend, worker.close())


async def test_the_leader_writes_connect_configs_in_transactions(backend: EmbeddedBackend) -> None:
    """KIP-618: under exactly-once source support the worker (its own leader here) holds
    `connect-cluster-<group.id>` and each config change is one committed transaction."""
    worker = Worker(backend, WorkerConfig(exactly_once_source_support="enabled"))
    await _on_clock(backend, worker.start())
    try:
        assert worker.configs.has_write_privileges
        config = {
            "connector.class": "FileStreamSink",
            "file": "/dev/null",
            "topics": "lines",
            "tasks.max": "2",
        }
        await _on_clock(backend, worker.put_connector("sink", config))
        await backend.cluster.advance_until(lambda: len(worker.configs.state.tasks.get("sink", [])) == 2)
        # the connector config, then two task configs with their commit: two transactions
        assert worker.configs.transactions == 2
        (leader,) = await backend.describe_transactions([eos.leader_transactional_id("connect-cluster")])
        assert leader.state == "CompleteCommit"
    finally:
        await _on_clock(backend, worker.close())


async def test_a_new_leader_fences_the_old_ones_writes(backend: EmbeddedBackend) -> None:
    """Two workers' config stores with the group's leader id: the second claim (a new
    leader) fences the first, whose next write fails, lands nowhere, and gives up its
    privileges; the new leader's writes go on."""
    leader_id = eos.leader_transactional_id("connect-cluster")
    old, new = (ConfigStore(backend, "connect-configs", transactional_id=leader_id) for _ in range(2))
    for store in (old, new):
        await _on_clock(backend, store.start())
    try:
        await _on_clock(backend, old.claim_write_privileges())
        await _on_clock(backend, old.put_connector("before", {"connector.class": "FileStreamSink"}))
        await _on_clock(backend, new.claim_write_privileges())
        with pytest.raises(PrivilegedWriteException, match="Failed to perform fencable send to config topic"):
            await _on_clock(backend, old.put_connector("zombie", {"connector.class": "FileStreamSink"}))
        assert not old.has_write_privileges
        with pytest.raises(ConnectException, match="without claiming write privileges first"):
            await _on_clock(backend, old.put_connector("zombie", {"connector.class": "FileStreamSink"}))
        await _on_clock(backend, new.put_connector("after", {"connector.class": "FileStreamSink"}))
        # A later reader (read_committed) sees what the leaders committed, not the zombie's.
        reader = ConfigStore(backend, "connect-configs", transactional_id=leader_id)
        await _on_clock(backend, reader.start())
        assert set(reader.state.connectors) == {"before", "after"}
        await _on_clock(backend, reader.log.close())
    finally:
        for store in (old, new):
            await _on_clock(backend, store.relinquish_write_privileges())
            await _on_clock(backend, store.log.close())
