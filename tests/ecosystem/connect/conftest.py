"""A served kafkatui with a Connect worker: the cluster, its wire listeners and a
`ConnectService` on a free port run on a background thread's event loop (as in `kafkatui
serve`), so httpx, confluent-kafka and the CLI — which block — run in the test's thread.
The worker reaches the cluster through an `EmbeddedBackend`, or through a `RemoteBackend`
over the wire listener (`backend="remote"`). `restart_worker` closes the worker and
starts a new one on the same cluster, as a restarted worker process would."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.ecosystem.connect.service import ConnectService
from kafkatui.ecosystem.connect.worker import WorkerConfig
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.wire.server import WireServer

T = TypeVar("T")
# Short enough that a test sees committed offsets soon; Kafka's default is 60 s.
FLUSH_MS = 200


class ServedConnect:
    def __init__(self, backend: str = "embedded", brokers: int = 1, **worker: Any) -> None:
        self.kind = backend
        self.brokers = brokers
        self.worker_config = WorkerConfig(offset_flush_interval_ms=FLUSH_MS, **worker)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="connect", daemon=True)
        self._thread.start()
        self.call(self._open())
        self.http = httpx.Client(base_url=self.url, timeout=30)

    async def _open(self) -> None:
        defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
        self.cluster = await Cluster.open(None, brokers=self.brokers, seed=7, defaults=defaults)
        self.wire = WireServer(self.cluster, port_base=0)
        await self.wire.start()
        self.cluster.advertise_listeners(self.wire.bootstrap)
        self.backend: Backend
        if self.kind == "remote":
            self.backend = await RemoteBackend.connect(self.wire.bootstrap)
        else:
            self.backend = EmbeddedBackend(self.cluster)
        await self._start_worker()

    async def _start_worker(self, port: int = 0) -> None:
        self.service = ConnectService(self.backend, self.worker_config)
        self.url = await self.service.start(port)

    async def _restart_worker(self) -> None:
        port = self.service.http.listening.port if self.service.http.listening else 0
        await self.service.close()
        await self._start_worker(port)

    def restart_worker(self) -> None:
        self.call(self._restart_worker())

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
    def worker(self) -> Any:
        return self.service.worker

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        self.http.close()
        try:
            self.call(self._shut())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    # --- what tests ask -----------------------------------------------------------------

    def create(self, name: str, **config: Any) -> httpx.Response:
        return self.http.post("/connectors", json={"name": name, "config": config})

    def state(self, name: str) -> dict[str, Any]:
        answer = self.http.get(f"/connectors/{name}/status")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def until(self, check: Callable[[], Any], what: str, limit_s: float = 60) -> Any:
        """Wait (polling) until `check()` is truthy; fails naming `what` after `limit_s`."""
        deadline = time.monotonic() + limit_s
        while True:
            got = check()
            if got:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def until_state(self, name: str, state: str, task: int | None = 0) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            status = self.state(name)
            if task is None:
                return status if status["connector"]["state"] == state else None
            tasks = [t for t in status["tasks"] if t["id"] == task]
            return status if tasks and tasks[0]["state"] == state else None

        return self.until(reached, f"{name} task {task} {state}")

    def log(self, topic: str, partition: int = 0, limit: int = 100_000) -> list[Any]:
        return self.call(self.backend.read_log(topic, partition, 0, limit))


def lines_in(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def write_lines(path: Path, start: int, stop: int) -> list[str]:
    lines = [f"line {i:05d} {'x' * (i % 17)}" for i in range(start, stop)]
    with path.open("a") as out:
        out.write("".join(f"{line}\n" for line in lines))
    return lines


@pytest.fixture
def connect() -> Iterator[ServedConnect]:
    """A Connect worker on the embedded backend."""
    s = ServedConnect("embedded")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(params=["embedded", "remote"])
def connect_on(request: pytest.FixtureRequest) -> Iterator[ServedConnect]:
    """A Connect worker on each backend in turn."""
    s = ServedConnect(request.param)
    try:
        yield s
    finally:
        s.close()
