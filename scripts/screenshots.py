"""Drive the workbench with a pilot and write one SVG per main screen to screenshots/.

    python scripts/screenshots.py [--out screenshots] [--only schemas|connect|records]

The cluster is in memory, seeded and on a manual clock, so the pictures only change when
the UI does. Regenerate them whenever a screen changes and commit the SVGs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, Select, Switch

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.engine.clients.partitioner import partition_for_key
from kafkatui.engine.cluster import Cluster
from kafkatui.lessons.sample import sample_setup
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings

SIZE = (120, 36)
KEY_PARTITION = partition_for_key(b"client-1", 3)  # where the produce screenshots' key goes


async def shoot(out: Path) -> list[Path]:
    async def factory() -> EmbeddedBackend:
        return EmbeddedBackend(await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7))

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=True)
    written: list[Path] = []

    def save(name: str) -> None:
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"kafkatui — {name}"), encoding="utf-8")
        written.append(path)

    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.pause()
        save("welcome")
        await pilot.press("e")
        assert app.backend is not None
        await sample_setup(app.backend)
        await app.backend.produce(ProduceRequest("sales", '{"product": "lamp", "price": 30}', key="client-2"))
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.press("1")
        await pilot.pause(0.3)
        save("cluster")
        await pilot.press("2")
        await pilot.pause(0.3)
        save("topics")
        await pilot.press("n")
        await pilot.press(*"orders")
        await pilot.pause(0.2)
        save("create-topic")
        await pilot.press("escape")
        await pilot.press("3")
        await pilot.pause(0.3)
        await app.panel("log").show("sales", 0, 1)  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        save("log")
        await pilot.press("4")
        await pilot.pause(0.3)
        produce = app.panel("produce")
        produce.query_one("#topic", Select).value = "sales"
        produce.query_one("#key", Input).value = "client-1"
        produce.query_one("#value", Input).value = '{"product": "lamp", "price": 30}'
        await pilot.pause(0.2)
        await pilot.press("ctrl+s")
        await pilot.pause(1.5)
        save("produce")
        # Transactions: one aborted, one committed, one left open; the Log view as a
        # read_committed consumer sees it.
        produce.query_one("#transactional", Switch).value = True
        for value, end in (("refund", "x"), ("paid", "c"), ("pending", None)):
            produce.query_one("#send", Button).focus()
            await pilot.press("b")
            await app.workers.wait_for_complete()
            produce.query_one("#value", Input).value = f'{{"order": 7, "status": "{value}"}}'
            await pilot.press("ctrl+s")
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            if end is not None:
                produce.query_one("#send", Button).focus()
                await pilot.press(end)
                await app.workers.wait_for_complete()
        await pilot.press("3")
        await app.panel("log").show("sales", KEY_PARTITION, 1)  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        await pilot.press("escape", "i")  # details closed: the whole row shows
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        save("transactions")
        await pilot.press("i")
        await pilot.press("5")
        await pilot.pause(0.3)
        save("events")
        await pilot.press("f1")
        await pilot.pause(0.3)
        save("help")
        await pilot.press("escape")
        # A group of two consumers on clients; consumer-1 paused while records arrive.
        cluster = app.backend.cluster  # type: ignore[attr-defined]
        await pilot.press("7", "a", "a")
        await cluster.advance_until(
            lambda: sum(len(c.partitions) for c in app.backend.consumers()) == 3,  # type: ignore[union-attr]
            limit_ms=60_000,
        )
        start = cluster.clock.now_ms()  # past auto.commit.interval.ms: offsets committed
        await cluster.advance_until(lambda: cluster.clock.now_ms() >= start + 6_000)
        await pilot.click("#groups-members _Column")
        await pilot.press("p")
        for i in range(9):
            await app.backend.produce(ProduceRequest("clients", f"visit-{i}", partition=i % 3, acks="1"))
            await cluster.advance_until(lambda: True)
            start = cluster.clock.now_ms()
            await cluster.advance_until(lambda: cluster.clock.now_ms() >= start + 1_000)  # noqa: B023
        await app.panel("groups").refresh_data()  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        save("groups")
        # Mid-election: broker 2 crashed; on the manual clock the controller never notices.
        await pilot.press("6", "right", "k")
        await app.backend.cluster.settle()  # type: ignore[attr-defined]
        await app.panel("partitions").refresh_data()
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        save("partitions")
    written.append(await shoot_schemas(out))
    written.append(await shoot_connect(out))
    written.append(await shoot_records(out))
    written += await shoot_ecosystem(out)
    return written


ORDER_V1 = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "string"}, {"name": "price", "type": "double"}]}  # fmt: skip
ORDER_V2 = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "note", "type": "string", "default": ""}]}
PAYMENT = """syntax = "proto3";
package shop;
message Payment {
  string order_id = 1;
  int64 amount_cents = 2;
  Method method = 3;
  enum Method { CARD = 0; PIX = 1; }
}
"""
CLIENT = {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string",
          "format": "email"}}, "required": ["name"]}  # fmt: skip


async def shoot_schemas(out: Path) -> Path:
    """The Schemas panel on a workbench that runs the Schema Registry (on a free port),
    in an app of its own so the other pictures keep a cluster without `_schemas`."""

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        backend = EmbeddedBackend(cluster)
        services = ServiceHost(cluster)
        url = await services.listen_registry(0, backend=backend)
        backend.attach_listeners(services)  # closed with the cluster
        client = RegistryClient(url)
        try:
            for subject, schema, schema_type in (
                ("orders-value", json.dumps(ORDER_V1), "AVRO"),
                ("orders-value", json.dumps(ORDER_V2), "AVRO"),
                ("payments-value", PAYMENT, "PROTOBUF"),
                ("clients-value", json.dumps(CLIENT), "JSON"),
            ):
                body = {"schema": schema, "schemaType": schema_type}
                await client.request("POST", f"/subjects/{subject}/versions", body)
        finally:
            await client.close()
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.press("down")  # orders-value, its latest version
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        path = out / "schemas.svg"
        path.write_text(app.export_screenshot(title="kafkatui — schemas"), encoding="utf-8")
    return path


async def shoot_connect(out: Path) -> Path:
    """The Connect panel on a workbench that runs a Connect worker (on a free port): a
    FileStreamSource that ran, and one whose file is a directory, FAILED with its trace.
    Its files sit at a fixed path so the picture's config does not change."""
    import httpx

    files = Path(tempfile.gettempdir()) / "kafkatui-screenshots"
    (files / "a-directory").mkdir(parents=True, exist_ok=True)
    (files / "sales.txt").write_text("".join(f"sale {n}\n" for n in range(120)))

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        backend = EmbeddedBackend(cluster)
        services = ServiceHost(cluster)
        url = await services.listen_connect(0, backend=backend)
        backend.attach_listeners(services)  # closed with the cluster
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for name, file, topic in (
                ("sales-file", "sales.txt", "sales-lines"),
                ("broken-file", "a-directory", "broken-lines"),
            ):
                config = {"connector.class": "FileStreamSource", "file": str(files / file), "topic": topic}
                await http.post("/connectors", json={"name": name, "config": config})
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("9")
        panel = app.panel("connect")
        for _ in range(500):
            states = {
                name: [t["state"] for t in entry["status"]["tasks"]]
                for name, entry in getattr(panel, "connectors", {}).items()
            }
            total = getattr(panel, "throughput", {}).get("sales-file")
            if (
                states == {"broken-file": ["FAILED"], "sales-file": ["RUNNING"]}
                and total
                and total.total == 120
            ):
                break
            await pilot.pause(0.05)
        await _feed_sales_by_the_second(app, pilot, files / "sales.txt", 120)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        path = out / "connect.svg"
        path.write_text(app.export_screenshot(title="kafkatui — connect"), encoding="utf-8")
    return path


