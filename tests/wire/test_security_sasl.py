"""SASL listeners with real clients: PLAIN and SCRAM-SHA-256/512 over SASL_PLAINTEXT and
SASL_SSL (produce, consume, a group), the failures a user meets (a wrong password, an
unknown user, a mechanism the broker does not enable), and Kafka's rule that nothing but
ApiVersions and the SASL exchange is served before authentication."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from kio.schema.metadata.v4.request import MetadataRequest
from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v0.request import SaslHandshakeRequest as SaslHandshakeV0
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.serial import entity_reader

from kafkatui.common.errors import ErrorCode
from kafkatui.wire.codec import response_class
from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.credentials import MECHANISMS, CredentialStore
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.wire.conftest import ServedCluster
from tests.wire.security_clients import connection_errors, produce_consume_group, secured, tls_conf
from tests.wire.test_frames import read_frame, request_frame

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
PASSWORD = "alice-secret"


def users() -> CredentialStore:
    store = CredentialStore()
    store.add("alice", PASSWORD, MECHANISMS)
    store.add("bob", "bob-secret", ("SCRAM-SHA-256",))
    return store


def sasl_listener(
    protocol: SecurityProtocol, certs: CertificateSet | None = None, mechanisms: tuple[str, ...] = MECHANISMS
) -> ListenerConfig:
    return ListenerConfig.for_protocol(
        protocol,
        certs_dir=None if certs is None else certs.directory,
        sasl_mechanisms=mechanisms,
    )


def sasl_conf(protocol: str, mechanism: str, user: str = "alice", password: str = PASSWORD) -> dict[str, str]:
    return {"security.protocol": protocol, "sasl.mechanism": mechanism, "sasl.username": user,
            "sasl.password": password}  # fmt: skip


def connected(served: ServedCluster, want: int = 1) -> list[tuple[str, str | None]]:
    deadline = time.monotonic() + 10
    while True:
        seen = [(c.principal, c.sasl_mechanism) for c in served.server.clients()]
        if len(seen) >= want or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sasl_plaintext() -> Iterator[ServedCluster]:
    with secured(sasl_listener(SecurityProtocol.SASL_PLAINTEXT), users=users()) as served:
        yield served


def test_confluent_kafka_with_plain_over_sasl_plaintext(sasl_plaintext: ServedCluster) -> None:
    produce_consume_group(sasl_plaintext, sasl_conf("SASL_PLAINTEXT", "PLAIN"))


def test_confluent_kafka_with_scram_sha_512_over_sasl_ssl(security_certs: CertificateSet) -> None:
    from confluent_kafka.admin import AdminClient

    with secured(
        sasl_listener(SecurityProtocol.SASL_SSL, security_certs), brokers=3, users=users()
    ) as served:
        conf = {**sasl_conf("SASL_SSL", "SCRAM-SHA-512"), **tls_conf(security_certs, client_cert=False)}
        produce_consume_group(served, conf)
        admin = AdminClient({"bootstrap.servers": served.bootstrap, **conf})
        admin.list_topics(timeout=10)
        # A connection between its SaslHandshake and SaslAuthenticate is still
        # User:ANONYMOUS (as in Kafka): wait for librdkafka's others to finish theirs.
        deadline = time.monotonic() + 20
        while (
            set(seen := connected(served)) != {("User:alice", "SCRAM-SHA-512")}
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert seen and set(seen) == {("User:alice", "SCRAM-SHA-512")}
        assert {c.security_protocol for c in served.server.clients()} == {"SASL_SSL"}
        del admin


def test_scram_sha_256_and_its_own_users(sasl_plaintext: ServedCluster) -> None:
    assert not connection_errors(
        sasl_plaintext.bootstrap, sasl_conf("SASL_PLAINTEXT", "SCRAM-SHA-256", "bob", "bob-secret")
    )
    # bob has no SCRAM-SHA-512 credential: that mechanism refuses him
    errors = connection_errors(
        sasl_plaintext.bootstrap, sasl_conf("SASL_PLAINTEXT", "SCRAM-SHA-512", "bob", "bob-secret")
    )
    assert any("invalid credentials with SASL mechanism SCRAM-SHA-512" in e for e in errors), errors


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_a_wrong_password_fails_clearly_and_the_broker_goes_on(
    sasl_plaintext: ServedCluster, mechanism: str
) -> None:
    before = sasl_plaintext.server.stats.failed_authentications
    errors = connection_errors(
        sasl_plaintext.bootstrap, sasl_conf("SASL_PLAINTEXT", mechanism, password="wrong")
    )
    expected = "Invalid username or password" if mechanism == "PLAIN" else "invalid credentials"
    assert any("SASL authentication error" in e and expected in e for e in errors), errors
    assert sasl_plaintext.server.stats.failed_authentications > before
    produce_consume_group(sasl_plaintext, sasl_conf("SASL_PLAINTEXT", mechanism))  # a good client after


def test_an_unknown_user_fails_like_a_wrong_password(sasl_plaintext: ServedCluster) -> None:
    errors = connection_errors(
        sasl_plaintext.bootstrap, sasl_conf("SASL_PLAINTEXT", "SCRAM-SHA-256", "mallory", "x")
    )
    assert any("invalid credentials with SASL mechanism SCRAM-SHA-256" in e for e in errors), errors


def test_a_mechanism_the_listener_does_not_enable_is_refused() -> None:
    only_512 = sasl_listener(SecurityProtocol.SASL_PLAINTEXT, mechanisms=("SCRAM-SHA-512",))
    with secured(only_512, users=users()) as served:
        errors = connection_errors(served.bootstrap, sasl_conf("SASL_PLAINTEXT", "PLAIN"))
        assert any("SCRAM-SHA-512" in e and "PLAIN" in e for e in errors), errors
        with raw(served) as sock:
            sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
            body = decode(read_frame(sock), 17, 1)
            assert body.error_code == ErrorCode.UNSUPPORTED_SASL_MECHANISM
            assert body.mechanisms == ("SCRAM-SHA-512",)
            assert read_frame(sock) is None  # and the connection is closed


def test_a_plaintext_client_on_a_sasl_port_gets_nothing(sasl_plaintext: ServedCluster) -> None:
    assert connection_errors(sasl_plaintext.bootstrap, {})
    produce_consume_group(sasl_plaintext, sasl_conf("SASL_PLAINTEXT", "SCRAM-SHA-256"))


# --- the pre-authentication state, with raw frames ---


def raw(served: ServedCluster) -> socket.socket:
    host, port = served.server.addresses[1]
    return socket.create_connection((host, port), timeout=5)


def decode(frame: bytes | None, api_key: int, version: int) -> object:
    assert frame is not None, "the broker closed the connection instead of answering"
    # SaslAuthenticate v2 is flexible: response header v1 (a tagged-field byte after the id)
    offset = 5 if (api_key, version) == (36, 2) else 4
    body, _ = entity_reader(response_class(api_key, version))(frame, offset)
    return body


def plain_token(user: str, password: str) -> bytes:
    return f"\0{user}\0{password}".encode()


def test_no_request_is_served_before_authentication(sasl_plaintext: ServedCluster) -> None:
    with raw(sasl_plaintext) as sock:
        sock.sendall(request_frame(MetadataRequest(topics=None, allow_auto_topic_creation=False)))
        assert read_frame(sock) is None
    with raw(sasl_plaintext) as sock:  # after the handshake, only SaslAuthenticate
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        assert decode(read_frame(sock), 17, 1).error_code == ErrorCode.NONE
        sock.sendall(request_frame(MetadataRequest(topics=None, allow_auto_topic_creation=False)))
        assert read_frame(sock) is None
    with raw(sasl_plaintext) as sock:  # SaslAuthenticate before the handshake
        sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=plain_token("alice", PASSWORD))))
        assert read_frame(sock) is None


def test_sasl_authenticate_answers_failures_with_kafkas_code_and_closes(
    sasl_plaintext: ServedCluster,
) -> None:
    with raw(sasl_plaintext) as sock:
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        decode(read_frame(sock), 17, 1)
        sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=plain_token("alice", "nope"))))
        body = decode(read_frame(sock), 36, 2)
        assert body.error_code == ErrorCode.SASL_AUTHENTICATION_FAILED
        assert body.error_message == "Authentication failed: Invalid username or password"
        assert read_frame(sock) is None


def test_after_authentication_every_api_is_served_and_sasl_is_an_illegal_state(
    sasl_plaintext: ServedCluster,
) -> None:
    with raw(sasl_plaintext) as sock:
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        decode(read_frame(sock), 17, 1)
        sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=plain_token("alice", PASSWORD))))
        body = decode(read_frame(sock), 36, 2)
        assert body.error_code == ErrorCode.NONE
        assert body.session_lifetime.total_seconds() == 0  # connections.max.reauth.ms=0
        sock.sendall(request_frame(MetadataRequest(topics=None, allow_auto_topic_creation=False)))
        assert len(decode(read_frame(sock), 3, 4).brokers) == 1
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        assert decode(read_frame(sock), 17, 1).error_code == ErrorCode.ILLEGAL_SASL_STATE


def test_a_plaintext_listener_answers_sasl_with_illegal_state(served: ServedCluster) -> None:
    with raw(served) as sock:
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        assert decode(read_frame(sock), 17, 1).error_code == ErrorCode.ILLEGAL_SASL_STATE


def test_a_v0_handshake_takes_bare_tokens(sasl_plaintext: ServedCluster) -> None:
    """Before KIP-152 the tokens travel as bare size-prefixed frames after SaslHandshake v0."""
    token = plain_token("alice", PASSWORD)
    with raw(sasl_plaintext) as sock:
        sock.sendall(request_frame(SaslHandshakeV0(mechanism="PLAIN")))
        assert decode(read_frame(sock), 17, 0).error_code == ErrorCode.NONE
        sock.sendall(struct.pack(">i", len(token)) + token)
        assert read_frame(sock) == b""  # PLAIN's empty answer
        sock.sendall(request_frame(MetadataRequest(topics=None, allow_auto_topic_creation=False)))
        assert len(decode(read_frame(sock), 3, 4).brokers) == 1
    with raw(sasl_plaintext) as sock:
        sock.sendall(request_frame(SaslHandshakeV0(mechanism="PLAIN")))
        decode(read_frame(sock), 17, 0)
        bad = plain_token("alice", "nope")
        sock.sendall(struct.pack(">i", len(bad)) + bad)
        assert read_frame(sock) is None  # no way to say why in this framing: closed


# --- the other clients ---


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")
@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_kcat_over_sasl_ssl(security_certs: CertificateSet, mechanism: str) -> None:
    assert KCAT is not None
    with secured(sasl_listener(SecurityProtocol.SASL_SSL, security_certs), users=users()) as served:
        topic = f"t-{uuid.uuid4().hex[:8]}"
        served.call(served.cluster.create_topic(topic, 1, 1))
        args = [KCAT, "-b", served.bootstrap, "-X", "security.protocol=SASL_SSL",
                "-X", f"ssl.ca.location={security_certs.ca}", "-X", f"sasl.mechanism={mechanism}",
                "-X", "sasl.username=alice", "-X", f"sasl.password={PASSWORD}"]  # fmt: skip

        def run(*more: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*args, *more], input=stdin, capture_output=True, text=True, timeout=30, check=False
            )

        assert (done := run("-P", "-t", topic, stdin="one\ntwo\n")).returncode == 0, done.stderr
        consumed = run(
            "-G", f"g-{mechanism}", topic, "-o", "beginning", "-e", "-q", "-X", "auto.offset.reset=earliest"
        )
        assert consumed.returncode == 0, consumed.stderr
        assert consumed.stdout.split() == ["one", "two"]
        args[-1] = "sasl.password=wrong"
        failed = run("-L", "-m", "3")
        assert failed.returncode != 0
        assert "Authentication failed" in failed.stderr or "invalid credentials" in failed.stderr, (
            failed.stderr
        )


def test_kafka_python_with_scram_sha_512(sasl_plaintext: ServedCluster) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    topic = f"t-{uuid.uuid4().hex[:8]}"
    sasl_plaintext.call(sasl_plaintext.cluster.create_topic(topic, 1, 1))
    conf = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "alice", "sasl_plain_password": PASSWORD}  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=sasl_plaintext.bootstrap, **conf)
    for i in range(5):
        producer.send(topic, f"v{i}".encode())
    producer.flush(10)
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=sasl_plaintext.bootstrap, group_id="kp-sasl",
                             auto_offset_reset="earliest", consumer_timeout_ms=8000, **conf)  # fmt: skip
    values = [m.value for _, m in zip(range(5), consumer, strict=False)]
    consumer.close()
    assert values == [f"v{i}".encode() for i in range(5)]


def test_aiokafka_with_scram_sha_256_over_sasl_ssl(security_certs: CertificateSet) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.helpers import create_ssl_context

    async def run(bootstrap: str, topic: str) -> list[bytes]:
        conf = {"bootstrap_servers": bootstrap, "security_protocol": "SASL_SSL",
                "ssl_context": create_ssl_context(cafile=str(security_certs.ca)),
                "sasl_mechanism": "SCRAM-SHA-256", "sasl_plain_username": "alice",
                "sasl_plain_password": PASSWORD}  # fmt: skip
        producer = AIOKafkaProducer(**conf)
        await producer.start()
        try:
            for i in range(5):
                await producer.send_and_wait(topic, f"v{i}".encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, group_id="aio-sasl", auto_offset_reset="earliest", **conf)
        await consumer.start()
        try:
            values: list[bytes] = []
            async with asyncio.timeout(15):
                while len(values) < 5:
                    batch = await consumer.getmany(timeout_ms=500)
                    values += [r.value for records in batch.values() for r in records]
            await consumer.commit()
            return values
        finally:
            await consumer.stop()

    with secured(sasl_listener(SecurityProtocol.SASL_SSL, security_certs), users=users()) as served:
        topic = f"t-{uuid.uuid4().hex[:8]}"
        served.call(served.cluster.create_topic(topic, 1, 1))
        assert asyncio.run(run(served.bootstrap, topic)) == [f"v{i}".encode() for i in range(5)]


def test_handlers_see_who_sent_the_request() -> None:
    """The principal reaches every handler's RequestContext (what the authorizer will check)."""
    import dataclasses

    from kafkatui.wire.api import RequestContext
    from kafkatui.wire.dispatch import APIS

    seen: list[tuple[str, str]] = []
    metadata = APIS[3]

    async def handler(ctx: RequestContext, body: object) -> object:
        seen.append((ctx.principal, ctx.listener))
        return await metadata.handler(ctx, body)

    apis = {**APIS, 3: dataclasses.replace(metadata, handler=handler)}
    listener = sasl_listener(SecurityProtocol.SASL_PLAINTEXT)
    served = ServedCluster(brokers=1, apis=apis, listener=listener, users=users())
    try:
        assert not connection_errors(
            served.bootstrap, sasl_conf("SASL_PLAINTEXT", "SCRAM-SHA-256", "bob", "bob-secret")
        )
        assert seen and set(seen) == {("User:bob", "SASL_PLAINTEXT")}
    finally:
        served.close()
