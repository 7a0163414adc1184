"""Transactions (KIP-98) over the wire: real clients' transactional producers and
read_committed consumers against `WireServer`, and the error codes Kafka gives
(version by version) checked with raw requests."""

from __future__ import annotations

import asyncio
import datetime
import shutil
import subprocess
import time
from typing import Any

import pytest
from kio.serial import entity_reader
from kio.static.primitive import Records

from kafkatui.common.errors import ErrorCode
from kafkatui.engine.log.records import Record, encode_batch, encode_txn_marker
from kafkatui.engine.server.requests import LATEST, READ_COMMITTED
from kafkatui.wire.codec import nested, request_class, response_class
from tests.wire.conftest import ServedCluster
from tests.wire.test_frames import connect, read_frame, request_frame

try:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka import KafkaError as CKError
except ImportError:  # the raw-request, kafka-python and aiokafka tests still run
    CKError = None

needs_confluent = pytest.mark.skipif(CKError is None, reason="confluent-kafka is not installed")


# --- helpers -------------------------------------------------------------------------------


def create(served: ServedCluster, name: str, partitions: int = 2, rf: int = 3) -> None:
    served.call(served.cluster.create_topic(name, partitions, rf))


def offsets(served: ServedCluster, topic: str, partition: int) -> tuple[int, int]:
    """(last stable offset, high watermark) as the partition's leader has them."""

    async def read() -> tuple[int, int]:
        broker = served.cluster.leader(topic, partition)
        return (
            broker.list_offset(topic, partition, LATEST, READ_COMMITTED),
            broker.list_offset(topic, partition, LATEST),
        )

    return served.call(read())


def markers(served: ServedCluster, topic: str, partition: int) -> list[tuple[int, bool]]:
    """(offset, is COMMIT) of each transaction marker in the leader's log."""
    batches = served.call(served.cluster.read_log(topic, partition, 0))
    return [
        (b.header.base_offset, b.records[0].key is not None and b.records[0].key[2:4] == b"\0\1")
        for b in batches
        if b.header.is_control
    ]


def ck_read_all(served: ServedCluster, topic: str, partitions: int, isolation: str) -> list[bytes]:
    """Every record a consumer with `isolation` gets, reading until its position reaches
    each partition's log end (so what it skipped, it skipped for good)."""
    consumer = Consumer(
        {
            "bootstrap.servers": served.bootstrap,
            "group.id": f"reader-{isolation}",
            "enable.auto.commit": False,
            "isolation.level": isolation,
        }
    )
    tps = [TopicPartition(topic, p, 0) for p in range(partitions)]
    ends = [served.cluster.describe_topic(topic).partitions[p].log_end_offset for p in range(partitions)]
    consumer.assign(tps)
    got: list[bytes] = []
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            for msg in consumer.consume(100, 0.2):
                assert msg.error() is None, msg.error()
                got.append(msg.value())
            if all(tp.offset >= end for tp, end in zip(consumer.position(tps), ends, strict=True)):
                break
        else:
            raise AssertionError(f"{isolation} consumer did not reach {ends}")
    finally:
        consumer.close()
    return sorted(got)


def ck_producer(served: ServedCluster, transactional_id: str) -> Any:
    producer = Producer(
        {
            "bootstrap.servers": served.bootstrap,
            "transactional.id": transactional_id,
            "linger.ms": 5,
            "transaction.timeout.ms": 30_000,
        }
    )
    producer.init_transactions(15)
    return producer


def ask(served: ServedCluster, broker_id: int, body: Any) -> Any:
    """One raw request to one broker; its decoded response."""
    with connect(served, broker_id) as sock:
        sock.sendall(request_frame(body))
        frame = read_frame(sock)
    assert frame is not None, "the broker closed the connection"
    cls = response_class(type(body).__api_key__, type(body).__version__)
    _, pos = entity_reader(cls.__header_schema__)(frame, 0)
    return entity_reader(cls)(frame, pos)[0]


