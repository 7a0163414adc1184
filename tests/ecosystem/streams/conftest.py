"""A cluster for the streams runtime: kafkatui's engine in the test's event loop, reached
through an `EmbeddedBackend`, or through a `RemoteBackend` over a wire listener (the
confluent-kafka clients of the remote backend run in threads, so one loop serves both)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.streams.runtime import RUNNING, KafkaStreams
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.wire.server import WireServer
from tests.cli.conftest import cli, data_dir  # noqa: F401 - the CLI tests' fixtures, for test_streams_cli


class Served:
    def __init__(self, cluster: Cluster, backend: Backend, wire: WireServer | None) -> None:
        self.cluster, self.backend, self.wire = cluster, backend, wire

    async def produce(self, topic: str, pairs: list[tuple[bytes | None, bytes | None]]) -> None:
        producer = self.backend.producer(ProducerConfig(linger_ms=20))
        for key, value in pairs:
            await producer.send(topic, value, key=key)
        await producer.flush()
        await producer.close()

    async def ends(self, topic: str) -> dict[int, int]:
        partitions = range(len(self.backend.describe_topic(topic).partitions))
        return await self.backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)

    async def caught_up(self, streams: KafkaStreams, *topics: str) -> bool:
        """`streams` runs every task, and its group has committed every record of `topics`."""
        if streams.state != RUNNING:
            return False
        every = {f"{sub}_{p}" for sub, n in streams.plan.partitions.items() for p in range(n)}
        if set(streams.tasks) != every:
            return False
        view = await self.backend.describe_group(streams.config.application_id)
        committed = {(p.topic, p.partition): p.committed for p in view.partitions}
        for topic in topics:
            for partition, end in (await self.ends(topic)).items():
                if end and committed.get((topic, partition), -1) < await self._last_record_end(
                    topic, partition, end
                ):
                    return False
        return True

    async def _last_record_end(self, topic: str, partition: int, end: int) -> int:
        """`end`, or `end - 1` when the last offset is a transaction's marker (no consumer
        reads it, so no commit passes it)."""
        last = await self.backend.read_log(topic, partition, end - 1, 1)
        is_record = bool(last) and last[-1].offset == end - 1 and not last[-1].batch.is_control
        return end if is_record else end - 1


async def until(check: Callable[[], Any], what: str, limit_s: float = 90) -> Any:
    deadline = time.monotonic() + limit_s
    while True:
        got = check()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def open_served(kind: str, brokers: int = 1) -> Served:
    defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
    cluster = await Cluster.open(None, brokers=brokers, seed=5, defaults=defaults)
    wire = None
    backend: Backend
    if kind == "remote":
        wire = WireServer(cluster, port_base=0)
        await wire.start()
        cluster.advertise_listeners(wire.bootstrap)
        backend = await RemoteBackend.connect(wire.bootstrap)
    else:
        backend = EmbeddedBackend(cluster)
    return Served(cluster, backend, wire)


async def close_served(served: Served) -> None:
    if served.wire is not None:
        await served.backend.close()
        await served.wire.close()
    await served.cluster.close()


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    s = await open_served("embedded")
    try:
        yield s
    finally:
        await close_served(s)
