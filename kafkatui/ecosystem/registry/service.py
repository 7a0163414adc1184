"""The Schema Registry as a running service: the registry on a cluster's backend and
its REST API on a port (127.0.0.1:8081, Confluent's default, unless told otherwise)."""

from __future__ import annotations

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.http import HttpService
from kafkatui.ecosystem.registry.api import registry_app
from kafkatui.ecosystem.registry.registry import SchemaRegistry

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081


class RegistryService:
    """Start: replay `_schemas`, then listen. Close: stop listening, then the reader."""

    def __init__(self, backend: Backend, *, port_flag: str = "--schema-registry-port") -> None:
        self.registry = SchemaRegistry(backend)
        self.http = HttpService(registry_app(self.registry), name="the Schema Registry", port_flag=port_flag)

    @property
    def url(self) -> str | None:
        return self.http.url

    async def start(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> str:
        await self.registry.start()
        try:
            return await self.http.start(host, port)
        except BaseException:
            await self.registry.close()
            raise

    async def close(self) -> None:
        await self.http.close()
        await self.registry.close()