def request(api_key: int, version: int, **fields: Any) -> Any:
    return request_class(api_key, version)(**fields)


def init_pid(served: ServedCluster, broker_id: int, tid: str, version: int = 4, **fields: Any) -> Any:
    return ask(
        served,
        broker_id,
        request(
            22, version, transactional_id=tid, transaction_timeout=datetime.timedelta(seconds=30), **fields
        ),
    )


def coordinator_of(served: ServedCluster, tid: str) -> int:
    return served.call(served.cluster.find_transaction_coordinator(tid))


def add_partitions(
    served: ServedCluster, tid: str, pid: int, epoch: int, tps: dict[str, list[int]], version: int = 3
) -> dict:
    cls = request_class(24, version)
    body = cls(
        v3_and_below_transactional_id=tid,
        v3_and_below_producer_id=pid,
        v3_and_below_producer_epoch=epoch,
        v3_and_below_topics=tuple(
            nested(cls, "AddPartitionsToTxnTopic")(name=t, partitions=tuple(ps)) for t, ps in tps.items()
        ),
    )
    response = ask(served, coordinator_of(served, tid), body)
    return {
        (t.name, p.partition_index): ErrorCode(p.partition_error_code)
        for t in response.results_by_topic_v3_and_below
        for p in t.results_by_partition
    }


def end_txn(
    served: ServedCluster, tid: str, pid: int, epoch: int, commit: bool, version: int = 3
) -> ErrorCode:
    body = request(26, version, transactional_id=tid, producer_id=pid, producer_epoch=epoch, committed=commit)
    return ErrorCode(ask(served, coordinator_of(served, tid), body).error_code)


def produce_txn(
    served: ServedCluster,
    tid: str | None,
    pid: int,
    epoch: int,
    topic: str,
    partition: int,
    seq: int,
    batch: bytes | None = None,
    broker: int | None = None,
) -> ErrorCode:
    batch = batch or encode_batch(
        [Record(0, int(time.time() * 1000), None, b"raw", ())],
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        is_transactional=True,
    )
    cls = request_class(0, 7)
    body = cls(
        transactional_id=tid,
        acks=-1,
        timeout=datetime.timedelta(seconds=10),
        topic_data=(
            nested(cls, "TopicProduceData")(
                name=topic,
                partition_data=(
                    nested(cls, "PartitionProduceData")(index=partition, records=Records(batch)),
                ),
            ),
        ),
    )
    leader = served.cluster.describe_topic(topic).partitions[partition].leader
    response = ask(served, leader if broker is None else broker, body)
    return ErrorCode(response.responses[0].partition_responses[0].error_code)


# --- confluent-kafka (librdkafka) ----------------------------------------------------------


@needs_confluent
def test_confluent_commit_and_abort_reach_read_committed_and_uncommitted_readers(
    served: ServedCluster,
) -> None:
    create(served, "orders")
    producer = ck_producer(served, "order-writer")
    producer.begin_transaction()
    producer.produce("orders", b"committed-0", partition=0)
    producer.produce("orders", b"committed-1", partition=1)
    producer.commit_transaction(15)
    producer.begin_transaction()
    producer.produce("orders", b"aborted-0", partition=0)
    producer.produce("orders", b"aborted-1", partition=1)
    producer.flush(10)
    producer.abort_transaction(15)

    assert ck_read_all(served, "orders", 2, "read_committed") == [b"committed-0", b"committed-1"]
    assert ck_read_all(served, "orders", 2, "read_uncommitted") == [
        b"aborted-0", b"aborted-1", b"committed-0", b"committed-1"
    ]  # fmt: skip
    for partition in (0, 1):
        # record, COMMIT marker, record, ABORT marker; nothing open, so LSO = HW.
        assert markers(served, "orders", partition) == [(1, True), (3, False)]
        assert offsets(served, "orders", partition) == (4, 4)
    described = served.call(served.cluster.describe_transaction("order-writer"))
    assert described is not None and described.state == "CompleteAbort"


