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
        app.query_one(TextArea).cursor_blink = False  # a blinking cursor is there or not
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
