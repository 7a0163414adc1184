"""ksqlDB as a running service: the engine over a cluster's backend and its REST API on
a port (127.0.0.1:8088, ksqlDB's default listener, unless told otherwise)."""

from __future__ import annotations

from pathlib import Path

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.http import HttpService, json_app
from kafkatui.ecosystem.ksql.engine import KsqlEngine
from kafkatui.ecosystem.ksql.rest import ENGINE, MEDIA_TYPES, add_routes, ksql_errors

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088


class KsqlService:
    """Start: the engine replays its command topic (the persistent queries start again),
    then the REST API listens. Close: end the push queries first (their handlers then
    finish: the HTTP server's shutdown would otherwise wait for each, up to its timeout),
    stop listening, then stop every persistent query."""

    def __init__(
        self,
        backend: Backend,
        *,
        state_dir: Path | None = None,
        schema_registry_url: str | None = None,
        port_flag: str = "--ksql-port",
    ) -> None:
        self.backend = backend
        self.engine = KsqlEngine(backend, state_dir=state_dir, schema_registry_url=schema_registry_url)
        self.app = json_app(MEDIA_TYPES)
        self.app.middlewares.append(ksql_errors)
        self.app[ENGINE] = self.engine
        add_routes(self.app)
        self.http = HttpService(self.app, name="ksqlDB", port_flag=port_flag)

    @property
    def url(self) -> str | None:
        return self.http.url

    async def start(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> str:
        await self.engine.start()
        try:
            return await self.http.start(host, port)
        except BaseException:
            await self.engine.close()
            raise

    async def close(self) -> None:
        await self.engine.close_pushes()
        await self.http.close()
        await self.engine.close()
