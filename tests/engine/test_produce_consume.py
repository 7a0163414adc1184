from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import (
    ConsumerConfig,
    ProducerConfig,
    TimestampType,
    TopicPartition,
    serialize_json,
)
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import HighWatermarkAdvanced, ProduceRejected, RecordAppended
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.partitioner import partition_for_key
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from tests.conftest import fast_producer


async def read_all(cluster: Cluster, topic: str) -> list:
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign_topic(topic)
    out = []
    while batch := await consumer.poll(0):
        out.extend(batch)
    return out


async def test_keyed_records_share_a_partition_at_consecutive_offsets(cluster: Cluster) -> None:
    await cluster.create_topic("sales", 3)
    async with fast_producer(cluster) as producer:
        metas = [await producer.send_and_wait("sales", f'{{"price": {i}}}', key="client-1") for i in range(5)]
    expected = partition_for_key(b"client-1", 3)
    assert {m.partition for m in metas} == {expected}
    assert [m.offset for m in metas] == [0, 1, 2, 3, 4]
    records = await read_all(cluster, "sales")
    assert [(r.partition, r.offset, r.value) for r in records] == [
        (expected, i, f'{{"price": {i}}}'.encode()) for i in range(5)
    ]


async def test_batching_puts_records_of_a_linger_window_in_one_batch(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1)
    appended = cluster.bus.subscribe(RecordAppended)
    producer = Producer(cluster, ProducerConfig(linger_ms=50))
    futures = [await producer.send("t", f"v{i}") for i in range(10)]
    await clock.advance(10)
    assert not any(f.done() for f in futures)  # still lingering
    await clock.advance(50)
    await asyncio.gather(*futures)
    events = appended.drain()
    assert len(events) == 1 and events[0].record_count == 10  # type: ignore[attr-defined]
    await producer.close()


async def test_batch_size_closes_batches(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1)
    appended = cluster.bus.subscribe(RecordAppended)
    async with fast_producer(cluster, batch_size=1000, linger_ms=60_000) as producer:
        for _i in range(30):
            await producer.send("t", "x" * 80, key=None, partition=0)
    counts = [e.record_count for e in appended.drain()]  # type: ignore[attr-defined]
    assert sum(counts) == 30 and len(counts) > 1
    assert all(c * 80 <= 1000 for c in counts)


async def test_keyless_records_stick_to_a_partition(cluster: Cluster) -> None:
    await cluster.create_topic("t", 3)
    async with fast_producer(cluster) as producer:
        metas = [await producer.send_and_wait("t", "no key") for _ in range(5)]
    assert len({m.partition for m in metas}) == 1


async def test_headers_timestamps_and_json(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1)
    producer = Producer(cluster, ProducerConfig(linger_ms=0), value_serializer=serialize_json)
    meta = await producer.send_and_wait(
        "t", {"price": 10}, key=b"k", headers=[("source", "pos"), ("empty", None)], timestamp=1234
    )
    assert meta.timestamp == 1234
    [record] = await read_all(cluster, "t")
    assert record.value == b'{"price":10}'
    assert record.headers == (("source", b"pos"), ("empty", None))
    assert record.timestamp == 1234 and record.timestamp_type is TimestampType.CREATE_TIME


async def test_log_append_time_topic(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, configs={"message.timestamp.type": "LogAppendTime"})
    async with fast_producer(cluster) as producer:
        meta = await producer.send_and_wait("t", "v", timestamp=5)
    assert meta.timestamp == clock.now_ms()
    [record] = await read_all(cluster, "t")
    assert record.timestamp == clock.now_ms()
    assert record.timestamp_type is TimestampType.LOG_APPEND_TIME


