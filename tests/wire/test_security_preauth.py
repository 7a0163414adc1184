"""Kafka's rule, fuzzed: on a SASL listener no request reaches an API handler before the
connection has authenticated (only ApiVersions, and the SASL exchange, which the
listener itself runs). Whatever frames a client sends first, each is answered with an
auth error, ignored until more bytes come, or the connection is closed."""

from __future__ import annotations

import dataclasses
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.dispatch import APIS
from kafkatui.wire.security.credentials import MECHANISMS, CredentialStore
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.wire.conftest import ServedCluster
from tests.wire.test_frames import read_frame

API_VERSIONS = 18


class Recorder:
    def __init__(self) -> None:
        self.reached: list[int] = []

    def wrap(self, api: Api) -> Api:
        async def handler(ctx: RequestContext, body: Any) -> Any:
            self.reached.append(api.key)
            return await api.handler(ctx, body)

        return dataclasses.replace(api, handler=handler)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[ServedCluster, Recorder]]:
    recorder = Recorder()
    store = CredentialStore()
    store.add("alice", "alice-secret", MECHANISMS)
    listener = ListenerConfig.for_protocol(SecurityProtocol.SASL_PLAINTEXT)
    served = ServedCluster(
        brokers=1, apis={k: recorder.wrap(a) for k, a in APIS.items()}, listener=listener, users=store
    )
    try:
        yield served, recorder
    finally:
        served.close()


def header(api_key: int, version: int, correlation_id: int = 1) -> bytes:
    client_id = b"fuzz"
    return struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id


def framed(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


api_keys = st.one_of(st.sampled_from(sorted(APIS)), st.integers(-(2**15), 2**15 - 1))
random_bytes = st.binary(min_size=1, max_size=80).map(framed)
request_like = st.builds(
    lambda key, version, body: framed(header(key, version) + body),
    api_keys,
    st.integers(0, 16),
    st.binary(max_size=64),
)


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


sasl_exchange = st.builds(
    # a real handshake (v0 or v1) with any mechanism, then tokens that are not alice's password
    lambda version, mechanism, token: (
        framed(header(17, version) + _string(mechanism))
        + (framed(header(36, 0, 2) + struct.pack(">i", len(token)) + token) if version else framed(token))
    ),
    st.integers(0, 1),
    st.one_of(st.sampled_from([*MECHANISMS, "GSSAPI", "OAUTHBEARER"]), st.text(max_size=20)),
    st.binary(min_size=1, max_size=60),
)
frames = st.lists(st.one_of(random_bytes, request_like, sasl_exchange), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=frames)
def test_nothing_but_api_versions_reaches_a_handler_before_authentication(
    fuzzed: tuple[ServedCluster, Recorder], first: list[bytes]
) -> None:
    served, recorder = fuzzed
    host, port = served.server.addresses[1]
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.settimeout(0.3)
        try:
            for frame in first:
                sock.sendall(frame)
            while read_frame(sock) is not None:
                pass
        except (TimeoutError, ConnectionError):
            pass  # waiting for more bytes of a frame it was promised, or already gone
    assert set(recorder.reached) <= {API_VERSIONS}, recorder.reached


def test_the_listener_still_serves_after_the_fuzzing(fuzzed: tuple[ServedCluster, Recorder]) -> None:
    from confluent_kafka.admin import AdminClient

    served, recorder = fuzzed
    admin = AdminClient({"bootstrap.servers": served.bootstrap, "security.protocol": "SASL_PLAINTEXT",
                         "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "alice",
                         "sasl.password": "alice-secret"})  # fmt: skip
    assert 1 in admin.list_topics(timeout=10).brokers
    assert 3 in recorder.reached  # an authenticated Metadata does reach its handler
