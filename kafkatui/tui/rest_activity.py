"""What the REST Proxy's events add up to, for the workbench: its recent requests, its
live consumer instances and its HTTP clients. Folded from the bus's `RestRequestServed`
and `RestConsumerChanged` (the service publishes them; the panels never reach into it),
so it reads the same whichever process the proxy runs in."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from kafkatui.common.events import Event, RestConsumerChanged, RestRequestServed

REST_EVENTS = (RestRequestServed, RestConsumerChanged)


@dataclass
class RestClient:
    """An HTTP client as the Cluster panel lists it: HTTP has no session to name one
    by (curl opens a new connection, from a new port, per command), so a client is a
    host and the User-Agent it sends."""

    host: str
    user_agent: str | None
    requests: int = 0
    last_request: str = ""  # "GET /topics → 200"
    last_ms: int = 0
    port: str = ""  # of its last request
    order: int = 0  # its last request's place among all (newest: highest)


@dataclass
class RestInstance:
    """A live v2 consumer instance."""

    group_id: str
    instance_id: str
    format: str
    topics: tuple[str, ...]
    last_seen_ms: int  # its last request (or its creation)


def _host_port(peer: str) -> tuple[str, str]:
    host, _, port = peer.rpartition(":")
    return (host, port) if host else (peer, "")


class RestActivity:
    """The fold: `add(events)` and read `requests` (newest last), `instances`, `clients`."""

    RECENT = 200  # requests kept

    def __init__(self) -> None:
        self.requests: deque[RestRequestServed] = deque(maxlen=self.RECENT)
        self.instances: dict[tuple[str, str], RestInstance] = {}
        self.clients: dict[tuple[str, str | None], RestClient] = {}
        self.served = 0  # every request since the workbench started

    def add(self, events: Iterable[Event]) -> bool:
        """Fold `events` in; True if any was the REST Proxy's."""
        changed = False
        for event in events:
            if isinstance(event, RestRequestServed):
                self._request(event)
                changed = True
            elif isinstance(event, RestConsumerChanged):
                self._instance(event)
                changed = True
        return changed

    def _request(self, event: RestRequestServed) -> None:
        self.requests.append(event)
        self.served += 1
        host, port = _host_port(event.peer)
        client = self.clients.setdefault((host, event.user_agent), RestClient(host, event.user_agent))
        client.requests += 1
        client.last_request = f"{event.method} {event.path} → {event.status}"
        client.last_ms = event.timestamp_ms
        client.port = port
        client.order = self.served
        if event.group_id is not None and event.instance_id is not None:
            instance = self.instances.get((event.group_id, event.instance_id))
            if instance is not None:
                instance.last_seen_ms = event.timestamp_ms

    def _instance(self, event: RestConsumerChanged) -> None:
        key = (event.group_id, event.instance_id)
        if event.closed is not None:
            self.instances.pop(key, None)
            return
        known = self.instances.get(key)
        last_seen = event.timestamp_ms if known is None else max(known.last_seen_ms, event.timestamp_ms)
        self.instances[key] = RestInstance(*key, event.format, event.topics, last_seen)


def records_text(event: RestRequestServed) -> str:
    """ "3 in", "5 out", or "" where the request moved none it could say."""
    parts = []
    if event.records_in is not None:
        parts.append(f"{event.records_in:,} in")
    if event.records_out is not None:
        parts.append(f"{event.records_out:,} out")
    return ", ".join(parts)


def latency_text(latency_ms: float) -> str:
    return f"{latency_ms:,.0f} ms" if latency_ms >= 100 else f"{latency_ms:.1f} ms"


def request_line(event: RestRequestServed) -> str:
    """One request as the Events panel tells it: "POST /topics/sales → 200 in 2.1 ms ·
    1 in" (records in: produced to Kafka; out: returned to the client)."""
    records = records_text(event)
    moved = f" · records {records}" if records else ""
    agent = f" · {event.user_agent}" if event.user_agent else ""
    took = latency_text(event.latency_ms)
    return f"{event.method} {event.path} → {event.status} in {took}{moved} · from {event.peer}{agent}"