@needs_confluent
def test_confluent_an_open_transaction_holds_read_committed_at_the_lso(served: ServedCluster) -> None:
    create(served, "ledger", partitions=1)
    plain = Producer({"bootstrap.servers": served.bootstrap})
    plain.produce("ledger", b"before", partition=0)
    assert plain.flush(10) == 0
    producer = ck_producer(served, "ledger-writer")
    producer.begin_transaction()
    producer.produce("ledger", b"pending", partition=0)
    producer.flush(10)
    plain.produce("ledger", b"after", partition=0)  # not transactional, but behind the open one
    assert plain.flush(10) == 0
    assert offsets(served, "ledger", 0) == (1, 3)

    committed = Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "lso", "isolation.level": "read_committed"}
    )
    uncommitted = Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "lso", "isolation.level": "read_uncommitted"}
    )
    try:
        # ListOffsets latest: the LSO for read_committed, the HW otherwise.
        assert committed.get_watermark_offsets(TopicPartition("ledger", 0), 10) == (0, 1)
        assert uncommitted.get_watermark_offsets(TopicPartition("ledger", 0), 10) == (0, 3)
        committed.assign([TopicPartition("ledger", 0, 0)])
        seen = [m.value() for m in committed.consume(10, 2)]
        assert seen == [b"before"]  # stops at the open transaction
        producer.commit_transaction(15)
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            seen += [m.value() for m in committed.consume(10, 0.5)]
        assert seen == [b"before", b"pending", b"after"]
        assert committed.get_watermark_offsets(TopicPartition("ledger", 0), 10) == (0, 4)
    finally:
        committed.close()
        uncommitted.close()


@needs_confluent
def test_confluent_consume_transform_produce_commits_offsets_only_with_the_transaction(
    served: ServedCluster,
) -> None:
    create(served, "raw", partitions=2)
    create(served, "clean", partitions=2)
    plain = Producer({"bootstrap.servers": served.bootstrap})
    for i in range(10):
        plain.produce("raw", b"%d" % i, partition=i % 2)
    assert plain.flush(10) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": served.bootstrap,
            "group.id": "cleaner",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe(["raw"])
    producer = ck_producer(served, "cleaner-tx")
    try:
        for commit in (False, True):
            if commit:  # the aborted round rewinds, as a real loop would after abort
                for tp in consumer.assignment():
                    consumer.seek(TopicPartition(tp.topic, tp.partition, 0))
            producer.begin_transaction()
            got: list[Any] = []
            deadline = time.monotonic() + 15
            while len(got) < 10 and time.monotonic() < deadline:
                got += [m for m in consumer.consume(10, 0.5) if m.error() is None]
            assert len(got) == 10
            for msg in got:
                producer.produce("clean", msg.value().upper(), partition=msg.partition())
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 10
            )
            if commit:
                producer.commit_transaction(15)
            else:
                producer.flush(10)  # so the aborted records reach the log (abort purges the queue)
                producer.abort_transaction(15)
                assert served.call(served.cluster.fetch_offsets("cleaner")) == {}
        committed = served.call(served.cluster.fetch_offsets("cleaner"))
        assert {tp: o.offset for tp, o in committed.items()} == {("raw", 0): 5, ("raw", 1): 5}
    finally:
        consumer.close()
    assert len(ck_read_all(served, "clean", 2, "read_committed")) == 10
    assert len(ck_read_all(served, "clean", 2, "read_uncommitted")) == 20


@needs_confluent
def test_confluent_a_second_producer_with_the_same_id_fences_the_first(served: ServedCluster) -> None:
    create(served, "payments", partitions=1)
    zombie = ck_producer(served, "payment-writer")
    zombie.begin_transaction()
    zombie.produce("payments", b"zombie", partition=0)
    zombie.flush(10)
    successor = ck_producer(served, "payment-writer")  # aborts the zombie's transaction
    with pytest.raises(KafkaException) as failure:
        zombie.commit_transaction(10)
    assert failure.value.args[0].code() in {CKError._FENCED, CKError.PRODUCER_FENCED}
    assert failure.value.args[0].fatal()
    successor.begin_transaction()
    successor.produce("payments", b"successor", partition=0)
    successor.commit_transaction(15)
    assert ck_read_all(served, "payments", 1, "read_committed") == [b"successor"]
    assert markers(served, "payments", 0) == [(1, False), (3, True)]


