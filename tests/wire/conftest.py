"""A served cluster for client tests: the engine and its listeners run in a background
thread's event loop (real clock, free ports), so the real clients — which block — run
in the test's own thread, as they would in a user's program."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

import pytest

from kafkatui.common.clock import Clock
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.wire.api import Api
from kafkatui.wire.security import certs
from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.credentials import CredentialStore
from kafkatui.wire.security.listener import ListenerConfig
from kafkatui.wire.server import WireServer

T = TypeVar("T")


class ServedCluster:
    """A 3-broker in-memory cluster speaking the Kafka protocol on free ports."""

    def __init__(
        self,
        brokers: int = 3,
        defaults: BrokerDefaults | None = None,
        apis: Mapping[int, Api] | None = None,
        listener: ListenerConfig | None = None,
        users: CredentialStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="wire-server", daemon=True)
        self._thread.start()
        # Kafka's development setting: a new group rebalances at once instead of waiting
        # 3 s for more members (group.initial.rebalance.delay.ms=0).
        defaults = defaults or BrokerDefaults(group_initial_rebalance_delay_ms=0)
        self.cluster: Cluster = self.call(
            Cluster.open(None, brokers=brokers, seed=11, defaults=defaults, clock=clock)
        )
        if users is not None:  # the SASL users, in the cluster's metadata as Kafka keeps them
            self.call(self.cluster.controller.scram.alter(users.credentials()))
        self.server = WireServer(self.cluster, port_base=0, apis=apis, listener=listener)
        self.call(self.server.start())

    @property
    def bootstrap(self) -> str:
        return self.server.bootstrap

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's loop (engine calls must stay on it)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        try:
            self.call(self.server.close())
            self.call(self.cluster.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def security_certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateSet:
    """One CA, broker and client certificate set for every security test (`certs create`'s)."""
    return certs.create(tmp_path_factory.mktemp("certs"))
