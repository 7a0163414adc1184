"""The REST Proxy as a running service: Confluent's v2 API over a cluster's backend on a
port (127.0.0.1:8082, Confluent's default, unless told otherwise). Avro, JSON Schema
and Protobuf records go through the Schema Registry at `schema_registry_url`
(Confluent's `schema.registry.url`); without one those formats are refused (42207).

v3 (`/v3/clusters/...`, application/json) is a second set of routes on the same
application (`v3.add_routes`), sharing v2's producer."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from kafkatui.backends.base import Backend
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.http import DEFAULT_MAX_BODY, HttpService, json_app
from kafkatui.ecosystem.rest import errors, v2, v3
from kafkatui.ecosystem.rest.consumers import INSTANCE_TIMEOUT_MS, REQUEST_TIMEOUT_MS, ConsumerManager
from kafkatui.ecosystem.rest.formats import V2_RESPONSE_TYPES
from kafkatui.ecosystem.rest.observe import RestObserver, Timer
from kafkatui.ecosystem.rest.produce import RestProducer
from kafkatui.ecosystem.serde.client import RegistryClient

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8082


@web.middleware
async def _kafka_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A Kafka error no resource turned into its own answer is KafkaExceptionMapper's
    50002 (50003 if retriable), naming the error, never a 500 with a traceback."""
    try:
        return await handler(request)
    except KafkaError as error:
        raise errors.from_kafka(error) from None


class RestService:
    """Start: listen. Close: stop listening, close every consumer instance (they leave
    their groups), then the producer."""

    def __init__(
        self,
        backend: Backend,
        *,
        schema_registry_url: str | None = None,
        port_flag: str = "--rest-port",
        instance_timeout_ms: int = INSTANCE_TIMEOUT_MS,
        request_timeout_ms: int = REQUEST_TIMEOUT_MS,
        max_body: int = DEFAULT_MAX_BODY,
        timer: Timer = time.perf_counter,
    ) -> None:
        self.backend = backend
        self.registry = None if schema_registry_url is None else RegistryClient(schema_registry_url)
        self.producer = RestProducer(backend, self.registry)
        self.consumers = ConsumerManager(
            backend,
            self.registry,
            instance_timeout_ms=instance_timeout_ms,
            request_timeout_ms=request_timeout_ms,
        )
        app = json_app(V2_RESPONSE_TYPES, max_body=max_body)
        app.middlewares.append(_kafka_errors)
        # Each request an event on the backend's bus (the workbench's Events and REST view).
        self.observer = RestObserver(backend, self.consumers, timer=timer)
        self.observer.install(app)
        self.consumers.on_closed = self.observer.instance_closed
        app[v2.BACKEND] = backend
        app[v2.PRODUCER] = self.producer
        app[v2.CONSUMERS] = self.consumers
        v2.add_routes(app)
        v3.add_routes(app, backend, self.producer, max_body=max_body)
        self.http = HttpService(app, name="the REST Proxy", port_flag=port_flag)

    @property
    def url(self) -> str | None:
        return self.http.url

    async def start(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> str:
        url = await self.http.start(host, port)
        self.consumers.start()
        return url

    async def close(self) -> None:
        await self.http.close()
        await self.consumers.close()
        with contextlib.suppress(KafkaError):
            await self.producer.close()
        if self.registry is not None:
            await self.registry.close()
