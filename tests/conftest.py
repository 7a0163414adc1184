"""Shared fixtures: clusters on a manual clock with a fixed seed, so runs repeat exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kafkatui.common.clients import ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def cluster(clock: ManualClock) -> AsyncIterator[Cluster]:
    """A three-broker in-memory cluster."""
    c = await Cluster.open(None, brokers=3, clock=clock, seed=7)
    yield c
    await c.close()


@pytest.fixture
async def disk_cluster(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Cluster]:
    """A three-broker cluster with its databases under tmp_path."""
    c = await Cluster.open(tmp_path / "data", brokers=3, clock=clock, seed=7)
    yield c
    await c.close()


def fast_producer(cluster: Cluster, **overrides: object) -> Producer:
    """A producer that sends without lingering, so tests need not move the clock."""
    settings: dict[str, object] = {"linger_ms": 0, **overrides}
    return Producer(cluster, ProducerConfig(**settings))  # type: ignore[arg-type]


async def crash_broker(cluster: Cluster, clock: ManualClock, broker_id: int) -> int:
    """Crash a broker and move the clock until the controller has fenced it (after
    broker.session.timeout.ms without heartbeats); returns how long that took."""
    await cluster.stop_broker(broker_id, crash=True)
    return await cluster.advance_until(lambda: cluster.broker_state(broker_id) == "stopped")
