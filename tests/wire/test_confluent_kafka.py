"""confluent-kafka (librdkafka, the C client most tools embed) against `WireServer`."""

from __future__ import annotations

import time

import pytest

from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from tests.wire.conftest import ServedCluster

ck = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402


def create(served: ServedCluster, name: str, partitions: int = 3, rf: int = 3) -> None:
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    for future in admin.create_topics([NewTopic(name, partitions, rf)]).values():
        future.result(10)


def produce(
    served: ServedCluster, topic: str, records: list[tuple[bytes | None, bytes]], **conf: object
) -> list:
    producer = Producer({"bootstrap.servers": served.bootstrap, "linger.ms": 5, **conf})
    reports: list = []
    for key, value in records:
        producer.produce(topic, key=key, value=value, on_delivery=lambda err, msg: reports.append((err, msg)))
    assert producer.flush(15) == 0
    return reports


def consume_assigned(served: ServedCluster, topic: str, partitions: int, expected: int) -> list:
    consumer = Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "reader", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out: list = []
    deadline = time.monotonic() + 15
    while len(out) < expected and time.monotonic() < deadline:
        for msg in consumer.consume(500, 0.5):
            assert msg.error() is None, msg.error()
            out.append(msg)
    consumer.close()
    return out


def test_admin_create_describe_delete(served: ServedCluster) -> None:
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    for future in admin.create_topics(
        [NewTopic("payments", 6, 2, config={"cleanup.policy": "compact"})]
    ).values():
        future.result(10)
    meta = admin.list_topics(timeout=10)
    assert len(meta.topics["payments"].partitions) == 6
    assert {b.id for b in meta.brokers.values()} == {1, 2, 3}
    assert {(b.host, b.port) for b in meta.brokers.values()} == set(served.server.addresses.values())
    leaders = {p.id: p.leader for p in meta.topics["payments"].partitions.values()}
    assert leaders == {p.partition: p.leader for p in served.cluster.describe_topic("payments").partitions}
    with pytest.raises(KafkaException) as failure:
        admin.create_topics([NewTopic("payments", 1, 1)])["payments"].result(10)
    assert failure.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
    with pytest.raises(KafkaException) as failure:
        admin.create_topics([NewTopic("bad", 1, 5)])["bad"].result(10)
    assert failure.value.args[0].code() == KafkaError.INVALID_REPLICATION_FACTOR
    for future in admin.delete_topics(["payments"]).values():
        future.result(10)
    assert "payments" not in served.cluster.topic_names()


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_keyed_and_keyless_then_consume_from_the_beginning(served: ServedCluster, acks: str) -> None:
    create(served, "trades")
    records = [(f"k{i % 4}".encode() if i % 2 else None, f"trade {i}".encode()) for i in range(200)]
    reports = produce(served, "trades", records, acks=acks)
    assert [err for err, _ in reports if err is not None] == []
    got = consume_assigned(served, "trades", 3, 200)
    assert sorted(m.value() for m in got) == sorted(v for _, v in records)
    by_key: dict[bytes, set[int]] = {}
    for m in got:
        if m.key() is not None:
            by_key.setdefault(m.key(), set()).add(m.partition())
    assert all(len(parts) == 1 for parts in by_key.values())  # one key, one partition
    if acks != "0":  # acks=0 gets no response, so no offsets in the reports
        assert sorted((m.partition(), m.offset()) for _, m in reports) == sorted(
            (m.partition(), m.offset()) for m in got
        )


def test_watermarks_and_offsets_for_times(served: ServedCluster) -> None:
    create(served, "ticks", partitions=1, rf=1)
    start = int(time.time() * 1000)
    produce(served, "ticks", [(None, b"early")], acks="all")
    time.sleep(0.05)
    middle = int(time.time() * 1000)
    produce(served, "ticks", [(None, b"late %d" % i) for i in range(3)], acks="all")
    consumer = Consumer({"bootstrap.servers": served.bootstrap, "group.id": "wm"})
    assert consumer.get_watermark_offsets(TopicPartition("ticks", 0), timeout=10) == (0, 4)
    found = consumer.offsets_for_times([TopicPartition("ticks", 0, start - 1000)], timeout=10)
    assert found[0].offset == 0
    found = consumer.offsets_for_times([TopicPartition("ticks", 0, middle)], timeout=10)
    assert found[0].offset == 1
    found = consumer.offsets_for_times(
        [TopicPartition("ticks", 0, int(time.time() * 1000) + 60_000)], timeout=10
    )
    assert found[0].offset == -1  # nothing that late: end of log (OFFSET_END)
    consumer.close()