async def test_message_too_large_names_the_limit(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1, configs={"max.message.bytes": "200"})
    rejected = cluster.bus.subscribe(ProduceRejected)
    async with fast_producer(cluster) as producer:
        ok = await producer.send_and_wait("t", "small")
        with pytest.raises(KafkaError) as info:
            await producer.send_and_wait("t", "x" * 500)
        assert info.value.code is ErrorCode.MESSAGE_TOO_LARGE
        assert "max.message.bytes=200" in info.value.message
        with pytest.raises(KafkaError) as info:
            await producer.send("t", "x" * 2_000_000)
        assert "max.request.size" in info.value.message
    assert [r.value for r in await read_all(cluster, "t")] == [b"small"]
    assert ok.offset == 0
    assert [e.error for e in rejected.drain()] == ["MESSAGE_TOO_LARGE"]  # type: ignore[attr-defined]


async def test_oversized_batch_is_split_and_retried(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1, configs={"max.message.bytes": "300"})
    async with fast_producer(cluster, linger_ms=1000) as producer:
        futures = [await producer.send("t", "y" * 100) for _ in range(5)]
    assert [(await f).offset for f in futures] == [0, 1, 2, 3, 4]


async def test_unknown_topic_and_partition(cluster: Cluster) -> None:
    await cluster.create_topic("t", 2)
    async with fast_producer(cluster) as producer:
        with pytest.raises(KafkaError) as info:
            await producer.send("nope", "v")
        assert info.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        with pytest.raises(KafkaError) as info:
            await producer.send("t", "v", partition=2)
        assert "[0...2)" in info.value.message


async def test_acks_zero_returns_no_offset_but_writes(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1)
    async with fast_producer(cluster, acks="0") as producer:
        meta = await producer.send_and_wait("t", "fire and forget")
    assert meta.offset == -1
    assert len(await read_all(cluster, "t")) == 1


