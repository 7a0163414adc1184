"""What each API checks with an authorizer on, with Kafka's error codes: transactions
(TRANSACTIONAL_ID_AUTHORIZATION_FAILED), idempotence on WRITE alone (KIP-679),
CreateTopics, DescribeConfigs, a Fetch without READ, Metadata's auto-creation,
OffsetCommit per topic and ListGroups filtered.

One PLAINTEXT cluster for the module, so every client is User:ANONYMOUS; each test
grants ANONYMOUS what it needs on resources of its own names."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kio.static.constants import EntityType

from kafkatui.backends.kio_frames import ask, kio_entity
from kafkatui.common.acl import (
    CLUSTER_NAME,
    AccessControlEntry,
    AclBinding,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from tests.wire.conftest import ServedCluster

TIMEOUT_S = 15
ME = "User:ANONYMOUS"


@pytest.fixture(scope="module")
def served() -> Iterator[ServedCluster]:
    s = ServedCluster(brokers=1)
    s.server.authorizer = AuthorizerConfig()
    try:
        yield s
    finally:
        s.close()


def grant(served: ServedCluster, resource_type: ResourceType, name: str, *operations: AclOperation,
          pattern: PatternType = PatternType.LITERAL) -> None:  # fmt: skip
    acls = [
        AclBinding(
            ResourcePattern(resource_type, name, pattern),
            AccessControlEntry(ME, "*", op, AclPermissionType.ALLOW),
        )
        for op in operations
    ]
    assert served.call(served.cluster.controller.acls.create_acls(acls)) == [None] * len(acls)


def topic(served: ServedCluster, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    served.call(served.cluster.create_topic(name, 1, 1))
    return name


def base(served: ServedCluster) -> dict[str, Any]:
    return {"bootstrap.servers": served.bootstrap}


def test_transactions_need_write_on_the_transactional_id(served: ServedCluster) -> None:
    from confluent_kafka import KafkaException, Producer

    name = topic(served, "ledger")
    grant(served, ResourceType.TOPIC, name, AclOperation.WRITE)
    refused = Producer({**base(served), "transactional.id": "tx-refused"})
    with pytest.raises(KafkaException) as raised:
        refused.init_transactions(TIMEOUT_S)
    assert raised.value.args[0].name() == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
    grant(served, ResourceType.TRANSACTIONAL_ID, "tx-ok", AclOperation.WRITE)
    producer = Producer({**base(served), "transactional.id": "tx-ok"})
    producer.init_transactions(TIMEOUT_S)
    producer.begin_transaction()
    producer.produce(name, value=b"v")
    producer.commit_transaction(TIMEOUT_S)
    assert served.cluster.describe_topic(name).partitions[0].high_watermark == 2  # record + marker


def test_an_idempotent_producer_needs_only_write_on_its_topic(served: ServedCluster) -> None:
    from confluent_kafka import Producer

    name = topic(served, "idem")
    grant(served, ResourceType.TOPIC, name, AclOperation.WRITE)  # no IDEMPOTENT_WRITE: KIP-679
    errors: list[str] = []
    producer = Producer({**base(served), "enable.idempotence": True, "linger.ms": 0})
    producer.produce(name, value=b"once", on_delivery=lambda err, _m: errors.append(err and err.name()))
    assert producer.flush(TIMEOUT_S) == 0
    assert errors == [None]


def test_create_topics_needs_create_and_describe_configs_its_own_operation(served: ServedCluster) -> None:
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    from confluent_kafka.admin import ResourceType as CKType

    admin = AdminClient(base(served))
    refused, allowed = f"made-{uuid.uuid4().hex[:6]}", f"ours-{uuid.uuid4().hex[:6]}"
    grant(served, ResourceType.TOPIC, "ours-", AclOperation.CREATE, pattern=PatternType.PREFIXED)
    futures = admin.create_topics(
        [NewTopic(refused, 1, 1), NewTopic(allowed, 1, 1)], request_timeout=TIMEOUT_S
    )
    with pytest.raises(Exception) as raised:
        futures[refused].result()
    assert raised.value.args[0].name() == "TOPIC_AUTHORIZATION_FAILED"
    futures[allowed].result()
    assert allowed in served.cluster.metadata.topics and refused not in served.cluster.metadata.topics
    # CREATE grants no DESCRIBE_CONFIGS; broker configs need DESCRIBE_CONFIGS on the cluster
    for resource, error in (
        (ConfigResource(CKType.TOPIC, allowed), "TOPIC_AUTHORIZATION_FAILED"),
        (ConfigResource(CKType.BROKER, "1"), "CLUSTER_AUTHORIZATION_FAILED"),
    ):
        with pytest.raises(Exception) as raised:
            next(iter(admin.describe_configs([resource], request_timeout=TIMEOUT_S).values())).result()
        assert raised.value.args[0].name() == error
    grant(served, ResourceType.TOPIC, allowed, AclOperation.ALTER_CONFIGS)  # implies DESCRIBE_CONFIGS
    configs = next(iter(admin.describe_configs([ConfigResource(CKType.TOPIC, allowed)]).values())).result()
    assert "retention.ms" in configs


def test_fetch_without_read_is_topic_authorization_failed(served: ServedCluster) -> None:
    from confluent_kafka import Consumer, Producer, TopicPartition

    name = topic(served, "visible")
    grant(served, ResourceType.TOPIC, name, AclOperation.DESCRIBE, AclOperation.WRITE)
    producer = Producer({**base(served), "linger.ms": 0})
    producer.produce(name, value=b"v")
    assert producer.flush(TIMEOUT_S) == 0
    group = f"fetcher-{uuid.uuid4().hex[:6]}"  # librdkafka finds its coordinator even when assigned
    grant(served, ResourceType.GROUP, group, AclOperation.READ)
    consumer = Consumer({**base(served), "group.id": group, "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(name, 0, 0)])
        errors: list[str] = []
        deadline = time.monotonic() + TIMEOUT_S
        while not errors and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None:
                assert message.error() is not None, "a record came back without READ"
                errors.append(message.error().name())
    finally:
        consumer.close()
    assert errors == ["TOPIC_AUTHORIZATION_FAILED"]


def _request(served: ServedCluster, api: tuple[int, int], **fields: Any) -> Any:
    host, port = served.server.addresses[1]
    return served.call(ask(f"{host}:{port}", api, "acl-test", TIMEOUT_S, **fields))


def test_metadata_auto_creates_only_with_create(served: ServedCluster) -> None:
    metadata = (3, 4)
    name_cls = kio_entity(metadata, EntityType.request, "MetadataRequestTopic")
    wanted = f"auto-{uuid.uuid4().hex[:6]}"
    grant(served, ResourceType.TOPIC, wanted, AclOperation.DESCRIBE)
    answer = _request(served, metadata, topics=(name_cls(name=wanted),), allow_auto_topic_creation=True)
    # 29: TOPIC_AUTHORIZATION_FAILED
    assert [(t.name, int(t.error_code)) for t in answer.topics] == [(wanted, 29)]
    assert wanted not in served.cluster.metadata.topics
    grant(served, ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CREATE)
    try:
        answer = _request(served, metadata, topics=(name_cls(name=wanted),), allow_auto_topic_creation=True)
        assert [(t.name, int(t.error_code)) for t in answer.topics] == [(wanted, 0)]
    finally:  # CREATE on the cluster would let the other tests create anything
        served.call(served.cluster.controller.acls.delete_acls([_cluster_create()]))


def _cluster_create() -> Any:
    from kafkatui.common.acl import AclBindingFilter

    return AclBindingFilter(ResourceType.CLUSTER, CLUSTER_NAME, operation=AclOperation.CREATE)


def test_offset_commit_is_checked_per_topic_and_list_groups_filtered(served: ServedCluster) -> None:
    readable, other = topic(served, "commits"), topic(served, "private")
    group = f"mine-{uuid.uuid4().hex[:6]}"
    grant(served, ResourceType.GROUP, group, AclOperation.READ)
    grant(served, ResourceType.TOPIC, readable, AclOperation.READ)
    commit = (8, 8)
    topic_cls = kio_entity(commit, EntityType.request, "OffsetCommitRequestTopic")
    partition_cls = kio_entity(commit, EntityType.request, "OffsetCommitRequestPartition")
    served.call(served.cluster.find_coordinator(group))  # __consumer_offsets, created on first use

    def one(name: str) -> Any:
        return topic_cls(name=name, partitions=(partition_cls(partition_index=0, committed_offset=5,
                                                              committed_metadata=None),))  # fmt: skip

    answer = _request(served, commit, group_id=group, generation_id_or_member_epoch=-1, member_id="",
                      group_instance_id=None, topics=(one(readable), one(other)))  # fmt: skip
    assert [(t.name, int(t.partitions[0].error_code)) for t in answer.topics] == [(readable, 0), (other, 29)]
    committed = served.call(served.cluster.fetch_offsets(group, None))
    assert {tp: o.offset for tp, o in committed.items()} == {(readable, 0): 5}
    hidden = f"theirs-{uuid.uuid4().hex[:6]}"
    served.call(served.cluster.commit_offsets(hidden, {(readable, 0): OffsetAndMetadata(1, -1, "")},
                                              generation_id=-1, member_id=""))  # fmt: skip
    listed = {g.group_id for g in _request(served, (16, 4), states_filter=()).groups}
    assert group in listed and hidden not in listed
