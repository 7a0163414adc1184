"""Snapshots of every screen and dialog of the shell, on seeded, manual-clock data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.screens.new_connector import NewConnectorScreen
from kafkatui.tui.widgets.schema_editor import SchemaEditor
from tests.tui.conftest import SIZE, make_app, sales
from tests.tui.conftest import until as waiting
from tests.tui.test_connect_panel import FILE_SOURCE, fill_field, make_connect_app, type_into
from tests.tui.test_framing_view import framed_records
from tests.tui.test_schemas_panel import V1, V2, avro, paste, register, until

Steps = Callable[[Pilot], Awaitable[None]]


def driven(app: KafkaTuiApp, *keys: str, typed: str = "") -> Steps:
    async def run_before(pilot: Pilot) -> None:
        await app.ready.wait()
        await pilot.pause()
        app.clear_notifications()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if typed:
            # The keys opened a dialog or a field: on a loaded machine it can take more
            # than one pause to take the focus, and typing before that goes elsewhere.
            await waiting(pilot, lambda: isinstance(app.focused, Input), "a field to type in")
            await pilot.press(*typed)
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_welcome(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(welcome=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app))


def test_cluster(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "1"))


def test_topics(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "2", "down"))


def test_create_topic_dialog_with_errors(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "2", "n", typed="bad name!"))


def test_delete_confirmation(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "2", "d"))


def test_events(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "5")(pilot)
        assert app.backend is not None
        await app.backend.create_topic("orders", 2)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_english(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "2", "f1"))


def test_help_portuguese(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales, language="pt")
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "1", "f1"))


def test_light_theme(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales, theme="kafkatui-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "2"))


def test_high_contrast_theme(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales, theme="kafkatui-high-contrast")
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "1"))


def test_jump_to_offset_dialog(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "3", "g", typed="99"))


# --- the Schemas panel and the Log panel's framing view (a Schema Registry beside the cluster)


async def _registered(backend: EmbeddedBackend) -> None:
    await register(backend, "orders-value", V1, V2)
    await register(backend, "clients-value", avro({"name": "name", "type": "string"}))


def test_schemas_panel(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_registered, schema_registry=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "8", "down", "enter"))


def test_schemas_diff(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_registered, schema_registry=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "8", "down", "enter", "d"))


def test_schemas_editor_refusing_a_change(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_registered, schema_registry=True)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "8", "down", "enter", "n")(pilot)
        app.query_one("#schemas-source", TextArea).cursor_blink = False  # a blinking cursor is there or not
        await paste(pilot, avro({"name": "id", "type": "string"}, {"name": "quantity", "type": "int"}))
        editor = app.query_one(SchemaEditor)
        await until(pilot, lambda: editor.check is not None, "the registry's answer")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_schemas_without_a_registry(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "8"))


def test_connect_without_a_worker(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)
    assert snap_compare(app, terminal_size=SIZE, run_before=driven(app, "9"))


def test_new_connector_form_with_the_workers_problems(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_connect_app()

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "9", "n")(pilot)
        screen = app.screen
        assert isinstance(screen, NewConnectorScreen)
        await waiting(pilot, lambda: bool(screen.kinds), "the plugins", rounds=1500)
        screen.query_one("#connect-plugin", Select).value = FILE_SOURCE
        await waiting(pilot, lambda: bool(screen.fields), "the plugin's fields", rounds=1500)
        for entry in screen.query(Input):
            entry.cursor_blink = False  # a blinking cursor is there or not
        await type_into(pilot, "#connect-name", "lines")
        await fill_field(pilot, "tasks.max", "0")
        await pilot.press("ctrl+s")
        await waiting(pilot, lambda: bool(screen.problems), "the worker's validation", rounds=1500)
        await pilot.pause()  # tasks.max keeps the focus: its documentation in the hint line

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_framing_view(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(framed_records, schema_registry=True)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "3")(pilot)
        await app.panel("log").show("orders", 0, 2)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_records_panel_filtered_with_details(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sales)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "0")(pilot)
        panel = app.panel("records")
        await panel.show("sales")  # type: ignore[attr-defined]
        panel.query_one("#records-jq", Input).value = "select(.price > 5)"
        await panel.apply()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
        panel.table.focus()  # type: ignore[attr-defined]
        await pilot.press("down", "enter")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 40), run_before=run_before)


def test_streams_panel_after_a_word_count_ran(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The word count started from the panel on `lines`, fed two lines, stopped: its group
    (Empty, offsets committed), internal topics by role and its topology. The cluster runs
    on a ManualClock that `waiting` moves, so the run steps the same way every time."""
    from kafkatui.backends.base import ProduceRequest
    from kafkatui.ecosystem.streams.runtime import NOT_RUNNING
    from kafkatui.tui.panels.streams import StreamsPanel
    from tests.tui.test_streams_panel import LINES, lines_topic, start_word_count, streams_app
    from tests.tui.test_streams_panel import until as waiting  # moves the cluster's ManualClock

    app = streams_app(lines_topic)

    async def run_before(pilot: Pilot) -> None:
        await app.ready.wait()
        await start_word_count(app, pilot, "wc-snap", LINES)
        panel = app.query_one(StreamsPanel)
        await waiting(pilot, lambda: "wc-snap" in panel.runs, "started")
        streams = panel.runs["wc-snap"]
        for key, line in (("a", "the cat and the hat"), ("b", "the end")):
            await panel.backend.produce(ProduceRequest(LINES, line, key=key))
        await waiting(pilot, lambda: streams.metrics()["process-total"] >= 9, "every record processed")
        await pilot.press("x")
        await waiting(pilot, lambda: streams.state == NOT_RUNNING, "stopped")
        await panel.refresh_data()
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def _course_app(tmp_path, language: str = "en") -> KafkaTuiApp:  # type: ignore[no-untyped-def]
    """The workbench with lessons 1 and 2 done and lesson 3 begun (step 2)."""
    from kafkatui.course.progress import Progress

    app = make_app(language=language)
    app.course_db = tmp_path / "course.db"
    progress = Progress(app.course_db)
    progress.mark_done("brokers")
    progress.mark_done("topics")
    progress.save_step("partitions", 1)
    return app


