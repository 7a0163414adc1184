"""Several listeners in one `kafkatui serve` (Kafka's `listeners=PLAINTEXT://:9092,
SASL_SSL://:9192`): each answers Metadata with its own endpoints, and other kafkatui
commands attach to the PLAINTEXT one while the secured one runs."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from kafkatui.wire.security.listener import (
    ListenerConfigError,
    ListenerSpec,
    SecurityProtocol,
    parse_listeners,
)
from tests.cli.conftest import CliFn, cli, data_dir
from tests.cli.test_serve_cli import start_serve

__all__ = ["cli", "data_dir"]  # fixtures, used below

confluent_kafka = pytest.importorskip("confluent_kafka")


def test_listeners_parse_as_kafka_writes_them() -> None:
    assert parse_listeners(["PLAINTEXT:9092", "sasl_ssl://localhost:9192,SSL://[::1]:9292"]) == [
        ListenerSpec(SecurityProtocol.PLAINTEXT, "", 9092),
        ListenerSpec(SecurityProtocol.SASL_SSL, "localhost", 9192),
        ListenerSpec(SecurityProtocol.SSL, "::1", 9292),
    ]
    with pytest.raises(ListenerConfigError, match="twice"):
        parse_listeners(["PLAINTEXT:9092", "PLAINTEXT://:9192"])
    with pytest.raises(ListenerConfigError, match="not one of"):
        parse_listeners(["GSSAPI:9092"])
    with pytest.raises(ListenerConfigError, match="needs a port"):
        parse_listeners(["SSL://localhost"])


def test_serve_refuses_listeners_it_cannot_run(cli: CliFn) -> None:
    cli("serve", "--listener", "PLAINTEXT:0", "--listener", "plaintext:1").assert_usage_error("--listener")
    cli("serve", "--listener", "SSL:0", "--security", "ssl").assert_usage_error("--security")


def test_one_serve_two_listeners_each_with_its_own_endpoints(cli: CliFn, data_dir: Path) -> None:
    from confluent_kafka.admin import AdminClient

    cli("certs", "create").ok()
    cli("user", "add", "alice", "--password", "s3cret", opts=["--brokers", "1"]).ok()
    proc, plain = start_serve(
        data_dir, "--listener", "PLAINTEXT:0", "--listener", "SASL_SSL://127.0.0.1:0",
        "--no-schema-registry", "--no-rest-proxy",
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        said = [line for line in lines if line.startswith("SASL_SSL bootstrap servers: ")]
        assert said, lines
        secured = said[0].removeprefix("SASL_SSL bootstrap servers: ").strip()
        assert plain != secured

        def sasl_ssl(user: str, password: str) -> dict[str, str]:
            return {
                "bootstrap.servers": secured, "security.protocol": "SASL_SSL",
                "ssl.ca.location": str(data_dir / "certs" / "ca.pem"), "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": user, "sasl.password": password, "log_level": "0",
            }  # fmt: skip

        def endpoint(conf: dict[str, str]) -> str:
            broker = AdminClient(conf).list_topics(timeout=10).brokers[1]
            return f"{broker.host}:{broker.port}"

        # Each client is told the brokers' endpoints of the listener it came in on.
        assert endpoint({"bootstrap.servers": plain}) == plain
        assert endpoint(sasl_ssl("alice", "s3cret")) == secured
        # The data dir is served, not locked: `kafkatui user` attaches over PLAINTEXT.
        added = cli("user", "add", "carol", "--password", "pw", "--mechanism", "SCRAM-SHA-512").ok()
        assert "attached to" in added.stderr
        assert "carol" in cli("user", "list").ok().stdout
        assert endpoint(sasl_ssl("carol", "pw")) == secured
        producer = confluent_kafka.Producer(sasl_ssl("carol", "pw"))
        producer.produce("two-listeners", b"hello")
        assert producer.flush(15) == 0
        consumer = confluent_kafka.Consumer({"bootstrap.servers": plain, "group.id": "g"})
        consumer.assign(
            [confluent_kafka.TopicPartition("two-listeners", 0, confluent_kafka.OFFSET_BEGINNING)]
        )
        message = consumer.poll(15)
        consumer.close()
        assert message is not None and message.value() == b"hello"  # one cluster behind both
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
