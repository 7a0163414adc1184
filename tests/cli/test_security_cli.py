"""`kafkatui certs create`, `kafkatui user add|list|delete` and `kafkatui serve --security`:
a user's path from nothing to a secured cluster that real clients log in to."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest
from cryptography import x509

from tests.cli.conftest import CliFn
from tests.cli.test_serve_cli import start_serve

confluent_kafka = pytest.importorskip("confluent_kafka")


def test_certs_create_makes_a_ca_a_broker_and_a_client_certificate(cli: CliFn, data_dir: Path) -> None:
    out = cli("certs", "create").ok().stdout
    certs = data_dir / "certs"
    for client in ("confluent-kafka", "kafka-python", "aiokafka", "kcat"):
        assert client in out
    assert f"ssl.ca.location={certs / 'ca.pem'}" in out  # kcat's line
    ca = x509.load_pem_x509_certificate((certs / "ca.pem").read_bytes())
    broker = x509.load_pem_x509_certificate((certs / "broker.pem").read_bytes())
    client = x509.load_pem_x509_certificate((certs / "client.pem").read_bytes())
    broker.verify_directly_issued_by(ca)
    client.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert client.subject.rfc4514_string() == "CN=client,O=kafkatui"
    assert (certs / "broker-key.pem").stat().st_mode & 0o077 == 0


def test_certs_create_with_memory_needs_a_dir(cli: CliFn, tmp_path: Path) -> None:
    cli("certs", "create", opts=["--memory"], data_dir=None).assert_usage_error("--dir")
    cli("certs", "create", "--dir", str(tmp_path / "c"), opts=["--memory"], data_dir=None).ok()
    assert (tmp_path / "c" / "ca.pem").is_file()


def test_user_add_list_delete(cli: CliFn, data_dir: Path) -> None:
    cli("user", "add", "alice", "--password", "s3cret").ok()
    cli("user", "add", "bob", "--password", "pw", "--mechanism", "SCRAM-SHA-256").ok()
    assert cli("user", "list", "--json").ok().json() == [
        {"user": "alice", "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"],
         "iterations": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 4096}},
        {"user": "bob", "mechanisms": ["SCRAM-SHA-256"], "iterations": {"SCRAM-SHA-256": 4096}},
    ]  # fmt: skip
    assert b"s3cret" not in (data_dir / "cluster-metadata.db").read_bytes()
    table = cli("user", "list").ok().stdout
    assert "SCRAM-SHA-512, PLAIN" in table  # alice can log in with PLAIN too
    cli("user", "delete", "bob").ok()
    cli("user", "delete", "bob").assert_error("RESOURCE_NOT_FOUND", "bob")
    cli("user", "add", "x", "--password", "p", "--iterations", "10").assert_usage_error("--iterations")
    cli("user", "add", "x", "--password", "p", "--mechanism", "GSSAPI").assert_usage_error("--mechanism")


def test_serve_refuses_a_secured_listener_it_cannot_run(cli: CliFn) -> None:
    cli("serve", "--security", "ssl").assert_error("INVALID_CONFIG", "kafkatui certs create")
    cli("serve", "--security", "sasl_plaintext").assert_error("INVALID_CONFIG", "kafkatui user add")
    cli("certs", "create").ok()
    cli("serve", "--security", "ssl", "--ssl-principal-mapping-rules", "RULE:^CN").assert_error(
        "INVALID_CONFIG", "ssl.principal.mapping.rules"
    )


def test_serve_sasl_ssl_takes_users_added_while_it_runs(cli: CliFn, data_dir: Path) -> None:
    from confluent_kafka.admin import (
        AdminClient,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    cli("certs", "create").ok()
    cli("user", "add", "alice", "--password", "s3cret", opts=["--brokers", "1"]).ok()
    proc, bootstrap = start_serve(data_dir, "--port-base", "0", "--security", "sasl_ssl")
    try:

        def login(user: str, password: str) -> bool:
            admin = AdminClient({
                "bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL",
                "ssl.ca.location": str(data_dir / "certs" / "ca.pem"), "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": user, "sasl.password": password, "log_level": 0,
            })  # fmt: skip
            try:
                return 1 in admin.list_topics(timeout=4).brokers
            except confluent_kafka.KafkaException:
                return False

        assert login("alice", "s3cret")
        assert not login("carol", "pw")
        # While serve holds the data dir: AlterUserScramCredentials, as alice (KIP-554).
        alice = AdminClient({
            "bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL",
            "ssl.ca.location": str(data_dir / "certs" / "ca.pem"), "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "alice", "sasl.password": "s3cret",
        })  # fmt: skip
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
        for future in alice.alter_user_scram_credentials(
            [UserScramCredentialUpsertion("carol", info, b"pw")]
        ).values():
            assert future.result(10) is None
        assert login("carol", "pw")
        topic = f"t-{uuid.uuid4().hex[:6]}"
        producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL",
            "ssl.ca.location": str(data_dir / "certs" / "ca.pem"), "sasl.mechanism": "PLAIN",
            "sasl.username": "carol", "sasl.password": "pw",
        })  # fmt: skip
        producer.produce(topic, b"hello")
        assert producer.flush(15) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
