"""The ksqlDB panel, driven as a user drives it (statements typed into the editor and run
with ctrl+enter), against the workbench's own ksqlDB server (its REST API on a free port)
over a fresh in-memory cluster: statement results, SHOW as tables, DESCRIBE from the side
list, a refusal with its place, pull and push queries (rows coming live, a table's in
place), stopping and terminating queries, the history, and no server at all."""

from __future__ import annotations

import json

import httpx
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.ksql import NO_KSQL, KsqlPanel, command_topic
from kafkatui.tui.panels.ksql_editor import KsqlEditor
from tests.tui.conftest import SIZE, until

SALES = "CREATE STREAM sales (client_id VARCHAR KEY, price DOUBLE) WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
BY_CLIENT = "CREATE TABLE by_client AS SELECT client_id, COUNT(*) AS orders FROM sales GROUP BY client_id;"


def make_ksql_app(*, ksql: bool = True, ksql_url: str | None = None) -> KafkaTuiApp:
    """The workbench on a fresh one-broker cluster (real clock: the queries' Streams
    applications poll on it) with a ksqlDB server beside it, as the workbench runs it."""

    async def factory() -> EmbeddedBackend:
        defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
        cluster = await Cluster.open(None, brokers=1, seed=7, defaults=defaults)
        backend = EmbeddedBackend(cluster)
        await backend.create_topic("sales", 1, 1, {})
        if ksql:
            services = ServiceHost(cluster)
            await services.listen_ksql(0, backend=backend)
            assert services.ksql is not None
            services.ksql.engine.commit_interval_ms = 100
            backend.attach_listeners(services)
        return backend

    return KafkaTuiApp(
        factory, settings=Settings(), language="en", welcome=False, event_interval=0.05, ksql_url=ksql_url
    )


def panel(app: KafkaTuiApp) -> KsqlPanel:
    return app.panel("ksql")  # type: ignore[return-value]


def text_of(app: KafkaTuiApp, selector: str) -> str:
    return str(panel(app).query_one(selector, Static).render())


def cells(app: KafkaTuiApp) -> list[list[str]]:
    table = panel(app).query_one("#ksql-rows", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_panel(pilot: Pilot[None]) -> KsqlPanel:
    app: KafkaTuiApp = pilot.app  # type: ignore[assignment]
    await app.ready.wait()
    await pilot.press("K")
    await until(pilot, lambda: app.query_one("#tabs", TabbedContent).active == "tab-ksql", "the ksqlDB tab")
    found = panel(app)
    await until(pilot, lambda: found.problem is None and found.client is not None, "ksqlDB answering")
    return found


async def run(pilot: Pilot[None], statement: str) -> None:
    """Type a statement into the editor (emptied first: ctrl+l) and run it (ctrl+enter)."""
    found = panel(pilot.app)  # type: ignore[arg-type]
    found.editor.focus()
    await pilot.press("ctrl+l", *statement, "ctrl+enter")
    await pilot.pause()
    for _ in range(400):
        if not [w for w in found.workers if w.group == "ksql-run" and not w.is_finished]:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"{statement} never finished")


async def produce(app: KafkaTuiApp, key: str, price: float) -> None:
    assert app.backend is not None
    await app.backend.produce(ProduceRequest("sales", json.dumps({"price": price}), key=key))


async def test_statements_answer_in_the_panel_and_the_side_list() -> None:
    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        assert "SELECT client_id, AVG(price)" in found.editor.text  # the seed's example, preloaded
        await run(pilot, SALES)
        assert "SUCCESS: Stream created" in text_of(app, "#ksql-message")
        assert found.editor.text == ""  # a clean run empties the editor
        await until(pilot, lambda: "SALES" in found.sources, "SALES in the side list")
        await run(pilot, "SHOW STREAMS;")
        assert cells(app) == [["SALES", "sales", "KAFKA", "JSON", "false"]]
        # Enter on the side list's stream describes it.
        side = found.query_one("#ksql-objects", DataTable)
        side.focus()
        await pilot.press("enter")
        await until(pilot, lambda: ["PRICE", "DOUBLE"] in cells(app), "DESCRIBE SALES")
        assert ["CLIENT_ID", "VARCHAR(STRING) (key)"] in cells(app)
        assert "Kafka topic: sales" in text_of(app, "#ksql-message")
