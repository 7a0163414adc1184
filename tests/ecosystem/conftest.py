"""A served kafkatui with its Schema Registry: the cluster, its wire listeners and the
registry run on a background thread's event loop (as in `kafkatui serve`), so the real
confluent-kafka clients — which block — run in the test's thread. The registry reaches
the cluster through an `EmbeddedBackend`, or through a `RemoteBackend` attached to the
served cluster over the wire (the `backend` parameter)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.ecosystem.registry.service import RegistryService
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.wire.server import WireServer

T = TypeVar("T")
BACKENDS = ["embedded", "remote"]


class ServedRegistry:
    def __init__(self, backend: str = "embedded", data_dir: Path | None = None, brokers: int = 3) -> None:
        self.kind = backend
        self.data_dir = data_dir
        self.brokers = brokers
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="registry", daemon=True)
        self._thread.start()
        self.call(self._open())

    async def _open(self) -> None:
        defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
        self.cluster = await Cluster.open(self.data_dir, brokers=self.brokers, seed=11, defaults=defaults)
        self.wire = WireServer(self.cluster, port_base=0)
        await self.wire.start()
        self.cluster.advertise_listeners(self.wire.bootstrap)
        self.backend: Backend
        if self.kind == "remote":
            self.backend = await RemoteBackend.connect(self.wire.bootstrap)
        else:
            self.backend = EmbeddedBackend(self.cluster)
        self.service = RegistryService(self.backend)
        self.url = await self.service.start(0)

    async def _shut(self) -> None:
        await self.service.close()
        if self.kind == "remote":
            await self.backend.close()
        await self.wire.close()
        await self.cluster.close()

    @property
    def bootstrap(self) -> str:
        return self.wire.bootstrap

    @property
    def registry(self) -> Any:
        return self.service.registry

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def restart(self) -> None:
        """Close everything and open the same data dir again (a new process would)."""
        self.call(self._shut())
        self.call(self._open())

    def close(self) -> None:
        try:
            self.call(self._shut())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


@pytest.fixture(params=BACKENDS)
def served_registry(request: pytest.FixtureRequest) -> Iterator[ServedRegistry]:
    """The registry on each backend in turn."""
    s = ServedRegistry(request.param)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def registry() -> Iterator[ServedRegistry]:
    """The registry on the embedded backend (for what does not depend on the backend)."""
    s = ServedRegistry("embedded", brokers=1)
    try:
        yield s
    finally:
        s.close()