@needs_confluent
def test_confluent_follows_its_transaction_coordinator_to_a_new_broker(served: ServedCluster) -> None:
    create(served, "shipments")
    producer = ck_producer(served, "shipper")
    producer.begin_transaction()
    producer.produce("shipments", b"before", partition=0)
    producer.commit_transaction(15)
    old = coordinator_of(served, "shipper")
    served.call(served.cluster.stop_broker(old))  # the new leader of its partition replays it
    producer.begin_transaction()
    producer.produce("shipments", b"after-0", partition=0)
    producer.produce("shipments", b"after-1", partition=1)
    producer.commit_transaction(30)
    assert coordinator_of(served, "shipper") != old
    described = served.call(served.cluster.describe_transaction("shipper"))
    assert described is not None and (described.state, described.producer_epoch) == ("CompleteCommit", 0)
    assert ck_read_all(served, "shipments", 2, "read_committed") == [b"after-0", b"after-1", b"before"]


# --- raw requests: coordinators and Kafka's error codes, version by version ---------------


def test_find_coordinator_finds_the_transaction_coordinator_and_refuses_unknown_key_types(
    served: ServedCluster,
) -> None:
    v1 = ask(served, 1, request(10, 1, key="billing", key_type=1))
    assert ErrorCode(v1.error_code) is ErrorCode.NONE
    assert v1.node_id == coordinator_of(served, "billing")
    assert (v1.host, v1.port) == served.server.addresses[v1.node_id]
    v4 = ask(served, 2, request(10, 4, key_type=1, coordinator_keys=("billing", "shipping")))
    assert [(c.key, c.node_id) for c in v4.coordinators] == [
        ("billing", coordinator_of(served, "billing")),
        ("shipping", coordinator_of(served, "shipping")),
    ]
    assert (
        ErrorCode(ask(served, 1, request(10, 1, key="x", key_type=2)).error_code) is ErrorCode.INVALID_REQUEST
    )


def test_init_producer_id_bumps_the_epoch_at_the_coordinator_only(served: ServedCluster) -> None:
    tid = "inventory"
    coordinator = coordinator_of(served, tid)
    elsewhere = next(b for b in (1, 2, 3) if b != coordinator)
    assert ErrorCode(init_pid(served, elsewhere, tid).error_code) is ErrorCode.NOT_COORDINATOR
    first = init_pid(served, coordinator, tid)
    second = init_pid(served, coordinator, tid)
    assert (second.producer_id, second.producer_epoch) == (first.producer_id, first.producer_epoch + 1)
    # KIP-360: a producer naming a stale epoch is fenced; PRODUCER_FENCED only from v4 (KIP-588).
    stale = {"producer_id": first.producer_id, "producer_epoch": first.producer_epoch}
    assert ErrorCode(init_pid(served, coordinator, tid, 4, **stale).error_code) is ErrorCode.PRODUCER_FENCED
    assert (
        ErrorCode(init_pid(served, coordinator, tid, 3, **stale).error_code)
        is ErrorCode.INVALID_PRODUCER_EPOCH
    )
    current = {"producer_id": second.producer_id, "producer_epoch": second.producer_epoch}
    assert init_pid(served, coordinator, tid, 4, **current).producer_epoch == second.producer_epoch + 1
    too_long = ask(
        served,
        coordinator,
        request(22, 4, transactional_id=tid, transaction_timeout=datetime.timedelta(hours=1)),
    )
    assert ErrorCode(too_long.error_code) is ErrorCode.INVALID_TRANSACTION_TIMEOUT