async def test_acks_all_waits_for_every_in_sync_replica(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"})
    async with fast_producer(cluster, acks="all") as producer:
        meta = await producer.send_and_wait("t", "v")
    assert meta.offset == 0
    [p] = cluster.describe_topic("t").partitions
    # Acknowledged under acks=all: every in-sync replica already has it.
    assert p.isr == p.replicas and p.high_watermark == 1
    assert sorted((s.broker_id, s.log_end_offset) for s in p.replica_states) == [(1, 1), (2, 1), (3, 1)]


async def test_acks_all_needs_min_insync_replicas(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 1, configs={"min.insync.replicas": "2"})
    rejected = cluster.bus.subscribe(ProduceRejected)
    async with fast_producer(
        cluster, acks="all", delivery_timeout_ms=1000, request_timeout_ms=500
    ) as producer:
        future = await producer.send("t", "v")
        await cluster.settle()  # idempotent by default: InitProducerId comes first
        # NOT_ENOUGH_REPLICAS is retriable: the producer retries until delivery.timeout.ms.
        await clock.advance(900)
        assert not future.done()
        await clock.advance(200)
        with pytest.raises(KafkaError) as info:
            await future
        assert info.value.code is ErrorCode.NOT_ENOUGH_REPLICAS
    assert len(rejected.drain()) == 11  # tries at t=0, 100, …, 1000 ms (retry.backoff.ms=100)
    async with fast_producer(cluster, acks="1") as producer:
        assert (await producer.send_and_wait("t", "v")).offset == 0


async def test_consumer_offsets_reset_and_seek(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1)
    async with fast_producer(cluster) as producer:
        for i in range(5):
            await producer.send_and_wait("t", f"v{i}")
    latest = Consumer(cluster)
    latest.assign([("t", 0)])
    assert await latest.position(("t", 0)) == 5
    assert await latest.poll(0) == []
    c = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest", max_poll_records=2))
    c.assign([TopicPartition("t", 0)])
    assert [r.offset for r in await c.poll(0)] == [0, 1]
    assert await c.position(("t", 0)) == 2
    c.seek(("t", 0), 4)
    assert [r.value for r in await c.poll(0)] == [b"v4"]
    c.seek(("t", 0), 99)
    assert [r.offset for r in await c.poll(0)] == [0, 1]  # out of range -> earliest
    strict = Consumer(cluster, ConsumerConfig(auto_offset_reset="none"))
    strict.assign([("t", 0)])
    with pytest.raises(KafkaError) as info:
        await strict.poll(0)
    assert info.value.code is ErrorCode.OFFSET_OUT_OF_RANGE


async def test_poll_waits_for_new_records_on_the_clock(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 2)
    consumer = Consumer(cluster)
    consumer.assign_topic("t")
    await consumer.seek_to_end()
    poll = asyncio.ensure_future(consumer.poll(5000))
    await clock.advance(1000)
    assert not poll.done()
    async with fast_producer(cluster) as producer:
        await producer.send_and_wait("t", "late", partition=1)
    await clock.advance(1)
    records = await poll
    assert [(r.partition, r.value) for r in records] == [(1, b"late")]
    empty = asyncio.ensure_future(consumer.poll(2000))
    await clock.advance(2500)
    assert await empty == []


async def test_a_poll_whose_partitions_go_away_meanwhile_returns(
    cluster: Cluster, clock: ManualClock
) -> None:
    # Another task reassigns the consumer while its poll waits, then records arrive for the
    # partition it no longer holds: the poll ends (empty) at once. It used to loop without
    # awaiting anything, so on a ManualClock — whose deadline only that blocked loop could
    # bring — the whole event loop spun (a Connect REST request hung a CI run this way).
    await cluster.create_topic("t", 1)
    consumer = Consumer(cluster)
    consumer.assign_topic("t")
    await consumer.seek_to_end()
    poll = asyncio.ensure_future(consumer.poll(5000))
    await asyncio.sleep(0)
    consumer.assign([])
    async with fast_producer(cluster) as producer:
        await producer.send_and_wait("t", "for nobody now")
    await clock.advance(1)
    assert await asyncio.wait_for(poll, 5) == []


async def test_events_per_batch_and_high_watermark(cluster: Cluster) -> None:
    await cluster.create_topic("t", 1)
    appended = cluster.bus.subscribe(RecordAppended, HighWatermarkAdvanced)
    async with fast_producer(cluster) as producer:
        await producer.send_and_wait("t", "a")
    kinds = [type(e).__name__ for e in appended.drain()]
    assert kinds == ["RecordAppended", "HighWatermarkAdvanced"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), st.binary(max_size=40)),
        min_size=1,
        max_size=60,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_log_invariants(records: list[tuple[str | None, bytes]], partitions: int) -> None:
    """Offsets are contiguous per partition and reading returns exactly what was appended."""

    async def scenario() -> None:
        async with await Cluster.open(None, brokers=3, clock=ManualClock(), seed=1) as cluster:
            await cluster.create_topic("t", partitions)
            sent: dict[int, list[tuple[str | None, bytes]]] = defaultdict(list)
            async with fast_producer(cluster, batch_size=200) as producer:
                futures = [(k, v, await producer.send("t", v, key=k)) for k, v in records]
            for k, v, f in futures:
                meta = f.result()
                assert meta.offset == len(sent[meta.partition])
                sent[meta.partition].append((k, v))
            got: dict[int, list[tuple[str | None, bytes]]] = defaultdict(list)
            for r in await read_all(cluster, "t"):
                assert r.offset == len(got[r.partition])
                got[r.partition].append((r.key.decode() if r.key is not None else None, r.value))
            assert got == sent

    asyncio.run(scenario())


async def test_abort_fails_what_is_still_retrying(cluster: Cluster, clock: ManualClock) -> None:
    """A topic deleted under a lingering record: the producer would retry the retriable
    UNKNOWN_TOPIC_OR_PARTITION until delivery.timeout.ms; abort() fails it now."""
    await cluster.create_topic("t", 1)
    producer = Producer(cluster, ProducerConfig(linger_ms=50))
    future = await producer.send("t", "v")
    await cluster.delete_topic("t")
    await clock.advance(300)
    assert not future.done()
    producer.abort()
    with pytest.raises(KafkaError) as info:
        await future
    assert info.value.code is ErrorCode.REQUEST_TIMED_OUT


def test_delivery_timeout_must_cover_linger_and_request_timeout() -> None:
    with pytest.raises(KafkaError, match=r"delivery\.timeout\.ms should be equal to or larger"):
        ProducerConfig(delivery_timeout_ms=1_000, linger_ms=5, request_timeout_ms=30_000)
