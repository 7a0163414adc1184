"""ACLs enforced on a served cluster, seen by real clients over SASL_PLAINTEXT with
SCRAM-SHA-512: a user with READ but not WRITE consumes and is refused produce, a missing
group READ is GROUP_AUTHORIZATION_FAILED, a super user may do anything, Metadata hides
the topics a user may not describe; and kafka-python's admin client manages ACLs.

One cluster for the module (the tests only add what they read; each uses its own
topic or group), with `authorizer.class.name` on and `super.users=User:admin`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from kafkatui.wire.security.credentials import CredentialStore
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.wire.conftest import ServedCluster

TIMEOUT_S = 15
MECHANISM = "SCRAM-SHA-512"
PASSWORDS = {"admin": "admin-secret", "alice": "alice-secret", "carol": "carol-secret"}
READABLE, HIDDEN = "orders", "payroll"


def allow(resource_type: ResourceType, name: str, principal: str, operation: AclOperation,
          pattern: PatternType = PatternType.LITERAL) -> AclBinding:  # fmt: skip
    return AclBinding(
        ResourcePattern(resource_type, name, pattern),
        AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW),
    )


@pytest.fixture(scope="module")
def secured() -> Iterator[ServedCluster]:
    users = CredentialStore()
    for name, password in PASSWORDS.items():
        users.add(name, password, (MECHANISM,))
    listener = ListenerConfig.for_protocol(SecurityProtocol.SASL_PLAINTEXT, sasl_mechanisms=(MECHANISM,))
    served = ServedCluster(brokers=1, listener=listener, users=users)
    try:
        served.server.authorizer = AuthorizerConfig(super_users=frozenset({"User:admin"}))
        for topic in (READABLE, HIDDEN):
            served.call(served.cluster.create_topic(topic, 1, 1))
        acls = [
            allow(ResourceType.TOPIC, READABLE, "User:alice", AclOperation.READ),
            allow(ResourceType.GROUP, "readers-", "User:alice", AclOperation.READ, PatternType.PREFIXED),
            allow(ResourceType.TOPIC, READABLE, "User:carol", AclOperation.READ),
        ]
        assert served.call(served.cluster.controller.acls.create_acls(acls)) == [None] * len(acls)
        yield served
    finally:
        served.close()


def conf(served: ServedCluster, user: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": served.bootstrap, "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": MECHANISM, "sasl.username": user, "sasl.password": PASSWORDS[user],
    }  # fmt: skip


def produce(served: ServedCluster, user: str, topic: str, values: list[bytes]) -> list[str | None]:
    """confluent-kafka: each record's delivery error name (None: delivered)."""
    from confluent_kafka import Producer

    outcomes: list[str | None] = []
    producer = Producer({**conf(served, user), "message.timeout.ms": TIMEOUT_S * 1000, "linger.ms": 0})
    for value in values:
        producer.produce(
            topic,
            value=value,
            on_delivery=lambda err, _m: outcomes.append(None if err is None else err.name()),
        )
    assert producer.flush(TIMEOUT_S) == 0
    return outcomes


def consume(
    served: ServedCluster, user: str, topic: str, group: str, want: int
) -> tuple[list[bytes], list[str]]:
    """confluent-kafka in a group: the values read and the errors seen (stops at `want`
    values or at the first error)."""
    from confluent_kafka import Consumer

    consumer = Consumer({**conf(served, user), "group.id": group, "auto.offset.reset": "earliest",
                         "session.timeout.ms": 6000})  # fmt: skip
    values: list[bytes] = []
    errors: list[str] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + TIMEOUT_S
        while len(values) < want and not errors and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error() is not None:
                errors.append(message.error().name())
            else:
                values.append(message.value())
    finally:
        consumer.close()
    return values, errors


def test_a_reader_consumes_but_its_produce_is_refused(secured: ServedCluster) -> None:
    assert produce(secured, "admin", READABLE, [b"a", b"b"]) == [None, None]
    values, errors = consume(secured, "alice", READABLE, f"readers-{uuid.uuid4().hex[:6]}", want=2)
    assert (values[:2], errors) == ([b"a", b"b"], [])
    assert produce(secured, "alice", READABLE, [b"nope"]) == ["TOPIC_AUTHORIZATION_FAILED"]


