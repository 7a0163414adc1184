"""The REST Proxy as the workbench sees it: every HTTP request it answers, on any route
(v2, v3), becomes a `RestRequestServed` event on the backend's bus, and every change to
its consumer instances a `RestConsumerChanged`, so the Events panel, the REST view and
the Cluster panel's REST clients follow "HTTP in, Kafka records out" as it happens.

It sits at the HTTP layer (one aiohttp middleware) rather than in the resources, so a
new route is observed without a line of its own. What records a request moved is read
from Confluent's answers, as the handler gave them to `json_response` (nothing decoded
again): a produce's per-record `offsets` (v2) or its one record's `offset` (v3), a
read's list of records. A streamed answer (v3's streaming produce) says none."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from kafkatui.backends.base import Backend
from kafkatui.common.events import RestConsumerChanged, RestRequestServed
from kafkatui.ecosystem.http import answered
from kafkatui.ecosystem.rest.consumers import ConsumerManager
from kafkatui.ecosystem.rest.instance import ConsumerInstance

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Timer = Callable[[], float]  # seconds, monotonic: time.perf_counter

# Route parameters naming a topic in v2 (`/topics/{topic}`) and in v3's records path.
_TOPIC_PARAMETERS = ("topic", "topic_name")


def _peer(request: web.Request) -> str:
    peername = request.transport.get_extra_info("peername") if request.transport is not None else None
    if isinstance(peername, tuple) and len(peername) >= 2:
        host, port = str(peername[0]), peername[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return request.remote or "?"


def records_moved(request: web.Request, response: web.StreamResponse) -> tuple[int | None, int | None]:
    """(records produced, records returned) by one answered request, where its answer
    says: a v2 produce's `offsets` without an error, a v3 produce's one record, a
    consumer read's list."""
    if response.status >= 300:
        return None, None
    produce = request.method == "POST" and any(p in request.match_info for p in _TOPIC_PARAMETERS)
    read = request.method == "GET" and request.path.rstrip("/").endswith("/records")
    if not (produce or read):
        return None, None
    body = answered(request)  # the answer as data, before it was encoded
    if read and isinstance(body, list):
        return None, len(body)
    if produce and isinstance(body, dict):
        offsets = body.get("offsets")
        if isinstance(offsets, list):
            return sum(1 for o in offsets if isinstance(o, dict) and o.get("error_code") is None), None
        if "offset" in body and body.get("error_code") is None:
            return 1, None
    return None, None


def instance_topics(instance: ConsumerInstance) -> tuple[str, ...]:
    """What an instance reads: its subscription, or the topics it assigned itself."""
    return tuple(instance.subscription()) or tuple(sorted({tp.topic for tp in instance.assignment()}))


class RestObserver:
    """Publishes the REST Proxy's requests and consumer instance changes on the backend's
    bus (stamped with the backend's clock; latency in wall time from `timer`)."""

    def __init__(
        self, backend: Backend, consumers: ConsumerManager, *, timer: Timer = time.perf_counter
    ) -> None:
        self.backend = backend
        self.consumers = consumers
        self.timer = timer
        self._known: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}

    def _now(self) -> int:
        return self.backend.clock.now_ms()

    def instance_closed(self, instance: ConsumerInstance, reason: str) -> None:
        """The manager closed an instance no request asked to close (expiry, shutdown)."""
        if self._known.pop((instance.group, instance.name), None) is not None:
            self._publish_instance(instance.group, instance.name, instance.format.value, (), reason)

    def _publish_instance(
        self, group: str, name: str, fmt: str, topics: tuple[str, ...], closed: str | None = None
    ) -> None:
        self.backend.bus.publish(
            RestConsumerChanged(
                timestamp_ms=self._now(),
                group_id=group,
                instance_id=name,
                format=fmt,
                topics=topics,
                closed=closed,
            )
        )

    def _instances_changed(self) -> None:
        now = {(i.group, i.name): (i.format.value, instance_topics(i)) for i in self.consumers.instances()}
        for key, (fmt, _) in list(self._known.items()):
            if key not in now:
                del self._known[key]
                self._publish_instance(*key, fmt, (), "deleted")
        for key, state in now.items():
            if self._known.get(key) != state:
                self._known[key] = state
                self._publish_instance(*key, *state)

    async def _observed(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = self.timer()
        status = 499  # nginx's "client closed request": it left before the answer
        response: web.StreamResponse | None = None
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:  # a redirect, raised past the error middleware
            status = error.status
            raise
        finally:
            latency_ms = (self.timer() - started) * 1000
            records_in, records_out = (None, None) if response is None else records_moved(request, response)
            self.backend.bus.publish(
                RestRequestServed(
                    timestamp_ms=self._now(),
                    method=request.method,
                    path=request.path_qs,
                    status=status,
                    latency_ms=round(latency_ms, 3),
                    peer=_peer(request),
                    user_agent=request.headers.get("User-Agent"),
                    records_in=records_in,
                    records_out=records_out,
                    group_id=request.match_info.get("group"),
                    instance_id=request.match_info.get("instance"),
                )
            )
            self._instances_changed()

    def install(self, app: web.Application) -> None:
        """Observe every request `app` answers: outermost, so it sees the answer the client
        gets, errors and refused media types included."""

        @web.middleware
        async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._observed(request, handler)

        app.middlewares.insert(0, observed)