def test_a_fenced_epoch_is_invalid_producer_epoch_before_v2_and_producer_fenced_after(
    served: ServedCluster,
) -> None:
    create(served, "stock", partitions=1)
    tid = "stock-writer"
    old = init_pid(served, coordinator_of(served, tid), tid)
    init_pid(served, coordinator_of(served, tid), tid)
    pid, epoch = old.producer_id, old.producer_epoch
    assert add_partitions(served, tid, pid, epoch, {"stock": [0]}, version=1) == {
        ("stock", 0): ErrorCode.INVALID_PRODUCER_EPOCH
    }
    assert add_partitions(served, tid, pid, epoch, {"stock": [0]}, version=2) == {
        ("stock", 0): ErrorCode.PRODUCER_FENCED
    }
    assert end_txn(served, tid, pid, epoch, commit=True, version=1) is ErrorCode.INVALID_PRODUCER_EPOCH
    assert end_txn(served, tid, pid, epoch, commit=True, version=3) is ErrorCode.PRODUCER_FENCED
    for version, expected in ((0, ErrorCode.INVALID_PRODUCER_EPOCH), (3, ErrorCode.PRODUCER_FENCED)):
        body = request(25, version, transactional_id=tid, producer_id=pid, producer_epoch=epoch, group_id="g")
        assert ErrorCode(ask(served, coordinator_of(served, tid), body).error_code) is expected


def test_transactional_produce_needs_its_partition_in_the_transaction(served: ServedCluster) -> None:
    create(served, "audit", partitions=2)
    tid = "auditor"
    init = init_pid(served, coordinator_of(served, tid), tid)
    pid, epoch = init.producer_id, init.producer_epoch
    assert produce_txn(served, tid, pid, epoch, "audit", 0, 0) is ErrorCode.INVALID_TXN_STATE
    follower = next(b for b in (1, 2, 3) if b != served.cluster.describe_topic("audit").partitions[0].leader)
    assert (
        produce_txn(served, tid, pid, epoch, "audit", 0, 0, broker=follower)
        is ErrorCode.NOT_LEADER_OR_FOLLOWER
    )
    assert (
        produce_txn(served, None, pid, epoch, "audit", 0, 0)
        is ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    )
    assert add_partitions(served, tid, pid, epoch, {"audit": [0], "nowhere": [0]}) == {
        ("audit", 0): ErrorCode.OPERATION_NOT_ATTEMPTED,
        ("nowhere", 0): ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    }
    assert end_txn(served, tid, pid, epoch, commit=True) is ErrorCode.INVALID_TXN_STATE  # nothing open
    assert add_partitions(served, tid, pid, epoch, {"audit": [0]}) == {("audit", 0): ErrorCode.NONE}
    assert produce_txn(served, tid, pid, epoch, "audit", 0, 0) is ErrorCode.NONE
    assert produce_txn(served, tid, pid, epoch, "audit", 0, 1) is ErrorCode.NONE
    assert produce_txn(served, tid, pid, epoch, "audit", 1, 0) is ErrorCode.INVALID_TXN_STATE  # not added
    assert offsets(served, "audit", 0) == (0, 2)
    forged = encode_txn_marker(pid, epoch, True, 0, int(time.time() * 1000))
    assert produce_txn(served, tid, pid, epoch, "audit", 0, 2, forged) is ErrorCode.INVALID_RECORD
    assert end_txn(served, tid, pid, epoch, commit=True) is ErrorCode.NONE
    assert offsets(served, "audit", 0) == (3, 3)
    assert markers(served, "audit", 0) == [(2, True)]
    # The transaction is over: the next batch needs AddPartitionsToTxn again.
    assert produce_txn(served, tid, pid, epoch, "audit", 0, 2) is ErrorCode.INVALID_TXN_STATE


