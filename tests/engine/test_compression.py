"""Compressed record batches in the engine: codecs, what the leader stores, the bound
on decompressed size, and the producer's compression.type."""

from __future__ import annotations

import struct

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import Compression, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.compression import compress, decompress
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.records import Record, decode_batch, encode_batch, read_header
from kafkatui.engine.log.validator import validate_compression
from tests.conftest import fast_producer
from tests.engine.test_produce_consume import read_all
from tests.engine.test_records import records_strategy

CODECS = [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]


@given(records_strategy, st.sampled_from(CODECS), st.integers(min_value=0, max_value=2**40))
def test_compressed_batches_round_trip(raw: list, codec: Compression, base_offset: int) -> None:
    records = [
        Record(base_offset + i, ts, key, value, tuple(headers))
        for i, (ts, key, value, headers) in enumerate(raw)
    ]
    data = encode_batch(records, compression=codec)
    batch = decode_batch(data)
    assert batch.header.compression is codec
    assert batch.records == records


@settings(deadline=None)  # up to 200 KB through each codec: a loaded CI core is slow, not wrong
@given(st.binary(min_size=1, max_size=200_000), st.sampled_from(CODECS))
def test_codecs_round_trip_and_kafka_python_reads_them(payload: bytes, codec: Compression) -> None:
    packed = compress(codec, payload)
    assert decompress(codec, packed, len(payload)) == payload
    kafka_codec = pytest.importorskip("kafka.codec")
    reader = {
        Compression.GZIP: kafka_codec.gzip_decode,
        Compression.SNAPPY: kafka_codec.snappy_decode,  # xerial, as Kafka's broker writes
        Compression.LZ4: kafka_codec.lz4_decode,
        Compression.ZSTD: kafka_codec.zstd_decode,
    }[codec]
    if codec is Compression.SNAPPY and not kafka_codec.has_snappy():
        return
    assert reader(packed) == payload


def test_snappy_reads_raw_and_xerial_framing() -> None:
    payload = b"librdkafka sends raw snappy, the Java client xerial blocks " * 2000
    raw = bytes(cramjam.snappy.compress_raw(payload))
    assert decompress(Compression.SNAPPY, raw, len(payload)) == payload
    xerial = compress(Compression.SNAPPY, payload)
    assert xerial.startswith(b"\x82SNAPPY\x00") and len(xerial) > len(raw)  # 32 KiB blocks
    assert decompress(Compression.SNAPPY, xerial, len(payload)) == payload


@pytest.mark.parametrize("codec", CODECS)
def test_decompression_stops_at_the_limit(codec: Compression) -> None:
    bomb = compress(codec, bytes(8 << 20))  # 8 MiB of zeros: a few KiB compressed
    assert len(bomb) < 1 << 20
    with pytest.raises(KafkaError) as refused:
        decompress(codec, bomb, 1 << 20)
    assert refused.value.code is ErrorCode.MESSAGE_TOO_LARGE
    with pytest.raises(KafkaError) as refused:
        decompress(codec, bomb[: len(bomb) // 2] + b"\x00" * 16, 16 << 20)
    assert refused.value.code is ErrorCode.CORRUPT_MESSAGE


def test_a_batch_inflating_past_32_times_max_message_bytes_is_refused() -> None:
    config = TopicConfig({"max.message.bytes": "100000"})
    fits = encode_batch([Record(0, 1, None, bytes(3_000_000))], compression=Compression.ZSTD)
    assert validate_compression(fits, config)[0] == fits
    bomb = encode_batch([Record(0, 1, None, bytes(3_300_000))], compression=Compression.ZSTD)
    assert len(bomb) < 1000
    with pytest.raises(KafkaError) as refused:
        validate_compression(bomb, config)
    assert refused.value.code is ErrorCode.MESSAGE_TOO_LARGE


def test_inner_offsets_must_be_sequential() -> None:
    gappy = encode_batch(
        [Record(0, 1, None, b"a"), Record(2, 1, None, b"b")],
        last_offset_delta=1,
        compression=Compression.GZIP,
    )
    with pytest.raises(KafkaError) as refused:
        validate_compression(gappy, TopicConfig())
    assert refused.value.code is ErrorCode.INVALID_RECORD


async def test_the_producer_compresses_and_the_leader_keeps_its_codec(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("metrics", 1, 3)
    async with fast_producer(cluster, compression_type="zstd", linger_ms=10) as producer:
        futures = [await producer.send("metrics", b"cpu=%d" % i) for i in range(100)]
        await clock.advance(20)
        for f in futures:
            await f
    await cluster.settle()
    for broker in cluster.brokers.values():  # leader and followers hold the same bytes
        batches = await broker.read_replica("metrics", 0, 0, 1 << 20)
        assert {read_header(b).compression for b in batches} == {Compression.ZSTD}
    assert [r.value for r in await read_all(cluster, "metrics")] == [b"cpu=%d" % i for i in range(100)]


async def test_the_topics_compression_type_recompresses(cluster: Cluster) -> None:
    await cluster.create_topic(
        "audit", 1, 1, {"compression.type": "lz4", "message.timestamp.type": "LogAppendTime"}
    )
    async with fast_producer(cluster, compression_type="gzip") as producer:
        await producer.send_and_wait("audit", b"login")
    async with fast_producer(cluster) as producer:
        meta = await producer.send_and_wait("audit", b"logout")
    batches = await cluster.leader("audit", 0).read_replica("audit", 0, 0, 1 << 20)
    assert [read_header(b).compression for b in batches] == [Compression.LZ4, Compression.LZ4]
    records = await read_all(cluster, "audit")
    assert [r.value for r in records] == [b"login", b"logout"]
    assert records[1].timestamp == meta.timestamp  # LogAppendTime on the rebuilt batch


def test_an_unknown_compression_type_is_an_invalid_config() -> None:
    with pytest.raises(KafkaError) as refused:
        ProducerConfig(compression_type="brotli")
    assert refused.value.code is ErrorCode.INVALID_CONFIG


def test_an_unknown_codec_id_is_corrupt() -> None:
    data = bytearray(encode_batch([Record(0, 1, None, b"x")]))
    struct.pack_into(">h", data, 21, 5)
    with pytest.raises(KafkaError) as refused:
        decode_batch(bytes(data))
    assert refused.value.code is ErrorCode.CORRUPT_MESSAGE


async def test_the_cleaner_keeps_a_batchs_codec(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("prices", 1, 1, {"cleanup.policy": "compact", "segment.bytes": "100"})
    producer = fast_producer(cluster, compression_type="snappy", acks="1", linger_ms=10)
    async with producer:
        for keys in ([b"a", b"b", b"c"], [b"a", b"b"], [b"d"]):  # one batch each
            futures = [await producer.send("prices", b"v", key=k) for k in keys]
            await clock.advance(10)
            for f in futures:
                await f
    await cluster.settle()
    await cluster.compact_topic("prices")
    batches = await cluster.leader("prices", 0).read_replica("prices", 0, 0, 1 << 20)
    first = decode_batch(batches[0])
    assert [r.key for r in first.records] == [b"c"]  # rewritten: a and b were superseded
    assert {read_header(b).compression for b in batches} == {Compression.SNAPPY}