def test_subscribed_group_reads_everything_and_commits(served: ServedCluster) -> None:
    create(served, "jobs", partitions=3, rf=2)
    produce(served, "jobs", [(b"%d" % i, b"job") for i in range(90)])
    consumer = Consumer(
        {
            "bootstrap.servers": served.bootstrap,
            "group.id": "workers",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe(["jobs"])
    seen = 0
    deadline = time.monotonic() + 20
    while seen < 90 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None:
            assert msg.error() is None, msg.error()
            seen += 1
    assert seen == 90
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition("jobs", p) for p in range(3)], timeout=10)
    group = served.call(served.cluster.describe_group("workers"))
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    listed = admin.list_consumer_groups().result(10).valid
    assert [(g.group_id, g.state.name) for g in listed] == [("workers", "STABLE")]
    described = admin.describe_consumer_groups(["workers"])["workers"].result(10)
    assert described.state.name == "STABLE" and described.partition_assignor == "range"
    assert sorted(tp.partition for tp in described.members[0].assignment.topic_partitions) == [0, 1, 2]
    consumer.close()
    ends = {p.partition: p.high_watermark for p in served.cluster.describe_topic("jobs").partitions}
    assert {tp.partition: tp.offset for tp in committed} == ends
    assert group is not None and len(group.members) == 1
    assert served.call(served.cluster.describe_group("workers")).members == ()  # LeaveGroup on close


def test_describe_configs_of_a_topic_and_a_broker(served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("audit", 1, 1, {"retention.ms": "3600000"}))
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    futures = admin.describe_configs([ConfigResource("topic", "audit"), ConfigResource("broker", "2")])
    topic, broker = (f.result(10) for f in futures.values())
    assert topic["retention.ms"].value == "3600000" and not topic["retention.ms"].is_default
    assert topic["cleanup.policy"].value == "delete" and topic["cleanup.policy"].is_default
    assert broker["node.id"].value == "2" and broker["auto.create.topics.enable"].value == "true"
    with pytest.raises(KafkaException) as failure:
        admin.describe_configs([ConfigResource("topic", "nope")])[ConfigResource("topic", "nope")].result(10)
    assert failure.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_producing_follows_the_new_leader_when_a_broker_stops(served: ServedCluster) -> None:
    create(served, "failover", partitions=1, rf=3)
    first_leader = served.cluster.describe_topic("failover").partitions[0].leader
    assert [err for err, _ in produce(served, "failover", [(None, b"before")], acks="all")] == [None]
    served.call(served.cluster.stop_broker(first_leader))
    new_leader = served.cluster.describe_topic("failover").partitions[0].leader
    assert new_leader not in (first_leader, -1)
    reports = produce(served, "failover", [(None, b"after %d" % i) for i in range(5)], acks="all")
    assert [err for err, _ in reports] == [None] * 5
    admin = AdminClient(
        {
            "bootstrap.servers": ",".join(
                f"{h}:{p}" for b, (h, p) in served.server.addresses.items() if b != first_leader
            )
        }
    )
    meta = admin.list_topics(timeout=10)
    assert first_leader not in meta.brokers and meta.topics["failover"].partitions[0].leader == new_leader
    got = consume_assigned(served, "failover", 1, 6)
    assert [m.value() for m in got] == [b"before"] + [b"after %d" % i for i in range(5)]


def test_admin_partitions_configs_records_groups_and_cluster(served: ServedCluster) -> None:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, NewPartitions

    create(served, "admin-t", partitions=1)
    produce(served, "admin-t", [(None, f"v{i}".encode()) for i in range(6)], acks="all")
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    # CreatePartitions: 1 -> 3; lowering is refused with Kafka's error.
    admin.create_partitions([NewPartitions("admin-t", 3)])["admin-t"].result(10)
    assert len(served.cluster.describe_topic("admin-t").partitions) == 3
    with pytest.raises(KafkaException) as info:
        admin.create_partitions([NewPartitions("admin-t", 2)])["admin-t"].result(10)
    assert info.value.args[0].code() == KafkaError.INVALID_PARTITIONS
    # IncrementalAlterConfigs: set one, append to a list config.
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        "admin-t",
        incremental_configs=[
            ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND),
        ],
    )
    admin.incremental_alter_configs([resource])[resource].result(10)
    assert served.cluster.topic("admin-t").config.get("retention.ms") == 60000
    assert served.cluster.topic("admin-t").config.cleanup_policy == ["delete", "compact"]
    # DeleteRecords: the log now starts at offset 4; past the high watermark is refused.
    deleted = admin.delete_records([TopicPartition("admin-t", 0, 4)])
    assert next(iter(deleted.values())).result(10).low_watermark == 4
    assert served.cluster.describe_topic("admin-t").partitions[0].log_start_offset == 4
    with pytest.raises(KafkaException):
        next(iter(admin.delete_records([TopicPartition("admin-t", 0, 99)]).values())).result(10)
    # DescribeCluster: the brokers and the active controller.
    cluster = admin.describe_cluster().result(10)
    assert sorted(n.id for n in cluster.nodes) == [1, 2, 3]
    assert cluster.controller.id == served.cluster.controller_id
    # DeleteGroups: an empty group with committed offsets goes.
    served.call(served.cluster.commit_offsets("gone", {("admin-t", 0): OffsetAndMetadata(2)}))
    admin.delete_consumer_groups(["gone"])["gone"].result(10)
    assert served.call(served.cluster.fetch_offsets("gone")) == {}
