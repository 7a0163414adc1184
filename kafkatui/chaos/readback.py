"""What a healed cluster holds, and when it counts as healed.

Healed: every partition of the topic has a leader and a full ISR, every replica's high
watermark is its log end and they all end at the leader's, and no open transaction
holds the last stable offset back. Then the log is read from the beginning by a
read_uncommitted and a read_committed consumer, and each replica's stored batches are
hashed, for the checkers (`checkers.py`).
"""

from __future__ import annotations

import asyncio
import hashlib

from kafkatui.chaos.history import PartitionState, ReadBack, StoredRecord
from kafkatui.chaos.workload import TOPIC
from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.errors import KafkaError
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.records import read_header

# transaction.abort.timed.out.transaction.cleanup.interval.ms, scaled down like the other
# timers: the engine's coordinators scan every 10 s (a constant there), so while healing
# the run asks for the same scan itself this often.
ABORT_SCAN_MS = 100


def healed(cluster: Cluster, *, lso: bool) -> bool:
    """Leaders, full ISRs, replicas at one end with the HW there; with `lso`, no open
    transaction either."""
    for p in cluster.describe_topic(TOPIC).partitions:
        if p.leader == -1 or set(p.isr) != set(p.replicas) or len(p.replica_states) != len(p.replicas):
            return False
        ends = {(s.log_end_offset, s.high_watermark) for s in p.replica_states}
        if ends != {(p.log_end_offset, p.log_end_offset)}:
            return False
        if lso and cluster.stable_offsets(TOPIC, p.partition)[0] < p.high_watermark:
            return False
    return True


class ScanForTimedOutTransactions:
    """The coordinators' scan for transactions past transaction.timeout.ms, every
    ABORT_SCAN_MS of cluster time (a task: its abort markers need the clock to move)."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._next_ms = 0
        self._task: asyncio.Task[list[str]] | None = None

    def step(self, now_ms: int) -> bool:
        """Start a scan if one is due; True when none is running (safe to check the LSO)."""
        if self._task is not None and self._task.done():
            error = None if self._task.cancelled() else self._task.exception()
            if error is not None and not isinstance(error, KafkaError):  # a leader moving: next scan
                raise error
            self._task = None
        if self._task is None and now_ms >= self._next_ms:
            self._next_ms = now_ms + ABORT_SCAN_MS
            self._task = asyncio.ensure_future(self._cluster.abort_timed_out_transactions())
        return self._task is None or self._task.done()


async def read_back(cluster: Cluster) -> ReadBack:
    """The healed cluster's log, through read_uncommitted and read_committed consumers
    from the beginning, and each partition's replicas."""
    readback = ReadBack(await _read(cluster, "read_uncommitted"), await _read(cluster, "read_committed"))
    for p in cluster.describe_topic(TOPIC).partitions:
        digests = {}
        for broker_id in p.replicas:
            broker = cluster.brokers[broker_id]
            if broker.running and broker.replica(TOPIC, p.partition) is not None:
                digests[broker_id] = await _digest(cluster, broker_id, p.partition)
        readback.partitions.append(
            PartitionState(
                p.partition,
                p.leader,
                tuple(p.replicas),
                tuple(p.isr),
                {s.broker_id: (s.log_end_offset, s.high_watermark) for s in p.replica_states},
                cluster.stable_offsets(TOPIC, p.partition)[0] if p.leader != -1 else -1,
                digests,
            )
        )
    return readback


async def _read(cluster: Cluster, isolation: str) -> list[StoredRecord]:
    """Everything a consumer with this isolation level reads from the beginning up to
    the end it is shown (the HW, or for read_committed the last stable offset)."""
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest", isolation_level=isolation))
    partitions = consumer.assign_topic(TOPIC)
    ends = await consumer.end_offsets(partitions)
    records: list[StoredRecord] = []
    stuck = 0
    while stuck < 3:
        before = [await consumer.position(tp) for tp in partitions]
        if all(position >= ends[tp] for position, tp in zip(before, partitions, strict=True)):
            break
        batch = await consumer.poll(0)
        records += [StoredRecord(r.partition, r.offset, r.value.decode()) for r in batch]
        moved = batch or [await consumer.position(tp) for tp in partitions] != before
        stuck = 0 if moved else stuck + 1
    await consumer.close()
    # Partitions arrive in whichever order their leaders' fetches finished together.
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def _digest(cluster: Cluster, broker_id: int, partition: int) -> str:
    """A hash of every batch a replica stores, as stored (the bytes followers copy)."""
    broker, digest, offset = cluster.brokers[broker_id], hashlib.sha256(), 0
    while batches := await broker.read_replica(TOPIC, partition, offset, 1 << 20):
        for data in batches:
            digest.update(data)
        offset = read_header(batches[-1]).last_offset + 1
        replica = broker.replica(TOPIC, partition)
        if replica is None or offset >= replica.log_end_offset:
            break
    return digest.hexdigest()[:16]