# Lines appended per second of cluster time: the sparkline's shape (records in/s).
SALES_PER_SECOND = (12, 30, 55, 80, 64, 40, 22, 35, 70, 95, 60, 28, 45, 18)


async def _feed_sales_by_the_second(app: KafkaTuiApp, pilot: Any, sales: Path, total: int) -> None:
    """Append SALES_PER_SECOND's lines one cluster second at a time: the panel samples
    records in/s on the cluster's ManualClock, so each second gets its own count once the
    source has read them and the clock moves on."""
    panel: Any = app.panel("connect")
    assert app.backend is not None
    clock = app.backend.clock
    assert isinstance(clock, ManualClock)
    for count in SALES_PER_SECOND:
        with sales.open("a") as more:
            more.write("".join(f"sale {total + n}\n" for n in range(count)))
        total += count
        seen = panel.throughput.get("sales-file")
        for _ in range(400):
            if seen is not None and seen.total == total:
                break
            await pilot.pause(0.05)
            seen = panel.throughput.get("sales-file")
        samples = len(seen.rates) if seen is not None else 0
        await clock.advance(1000)
        for _ in range(100):  # the panel's tick takes the second's sample
            if seen is not None and len(seen.rates) > samples:
                break
            await pilot.pause(0.05)


async def shoot_records(out: Path) -> Path:
    """The Records panel on the sample topics: sales filtered with jq, one record's details."""

    async def factory() -> EmbeddedBackend:
        backend = EmbeddedBackend(await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7))
        await sample_setup(backend)
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("0")
        await pilot.pause(0.3)
        panel = app.panel("records")
        await panel.show("sales")  # type: ignore[attr-defined]
        panel.query_one("#records-jq", Input).value = "select(.price > 5)"
        await panel.apply()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
        panel.table.focus()  # type: ignore[attr-defined]
        await pilot.press("down", "enter")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause()
        path = out / "records.svg"
        path.write_text(app.export_screenshot(title="kafkatui — records"), encoding="utf-8")
    return path


