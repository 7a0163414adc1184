"""What the security tests share: a secured one-broker cluster, and confluent-kafka runs
that either do real work (produce, consume in a group, commit) or fail the way a user
sees it (the client's error callback)."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.credentials import CredentialStore
from kafkatui.wire.security.listener import ListenerConfig
from tests.wire.conftest import ServedCluster

TIMEOUT_S = 15
RECORDS = 20


@contextlib.contextmanager
def secured(
    listener: ListenerConfig, brokers: int = 1, users: CredentialStore | None = None
) -> Iterator[ServedCluster]:
    served = ServedCluster(brokers=brokers, listener=listener, users=users)
    try:
        yield served
    finally:
        served.close()


def tls_conf(certs: CertificateSet, *, client_cert: bool = True) -> dict[str, str]:
    conf = {"ssl.ca.location": str(certs.ca)}
    if client_cert:
        conf |= {
            "ssl.certificate.location": str(certs.client_cert),
            "ssl.key.location": str(certs.client_key),
        }
    return conf


def produce_consume_group(served: ServedCluster, conf: dict[str, Any], topic: str | None = None) -> None:
    """confluent-kafka: produce RECORDS records, read them back in a new consumer group,
    commit, and check the committed offset (so Produce, Fetch and the group APIs all ran
    over the secured connection)."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    topic = topic or f"t-{uuid.uuid4().hex[:8]}"
    served.call(served.cluster.create_topic(topic, 1, 1))
    base = {"bootstrap.servers": served.bootstrap, **conf}
    producer = Producer({**base, "linger.ms": 5, "message.timeout.ms": TIMEOUT_S * 1000})
    for i in range(RECORDS):
        producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
    assert producer.flush(TIMEOUT_S) == 0
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        {**base, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
         "session.timeout.ms": 6000}
    )  # fmt: skip
    try:
        consumer.subscribe([topic])
        values: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(values) < RECORDS and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                values.append(message.value())
        assert values == [f"v{i}".encode() for i in range(RECORDS)]
        consumer.commit(asynchronous=False)
        (committed,) = consumer.committed([TopicPartition(topic, 0)], timeout=TIMEOUT_S)
        assert committed.offset == RECORDS
    finally:
        consumer.close()


def connection_errors(bootstrap: str, conf: dict[str, Any], wait_s: float = 3) -> list[str]:
    """What confluent-kafka reports when it cannot get metadata with `conf`: its error
    callback's and its log's messages (empty if it connected)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    errors: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record.getMessage())

    logger = logging.getLogger(f"rdkafka-{uuid.uuid4().hex[:8]}")
    logger.propagate = False
    logger.addHandler(Collect())
    admin = AdminClient(
        {"bootstrap.servers": bootstrap, **conf, "error_cb": lambda e: errors.append(str(e)),
         "socket.timeout.ms": 2000, "reconnect.backoff.max.ms": 500, "logger": logger}
    )  # fmt: skip
    try:
        admin.list_topics(timeout=wait_s)
    except KafkaException as error:
        errors.append(str(error))
    admin.poll(0.1)  # the log lines are delivered from poll()
    return errors
