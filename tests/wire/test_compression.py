"""Compressed RecordBatches (gzip, snappy, lz4, zstd) from and to real clients: each
client produces compressed and reads back; the log keeps the producer's codec unless the
topic's compression.type says otherwise; a batch that cannot be decompressed is refused."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import subprocess
import time

import pytest
from crc32c import crc32c

from kafkatui.common.clients import Compression
from kafkatui.engine.log.compression import compress
from kafkatui.engine.log.records import Record, encode_batch, read_header
from tests.wire.conftest import ServedCluster

CODECS = ["gzip", "snappy", "lz4", "zstd"]
VALUES = [b"reading %d " % i + b"x" * (i % 50) for i in range(300)]


def stored_codecs(served: ServedCluster, topic: str, partitions: int = 1) -> set[str]:
    """The codecs of the batches the partition leaders hold."""
    codecs = set()
    for p in range(partitions):
        leader = served.cluster.leader(topic, p)
        for data in served.call(leader.read_replica(topic, p, 0, 1 << 24)):
            codecs.add(read_header(data).compression.name.lower())
    return codecs


def test_confluent_kafka_produces_and_reads_each_codec(served: ServedCluster) -> None:
    ck = pytest.importorskip("confluent_kafka")
    errors: list = []
    for codec in CODECS:
        topic = f"ck-{codec}"
        served.call(served.cluster.create_topic(topic, 1, 2))
        producer = ck.Producer(
            {"bootstrap.servers": served.bootstrap, "compression.type": codec, "linger.ms": 20}
        )
        for value in VALUES:
            producer.produce(topic, value=value, on_delivery=lambda err, _: err and errors.append(err))
        assert producer.flush(15) == 0
        assert errors == []
        # compression.type=producer keeps the codec; librdkafka sends a batch uncompressed
        # when compressing would not shrink it (a lone record in a linger window).
        assert codec in stored_codecs(served, topic) <= {codec, "none"}
        consumer = ck.Consumer(
            {"bootstrap.servers": served.bootstrap, "group.id": "r", "enable.auto.commit": False}
        )
        consumer.assign([ck.TopicPartition(topic, 0, 0)])
        got: list[bytes] = []
        deadline = time.monotonic() + 15
        while len(got) < len(VALUES) and time.monotonic() < deadline:
            for msg in consumer.consume(500, 0.5):
                assert msg.error() is None, msg.error()
                got.append(msg.value())
        consumer.close()
        assert got == VALUES, codec


def test_kafka_python_produces_and_reads_each_codec(served: ServedCluster) -> None:
    kafka = pytest.importorskip("kafka")
    for codec in CODECS:
        topic = f"kp-{codec}"
        served.call(served.cluster.create_topic(topic, 1, 2))
        producer = kafka.KafkaProducer(
            bootstrap_servers=served.bootstrap, compression_type=codec, linger_ms=20, enable_idempotence=False
        )
        futures = [producer.send(topic, value=v) for v in VALUES]
        producer.flush(15)
        assert [f.get(5).offset for f in futures] == list(range(len(VALUES)))
        producer.close()
        assert stored_codecs(served, topic) == {codec}
        consumer = kafka.KafkaConsumer(
            topic, bootstrap_servers=served.bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000
        )
        got = [r.value for r in consumer][: len(VALUES)]
        consumer.close()
        assert got == VALUES, codec


async def test_aiokafka_produces_and_reads_each_codec(served: ServedCluster) -> None:
    aiokafka = pytest.importorskip("aiokafka")
    for codec in CODECS:
        topic = f"ak-{codec}"
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(served.cluster.create_topic(topic, 1, 2), served.loop)
        )
        producer = aiokafka.AIOKafkaProducer(
            bootstrap_servers=served.bootstrap, compression_type=codec, linger_ms=20
        )
        await producer.start()
        try:
            futures = [await producer.send(topic, value=v) for v in VALUES]
            sent = [await f for f in futures]
        finally:
            await producer.stop()
        assert [m.offset for m in sent] == list(range(len(VALUES)))
        consumer = aiokafka.AIOKafkaConsumer(
            topic, bootstrap_servers=served.bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        got: list[bytes] = []
        try:
            while len(got) < len(VALUES):
                batch = await asyncio.wait_for(consumer.getmany(timeout_ms=500), 15)
                got += [m.value for ms in batch.values() for m in ms]
        finally:
            await consumer.stop()
        assert got == VALUES, codec


KCAT = shutil.which("kcat") or shutil.which("kafkacat")


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")
@pytest.mark.parametrize("codec", CODECS)
def test_kcat_produces_and_reads_each_codec(served: ServedCluster, codec: str) -> None:
    assert KCAT is not None
    topic = f"kc-{codec}"
    served.call(served.cluster.create_topic(topic, 1, 1))
    broker = served.bootstrap.split(",")[0]
    lines = [f"line {i} " + "y" * (i % 40) for i in range(100)]
    run = subprocess.run(
        [KCAT, "-b", broker, "-P", "-t", topic, "-z", codec, "-X", "linger.ms=50"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    # kcat 1.7.1's librdkafka (2.0.2) falls back to uncompressed zstd unless the broker
    # offers Produce v7+ and Fetch v10+, which the server does: so zstd arrives as zstd.
    assert codec in stored_codecs(served, topic) <= {codec, "none"}  # as librdkafka above
    run = subprocess.run(
        [KCAT, "-b", broker, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%s\\n"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == lines


def test_topic_compression_type_recompresses_what_producers_send(served: ServedCluster) -> None:
    kafka = pytest.importorskip("kafka")
    served.call(served.cluster.create_topic("archive", 1, 2, configs={"compression.type": "gzip"}))
    served.call(served.cluster.create_topic("plain", 1, 2, configs={"compression.type": "uncompressed"}))
    for topic, codec in (("archive", "lz4"), ("archive", None), ("plain", "zstd")):
        producer = kafka.KafkaProducer(
            bootstrap_servers=served.bootstrap, compression_type=codec, enable_idempotence=True
        )
        for v in VALUES[:50]:
            producer.send(topic, value=v)
        producer.flush(15)
        producer.close()
    assert stored_codecs(served, "archive") == {"gzip"}
    assert stored_codecs(served, "plain") == {"none"}
    consumer = kafka.KafkaConsumer(
        "archive", bootstrap_servers=served.bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000
    )
    assert [r.value for r in consumer][:100] == VALUES[:50] * 2
    consumer.close()


def _produce_raw(served: ServedCluster, topic: str, batch: bytes) -> tuple[int, int]:
    """One Produce v3 request with `batch` for partition 0: (error code, base offset)."""
    host, port = served.server.addresses[served.cluster.leader(topic, 0).broker_id]
    body = (
        struct.pack(">h", -1)  # transactional_id: null
        + struct.pack(">hi", -1, 10_000)  # acks=all, timeout
        + struct.pack(">i", 1)
        + struct.pack(">h", len(topic)) + topic.encode()
        + struct.pack(">i", 1)
        + struct.pack(">i", 0)
        + struct.pack(">i", len(batch)) + batch
    )  # fmt: skip
    header = struct.pack(">hhi", 0, 3, 7) + struct.pack(">h", 4) + b"test"
    request = header + body
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _read(sock, 4))[0]
        response = _read(sock, size)
    # correlation id | topics[1] name | partitions[1] index, error, base offset ...
    pos = 4 + 4
    (name_len,) = struct.unpack_from(">h", response, pos)
    pos += 2 + name_len + 4
    _, error, base_offset = struct.unpack_from(">ihq", response, pos)
    return error, base_offset


def _read(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        assert chunk, "connection closed"
        out += chunk
    return out


def test_a_batch_that_cannot_be_decompressed_is_corrupt_and_nothing_is_appended(
    served: ServedCluster,
) -> None:
    served.call(served.cluster.create_topic("fragile", 1, 1))
    records = [Record(i, int(time.time() * 1000), None, b"v" * 100) for i in range(10)]
    good = encode_batch(records, base_offset=0, compression=Compression.GZIP)
    # Garble the compressed records but give the batch a valid CRC: only decompression
    # can tell.
    body = bytearray(good[21:])
    body[45:55] = b"\xff" * 10
    corrupt = good[:17] + struct.pack(">I", crc32c(bytes(body))) + bytes(body)
    assert _produce_raw(served, "fragile", corrupt) == (2, -1)  # CORRUPT_MESSAGE
    # Records that decompress fine but do not parse are just as corrupt.
    inner = encode_batch(records, base_offset=0)[61:-3]  # the last record cut short
    tail = bytearray(good[21:61]) + compress(Compression.ZSTD, inner)
    struct.pack_into(">h", tail, 0, Compression.ZSTD)
    batch = struct.pack(">qiib", 0, len(tail) + 9, -1, 2) + struct.pack(">I", crc32c(bytes(tail))) + tail
    assert _produce_raw(served, "fragile", batch) == (2, -1)
    assert served.cluster.describe_topic("fragile").record_count == 0
    assert _produce_raw(served, "fragile", good) == (0, 0)  # the server is still up


@pytest.mark.parametrize("codec", ["snappy", "lz4", "zstd"])
def test_librdkafka_reads_what_the_broker_recompressed(served: ServedCluster, codec: str) -> None:
    """The broker's own snappy (xerial), lz4 (frame) and zstd bytes, read by librdkafka."""
    kafka = pytest.importorskip("kafka")
    ck = pytest.importorskip("confluent_kafka")
    served.call(served.cluster.create_topic("stored", 1, 1, configs={"compression.type": codec}))
    producer = kafka.KafkaProducer(bootstrap_servers=served.bootstrap, enable_idempotence=False)
    for v in VALUES:
        producer.send("stored", value=v)
    producer.flush(15)
    producer.close()
    assert stored_codecs(served, "stored") == {codec}
    consumer = ck.Consumer({"bootstrap.servers": served.bootstrap, "group.id": "r"})
    consumer.assign([ck.TopicPartition("stored", 0, 0)])
    got: list[bytes] = []
    deadline = time.monotonic() + 15
    while len(got) < len(VALUES) and time.monotonic() < deadline:
        for msg in consumer.consume(500, 0.5):
            assert msg.error() is None, msg.error()
            got.append(msg.value())
    consumer.close()
    assert got == VALUES