def test_course_map(snap_compare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = _course_app(tmp_path)
    assert snap_compare(app, terminal_size=(130, 40), run_before=driven(app, "L", "down", "down"))


# Wide enough that every tab fits beside the step pane: a tab bar that overflows scrolls
# to the active tab by an animation, and the snapshot caught it at different points.
STEP_SIZE = (170, 40)


def _lesson_step(app: KafkaTuiApp) -> Steps:
    """L, lesson 3's row, s: its step docked beside the Produce panel, the Key field lit."""

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "L", "down", "down", "s")(pilot)
        await waiting(pilot, lambda: app.current_panel_id == "produce", "the step's panel")
        await app.workers.wait_for_complete()
        await pilot.wait_for_scheduled_animations()  # the tab bar scrolls back to Produce
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_lesson_step_english(snap_compare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = _course_app(tmp_path)
    assert snap_compare(app, terminal_size=STEP_SIZE, run_before=_lesson_step(app))


def test_lesson_step_portuguese(snap_compare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = _course_app(tmp_path, language="pt")
    assert snap_compare(app, terminal_size=STEP_SIZE, run_before=_lesson_step(app))


def test_security_panel_with_a_decision(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tests.tui.test_security_panel import secured

    app = make_app(secured)

    async def run_before(pilot: Pilot) -> None:
        await driven(app, "A")(pilot)
        panel = app.panel("security")
        await waiting(pilot, lambda: panel.query_one("#security-acls").row_count == 2, "the ACLs")  # type: ignore[attr-defined]
        panel.query_one("#check-principal", Input).value = "User:alice"
        panel.query_one("#check-name", Input).value = "orders"
        panel.focus()
        await pilot.press("c")
        await waiting(
            pilot, lambda: "orders" in str(panel.query_one("#check-result").render()), "the decision"
        )  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ksql_panel_with_a_refusal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    from tests.tui.test_ksql_panel import SALES, make_ksql_app, open_panel, run

    app = make_ksql_app()

    async def run_before(pilot: Pilot) -> None:
        found = await open_panel(pilot)
        found.editor.cursor_blink = False  # a blinking cursor is there or not
        await run(pilot, SALES)
        await waiting(pilot, lambda: "SALES" in found.sources, "SALES in the side list", rounds=1500)
        await run(pilot, "SELECT client_id, pricee FROM sales EMIT CHANGES;")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