def test_txn_offset_commit_goes_to_the_group_coordinator_after_add_offsets(served: ServedCluster) -> None:
    create(served, "clicks", partitions=1)
    tid, group = "click-counter", "counters"
    init = init_pid(served, coordinator_of(served, tid), tid)
    pid, epoch = init.producer_id, init.producer_epoch
    group_coordinator = served.call(served.cluster.find_coordinator(group))

    def commit(broker: int, version: int = 3, **member: Any) -> list[ErrorCode]:
        cls = request_class(28, version)
        partition = nested(cls, "TxnOffsetCommitRequestPartition")
        fields = {"committed_leader_epoch": -1} if version >= 2 else {}
        body = cls(
            transactional_id=tid,
            group_id=group,
            producer_id=pid,
            producer_epoch=epoch,
            topics=(
                nested(cls, "TxnOffsetCommitRequestTopic")(
                    name="clicks",
                    partitions=(
                        partition(partition_index=0, committed_offset=7, committed_metadata="", **fields),
                    ),
                ),
            ),
            **member,
        )
        response = ask(served, broker, body)
        return [ErrorCode(p.error_code) for t in response.topics for p in t.partitions]

    elsewhere = next(b for b in (1, 2, 3) if b != group_coordinator)
    assert commit(elsewhere) == [ErrorCode.NOT_COORDINATOR]
    assert commit(group_coordinator) == [ErrorCode.INVALID_TXN_STATE]  # no AddOffsetsToTxn yet
    body = request(25, 3, transactional_id=tid, producer_id=pid, producer_epoch=epoch, group_id=group)
    assert ErrorCode(ask(served, coordinator_of(served, tid), body).error_code) is ErrorCode.NONE
    # v3 names a generation: the group does not exist, so only -1 is accepted.
    assert commit(group_coordinator, generation_id=3, member_id="m", group_instance_id=None) == [
        ErrorCode.ILLEGAL_GENERATION
    ]
    assert commit(group_coordinator, version=0) == [ErrorCode.NONE]
    assert served.call(served.cluster.fetch_offsets(group)) == {}  # not before the commit

    def offset_fetch(require_stable: bool) -> tuple[ErrorCode, int]:
        cls = request_class(9, 7)
        topic = nested(cls, "OffsetFetchRequestTopic")(name="clicks", partition_indexes=(0,))
        body = cls(group_id=group, topics=(topic,), require_stable=require_stable)
        found = ask(served, group_coordinator, body).topics[0].partitions[0]
        return ErrorCode(found.error_code), found.committed_offset

    # KIP-447: a read_committed consumer (require_stable) waits for the open transaction.
    assert offset_fetch(require_stable=True) == (ErrorCode.UNSTABLE_OFFSET_COMMIT, -1)
    assert offset_fetch(require_stable=False) == (ErrorCode.NONE, -1)
    assert end_txn(served, tid, pid, epoch, commit=True) is ErrorCode.NONE
    assert served.call(served.cluster.fetch_offsets(group))[("clicks", 0)].offset == 7
    assert offset_fetch(require_stable=True) == (ErrorCode.NONE, 7)


# --- kafka-python --------------------------------------------------------------------------