async def shoot_ecosystem(out: Path) -> list[Path]:
    """The Streams, Security and ksqlDB panels, driven as their snapshot tests drive them
    (the same steps: a word count started from the panel and stopped; ACLs and a checker
    decision; a stream created and a refused query)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' drivers
    from kafkatui.ecosystem.streams.runtime import NOT_RUNNING
    from tests.tui.conftest import make_app, until
    from tests.tui.test_ksql_panel import SALES, make_ksql_app, open_panel, run
    from tests.tui.test_security_panel import secured
    from tests.tui.test_streams_panel import LINES, lines_topic, start_word_count, streams_app
    from tests.tui.test_streams_panel import until as streams_until  # moves its ManualClock

    written: list[Path] = []

    def save(app: KafkaTuiApp, name: str) -> None:
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"kafkatui — {name}"), encoding="utf-8")
        written.append(path)

    app = streams_app(lines_topic)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await start_word_count(app, pilot, "word-count", LINES)
        panel: Any = app.panel("streams")
        await streams_until(pilot, lambda: "word-count" in panel.runs, "started")
        streams = panel.runs["word-count"]
        for key, line in (("a", "the cat and the hat"), ("b", "the end"), ("c", "a cat")):
            await panel.backend.produce(ProduceRequest(LINES, line, key=key))
        await streams_until(pilot, lambda: streams.metrics()["process-total"] >= 11, "every record processed")
        await pilot.press("x")
        await streams_until(pilot, lambda: streams.state == NOT_RUNNING, "stopped")
        await panel.refresh_data()
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause()
        save(app, "streams")

    app = make_app(secured)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("A")
        security: Any = app.panel("security")
        await until(pilot, lambda: security.query_one("#security-acls").row_count == 2, "the ACLs")
        security.query_one("#check-principal", Input).value = "User:alice"
        security.query_one("#check-name", Input).value = "orders"
        security.focus()
        await pilot.press("c")
        decided = security.query_one("#check-result")
        await until(pilot, lambda: "orders" in str(decided.render()), "a decision")
        app.clear_notifications()
        await pilot.pause()
        save(app, "security")

    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        found.editor.cursor_blink = False
        await run(pilot, SALES)
        await until(pilot, lambda: "SALES" in found.sources, "SALES in the side list", rounds=1500)
        await run(pilot, "SELECT client_id, pricee FROM sales EMIT CHANGES;")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        save(app, "ksql")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument(
        "--only",
        choices=["schemas", "connect", "records", "ecosystem"],
        help="write that screen's picture alone (ecosystem: Streams, Security, ksqlDB)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # A user data dir of its own: the Records panel's saved filters and the course's
    # progress of whoever runs this must not show in the pictures.
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="kafkatui-screenshots-data-")
    alone = {"schemas": shoot_schemas, "connect": shoot_connect, "records": shoot_records}
    if args.only == "ecosystem":
        paths = asyncio.run(shoot_ecosystem(args.out))
    elif args.only:
        paths = [asyncio.run(alone[args.only](args.out))]
    else:
        paths = asyncio.run(shoot(args.out))
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
