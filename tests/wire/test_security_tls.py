"""SSL listeners with real clients: TLS with the broker's certificate, mutual TLS
(`ssl.client.auth`) with the principal from the client certificate, and the failures a
user meets (an unknown CA, no client certificate, the wrong protocol on either side),
each clear on the client's side and harmless to the broker."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from kafkatui.wire.security import certs
from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.listener import ClientAuth, ListenerConfig, SecurityProtocol
from kafkatui.wire.security.principal import PrincipalMappingError, SslPrincipalMapper
from tests.wire.conftest import ServedCluster
from tests.wire.security_clients import connection_errors, produce_consume_group, secured, tls_conf

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
SSL = {"security.protocol": "SSL"}


def ssl_listener(
    certs_set: CertificateSet, client_auth: ClientAuth = ClientAuth.NONE, rules: str = "DEFAULT"
):
    return ListenerConfig.for_protocol(
        SecurityProtocol.SSL, certs_dir=certs_set.directory, client_auth=client_auth,
        principal_mapping_rules=rules,
    )  # fmt: skip


def admin(served: ServedCluster, tls: dict[str, str]) -> object:
    """An admin client that has fetched metadata (keep it: its connection stays open)."""
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": served.bootstrap, **SSL, **tls})
    client.list_topics(timeout=10)
    return client


def principals(served: ServedCluster, expected: set[str]) -> set[str]:
    """The open connections' principals, once they are `expected` (librdkafka drops its
    bootstrap connection and reconnects by broker id: wait for that) or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        seen = {c.principal for c in served.server.clients()}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_confluent_kafka_produces_consumes_and_commits_over_tls(security_certs: CertificateSet) -> None:
    with secured(ssl_listener(security_certs), brokers=3) as served:
        produce_consume_group(served, {**SSL, **tls_conf(security_certs, client_cert=False)})
        assert served.server.stats.failed_authentications == 0


def test_mutual_tls_names_the_client_by_its_certificate(security_certs: CertificateSet) -> None:
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED)) as served:
        produce_consume_group(served, {**SSL, **tls_conf(security_certs)})
        kept = admin(served, tls_conf(security_certs))
        assert principals(served, {"User:CN=client,O=kafkatui"}) == {"User:CN=client,O=kafkatui"}
        assert {c.security_protocol for c in served.server.clients()} == {"SSL"}
        del kept


def test_required_client_auth_refuses_a_client_without_a_certificate(
    security_certs: CertificateSet, caplog: pytest.LogCaptureFixture
) -> None:
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED)) as served:
        errors = connection_errors(served.bootstrap, {**SSL, **tls_conf(security_certs, client_cert=False)})
        assert errors
        assert served.server.stats.connections_total == 0  # no connection got past the TLS handshake
        assert served.server.stats.failed_authentications >= 1
        assert "SSL handshake failed" in caplog.text and "PEER_DID_NOT_RETURN_A_CERTIFICATE" in caplog.text
        produce_consume_group(served, {**SSL, **tls_conf(security_certs)})  # the broker is unaffected


def test_requested_client_auth_takes_both_and_names_the_anonymous_one(security_certs: CertificateSet) -> None:

    with secured(ssl_listener(security_certs, ClientAuth.REQUESTED)) as served:
        anonymous = admin(served, tls_conf(security_certs, client_cert=False))
        assert principals(served, {"User:ANONYMOUS"}) == {"User:ANONYMOUS"}
        named = admin(served, tls_conf(security_certs))
        both = {"User:ANONYMOUS", "User:CN=client,O=kafkatui"}
        assert principals(served, both) == both
        del anonymous, named


def test_a_principal_mapping_rule_shortens_the_subject(security_certs: CertificateSet) -> None:

    rules = "RULE:^CN=([^,]+),O=kafkatui$/$1/U,DEFAULT"
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED, rules)) as served:
        kept = admin(served, tls_conf(security_certs))
        assert principals(served, {"User:CLIENT"}) == {"User:CLIENT"}
        del kept


