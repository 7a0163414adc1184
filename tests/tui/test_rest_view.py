"""The REST Proxy in the workbench: each HTTP request a line in the Events panel, the
REST view (`r` there) with recent requests and live consumer instances, and the Cluster
panel's REST clients beside the wire clients. Real HTTP (httpx) to the REST Proxy
running on the app's own cluster, in the app's event loop, as the workbench runs it."""

from __future__ import annotations

import asyncio
import itertools

import httpx
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, DataTable, RichLog

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.rest.service import RestService
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from tests.tui.conftest import SIZE

V2 = "application/vnd.kafka.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
AGENT = {"User-Agent": "teacher-demo/1.0"}


def steady_timer(step_s: float = 0.0021) -> itertools.count[float]:
    """A request's latency clock that moves `step_s` per reading: each request takes
    that long, so the view is the same every run (a ManualClock for latency)."""
    return itertools.count(0.0, step_s)


def rest_app() -> KafkaTuiApp:
    """The workbench on a seeded manual-clock cluster with its REST Proxy on a free
    port (latencies from `steady_timer`)."""
    timer = steady_timer()

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        backend = EmbeddedBackend(cluster)
        services = ServiceHost(cluster)
        rest = RestService(backend, timer=lambda: next(timer))
        await rest.start(0)
        services.rest = rest
        backend.attach_listeners(services)
        await backend.create_topic("sales", 2, 1)
        return backend

    return KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)


def client(app: KafkaTuiApp, url: str | None = None) -> httpx.AsyncClient:
    assert app.backend is not None
    url = url or app.backend.rest_proxy_url()
    assert url is not None
    return httpx.AsyncClient(base_url=url, headers=AGENT)


async def produce_over_http(app: KafkaTuiApp, http: httpx.AsyncClient, body: dict) -> httpx.Response:  # type: ignore[type-arg]
    """POST records, moving the manual clock until the answer comes (the REST Proxy's
    producer lingers linger.ms on the cluster's clock), then on to the next whole second,
    so what follows happens at the same cluster time every run."""
    backend = app.backend
    assert isinstance(backend, EmbeddedBackend) and isinstance(backend.clock, ManualClock)
    sent = asyncio.ensure_future(http.post("/topics/sales", json=body, headers={"Content-Type": BINARY}))
    await backend.cluster.advance_until(sent.done, limit_ms=30_000, step_ms=1)
    await backend.clock.advance(1_000 - backend.clock.now_ms() % 1_000)
    return await sent


async def teach(app: KafkaTuiApp, pilot: Pilot, url: str | None = None) -> None:
    """What a teacher does: produce two records over HTTP, create a consumer instance,
    subscribe it, ask for a topic that is not there."""
    async with client(app, url) as http:
        body = {"records": [{"value": "aGk="}, {"value": "dGhlcmU=", "partition": 1}]}
        produced = await produce_over_http(app, http, body)
        assert produced.status_code == 200, produced.text
        created = await http.post("/consumers/billing", json={"name": "reader", "format": "binary"},
                                  headers={"Content-Type": V2})  # fmt: skip
        assert created.status_code == 200, created.text
        subscribed = await http.post("/consumers/billing/instances/reader/subscription",
                                     json={"topics": ["sales"]}, headers={"Content-Type": V2})  # fmt: skip
        assert subscribed.status_code == 204
        assert (await http.get("/topics/nowhere")).status_code == 404
    await pilot.pause(0.2)


def cells(table: DataTable) -> list[list[str]]:  # type: ignore[type-arg]
    return [
        [str(c.plain if isinstance(c, Text) else c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


async def test_each_request_is_a_line_in_the_events_panel() -> None:
    app = rest_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("5")
        await teach(app, pilot)
        lines = [strip.text for strip in app.query_one("#event-log", RichLog).lines]
        text = "\n".join(lines)
        assert "RestRequestServed" in text
        assert "POST /topics/sales → 200 in 2.1 ms · records 2 in · from 127.0.0.1:" in text
        assert "GET /topics/nowhere → 404 in 2.1 ms" in text
        # HTTP in, Kafka records out: the append follows the request in the same list.
        produced = next(i for i, line in enumerate(lines) if "POST /topics/sales" in line)
        assert any("RecordAppended" in line and "topic=sales" in line for line in lines[:produced])
        assert "RestConsumerChanged" in text and "instance_id=reader" in text


async def test_the_rest_view_shows_requests_and_live_instances() -> None:
    app = rest_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("5", "r")
        await pilot.pause()
        assert app.query_one("#events-switcher", ContentSwitcher).current == "events-rest"
        await teach(app, pilot)
        requests = cells(app.query_one("#rest-requests", DataTable))
        assert requests == [  # newest first
            ["GET", "/topics/nowhere", "404", "2.1 ms", ""],
            ["POST", "/consumers/billing/instances/reader/subscription", "204", "2.1 ms", ""],
            ["POST", "/consumers/billing", "200", "2.1 ms", ""],
            ["POST", "/topics/sales", "200", "2.1 ms", "2 in"],
        ]
        instances = cells(app.query_one("#rest-instances", DataTable))
        assert [r[:4] for r in instances] == [["billing", "reader", "binary", "sales"]]
        # Deleted, it is gone from the view; the delete is one more request.
        async with client(app) as http:
            assert (await http.delete("/consumers/billing/instances/reader")).status_code == 204
        await pilot.pause(0.2)
        assert app.query_one("#rest-instances", DataTable).row_count == 0
        assert cells(app.query_one("#rest-requests", DataTable))[0][:3] == [
            "DELETE",
            "/consumers/billing/instances/reader",
            "204",
        ]
        # r again: back to the events; f (the timeline's filter) from the view goes there too.
        await pilot.press("r")
        await pilot.pause()
        assert app.query_one("#events-switcher", ContentSwitcher).current == "events-timeline"
        await pilot.press("r", "f")
        await pilot.pause()
        assert app.query_one("#events-switcher", ContentSwitcher).current == "events-timeline"


async def test_the_cluster_panel_lists_rest_clients_beside_wire_clients() -> None:
    app = rest_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("1")
        await teach(app, pilot)
        assert app.query_one("#rest-clients", DataTable).display
        [row] = cells(app.query_one("#rest-clients", DataTable))
        host, agent, count, last, _ = row
        assert (host, agent, count, last) == (
            "127.0.0.1",
            "teacher-demo/1.0",
            "4",
            "GET /topics/nowhere → 404",
        )
        # Another program is another row.
        async with httpx.AsyncClient(base_url=app.backend.rest_proxy_url() or "") as other:  # type: ignore[union-attr]
            await other.get("/brokers", headers={"User-Agent": "curl/8.5.0"})
        await pilot.pause(0.2)
        rows = cells(app.query_one("#rest-clients", DataTable))
        assert [(r[1], r[2], r[3]) for r in rows] == [
            ("curl/8.5.0", "1", "GET /brokers → 200"),
            ("teacher-demo/1.0", "4", "GET /topics/nowhere → 404"),
        ]


def test_snapshot_rest_view(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = rest_app()

    async def run_before(pilot: Pilot) -> None:
        await app.ready.wait()
        backend = app.backend
        assert isinstance(backend, EmbeddedBackend)
        url = backend.rest_proxy_url()
        # The one thing that changes run to run is the free port: shown as the default's.
        backend.rest_proxy_url = lambda: "http://127.0.0.1:8082"  # type: ignore[method-assign]
        await pilot.press("5", "r")
        await teach(app, pilot, url)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
