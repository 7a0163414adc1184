from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.lockfile import DataDirLockedError
from tests.conftest import fast_producer
from tests.engine.test_produce_consume import read_all


async def test_data_and_metadata_survive_reopen(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with await Cluster.open(data, brokers=3, clock=ManualClock(), seed=3) as cluster:
        await cluster.create_topic("sales", 3, 2, configs={"retention.ms": "60000"})
        async with fast_producer(cluster) as producer:
            for i in range(20):
                await producer.send("sales", f"v{i}", key=f"k{i % 4}")
        before = cluster.describe_topic("sales")
    assert sorted(p.name for p in data.iterdir()) == [
        "broker-1.db", "broker-2.db", "broker-3.db", "cluster-metadata.broker-1.db",
        "cluster-metadata.broker-2.db", "cluster-metadata.broker-3.db", "cluster-metadata.db",
        "kafkatui.lock",
    ]  # fmt: skip
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        after = cluster.describe_topic("sales")
        assert after.topic_id == before.topic_id
        assert after.configs == {"retention.ms": "60000"}
        assert [(p.leader, p.replicas, p.log_end_offset, p.high_watermark) for p in after.partitions] == [
            (p.leader, p.replicas, p.log_end_offset, p.high_watermark) for p in before.partitions
        ]
        assert len(await read_all(cluster, "sales")) == 20
        async with fast_producer(cluster) as producer:
            meta = await producer.send_and_wait("sales", "more", key="k0")
        partition = before.partitions[meta.partition]
        assert meta.offset == partition.log_end_offset


async def test_second_open_names_the_owner(tmp_path: Path) -> None:
    async with await Cluster.open(tmp_path, clock=ManualClock(), command="kafkatui test"):
        with pytest.raises(DataDirLockedError) as info:
            await Cluster.open(tmp_path, clock=ManualClock())
        assert str(os.getpid()) in str(info.value)
        assert "kafkatui test" in str(info.value)


async def test_cannot_shrink_broker_count(tmp_path: Path) -> None:
    async with await Cluster.open(tmp_path, brokers=3, clock=ManualClock()):
        pass
    with pytest.raises(KafkaError, match="3 brokers"):
        await Cluster.open(tmp_path, brokers=2, clock=ManualClock())
    async with await Cluster.open(tmp_path, brokers=4, clock=ManualClock()) as cluster:
        assert sorted(cluster.brokers) == [1, 2, 3, 4]


def test_acknowledged_records_survive_kill_9(tmp_path: Path) -> None:
    """A process killed mid-stream keeps every record it had acknowledged."""
    script = textwrap.dedent(
        """
        import asyncio, os, signal, sys
        from kafkatui.engine.cluster import Cluster
        from kafkatui.engine.clients.producer import Producer, ProducerConfig

        async def main():
            cluster = await Cluster.open(sys.argv[1], seed=1)
            await cluster.create_topic("t", 1)
            producer = Producer(cluster, ProducerConfig(linger_ms=0, acks="1"))
            for i in range(200):
                meta = await producer.send_and_wait("t", f"v{i}")
                print(meta.offset, flush=True)
            # Unacknowledged records in flight, then the process dies without cleanup.
            for i in range(200, 300):
                await producer.send("t", f"v{i}")
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9
    acked = [int(line) for line in proc.stdout.split()]
    assert acked == list(range(200))

    async def check() -> None:
        async with await Cluster.open(tmp_path) as cluster:
            values = [r.value for r in await read_all(cluster, "t")]
            assert values[:200] == [f"v{i}".encode() for i in range(200)]
            assert values == [f"v{i}".encode() for i in range(len(values))]

    import asyncio

    asyncio.run(check())
