"""The ksqlDB lesson taken as a learner takes it: SQL typed (or pasted) into the ksqlDB
panel's editor and run with ctrl+enter, the query terminated from the side list, each
step completed by what the cluster shows (the command topic, the push query's group,
the table's topic); and a table created under another name brings up the hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from textual.events import Paste
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import Progress
from kafkatui.course.session import LessonRun
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.ksql import KsqlPanel
from kafkatui.tui.panels.lessons import LessonsPanel
from tests.tui.conftest import SIZE, until

STREAM = (
    "CREATE STREAM sales (client_id VARCHAR KEY, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
)
TABLE = "CREATE TABLE orders_by_client AS SELECT client_id, COUNT(*) AS orders FROM sales GROUP BY client_id;"
INSERT = "INSERT INTO sales (client_id, price) VALUES ('client-1', 10.0);"


def lesson_app(tmp_path: Path) -> KafkaTuiApp:
    """The workbench with its ksqlDB server, the course taken up to this lesson."""
    course = tmp_path / "course.db"
    progress = Progress(course)
    for lesson in load_lessons():
        if lesson.id == "ksql":
            break
        progress.mark_done(lesson.id)
    return KafkaTuiApp(
        _served_with_ksql, settings=Settings(), language="en", welcome=False, course_db=course, lesson="ksql"
    )


def step(app: KafkaTuiApp) -> str:
    run = app.query_one(LessonsPanel).run
    assert run is not None
    return "done" if run.done else run.step.id


async def run_sql(pilot: Pilot[None], statement: str, *, typed: bool = False) -> None:
    panel: KsqlPanel = pilot.app.panel("ksql")  # type: ignore[attr-defined, assignment]
    panel.editor.focus()
    await pilot.press("ctrl+l")
    if typed:
        await pilot.press(*statement)
    else:
        pilot.app.post_message(Paste(statement))  # what a terminal's paste sends
        await pilot.pause()
    await pilot.press("ctrl+enter")


async def declared(pilot: Pilot[None], app: KafkaTuiApp) -> KsqlPanel:
    """The lesson open, its ksqlDB answering, step 1 done (SALES declared)."""
    await until(pilot, lambda: app.query_one(LessonsPanel).run is not None, "the lesson open")
    panel: KsqlPanel = app.panel("ksql")  # type: ignore[assignment]
    await until(pilot, lambda: panel.client is not None and panel.problem is None, "ksqlDB answering")
    await run_sql(pilot, STREAM)
    await until(pilot, lambda: step(app) == "table", "the stream declared")
    return panel


def ran(panel: KsqlPanel) -> list[object]:
    return [w for w in panel.workers if w.group == "ksql-run" and not w.is_finished]


async def test_the_ksql_lesson_completes_as_a_learner_takes_it(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.query_one(LessonsPanel).run is not None, "the lesson open")
        await until(pilot, lambda: app.current_panel_id == "ksql", "the ksqlDB panel beside the step")
        panel: KsqlPanel = app.panel("ksql")  # type: ignore[assignment]
        await until(pilot, lambda: panel.client is not None and panel.problem is None, "ksqlDB answering")
        assert step(app) == "stream"
        await run_sql(pilot, STREAM)
        await until(pilot, lambda: step(app) == "table", "the stream declared")
        await run_sql(pilot, TABLE)
        await until(pilot, lambda: step(app) == "push", "the table created")
        await run_sql(pilot, "SELECT * FROM orders_by_client EMIT CHANGES;", typed=True)
        await until(pilot, lambda: step(app) == "produce", "the push query running", rounds=1500)
        # The learner stops it (ctrl+s): the panel's own test watches a push query's rows
        # change; here it would only slow a loaded machine past Textual's 30 s waits.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: panel.push_id is None, "the push query stopped")
        await run_sql(pilot, INSERT)
        await until(pilot, lambda: not ran(panel), "the insert run")
        await run_sql(pilot, INSERT)
        await until(pilot, lambda: step(app) == "pull", "client-1's count at 2", rounds=1500)
        await run_sql(pilot, "SELECT * FROM orders_by_client WHERE client_id = 'client-1';")
        await until(pilot, lambda: not ran(panel), "the pull query's answer")
        assert panel.query_one("#ksql-rows", DataTable).get_row_at(0) == ["client-1", "2"]
        await run_sql(pilot, INSERT)
        await until(pilot, lambda: not ran(panel), "the third insert run")
        assert app.backend is not None
        await until(pilot, lambda: app.backend.describe_topic("sales").record_count == 3, "3 sales")  # type: ignore[union-attr]
        await until(pilot, lambda: step(app) == "terminate", "client-1's count at 3", rounds=1500)
        # esc, then the query in the side list: t, and y to the question.
        await pilot.press("escape")
        side = panel.query_one("#ksql-objects", DataTable)
        keys = [str(k.value) for k in side.rows]
        side.focus()
        side.move_cursor(row=next(i for i, k in enumerate(keys) if k.startswith("QUERY:")))
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: step(app) == "done", "the query terminated", rounds=1500)
        assert Progress(app.course_db).status(load_lessons(), "ksql").state.name == "DONE"


async def test_a_table_under_another_name_gives_the_hint(tmp_path: Path) -> None:
    app = lesson_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await declared(pilot, app)
        await run_sql(pilot, TABLE.replace("orders_by_client", "per_client"))
        run = app.query_one(LessonsPanel).run
        assert run is not None
        await until(pilot, lambda: run.hinted, "the hint")
        assert step(app) == "table"  # PER_CLIENT is not the step's table


async def _served_with_ksql() -> EmbeddedBackend:
    cluster = await Cluster.open(
        None, brokers=1, seed=7, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0)
    )
    backend = EmbeddedBackend(cluster)
    services = ServiceHost(cluster)
    await services.listen_ksql(0, backend=backend)
    backend.attach_listeners(services)
    return backend


async def _ksql(http: httpx.AsyncClient, text: str) -> list[dict[str, Any]]:
    response = await http.post(
        "/ksql", json={"ksql": text}, headers={"Accept": "application/vnd.ksql.v1+json"}
    )
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_a_reset_drops_what_the_lesson_made_in_ksqldb_so_it_can_be_taken_again() -> None:
    """The lesson taken up to its table, then reset (the Lessons panel's reset, and a
    start after `kafkatui lesson reset`): the stream and the table are gone from the
    metastore and the command topic says so (DROP … after their CREATE), so step 1 waits
    again and the same statements run again instead of answering "already exists"."""
    backend = await _served_with_ksql()
    [lesson] = [lesson for lesson in load_lessons() if lesson.id == "ksql"]
    run = LessonRun(backend, lesson)
    url = backend.ksql_url()
    assert url is not None
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            await run.reset()
            await _ksql(http, STREAM + TABLE)
            assert (await run.evaluate()).completed and run.step.id == "push"
            await run.reset()
            assert run.step.id == "stream"
            assert not (await run.evaluate()).completed  # SALES is not there any more
            streams, tables, queries = await _ksql(http, "SHOW STREAMS; SHOW TABLES; SHOW QUERIES;")
            assert (streams["streams"], tables["tables"], queries["queries"]) == ([], [], [])
            assert "ORDERS_BY_CLIENT" not in backend.topic_names()
            created = await _ksql(http, STREAM + TABLE)
            assert [c["commandStatus"]["status"] for c in created] == ["SUCCESS", "SUCCESS"]
            assert (await run.evaluate()).completed and run.step.id == "push"
    finally:
        run.close()
        await backend.close()


async def test_a_reset_under_a_running_push_query_ends_it_with_ksqldbs_error(tmp_path: Path) -> None:
    """The push query of step 3 still streaming when the learner resets the lesson: the
    reset drops its table (DELETE TOPIC), the query ends with ksqlDB's server error, and
    the panel shows it where a refusal shows, the workbench still running."""
    app = lesson_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        panel = await declared(pilot, app)
        await run_sql(pilot, TABLE)
        await until(pilot, lambda: step(app) == "push", "the table created")
        await run_sql(pilot, "SELECT * FROM orders_by_client EMIT CHANGES;")
        await until(pilot, lambda: panel.push_id is not None, "the push query streaming")
        await app.query_one(LessonsPanel).action_reset("ksql")
        await until(pilot, lambda: panel.push_id is None, "the push query ended", rounds=1500)
        assert panel.error is not None and panel.error.name == "SERVER_ERROR"
        assert "MissingSourceTopicException" in panel.error.message
        assert "ORDERS_BY_CLIENT" in panel.error.message
        shown = str(panel.query_one("#ksql-error", Static).render())
        assert shown.startswith("SERVER_ERROR: Query _confluent-ksql-default_transient_")
        assert panel.query_one("#ksql-error", Static).display
        assert step(app) == "stream" and app.is_running