def test_kafka_python_transactions_and_read_committed(served: ServedCluster) -> None:
    kafka = pytest.importorskip("kafka")
    from kafka import KafkaConsumer, KafkaProducer
    from kafka import TopicPartition as KTopicPartition
    from kafka.errors import ProducerFencedError
    from kafka.structs import OffsetAndMetadata

    if "init_transactions" not in dir(KafkaProducer):
        pytest.skip(f"kafka-python {kafka.__version__} has no transactional producer (2.1+ has)")
    create(served, "events", partitions=2)
    create(served, "enriched", partitions=2)
    plain = KafkaProducer(bootstrap_servers=served.bootstrap)
    for i in range(6):
        plain.send("events", b"e%d" % i, partition=i % 2)
    plain.flush(10)
    plain.close()

    def producer() -> Any:
        p = KafkaProducer(bootstrap_servers=served.bootstrap, transactional_id="enricher", linger_ms=5)
        p.init_transactions()
        return p

    zombie = producer()
    zombie.begin_transaction()
    zombie.send("enriched", b"zombie", partition=0)
    zombie.flush(10)
    enricher = producer()  # fences the zombie and aborts its transaction
    with pytest.raises(ProducerFencedError):
        zombie.commit_transaction()
    zombie.close(0)

    consumer = KafkaConsumer(
        bootstrap_servers=served.bootstrap,
        group_id="enrichers",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    consumer.subscribe(["events"])
    got: list[Any] = []
    deadline = time.monotonic() + 15
    while len(got) < 6 and time.monotonic() < deadline:
        got += [r for records in consumer.poll(500).values() for r in records]
    assert len(got) == 6
    for commit in (False, True):
        enricher.begin_transaction()
        for r in got:
            enricher.send("enriched", r.value + (b"+" if commit else b"-"), partition=r.partition)
        positions = {tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in consumer.assignment()}
        enricher.send_offsets_to_transaction(positions, consumer.group_metadata())
        if commit:
            enricher.commit_transaction()
        else:
            enricher.flush(10)
            enricher.abort_transaction()
            assert served.call(served.cluster.fetch_offsets("enrichers")) == {}
    consumer.close()
    enricher.close(5)
    committed = served.call(served.cluster.fetch_offsets("enrichers"))
    assert {tp: o.offset for tp, o in committed.items()} == {("events", 0): 3, ("events", 1): 3}

    def read(isolation_level: str) -> list[bytes]:
        reader = KafkaConsumer(bootstrap_servers=served.bootstrap, isolation_level=isolation_level)
        tps = [KTopicPartition("enriched", p) for p in (0, 1)]
        reader.assign(tps)
        reader.seek_to_beginning()
        ends = reader.end_offsets(tps)  # ListOffsets latest: the LSO under read_committed
        values: list[bytes] = []
        deadline = time.monotonic() + 15
        while any(reader.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            values += [r.value for records in reader.poll(200).values() for r in records]
        reader.close()
        return sorted(values)

    assert read("read_committed") == sorted(b"e%d+" % i for i in range(6))
    assert read("read_uncommitted") == sorted(
        [b"zombie"] + [b"e%d%s" % (i, s) for i in range(6) for s in (b"-", b"+")]
    )


# --- aiokafka ------------------------------------------------------------------------------


async def test_aiokafka_transactions_and_read_committed(served: ServedCluster) -> None:
    pytest.importorskip("aiokafka")
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.errors import ProducerFenced
    from aiokafka.structs import TopicPartition as ATopicPartition

    create(served, "sensors", partitions=2)

    def producer() -> Any:
        return AIOKafkaProducer(bootstrap_servers=served.bootstrap, transactional_id="sensor-tx")

    zombie = producer()
    await zombie.start()
    successor = producer()
    try:
        async with zombie.transaction():
            await zombie.send_and_wait("sensors", b"committed-0", partition=0)
            await zombie.send_and_wait("sensors", b"committed-1", partition=1)
        await zombie.begin_transaction()
        await zombie.send_and_wait("sensors", b"aborted", partition=0)
        await zombie.abort_transaction()
        await zombie.begin_transaction()
        await zombie.send_and_wait("sensors", b"zombie", partition=1)
        await successor.start()  # fences the zombie and aborts its open transaction
        with pytest.raises(ProducerFenced):
            await zombie.commit_transaction()
        async with successor.transaction():
            await successor.send_and_wait("sensors", b"successor", partition=1)
            await successor.send_offsets_to_transaction({ATopicPartition("sensors", 0): 1}, "sensor-readers")
    finally:
        await zombie.stop()
        await successor.stop()
    committed = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(served.cluster.fetch_offsets("sensor-readers"), served.loop)
    )
    assert {tp: o.offset for tp, o in committed.items()} == {("sensors", 0): 1}

    async def read(isolation_level: str) -> list[bytes]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=served.bootstrap, isolation_level=isolation_level, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tps = [ATopicPartition("sensors", p) for p in (0, 1)]
            consumer.assign(tps)
            await consumer.seek_to_beginning()
            ends = await consumer.end_offsets(tps)
            values: list[bytes] = []
            async with asyncio.timeout(15):
                while [await consumer.position(tp) for tp in tps] != [ends[tp] for tp in tps]:
                    batch = await consumer.getmany(timeout_ms=200)
                    values += [r.value for records in batch.values() for r in records]
            return sorted(values)
        finally:
            await consumer.stop()

    assert await read("read_committed") == [b"committed-0", b"committed-1", b"successor"]
    assert await read("read_uncommitted") == sorted(
        [b"committed-0", b"committed-1", b"aborted", b"zombie", b"successor"]
    )


# --- kcat (an older librdkafka) ------------------------------------------------------------


@needs_confluent
def test_kcat_reads_committed_records_only_under_read_committed(served: ServedCluster) -> None:
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    if kcat is None:
        pytest.skip("kcat is not installed (apt-get install kcat)")
    create(served, "receipts", partitions=1)
    producer = ck_producer(served, "receipt-writer")
    for value, commit in ((b"kept", True), (b"dropped", False)):
        producer.begin_transaction()
        producer.produce("receipts", value, partition=0)
        producer.flush(10)
        if commit:
            producer.commit_transaction(15)
        else:
            producer.abort_transaction(15)

    def read(isolation_level: str) -> list[str]:
        broker = served.bootstrap.split(",")[0]
        args = ["-C", "-t", "receipts", "-o", "beginning", "-e", "-X", f"isolation.level={isolation_level}"]
        run = subprocess.run(
            [kcat, "-b", broker, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        return sorted(run.stdout.split())

    assert read("read_committed") == ["kept"]
    assert read("read_uncommitted") == ["dropped", "kept"]


def test_kafka_python_admin_describes_and_lists_transactions(served: ServedCluster) -> None:
    pytest.importorskip("kafka")
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=served.bootstrap)
    if not hasattr(admin, "describe_transactions"):
        admin.close()
        pytest.skip("this kafka-python has no transaction admin (DescribeTransactions, KIP-664)")
    create(served, "refunds", partitions=2)
    producer = KafkaProducer(bootstrap_servers=served.bootstrap, transactional_id="refunder")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("refunds", b"r", partition=1)
    producer.flush(10)
    try:
        described = admin.describe_transactions(["refunder"])["refunder"]
        assert described.coordinator_id == coordinator_of(served, "refunder")
        assert str(described.state.value) == "Ongoing"
        assert {(tp.topic, tp.partition) for tp in described.topic_partitions} == {("refunds", 1)}
        assert described.transaction_timeout_ms == 60_000
        listed = admin.list_transactions(state_filters=["Ongoing"])
        assert [(b, t.transactional_id) for b, ts in listed.items() for t in ts] == [
            (coordinator_of(served, "refunder"), "refunder")
        ]
        producer.commit_transaction()
        assert admin.list_transactions(state_filters=["Ongoing"]) == {1: [], 2: [], 3: []}
        described = admin.describe_transactions(["refunder"])["refunder"]
        assert str(described.state.value) == "CompleteCommit" and described.topic_partitions == set()
    finally:
        producer.close(5)
        admin.close()


def test_describe_and_list_transactions_errors(served: ServedCluster) -> None:
    tid = "nobody"
    coordinator = coordinator_of(served, tid)
    elsewhere = next(b for b in (1, 2, 3) if b != coordinator)
    for broker, expected in (
        (coordinator, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND),
        (elsewhere, ErrorCode.NOT_COORDINATOR),
    ):
        answer = ask(served, broker, request(65, 0, transactional_ids=(tid,))).transaction_states[0]
        assert ErrorCode(answer.error_code) is expected
    listed = ask(served, 1, request(66, 1, state_filters=("Ongoing", "Sleeping"), producer_id_filters=()))
    assert ErrorCode(listed.error_code) is ErrorCode.NONE
    assert listed.unknown_state_filters == ("Sleeping",)
