"""Every REST Proxy request is an event on the backend's bus (method, path, status,
latency, the records it moved, who sent it), errors and refused media types included,
and every consumer instance's life (created, subscribed, deleted, expired) too: what the
workbench's Events panel, REST view and Cluster panel show."""

from __future__ import annotations

import time

import httpx

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.events import Event, RestConsumerChanged, RestRequestServed
from kafkatui.ecosystem.rest.service import RestService
from tests.ecosystem.rest_support import BINARY, ServedRest, rest

__all__ = ["rest"]

AGENT = {"User-Agent": "teacher-demo/1.0"}


def _collect(served: ServedRest) -> list[Event]:
    seen: list[Event] = []
    served.backend.bus.listen(seen.append)
    return seen


def _requests(seen: list[Event]) -> list[RestRequestServed]:
    return [e for e in seen if isinstance(e, RestRequestServed)]


def _instances(seen: list[Event]) -> list[RestConsumerChanged]:
    return [e for e in seen if isinstance(e, RestConsumerChanged)]


def test_a_produce_is_one_event_with_its_records(rest: ServedRest) -> None:
    rest.create_topic("orders", partitions=2)
    seen = _collect(rest)
    body = {"records": [{"value": "YQ=="}, {"value": "Yg=="}, {"value": "Yw==", "partition": 1}]}
    answer = rest.http.post("/topics/orders", json=body, headers={"Content-Type": BINARY, **AGENT})
    assert answer.status_code == 200
    [event] = _requests(seen)
    assert (event.method, event.path, event.status) == ("POST", "/topics/orders", 200)
    assert (event.records_in, event.records_out) == (3, None)
    assert event.user_agent == "teacher-demo/1.0"
    host, port = event.peer.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    assert event.latency_ms >= 0
    assert 0 < event.timestamp_ms <= rest.backend.clock.now_ms()  # the cluster's clock


def test_errors_are_events_with_their_status(rest: ServedRest) -> None:
    seen = _collect(rest)
    assert rest.http.get("/topics/missing").status_code == 404
    assert rest.http.get("/topics", headers={"Accept": "text/html"}).status_code == 406
    wrong = rest.http.post("/topics/missing", content=b"{", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    assert [(e.method, e.path, e.status, e.records_in) for e in _requests(seen)] == [
        ("GET", "/topics/missing", 404, None),
        ("GET", "/topics", 406, None),
        ("POST", "/topics/missing", 415, None),
    ]


def test_a_consumer_instance_life_is_told(rest: ServedRest) -> None:
    rest.create_topic("ledger")
    rest.produce("ledger", [{"value": {"n": n}} for n in range(4)])
    seen = _collect(rest)
    instance = rest.consumer("accounts", name="reader", format="json", **{"auto.offset.reset": "earliest"})
    rest.post(f"{instance}/subscription", {"topics": ["ledger"]})
    assert len(rest.read_until(instance, 4)) == 4
    assert rest.http.delete(instance).status_code == 204

    changes = [(e.group_id, e.instance_id, e.format, e.topics, e.closed) for e in _instances(seen)]
    assert changes == [
        ("accounts", "reader", "json", (), None),
        ("accounts", "reader", "json", ("ledger",), None),
        ("accounts", "reader", "json", (), "deleted"),
    ]
    reads = [e for e in _requests(seen) if e.path.startswith(f"{instance}/records")]
    assert sum(e.records_out or 0 for e in reads) == 4
    assert all((e.group_id, e.instance_id) == ("accounts", "reader") for e in reads)
    created = _requests(seen)[0]
    assert (created.method, created.path, created.group_id, created.instance_id) == (
        "POST",
        "/consumers/accounts",
        "accounts",
        None,
    )


def test_an_expired_instance_is_told_as_expired() -> None:
    served = ServedRest("embedded", instance_timeout_ms=1_000)
    try:
        served.create_topic("t")
        seen = _collect(served)
        served.consumer("sleepy", name="idle", format="binary")
        deadline = time.monotonic() + 15
        while served.rest.consumers.instances() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [(e.instance_id, e.closed) for e in _instances(seen)] == [("idle", None), ("idle", "expired")]
    finally:
        served.close()


def test_records_read_in_another_format_are_counted(rest: ServedRest) -> None:
    rest.create_topic("raw")
    rest.produce("raw", [{"value": "eA=="}], content_type=BINARY)
    seen = _collect(rest)
    instance = rest.consumer("g", format="binary", **{"auto.offset.reset": "earliest"})
    rest.post(f"{instance}/subscription", {"topics": ["raw"]})
    assert len(rest.read_until(instance, 1, accept=BINARY)) == 1
    # An empty read says 0 records out, not "unknown".
    empty = rest.records(instance, BINARY, timeout=100)
    assert empty.json() == []
    reads = [e for e in _requests(seen) if "/records" in e.path]
    assert reads[-1].records_out == 0
    assert sum(e.records_out or 0 for e in reads) == 1


async def test_v3_routes_are_observed_too() -> None:
    """v3's routes live in their own modules and need no line of their own: a v3 topic
    listing and a v3 produce (answered as a stream, so its records out are unknown) are
    events like v2's."""
    backend = await EmbeddedBackend.open(brokers=1)
    await backend.create_topic("t", 1)
    service = RestService(backend)
    seen: list[Event] = []
    backend.bus.listen(seen.append)
    try:
        url = await service.start(0)
        async with httpx.AsyncClient(base_url=url) as http:
            (cluster,) = (await http.get("/v3/clusters")).json()["data"]
            base = f"/v3/clusters/{cluster['cluster_id']}/topics"
            assert (await http.get(base)).status_code == 200
            answer = await http.post(f"{base}/t/records", json={"value": {"type": "JSON", "data": 1}})
        assert answer.status_code == 200 and answer.json()["offset"] == 0
        events = [(e.method, e.path, e.status) for e in _requests(seen)]
        assert events == [
            ("GET", "/v3/clusters", 200),
            ("GET", base, 200),
            ("POST", f"{base}/t/records", 200),
        ]
    finally:
        await service.close()
        await backend.close()
