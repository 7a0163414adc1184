"""The batch-native producer: records encoded into per-partition RecordBatch v2 bodies,
futures resolved per batch. Both record encoders (the optional C one and the pure-Python
fallback) must deliver the same: every record once, in order per partition, at the
offsets its future reports, in batches whose sequence numbers follow each other."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import ProducerConfig, RecordMetadata
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients import producer as producer_module
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.clients.producer_batch import RecordFuture
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log import records as records_module
from kafkatui.engine.log.records import append_record_py, decode_batch, read_header
from tests.conftest import fast_producer
from tests.engine.test_produce_consume import read_all

TOPIC = "orders"
PARTITIONS = 3

ENCODERS = ["python"] + (["c"] if records_module._recordsc is not None else [])


@contextlib.contextmanager
def encoder(name: str) -> Iterator[None]:
    """Run the producer with one record encoder (the C one is the default when built)."""
    saved = producer_module.append_record_fast
    producer_module.append_record_fast = (
        records_module._recordsc.append_record if name == "c" else append_record_py  # type: ignore[union-attr]
    )
    try:
        yield
    finally:
        producer_module.append_record_fast = saved


# One step of a run: send a record, flush, wait for an earlier record, or let the loop run.
sends = st.tuples(
    st.just("send"),
    st.integers(0, PARTITIONS - 1),
    st.one_of(st.none(), st.binary(max_size=8)),
    st.one_of(st.none(), st.binary(max_size=300)),
    st.lists(
        st.tuples(st.sampled_from(["h", "trace"]), st.one_of(st.none(), st.binary(max_size=4))), max_size=2
    ),
    st.one_of(st.none(), st.integers(0, 2_000)),  # a timestamp offset from now, or now
)
steps = st.lists(
    st.one_of(
        sends,
        sends,
        sends,
        st.just(("flush",)),
        st.just(("yield",)),
        st.tuples(st.just("await"), st.integers(0, 10_000)),
    ),
    min_size=1,
    max_size=60,
)


async def run(
    program: list[tuple], *, batch_size: int, idempotent: bool, acks: str, compression: str
) -> None:
    clock = ManualClock()
    async with await Cluster.open(None, brokers=1, clock=clock, seed=3) as cluster:
        await cluster.create_topic(TOPIC, PARTITIONS, 1)
        config = ProducerConfig(
            linger_ms=0,
            batch_size=batch_size,
            acks="all" if idempotent else acks,  # idempotence needs acks=all
            enable_idempotence=idempotent,
            compression_type=compression,
        )
        sent: dict[int, list[tuple]] = {p: [] for p in range(PARTITIONS)}
        futures: list[tuple[RecordFuture, int, int, tuple]] = []
        async with Producer(cluster, config) as producer:
            for step in program:
                if step[0] == "send":
                    _, partition, key, value, headers, shift = step
                    ts = None if shift is None else clock.now_ms() - 1_000 + shift
                    future = await producer.send(
                        TOPIC, value, key=key, headers=headers, partition=partition, timestamp=ts
                    )
                    record = (key, value, tuple(headers), clock.now_ms() if ts is None else ts)
                    futures.append((future, partition, len(sent[partition]), record))
                    sent[partition].append(record)
                elif step[0] == "flush":
                    await producer.flush()
                    assert all(f.done() for f, *_ in futures)
                elif step[0] == "yield":
                    await asyncio.sleep(0)
                elif futures:
                    future = futures[step[1] % len(futures)][0]
                    assert isinstance(await future, RecordMetadata)
        # Every future: done, at its record's offset in its partition, with its sizes.
        for future, partition, position, (key, value, _, ts) in futures:
            meta = future.result()
            assert (meta.topic, meta.partition, meta.offset, meta.timestamp) == (
                TOPIC,
                partition,
                position,
                ts,
            )
            assert meta.serialized_key_size == (len(key) if key is not None else -1)
            assert meta.serialized_value_size == (len(value) if value is not None else -1)
        # Every record once, in order, with its key, value, headers and timestamp.
        stored = {p: [] for p in range(PARTITIONS)}
        for r in await read_all(cluster, TOPIC):
            stored[r.partition].append((r.key, r.value, tuple(r.headers), r.timestamp))
        assert stored == sent
        # The batches: contiguous offsets and, when idempotent, sequence numbers.
        for p in range(PARTITIONS):
            blobs = await cluster.leader(TOPIC, p).read_replica(TOPIC, p, 0, 1 << 30)
            next_offset = next_sequence = 0
            for blob in blobs:
                header = read_header(blob)
                assert header.base_offset == next_offset
                assert header.records_count == header.last_offset_delta + 1 == len(decode_batch(blob).records)
                if idempotent:
                    assert header.producer_id == producer.producer_id >= 0
                    assert header.base_sequence == next_sequence
                    next_sequence += header.records_count
                else:
                    assert header.base_sequence == -1
                next_offset += header.records_count
            assert next_offset == len(sent[p])
        if idempotent:
            assert producer.next_sequences() == {
                (TOPIC, p): len(sent[p]) for p in range(PARTITIONS) if sent[p]
            }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps,
    st.sampled_from(ENCODERS),
    st.sampled_from([200, 1_000, 16_384]),
    st.booleans(),
    st.sampled_from(["1", "all"]),
    st.sampled_from(["none", "none", "lz4"]),
)
def test_every_record_once_in_order_at_its_offset_for_any_interleaving(
    program: list[tuple], which: str, batch_size: int, idempotent: bool, acks: str, compression: str
) -> None:
    with encoder(which):
        asyncio.run(
            run(program, batch_size=batch_size, idempotent=idempotent, acks=acks, compression=compression)
        )


@pytest.mark.skipif(records_module._recordsc is None, reason="C encoder not built")
@given(
    st.lists(
        st.tuples(
            st.integers(-(2**40), 2**40),
            st.integers(0, 2**31 - 1),
            st.one_of(st.none(), st.binary(max_size=200)),
            st.one_of(st.none(), st.binary(max_size=200)),
        ),
        max_size=20,
    )
)
def test_the_c_record_appender_matches_python(records: list[tuple]) -> None:
    c, py = bytearray(b"prefix"), bytearray(b"prefix")
    for ts_delta, offset_delta, key, value in records:
        records_module._recordsc.append_record(c, ts_delta, offset_delta, key, value)  # type: ignore[union-attr]
        append_record_py(py, ts_delta, offset_delta, key, value)
    assert c == py


def test_the_c_record_appender_refuses_what_is_not_bytes() -> None:
    c = records_module._recordsc
    if c is None:
        pytest.skip("C encoder not built")
    for bad in ((bytearray(), 0, 0, "key", None), (b"", 0, 0, None, None), (bytearray(), 0, 0, None)):
        with pytest.raises(TypeError):
            c.append_record(*bad)


# --- a record's future speaks asyncio's Future protocol -----------------------------------


async def test_a_batch_resolves_its_records_futures_together(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1)
    async with fast_producer(cluster, linger_ms=10_000) as producer:
        futures = [await producer.send(TOPIC, b"v%d" % i) for i in range(5)]
        called: list[int] = []
        for i, f in enumerate(futures):
            f.add_done_callback(lambda _f, i=i: called.append(i))
        assert not any(f.done() for f in futures)
        await producer.flush()
        assert all(f.done() for f in futures)  # done at once, callbacks a loop turn later
        await asyncio.sleep(0)
        assert called == [0, 1, 2, 3, 4]
        metas = await asyncio.gather(*futures)
        assert [m.offset for m in metas] == [0, 1, 2, 3, 4]
        done, _ = await asyncio.wait(futures)
        assert done == set(futures)
        assert (await asyncio.wait_for(futures[2], 1)).offset == 2


async def test_cancelling_a_records_future_stops_the_wait_not_the_record(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1)

    async def wait_for(future: RecordFuture) -> RecordMetadata:
        return await future

    async with fast_producer(cluster, linger_ms=10_000) as producer:
        kept = await producer.send(TOPIC, b"kept")
        dropped = await producer.send(TOPIC, b"dropped-wait")
        waiter = asyncio.ensure_future(wait_for(dropped))
        await asyncio.sleep(0)  # the task now waits on the record's future
        waiter.cancel("no longer needed")
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert dropped.cancelled() and not kept.done()
        with pytest.raises(asyncio.CancelledError):
            dropped.result()
        await producer.flush()
        assert (await kept).offset == 0
    assert [r.value for r in await read_all(cluster, TOPIC)] == [b"kept", b"dropped-wait"]


async def test_a_failed_batch_fails_each_of_its_futures(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1, {"max.message.bytes": "300"})
    async with fast_producer(cluster, linger_ms=10_000, retries=0) as producer:
        futures = [await producer.send(TOPIC, bytes(400)) for _ in range(2)]
        await producer.flush()
    for f in futures:
        assert isinstance(f.exception(), KafkaError)
        assert f.exception().code is ErrorCode.MESSAGE_TOO_LARGE  # type: ignore[union-attr]
        with pytest.raises(KafkaError):
            await f


async def test_an_oversized_batch_is_split_and_each_record_gets_its_own_offset(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 1, 1, {"max.message.bytes": "400"})
    async with fast_producer(cluster, linger_ms=10_000, enable_idempotence=True) as producer:
        futures = [await producer.send(TOPIC, b"%03d" % i + bytes(150)) for i in range(3)]
        await producer.flush()
        assert [(await f).offset for f in futures] == [0, 1, 2]
        assert producer.next_sequences() == {(TOPIC, 0): 3}
    assert [r.value[:3] for r in await read_all(cluster, TOPIC)] == [b"000", b"001", b"002"]
    blobs = await cluster.leader(TOPIC, 0).read_replica(TOPIC, 0, 0, 1 << 20)
    assert [read_header(b).base_sequence for b in blobs] == [0, 1, 2]


async def test_a_custom_serializer_sees_every_key_and_value_even_none_and_bytes(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1)
    seen: list[object] = []

    def tagging(obj: object) -> bytes:
        seen.append(obj)
        return b"<" + (obj if isinstance(obj, bytes) else repr(obj).encode()) + b">"

    producer = Producer(
        cluster, ProducerConfig(linger_ms=0), key_serializer=tagging, value_serializer=tagging
    )
    async with producer:
        meta = await producer.send_and_wait(TOPIC, b"v", key=None)
    assert seen == [None, b"v"]
    assert (meta.serialized_key_size, meta.serialized_value_size) == (6, 3)
    [record] = await read_all(cluster, TOPIC)
    assert (record.key, record.value) == (b"<None>", b"<v>")


# --- buffer.memory ------------------------------------------------------------------------


async def test_send_waits_for_an_acknowledgement_once_buffer_memory_is_full(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1)
    # Each 100-byte record fills its own batch (batch.size 100), so every send seals one.
    async with fast_producer(cluster, batch_size=100, buffer_memory=500) as producer:
        queued = [await producer.send(TOPIC, bytes(100)) for _ in range(3)]  # 3 x 182 bytes
        assert not any(f.done() for f in queued)
        # Over buffer.memory: the next send returns only once a batch was acknowledged.
        waiting = await producer.send(TOPIC, bytes(100))
        assert queued[0].done()
        await producer.flush()
        assert [(await f).offset for f in [*queued, waiting]] == [0, 1, 2, 3]


async def test_a_send_waiting_for_buffer_memory_fails_when_the_producer_is_aborted(
    cluster: Cluster,
) -> None:
    await cluster.create_topic(TOPIC, 1, 1)
    producer = fast_producer(cluster, batch_size=100, buffer_memory=100)
    await producer.send(TOPIC, bytes(100))
    waiting = asyncio.ensure_future(producer.send(TOPIC, bytes(100)))
    await asyncio.sleep(0)
    producer.abort()
    with pytest.raises(RuntimeError, match="closed"):
        await waiting
