"""`ProducerClient.send_batch` on both backends: records sent together land in order,
each answered with its own RecordMetadata, or with its own error in its place (the
others still sent); one await answers for all of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, RecordMetadata, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError
from tests.backends.conftest import ServedCluster


@pytest.fixture(scope="module")
def shared() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(params=["embedded", "remote"])
async def backend(request: pytest.FixtureRequest, shared: ServedCluster) -> AsyncIterator[Backend]:
    if request.param == "embedded":
        made: Backend = await EmbeddedBackend.open(brokers=1, seed=3)
    else:
        made = await RemoteBackend.connect(shared.bootstrap)
    try:
        yield made
    finally:
        await made.close()


async def _read(backend: Backend, topic: str, partitions: int, count: int) -> list[tuple[int, bytes]]:
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False))
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    got: list[tuple[int, bytes]] = []
    try:
        async with asyncio.timeout(20):
            while len(got) < count:
                got += [(r.partition, r.value) for r in await consumer.poll(500)]
    finally:
        await consumer.close()
    return got


async def test_records_land_in_order_each_with_its_metadata(backend: Backend) -> None:
    topic = f"batch-{type(backend).__name__}"
    await backend.create_topic(topic, 2, 1)
    producer = backend.producer(ProducerConfig())
    try:
        records = [
            (0, None, b"a", (), None),
            (1, b"k", b"b", (("h", b"v"),), 1_700_000_000_123),
            (0, None, b"c", (), None),
            (0, None, b"d", (), None),
        ]
        sent = await producer.send_batch(topic, records)
        assert len(sent) == 4
        results = await sent
        assert sent.done()
    finally:
        await producer.close()
    assert all(isinstance(r, RecordMetadata) for r in results), results
    placed = [(r.partition, r.offset) for r in results if isinstance(r, RecordMetadata)]
    assert placed == [(0, 0), (1, 0), (0, 1), (0, 2)]
    second = results[1]
    assert isinstance(second, RecordMetadata)
    assert second.timestamp == 1_700_000_000_123 and second.serialized_key_size == 1
    got = await _read(backend, topic, 2, 4)
    assert [v for p, v in got if p == 0] == [b"a", b"c", b"d"] and [v for p, v in got if p == 1] == [b"b"]


async def test_a_record_the_producer_refuses_gets_its_error_in_place() -> None:
    """Too large for max.request.size, or a partition the topic does not have: that
    record's error, where it was; the others are sent (the engine's producer)."""
    backend = await EmbeddedBackend.open(brokers=1, seed=3)
    try:
        await backend.create_topic("t", 1, 1)
        producer = backend.producer(ProducerConfig(max_request_size=2000))
        records = [(None, None, b"first", (), None), (None, None, b"x" * 5000, (), None),
                   (7, None, b"nowhere", (), None), (None, None, b"last", (), None)]  # fmt: skip
        results = await (await producer.send_batch("t", records))
        await producer.close()
        codes = [r.code if isinstance(r, KafkaError) else r.offset for r in results]  # type: ignore[union-attr]
        assert codes == [0, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 1]
        unknown = backend.producer(ProducerConfig())
        nowhere = await (await unknown.send_batch("missing", [(None, None, b"v", (), None)] * 2))
        await unknown.close()
        assert [r.code for r in nowhere] == [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION] * 2  # type: ignore[union-attr]
    finally:
        await backend.close()
