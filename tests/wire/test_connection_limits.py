"""Hostile or careless connections (issue 17): Kafka's socket-server limits, with its
names and defaults, so a client announcing 100 MB and sending 10 bytes, or opening
hundreds of connections, cannot hold a broker's listener hostage."""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import time
from collections.abc import Iterator

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest

from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.logs import configure_logging
from kafkatui.wire.quotas import RefusalLog
from tests.wire.conftest import ServedCluster
from tests.wire.test_frames import connect, read_frame, request_frame

IDLE_MS = 300


@pytest.fixture
def limited() -> Iterator[ServedCluster]:
    s = ServedCluster(
        brokers=1,
        defaults=BrokerDefaults(
            group_initial_rebalance_delay_ms=0,
            socket_request_max_bytes=1024 * 1024,
            connections_max_idle_ms=IDLE_MS,
            max_connections=4,
            max_connections_per_ip=3,
        ),
    )
    try:
        yield s
    finally:
        s.close()


API_VERSIONS = ApiVersionsRequest(client_software_name="t", client_software_version="1")


def api_versions(sock: socket.socket) -> bytes:
    sock.sendall(request_frame(API_VERSIONS))
    return read_frame(sock)


def closed_by_peer(sock: socket.socket, within_s: float = 5) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def wait_for(check, timeout_s: float = 5) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_the_defaults_are_kafkas() -> None:
    d = BrokerDefaults()
    assert d.socket_request_max_bytes == 104_857_600
    assert d.connections_max_idle_ms == 600_000
    assert d.max_connections == d.max_connections_per_ip == 2**31 - 1


def test_a_frame_over_socket_request_max_bytes_is_refused_and_logged(
    limited: ServedCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kafkatui.wire.server")
    with connect(limited) as sock:
        sock.sendall(struct.pack(">i", 2 * 1024 * 1024) + b"x" * 10)
        assert closed_by_peer(sock)
    wait_for(lambda: limited.server.stats.too_large == 1)
    [line] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "request too large" in line.getMessage()
    assert "socket.request.max.bytes=1,048,576" in line.getMessage()
    assert "127.0.0.1:" in line.getMessage()  # the peer
    with connect(limited) as sock:  # the listener goes on
        assert api_versions(sock)


def test_a_half_sent_frame_is_closed_after_connections_max_idle_ms(limited: ServedCluster) -> None:
    with connect(limited) as sock:
        sock.sendall(struct.pack(">i", 1000) + b"0123456789")  # announces 1,000, sends 10
        assert closed_by_peer(sock, within_s=IDLE_MS / 1000 + 3)
    assert limited.server.stats.idle_closed == 1


def test_an_idle_connection_is_closed_but_a_busy_one_is_not(limited: ServedCluster) -> None:
    with connect(limited) as idle, connect(limited) as busy:
        for _ in range(4):  # requests more often than the idle time keep it open
            assert api_versions(busy)
            time.sleep(IDLE_MS / 1000 / 3)
        assert closed_by_peer(idle, within_s=IDLE_MS / 1000 + 3)
        assert api_versions(busy)


def test_a_slow_but_steady_sender_is_not_idle(limited: ServedCluster) -> None:
    frame = request_frame(API_VERSIONS)
    with connect(limited) as sock:
        for i in range(0, len(frame), 8):  # the whole frame takes longer than the idle time
            sock.sendall(frame[i : i + 8])
            time.sleep(IDLE_MS / 1000 / 4)
        assert read_frame(sock)


def test_max_connections_per_ip_refuses_the_next_one(limited: ServedCluster) -> None:
    held = [connect(limited) for _ in range(3)]
    try:
        for sock in held:
            assert api_versions(sock)
        with connect(limited) as fourth:
            assert closed_by_peer(fourth)
        assert limited.server.stats.refused_per_ip == 1
        held.pop().close()
        wait_for(lambda: limited.server.stats.connections == 2)
        with connect(limited) as again:  # a freed place is taken again
            assert api_versions(again)
    finally:
        for sock in held:
            sock.close()


def test_max_connections_makes_the_next_client_wait_for_a_slot() -> None:
    served = ServedCluster(
        brokers=1, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0, max_connections=2)
    )
    try:
        first, second = connect(served), connect(served)
        assert api_versions(first) and api_versions(second)
        with connect(served) as third:
            third.sendall(
                request_frame(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
            )
            third.settimeout(0.5)
            with pytest.raises(TimeoutError):
                third.recv(1)  # accepted by the OS, not served: Kafka's acceptor waits too
            assert served.server.stats.waiting == 1
            first.close()
            third.settimeout(5)
            assert read_frame(third)  # served once a slot freed
        second.close()
    finally:
        served.close()


def test_hundreds_of_stalled_connections_do_not_stop_a_new_client(limited: ServedCluster) -> None:
    stalled = []
    for _ in range(3):  # as many as one address may hold
        sock = connect(limited)
        sock.sendall(struct.pack(">i", 100_000) + b"0123456789")
        stalled.append(sock)
    try:
        for sock in stalled:
            assert closed_by_peer(sock, within_s=IDLE_MS / 1000 + 3)
        with connect(limited) as fresh:
            assert api_versions(fresh)
    finally:
        for sock in stalled:
            sock.close()


def test_refusal_warnings_are_rate_limited_per_reason(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    refusals = RefusalLog(logging.getLogger("test.refusals"), interval_s=1.0, now=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="test.refusals")
    written = [refusals.refused("request too large", 1, "10.0.0.1:5", "big") for _ in range(50)]
    assert written.count(True) == 1
    assert refusals.refused("idle connection closed", 1, "10.0.0.2:6", "idle")  # another reason
    now[0] = 1.5
    assert refusals.refused("request too large", 1, "10.0.0.1:7", "big")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[-1].endswith("(and 49 more like it since)")
    assert caplog.records[-1].held_back == 49  # type: ignore[attr-defined]


def test_serve_logs_refusals_as_json_lines(limited: ServedCluster) -> None:
    stream = io.StringIO()
    handler = configure_logging("json", stream)
    try:
        with connect(limited) as sock:
            sock.sendall(struct.pack(">i", 2 * 1024 * 1024))
            assert closed_by_peer(sock)
        wait_for(lambda: "request too large" in stream.getvalue())
    finally:
        logging.getLogger("kafkatui").removeHandler(handler)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines() if "too large" in text]
    assert line["level"] == "WARNING" and line["logger"] == "kafkatui.wire.server"
    assert line["reason"] == "request too large" and line["broker"] == 1
    assert line["peer"].startswith("127.0.0.1:")