def test_ssl_principal_mapper_follows_kafkas_rules() -> None:
    subject = "CN=alice,OU=eng,O=kafkatui"
    assert SslPrincipalMapper().name(subject) == subject
    assert SslPrincipalMapper("RULE:^CN=(.*?),OU=(.*?),O=(.*)$/$1@$2/L").name(subject) == "alice@eng"
    assert SslPrincipalMapper("RULE:^CN=(.*?),OU=eng,.*$/$1/U, DEFAULT").name(subject) == "ALICE"
    # the first rule that matches the whole subject wins; DEFAULT keeps it as it is
    assert SslPrincipalMapper("RULE:^CN=bob,.*$/bob/,DEFAULT").name(subject) == subject
    with pytest.raises(PrincipalMappingError):
        SslPrincipalMapper("RULE:^CN=bob,.*$/bob/").name(subject)
    with pytest.raises(ValueError, match=r"invalid ssl\.principal\.mapping\.rules"):
        SslPrincipalMapper("RULE:^CN=bob")


def test_a_subject_no_rule_maps_is_refused_and_the_broker_goes_on(security_certs: CertificateSet) -> None:
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED, "RULE:^CN=admin,.*$/admin/")) as served:
        errors = connection_errors(served.bootstrap, {**SSL, **tls_conf(security_certs)})
        assert errors, "the client must not get metadata"
        assert served.server.stats.failed_authentications >= 1


def test_a_client_that_does_not_trust_the_brokers_ca_fails_clearly(
    security_certs: CertificateSet, tmp_path: Path
) -> None:
    other = certs.create(tmp_path / "other")  # another CA: the broker's certificate is unknown to it
    with secured(ssl_listener(security_certs)) as served:
        errors = connection_errors(served.bootstrap, {**SSL, "ssl.ca.location": str(other.ca)})
        assert any("certificate verify failed" in e for e in errors), errors
        assert served.server.stats.failed_authentications >= 1  # the client's alert, seen by the broker
        produce_consume_group(served, {**SSL, **tls_conf(security_certs, client_cert=False)})


def test_a_client_certificate_from_an_unknown_ca_is_refused(
    security_certs: CertificateSet, tmp_path: Path
) -> None:
    other = certs.create(tmp_path / "other")
    conf = {
        **SSL,
        "ssl.ca.location": str(security_certs.ca),
        "ssl.certificate.location": str(other.client_cert),
        "ssl.key.location": str(other.client_key),
    }
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED)) as served:
        assert connection_errors(served.bootstrap, conf)
        produce_consume_group(served, {**SSL, **tls_conf(security_certs)})


def test_an_expired_broker_certificate_is_refused_by_the_client(tmp_path: Path) -> None:
    import datetime

    ca = certs.create_ca()
    made = certs.CertificateSet(tmp_path)
    certs.write_pem(ca, made.ca, tmp_path / certs.CA_KEY)
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    certs.write_pem(
        certs.issue(ca, "localhost", server=True, not_before=long_ago, days=1),
        made.broker_cert,
        made.broker_key,
    )
    with secured(ssl_listener(made)) as served:
        errors = connection_errors(served.bootstrap, {**SSL, "ssl.ca.location": str(made.ca)})
        assert any("certificate verify failed" in e for e in errors), errors
        host, port = served.server.addresses[1]
        context = ssl.create_default_context(cafile=str(made.ca))
        expired = pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired")
        with socket.create_connection((host, port), timeout=5) as raw, expired:
            context.wrap_socket(raw, server_hostname="localhost")


def test_a_plaintext_client_on_a_tls_port_fails_and_the_broker_goes_on(
    security_certs: CertificateSet,
) -> None:
    with secured(ssl_listener(security_certs)) as served:
        assert connection_errors(served.bootstrap, {})
        host, port = served.server.addresses[1]
        with socket.create_connection((host, port), timeout=5) as raw:  # Kafka bytes where TLS is expected
            raw.sendall(b"\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\x00\x00")
            reply = raw.recv(100)
            # a TLS alert record (content type 21) or nothing: never a Kafka response
            assert reply == b"" or reply[0] == 21, reply
        produce_consume_group(served, {**SSL, **tls_conf(security_certs, client_cert=False)})


