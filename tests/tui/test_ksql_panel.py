"""The ksqlDB panel, driven as a user drives it (statements typed into the editor and run
with ctrl+enter), against the workbench's own ksqlDB server (its REST API on a free port)
over a fresh in-memory cluster: statement results, SHOW as tables, DESCRIBE from the side
list, a refusal with its place, pull and push queries (rows coming live, a table's in
place), stopping and terminating queries, the history, and no server at all."""

from __future__ import annotations

import json

from textual.events import Paste
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.ksql import NO_KSQL, KsqlPanel
from kafkatui.tui.screens.confirm import ConfirmScreen
from tests.tui.conftest import SIZE, until

SALES = (
    "CREATE STREAM sales (client_id VARCHAR KEY, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
)
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
            backend.attach_listeners(services)
        return backend

    return KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, ksql_url=ksql_url)


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


async def run(pilot: Pilot[None], statement: str, *, typed: bool = False) -> None:
    """Paste a statement into the editor (emptied first: ctrl+l), or type it, and run it
    (ctrl+enter); wait for its answer."""
    found = panel(pilot.app)  # type: ignore[arg-type]
    found.editor.focus()
    await pilot.press("ctrl+l")
    if typed:
        await pilot.press(*statement)
    else:
        pilot.app.post_message(Paste(statement))  # what a terminal's paste sends
        await pilot.pause()
    await pilot.press("ctrl+enter")
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


def ksql_engine(app: KafkaTuiApp):  # type: ignore[no-untyped-def]
    """The server's engine, to check what the panel's requests did there."""
    host = app.backend._listeners  # type: ignore[union-attr]
    return host.ksql.engine


async def test_a_refusal_shows_ksqldb_message_at_its_place_and_changes_nothing() -> None:
    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        await run(pilot, SALES)
        await run(pilot, "SELECT pricee FROM sales EMIT CHANGES;")
        shown = text_of(app, "#ksql-error")
        assert "BAD_STATEMENT: line 1:8: Column 'PRICEE' cannot be resolved." in shown
        assert "SELECT pricee FROM sales EMIT CHANGES;\n" + "─" * 7 + "^" in shown  # under column 8
        assert found.editor.text == "SELECT pricee FROM sales EMIT CHANGES;"  # kept, to be fixed
        assert found.editor.cursor_location == (0, 7)
        assert found.push_id is None and not ksql_engine(app).push_queries
        # A second statement's refusal points into its own line.
        await run(pilot, "SHOW STREAMS;\nCREATE STREAM x (a INT) WITH (KAFKA_TOPIC='nope', FORMAT='JSON');")
        assert "Topic 'nope' does not exist" in text_of(app, "#ksql-error")
        assert "X" not in ksql_engine(app).metastore.sources
        await run(pilot, "SHOW STREAMS;")
        assert not found.query_one("#ksql-error").display  # a clean run clears it
        assert [row[0] for row in cells(app)] == ["SALES"]


async def test_pull_and_push_queries_fill_the_rows_a_table_in_place() -> None:
    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        await run(pilot, SALES)
        await run(pilot, BY_CLIENT)
        for key, price in (("client-1", 10.0), ("client-1", 20.0), ("client-2", 5.0)):
            await produce(app, key, price)
        pull = "SELECT * FROM by_client WHERE client_id = 'client-1';"
        await until(pilot, lambda: counted(app, "client-1") == 2, "the table caught up with the stream")
        await run(pilot, pull)
        assert cells(app) == [["client-1", "2"]]
        assert "1 row · pull query" in text_of(app, "#ksql-status")
        await run(pilot, "SELECT * FROM by_client EMIT CHANGES;")
        assert found.push_id is not None and found.push_id in ksql_engine(app).push_queries
        await produce(app, "client-1", 30.0)
        await until(pilot, lambda: cells(app) == [["client-1", "3"]], "client-1's count, live")
        await produce(app, "client-1", 40.0)
        await until(pilot, lambda: cells(app) == [["client-1", "4"]], "the same row changing in place")
        assert "2 rows" in text_of(app, "#ksql-status") and "streaming" in text_of(app, "#ksql-status")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not ksql_engine(app).push_queries, "the push query closed at the server")
        assert found.push_id is None
        assert "stopped" in text_of(app, "#ksql-status")