def test_without_read_on_the_group_the_consumer_gets_group_authorization_failed(
    secured: ServedCluster,
) -> None:
    values, errors = consume(secured, "carol", READABLE, "readers-carol", want=1)
    assert values == []
    assert errors == ["GROUP_AUTHORIZATION_FAILED"]


def test_a_super_user_may_do_anything(secured: ServedCluster) -> None:
    # no ACL names payroll at all: only super.users may touch it
    assert produce(secured, "admin", HIDDEN, [b"salary"]) == [None]
    values, errors = consume(secured, "admin", HIDDEN, f"any-{uuid.uuid4().hex[:6]}", want=1)
    assert (values, errors) == ([b"salary"], [])


def test_metadata_hides_topics_a_user_may_not_describe(secured: ServedCluster) -> None:
    from confluent_kafka.admin import AdminClient

    alice = AdminClient(conf(secured, "alice"))
    assert set(alice.list_topics(timeout=TIMEOUT_S).topics) == {READABLE}
    named = alice.list_topics(topic=HIDDEN, timeout=TIMEOUT_S).topics[HIDDEN]
    assert named.error is not None and named.error.name() == "TOPIC_AUTHORIZATION_FAILED"
    admin = AdminClient(conf(secured, "admin"))
    assert {READABLE, HIDDEN} <= set(admin.list_topics(timeout=TIMEOUT_S).topics)


def _kafka_python_admin(served: ServedCluster, user: str) -> Any:
    from kafka.admin import KafkaAdminClient

    return KafkaAdminClient(
        bootstrap_servers=served.bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism=MECHANISM,
        sasl_plain_username=user, sasl_plain_password=PASSWORDS[user], request_timeout_ms=TIMEOUT_S * 1000,
    )  # fmt: skip


def test_kafka_python_creates_describes_and_deletes_acls(secured: ServedCluster) -> None:
    from kafka.admin import (
        ACL,
        ACLFilter,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePatternFilter,
    )
    from kafka.admin import (
        ResourcePattern as KPattern,
    )
    from kafka.admin import ResourceType as KType
    from kafka.errors import ClusterAuthorizationFailedError

    topic = f"kp-{uuid.uuid4().hex[:6]}"
    acl = ACL("User:dave", "*", ACLOperation.WRITE, ACLPermissionType.ALLOW,
              KPattern(KType.TOPIC, topic, ACLResourcePatternType.PREFIXED))  # fmt: skip
    by_topic = ACLFilter(None, "*", ACLOperation.ANY, ACLPermissionType.ANY,
                         ResourcePatternFilter(KType.TOPIC, topic, ACLResourcePatternType.ANY))  # fmt: skip
    admin = _kafka_python_admin(secured, "admin")
    try:
        created = admin.create_acls([acl])
        assert (created["succeeded"], created["failed"]) == ([acl], [])
        found, _ = admin.describe_acls(by_topic)
        assert [(a.principal, a.operation, a.resource_pattern.pattern_type) for a in found] == [
            ("User:dave", ACLOperation.WRITE, ACLResourcePatternType.PREFIXED)
        ]
        # the engine's authorizer reads what the admin client wrote
        assert secured.cluster.metadata.acl_bindings >= {
            allow(ResourceType.TOPIC, topic, "User:dave", AclOperation.WRITE, PatternType.PREFIXED)
        }
        ((_, deleted, error),) = admin.delete_acls([by_topic])
        assert [a.principal for a in deleted] == ["User:dave"] and error.__name__ == "NoError"
        assert admin.describe_acls(by_topic)[0] == []
    finally:
        admin.close()
    alice = _kafka_python_admin(secured, "alice")
    try:
        with pytest.raises(ClusterAuthorizationFailedError):
            alice.describe_acls(by_topic)
        refused = alice.create_acls([acl])
        assert refused["succeeded"] == [] and len(refused["failed"]) == 1
    finally:
        alice.close()
