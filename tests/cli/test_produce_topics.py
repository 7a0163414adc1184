"""One rule for a topic a producer names, Kafka's: the cluster's auto.create.topics.enable
decides, for `kafkatui produce` as for a wire client (kcat, librdkafka) on the same cluster,
and when it is off the error names the setting."""

from __future__ import annotations

import signal
from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from tests.cli.conftest import CliFn
from tests.cli.test_serve_cli import start_serve
from tests.wire.conftest import ServedCluster

CREATED = "created topic nosuch with 1 partition(s), replication factor 1 (auto.create.topics.enable"


def test_produce_creates_a_topic_as_kafka_does(kafkatui: CliFn) -> None:
    produced = kafkatui("produce", "nosuch", "--value", "x").ok()
    assert produced.stdout == "produced to nosuch partition 0 at offset 0\n"
    assert produced.stderr.startswith(CREATED)  # a typo creates a topic too: say so
    described = kafkatui("topic", "describe", "nosuch", "--json").ok().json()
    assert (described["partition_count"], described["replication_factor"]) == (1, 1)  # num.partitions…
    again = kafkatui("produce", "nosuch", "--value", "y").ok()
    assert "created topic" not in again.stderr and "offset 1" in again.stdout


def test_no_records_create_no_topic(kafkatui: CliFn) -> None:
    kafkatui("produce", "nothing", input="").ok()  # a producer that sends nothing asks nothing
    kafkatui("topic", "describe", "nothing").assert_error("UNKNOWN_TOPIC_OR_PARTITION")


async def test_the_engine_follows_auto_create_topics_enable() -> None:
    off = BrokerDefaults(auto_create_topics_enable=False)
    backend = EmbeddedBackend(await Cluster.open(None, brokers=1, defaults=off))
    try:
        try:
            await backend.auto_create_topic("nosuch")
        except KafkaError as error:
            assert error.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            assert "auto.create.topics.enable is false" in error.message
            assert "kafkatui topic create nosuch" in error.message
        else:
            raise AssertionError("created a topic with auto.create.topics.enable=false")
        assert "nosuch" not in backend.topic_names()
        await backend.create_topic("there")
        assert await backend.auto_create_topic("there") is False
    finally:
        await backend.close()


def test_attached_to_a_cluster_that_does_not_create_topics(data_dir: Path, kafkatui: CliFn) -> None:
    proc, bootstrap = start_serve(data_dir, "--port-base", "0", "--no-auto-create-topics")
    try:
        refused = kafkatui("produce", "nosuch", "--value", "x")
        assert refused.stderr.startswith("attached to the kafkatui process")
        message = refused.stderr.splitlines()[-1]
        assert message.startswith("error: UNKNOWN_TOPIC_OR_PARTITION: topic 'nosuch' does not exist")
        assert f"auto.create.topics.enable is false on the brokers at {bootstrap}" in message
        assert refused.exit_code == 1 and refused.stdout == ""
        assert "nosuch" not in kafkatui("topic", "list").ok().stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_over_the_wire_the_brokers_create_it(cli: CliFn) -> None:
    served = ServedCluster()
    try:
        over = ["--bootstrap-server", served.bootstrap]
        produced = cli("produce", "nosuch", "--value", "x", opts=over, data_dir=None).ok()
        assert produced.stderr.startswith(CREATED)
        assert "produced to nosuch partition 0 at offset 0" in produced.stdout
        assert served.cluster.describe_topic("nosuch").partitions[0].high_watermark == 1
    finally:
        served.close()
