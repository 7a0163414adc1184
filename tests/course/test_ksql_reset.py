"""A lesson's rebuild with a ksqlDB server advertised but gone: the rebuild goes on
(every lesson's reset would otherwise fail on a server stopped elsewhere)."""

from __future__ import annotations

import socket

import pytest

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.course.ksql import drop_ksql_sources
from kafkatui.engine.cluster import Cluster


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing answers there


async def test_a_server_that_does_not_answer_leaves_the_reset_going(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    backend = EmbeddedBackend(await Cluster.open(None, brokers=1, clock=ManualClock(), seed=1))
    try:
        url = f"http://127.0.0.1:{_closed_port()}"
        monkeypatch.setattr(backend, "ksql_url", lambda: url)
        assert await drop_ksql_sources(backend, {"pageviews"}) == []
        assert any("did not answer" in r.getMessage() for r in caplog.records)
    finally:
        await backend.close()
