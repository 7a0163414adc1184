"""Kafka Connect as a running service: a worker over a cluster's backend and the Connect
REST API on a port (127.0.0.1:8083, Connect's default, unless told otherwise)."""

from __future__ import annotations

from dataclasses import replace

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.connect.forward import forwarding
from kafkatui.ecosystem.connect.rest import WORKER, add_routes
from kafkatui.ecosystem.connect.worker import Worker, WorkerConfig
from kafkatui.ecosystem.http import JSON, HttpService, json_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8083


class ConnectService:
    """Start: listen (the port names the worker: worker_id is host:port), then start the
    worker, which reads the internal topics and resumes its connectors. Close: stop
    listening, then the worker (its tasks commit their offsets)."""

    def __init__(
        self, backend: Backend, config: WorkerConfig | None = None, *, port_flag: str = "--connect-port"
    ) -> None:
        self.backend = backend
        self.config = config or WorkerConfig()
        self.worker = Worker(backend, self.config)
        self.app = json_app((JSON,))
        self.app[WORKER] = self.worker
        self.app.middlewares.append(forwarding(self.worker))
        add_routes(self.app)
        self.http = HttpService(self.app, name="Kafka Connect", port_flag=port_flag)

    @property
    def url(self) -> str | None:
        return self.http.url

    async def start(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> str:
        url = await self.http.start(host, port)
        assert self.http.listening is not None
        self.worker.config = replace(
            self.worker.config,
            worker_id=f"{host}:{self.http.listening.port}",
            rest_advertised_listener=self.http.listening.scheme,
        )
        try:
            await self.worker.start()
        except BaseException:
            await self.http.close()
            raise
        return url

    async def close(self) -> None:
        await self.http.close()
        if self.worker.started:
            await self.worker.close()
