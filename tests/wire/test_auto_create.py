"""auto.create.topics.enable: a Metadata request naming an unknown topic creates it, as
Kafka's brokers do by default (producers ask for it; librdkafka consumers do not)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from kafka import KafkaProducer

from kafkatui.engine.server.config import BrokerDefaults
from tests.wire.conftest import ServedCluster


def test_a_producer_creates_the_topic_it_writes_to(served: ServedCluster) -> None:
    producer = KafkaProducer(bootstrap_servers=served.bootstrap)
    try:
        metadata = producer.send("fresh-orders", key=b"k", value=b"first").get(timeout=10)
    finally:
        producer.close()
    info = served.cluster.topic("fresh-orders")
    defaults = served.cluster.defaults
    assert len(info.partitions) == defaults.num_partitions
    assert len(info.partitions[0].replicas) == defaults.default_replication_factor
    assert (metadata.partition, metadata.offset) == (0, 0)


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
def test_kcat_produces_to_a_topic_that_did_not_exist(served: ServedCluster) -> None:
    done = subprocess.run(
        ["kcat", "-b", served.bootstrap, "-P", "-t", "kcat-new", "-K:"],
        input="a:1\nb:2\n",
        text=True,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert served.cluster.describe_topic("kcat-new").record_count == 2


def test_a_consumer_that_does_not_allow_it_creates_nothing(served: ServedCluster) -> None:
    consumer = Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "g"}
    )  # allow.auto.create.topics=false
    try:
        error = consumer.list_topics("not-wanted", timeout=10).topics["not-wanted"].error
        assert error is not None and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    finally:
        consumer.close()
    assert "not-wanted" not in served.cluster.topic_names()


def test_invalid_names_and_internal_topics_are_not_created(served: ServedCluster) -> None:
    producer = Producer({"bootstrap.servers": served.bootstrap})  # allows auto-creation
    for name, code in (
        ("bad name!", KafkaError.TOPIC_EXCEPTION),
        ("__transaction_state", KafkaError.UNKNOWN_TOPIC_OR_PART),  # its coordinator's to create
    ):
        error = producer.list_topics(name, timeout=10).topics[name].error
        assert error is not None and error.code() == code, (name, error)
        assert name not in served.cluster.topic_names()


def test_a_broker_with_it_off_answers_unknown_topic() -> None:
    served = ServedCluster(
        defaults=BrokerDefaults(auto_create_topics_enable=False, group_initial_rebalance_delay_ms=0)
    )
    try:
        producer = Producer({"bootstrap.servers": served.bootstrap})
        error = producer.list_topics("nope", timeout=10).topics["nope"].error
        assert error is not None and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        assert "nope" not in served.cluster.topic_names()
    finally:
        served.close()