def test_compressed_transactions_commit_and_abort(served: ServedCluster) -> None:
    """Transactional batches compressed by librdkafka, in a topic that recompresses them:
    read_committed readers still skip the aborted ones (markers stay uncompressed)."""
    ck = pytest.importorskip("confluent_kafka")
    served.call(served.cluster.create_topic("ledger", 1, 3, configs={"compression.type": "zstd"}))
    producer = ck.Producer(
        {"bootstrap.servers": served.bootstrap, "transactional.id": "ledger-writer",
         "compression.type": "gzip", "linger.ms": 5}
    )  # fmt: skip
    producer.init_transactions(15)
    for outcome in ("commit", "abort"):
        producer.begin_transaction()
        for i in range(50):
            producer.produce("ledger", b"%s %d " % (outcome.encode(), i) + b"z" * 40, partition=0)
        producer.flush(10)
        getattr(producer, f"{outcome}_transaction")(15)
    leader = served.cluster.leader("ledger", 0)
    batches = [read_header(b) for b in served.call(leader.read_replica("ledger", 0, 0, 1 << 24))]
    assert {h.compression.name for h in batches if not h.is_control} == {"ZSTD"}
    assert {h.compression.name for h in batches if h.is_control} == {"NONE"}
    consumer = ck.Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "auditor", "isolation.level": "read_committed"}
    )
    consumer.assign([ck.TopicPartition("ledger", 0, 0)])
    got: list[bytes] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(got) < 50:
        got += [m.value() for m in consumer.consume(100, 0.5) if m.error() is None]
    time.sleep(0.5)
    got += [m.value() for m in consumer.consume(100, 0.5) if m.error() is None]
    consumer.close()
    assert [v.split()[0] for v in got] == [b"commit"] * 50
