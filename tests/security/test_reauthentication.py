"""KIP-368: `connections.max.reauth.ms` is the SASL session's lifetime; a client
re-authenticates on its connection before the end (same mechanism, same principal) or
is disconnected, and librdkafka does so by itself."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from kio.schema.metadata.v4.request import MetadataRequest
from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode
from kafkatui.wire.security.credentials import MECHANISMS, CredentialStore
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.wire.conftest import ServedCluster
from tests.wire.test_frames import read_frame, request_frame
from tests.wire.test_security_sasl import decode, plain_token

confluent_kafka = pytest.importorskip("confluent_kafka")

LIFETIME_MS = 60_000


def users() -> CredentialStore:
    store = CredentialStore()
    store.add("alice", "alice-pw", MECHANISMS)
    store.add("bob", "bob-pw", MECHANISMS)
    return store


@pytest.fixture(scope="module")
def manual() -> Iterator[ServedCluster]:
    listener = ListenerConfig.for_protocol(SecurityProtocol.SASL_PLAINTEXT, max_reauth_ms=LIFETIME_MS)
    served = ServedCluster(brokers=1, listener=listener, users=users(), clock=ManualClock())
    try:
        yield served
    finally:
        served.close()


def advance(served: ServedCluster, ms: int) -> None:
    assert isinstance(served.cluster.clock, ManualClock)
    served.call(served.cluster.clock.advance(ms))


def login(sock: socket.socket, user: str, password: str, mechanism: str = "PLAIN") -> object:
    sock.sendall(request_frame(SaslHandshakeRequest(mechanism=mechanism)))
    assert decode(read_frame(sock), 17, 1).error_code == ErrorCode.NONE
    sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=plain_token(user, password))))
    return decode(read_frame(sock), 36, 2)


def metadata_answered(sock: socket.socket) -> bool:
    sock.sendall(request_frame(MetadataRequest(topics=None, allow_auto_topic_creation=False)))
    return read_frame(sock) is not None


def connect(served: ServedCluster) -> socket.socket:
    return socket.create_connection(served.server.addresses[1], timeout=5)


def test_a_re_authenticated_session_outlives_the_first(manual: ServedCluster) -> None:
    with connect(manual) as sock:
        first = login(sock, "alice", "alice-pw")
        assert first.error_code == ErrorCode.NONE
        assert first.session_lifetime.total_seconds() * 1000 == LIFETIME_MS
        advance(manual, 40_000)
        again = login(sock, "alice", "alice-pw")  # SaslHandshake v1 on an authenticated connection
        assert again.error_code == ErrorCode.NONE
        assert again.session_lifetime.total_seconds() * 1000 == LIFETIME_MS
        advance(manual, 40_000)  # past the first session's end, within the second's
        assert metadata_answered(sock)
        assert any(c.reauthentications == 1 for c in manual.server.clients())


def test_a_session_past_its_end_is_disconnected(manual: ServedCluster) -> None:
    expired = manual.server.stats.expired_sessions
    with connect(manual) as sock:
        assert login(sock, "alice", "alice-pw").error_code == ErrorCode.NONE
        assert metadata_answered(sock)
        advance(manual, LIFETIME_MS + 1)
        assert not metadata_answered(sock)  # closed unanswered, as Kafka's SocketServer does
    assert manual.server.stats.expired_sessions == expired + 1
    with connect(manual) as sock:  # a re-handshake too late is no rescue
        assert login(sock, "alice", "alice-pw").error_code == ErrorCode.NONE
        advance(manual, LIFETIME_MS + 1)
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN")))
        assert read_frame(sock) is None


def test_re_authentication_keeps_the_principal_and_the_mechanism(manual: ServedCluster) -> None:
    with connect(manual) as sock:
        assert login(sock, "alice", "alice-pw").error_code == ErrorCode.NONE
        switched = login(sock, "bob", "bob-pw")
        assert switched.error_code == ErrorCode.SASL_AUTHENTICATION_FAILED
        assert (
            switched.error_message
            == "Cannot change principals during re-authentication from User.alice: User.bob"
        )
        assert read_frame(sock) is None
    with connect(manual) as sock:
        assert login(sock, "alice", "alice-pw").error_code == ErrorCode.NONE
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="SCRAM-SHA-512")))
        assert decode(read_frame(sock), 17, 1).error_code == ErrorCode.NONE
        sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=b"n,,n=alice,r=abc")))
        body = decode(read_frame(sock), 36, 2)
        assert body.error_code == ErrorCode.SASL_AUTHENTICATION_FAILED
        assert "not supported for re-authentication of mechanism 'PLAIN'" in body.error_message
        assert read_frame(sock) is None


def test_librdkafka_re_authenticates_before_its_session_ends() -> None:
    listener = ListenerConfig.for_protocol(SecurityProtocol.SASL_PLAINTEXT, max_reauth_ms=1_000)
    served = ServedCluster(brokers=1, listener=listener, users=users())
    try:
        producer = confluent_kafka.Producer({
            "bootstrap.servers": served.bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": "alice-pw",
        })  # fmt: skip
        topic = f"reauth-{uuid.uuid4().hex[:6]}"
        deadline = time.monotonic() + 20
        while served.server.stats.reauthentications < 2 and time.monotonic() < deadline:
            producer.produce(topic, b"still me")
            assert producer.flush(10) == 0
        assert served.server.stats.reauthentications >= 2
        assert served.server.stats.expired_sessions == 0
        producer.produce(topic, b"after")
        assert producer.flush(10) == 0
    finally:
        served.close()