async def test_a_stream_push_query_appends_rows_and_terminate_asks_first() -> None:
    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        await run(pilot, SALES)
        await run(pilot, BY_CLIENT)
        await run(pilot, "SELECT client_id, price FROM sales EMIT CHANGES;")
        await produce(app, "client-1", 10.0)
        await produce(app, "client-1", 20.0)
        await until(pilot, lambda: len(cells(app)) == 2, "two rows, one per record")
        assert cells(app) == [["client-1", "10.0"], ["client-1", "20.0"]]
        await until(pilot, lambda: any(k.startswith("QUERY:") for k in found_keys(found)), "the query listed")
        side = found.query_one("#ksql-objects", DataTable)
        side.focus()
        query_row = found_keys(found).index("QUERY:CTAS_BY_CLIENT_1")
        side.move_cursor(row=query_row)
        await pilot.pause()
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question first")
        assert "CTAS_BY_CLIENT_1" in ksql_engine(app).running  # nothing until it is answered
        await pilot.press("y")
        await until(pilot, lambda: "CTAS_BY_CLIENT_1" not in ksql_engine(app).running, "the query terminated")
        await until(pilot, lambda: "QUERY:CTAS_BY_CLIENT_1" not in found_keys(found), "gone from the list")


def counted(app: KafkaTuiApp, key: str) -> int | None:
    """client's count in the table's store now (what a pull query answers)."""
    query = ksql_engine(app).running.get("CTAS_BY_CLIENT_1")
    rows = dict(query.store_rows()) if query is not None else {}
    found = rows.get(key)
    return None if found is None else int(found["ORDERS"] if isinstance(found, dict) else found[0])


def found_keys(found: KsqlPanel) -> list[str]:
    side = found.query_one("#ksql-objects", DataTable)
    return [str(key.value) for key in side.rows]


async def test_up_and_down_in_an_empty_editor_walk_the_history() -> None:
    app = make_ksql_app()
    async with app.run_test(size=SIZE) as pilot:
        found = await open_panel(pilot)
        await run(pilot, "SHOW STREAMS;", typed=True)
        await run(pilot, "SHOW TABLES;", typed=True)
        editor = found.editor
        assert editor.text == ""
        await pilot.press("up")
        assert editor.text == "SHOW TABLES;"
        await pilot.press("up")
        assert editor.text == "SHOW STREAMS;"
        await pilot.press("down")
        assert editor.text == "SHOW TABLES;"
        await pilot.press("down")
        assert editor.text == ""
        await pilot.press(*"SHOW", "up")  # in a statement being written, up is the cursor's
        assert editor.text == "SHOW"


async def test_no_ksqldb_is_said_in_place() -> None:
    app = make_ksql_app(ksql=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("K")
        await pilot.pause()
        found = panel(app)
        assert found.client is None
        assert found.query_one("#ksql-none").display and not found.query_one("#ksql-body").display
        assert NO_KSQL in text_of(app, "#ksql-none")
    dead = make_ksql_app(ksql=False, ksql_url="http://127.0.0.1:9")  # --ksql-url at nothing
    async with dead.run_test(size=SIZE) as pilot:
        await dead.ready.wait()
        await pilot.press("K")
        await until(pilot, lambda: panel(dead).problem is not None, "the refusal to connect")
        assert "ksqlDB does not answer at http://127.0.0.1:9" in text_of(dead, "#ksql-none")
        assert panel(dead).unavailable("run") == "ksqlDB is not running"