def test_a_tls_client_on_a_plaintext_port_fails_and_the_broker_goes_on(
    security_certs: CertificateSet,
) -> None:
    with secured(ListenerConfig()) as served:
        errors = connection_errors(served.bootstrap, {**SSL, **tls_conf(security_certs, client_cert=False)})
        assert errors
        host, port = served.server.addresses[1]
        context = ssl.create_default_context(cafile=str(security_certs.ca))
        with socket.create_connection((host, port), timeout=5) as raw, pytest.raises((ssl.SSLError, OSError)):
            context.wrap_socket(raw, server_hostname="localhost")
        produce_consume_group(served, {})
        assert served.server.stats.refusals + served.server.stats.errors >= 1


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")
def test_kcat_produces_and_consumes_over_mutual_tls(security_certs: CertificateSet) -> None:
    assert KCAT is not None
    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED)) as served:
        topic = f"t-{uuid.uuid4().hex[:8]}"
        served.call(served.cluster.create_topic(topic, 1, 1))
        args = [KCAT, "-b", served.bootstrap, "-X", "security.protocol=SSL",
                "-X", f"ssl.ca.location={security_certs.ca}",
                "-X", f"ssl.certificate.location={security_certs.client_cert}",
                "-X", f"ssl.key.location={security_certs.client_key}"]  # fmt: skip
        run = subprocess.run(
            [*args, "-P", "-t", topic],
            input="one\ntwo\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        run = subprocess.run(
            [*args, "-C", "-t", topic, "-o", "beginning", "-e", "-q"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == ["one", "two"]
        # without the client certificate, kcat fails and says so
        run = subprocess.run(
            [*args[:6], "-L", "-m", "3"], capture_output=True, text=True, timeout=30, check=False
        )
        assert run.returncode != 0


def test_kafka_python_produces_and_consumes_over_tls(security_certs: CertificateSet) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    with secured(ssl_listener(security_certs, ClientAuth.REQUIRED)) as served:
        topic = f"t-{uuid.uuid4().hex[:8]}"
        served.call(served.cluster.create_topic(topic, 1, 1))
        tls = {
            "security_protocol": "SSL",
            "ssl_cafile": str(security_certs.ca),
            "ssl_certfile": str(security_certs.client_cert),
            "ssl_keyfile": str(security_certs.client_key),
        }
        producer = KafkaProducer(bootstrap_servers=served.bootstrap, **tls)
        for i in range(5):
            producer.send(topic, f"v{i}".encode())
        producer.flush(10)
        producer.close()
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=served.bootstrap,
            group_id="kp",
            auto_offset_reset="earliest",
            consumer_timeout_ms=8000,
            **tls,
        )
        values = [m.value for _, m in zip(range(5), consumer, strict=False)]
        consumer.close()
        assert values == [f"v{i}".encode() for i in range(5)]


def test_metadata_advertises_the_listener_the_client_came_in_on(security_certs: CertificateSet) -> None:
    """Two listeners of one cluster, PLAINTEXT and SSL (Kafka's `listeners=PLAINTEXT://…,
    SSL://…`): each client is told the brokers' addresses on its own listener."""
    from confluent_kafka.admin import AdminClient

    from kafkatui.wire.server import WireServer

    with secured(ListenerConfig(), brokers=2) as served:
        tls = WireServer(served.cluster, port_base=0, listener=ssl_listener(security_certs))
        served.call(tls.start())
        try:
            plain = AdminClient({"bootstrap.servers": served.bootstrap}).list_topics(timeout=10)
            secure = AdminClient(
                {"bootstrap.servers": tls.bootstrap, **SSL, **tls_conf(security_certs, client_cert=False)}
            ).list_topics(timeout=10)
            assert {b: (m.host, m.port) for b, m in plain.brokers.items()} == served.server.addresses
            assert {b: (m.host, m.port) for b, m in secure.brokers.items()} == tls.addresses
            assert set(tls.addresses.values()).isdisjoint(served.server.addresses.values())
        finally:
            served.call(tls.close())
