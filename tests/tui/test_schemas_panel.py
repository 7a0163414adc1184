"""The Schemas panel, driven as a user drives it, over the workbench's own Schema Registry
(its REST API on a free port, its `_schemas` topic on a seeded manual-clock cluster)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, TextArea

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.schemas import SchemasPanel
from kafkatui.tui.registry_serde import NO_REGISTRY
from tests.tui.conftest import SIZE, make_app, notices


def avro(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Order", "fields": list(fields)})


ID = {"name": "id", "type": "string"}
PRICE = {"name": "price", "type": "double"}
NOTE = {"name": "note", "type": "string", "default": ""}
QUANTITY = {"name": "quantity", "type": "int"}  # no default
V1 = avro(ID, PRICE)
V2 = avro(ID, PRICE, NOTE)


def screen_text(app: KafkaTuiApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Wait (a bounded number of redraws) for something the registry's answer brings."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never saw {what}:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]


def panel(app: KafkaTuiApp) -> SchemasPanel:
    return app.panel("schemas")  # type: ignore[return-value]


def registry(app: KafkaTuiApp) -> RegistryClient:
    assert app.backend is not None
    url = app.backend.schema_registry_url()
    assert url is not None
    return RegistryClient(url)


async def register(backend: EmbeddedBackend, subject: str, *schemas: str) -> None:
    """What another client does: register versions over the REST API."""
    url = backend.schema_registry_url()
    assert url is not None
    client = RegistryClient(url)
    try:
        for schema in schemas:
            await client.request("POST", f"/subjects/{subject}/versions", {"schema": schema})
    finally:
        await client.close()


async def orders_v1_v2(backend: EmbeddedBackend) -> None:
    await register(backend, "orders-value", V1, V2)


async def paste(pilot: Pilot[None], text: str) -> None:
    """Select the editor's text and paste `text` over it, as a user pastes a schema."""
    source = pilot.app.query_one("#schemas-source", TextArea)
    source.focus()
    await pilot.press("f7")  # TextArea's select all
    pilot.app.post_message(events.Paste(text))  # as the terminal's driver delivers it
    await pilot.pause()


def notifications(app: KafkaTuiApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in notices(app)]


async def test_register_evolve_refuse_and_change_compatibility() -> None:
    app = make_app(schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        assert "No subjects yet. Press n" in screen_text(app)
        schemas = panel(app)

        # v1: a new subject from the editor's template, checked as the name is typed.
        await pilot.press("n")
        await pilot.press(*"orders-value")
        await until(
            pilot,
            lambda: "✔ Valid; orders-value has no version to check it against" in screen_text(app),
            "the check",
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("Registered orders-value version 1", "schema id 1") in notifications(app)
        assert schemas.view == "schema"
        assert "orders-value · version 1 · schema id 1 · AVRO" in screen_text(app)

        # v2: a field with a default is a compatible evolution under BACKWARD.
        await pilot.press("n")
        await paste(pilot, V2)
        await until(
            pilot, lambda: "✔ Compatible with version 1 under BACKWARD" in screen_text(app), "v2 pass"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("Registered orders-value version 2", "schema id 2") in notifications(app)

        # A field without a default: refused as you type, and refused on ctrl+s.
        await pilot.press("n")
        await paste(pilot, avro(ID, PRICE, NOTE, QUANTITY))
        await until(pilot, lambda: schemas.editor.check is not None, "the registry's answer")
        assert schemas.editor.check is not None and not schemas.editor.check.compatible
        text = screen_text(app)
        assert "✘ Not compatible under BACKWARD" in text
        assert "field `quantity` was added without a default" in text
        app.clear_notifications()
        await pilot.press("ctrl+s")
        await settle(pilot)
        [(title, message)] = notifications(app)
        assert title == "INCOMPATIBLE_SCHEMA (409)"
        assert "field `quantity` was added without a default" in message
        client = registry(app)
        assert await client.request("GET", "/subjects/orders-value/versions") == [1, 2]

        # FORWARD for this subject (the dialog), then removing `price` is what is refused.
        await pilot.press("escape", "escape")  # leave the text, close the editor
        assert schemas.view == "schema"
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # follow global, BACKWARD, …_TRANSITIVE, FORWARD
        await settle(pilot)
        assert await client.request("GET", "/config/orders-value") == {"compatibilityLevel": "FORWARD"}
        assert "orders-value: FORWARD (its own)" in screen_text(app)
        await pilot.press("n")
        await paste(pilot, avro(ID, NOTE))
        await until(pilot, lambda: schemas.editor.check is not None, "the registry's answer")
        text = screen_text(app)
        assert "✘ Not compatible under FORWARD" in text
        assert "field `price` was removed without a default" in text
        await client.close()


async def test_the_versions_of_a_subject_and_a_diff() -> None:
    v3 = avro(ID, PRICE, NOTE, {"name": "coupon", "type": ["null", "string"], "default": None})

    async def setup(backend: EmbeddedBackend) -> None:
        await register(backend, "orders-value", V1, V2, v3)
        await register(backend, "clients-value", avro(ID))  # V1's id field alone: a new id

    app = make_app(setup, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        schemas = panel(app)
        assert [s.name for s in schemas.subjects] == ["clients-value", "orders-value"]
        await pilot.press("down")  # orders-value
        await settle(pilot)
        assert [(v.version, v.schema_id, v.schema_type) for v in schemas.versions] == [
            (1, 1, "AVRO"), (2, 2, "AVRO"), (3, 3, "AVRO"),
        ]  # fmt: skip
        assert schemas.version == 3  # the latest
        await pilot.press("enter")  # into the versions
        await pilot.press("d")
        await settle(pilot)
        text = screen_text(app)
        assert "orders-value: version 2 (id 2) → version 3 (id 3)" in text
        assert '+      "name": "coupon",' in text
        assert '-      "name": "note",' not in text

        # Mark version 1; d then compares the selected version with it.
        await pilot.press("up", "up", "m")
        await pilot.press("down", "down", "d")
        await settle(pilot)
        text = screen_text(app)
        assert "orders-value: version 1 (id 1) → version 3 (id 3)" in text
        assert '+      "name": "note",' in text and '+      "name": "coupon",' in text
        await pilot.press("escape")
        assert schemas.view == "schema"
        assert "orders-value · version 3 · schema id 3 · AVRO" in screen_text(app)


async def test_soft_then_permanent_delete() -> None:
    app = make_app(orders_v1_v2, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        schemas = panel(app)
        client = registry(app)
        versions = app.query_one("#schemas-versions", DataTable)
        versions.focus()
        await pilot.press("up")  # version 1
        await pilot.press("x")
        await pilot.pause()
        assert "Soft-delete orders-value version 1 (schema id 1)?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert await client.request("GET", "/subjects/orders-value/versions") == [2]
        assert [(v.version, v.deleted) for v in schemas.versions] == [(1, True), (2, False)]
        assert "soft-deleted" in screen_text(app)

        await pilot.press("x")  # on the soft-deleted version 1: for good now
        await pilot.pause()
        assert "Permanently delete orders-value version 1" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert await client.request("GET", "/subjects/orders-value/versions", deleted="true") == [2]

        # The subject: soft first (still listed, marked), then permanent (gone).
        await pilot.press("X")
        await pilot.pause()
        assert "Soft-delete subject orders-value (versions 2)?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert await client.request("GET", "/subjects") == []
        assert [(s.name, s.deleted) for s in schemas.subjects] == [("orders-value", True)]
        await pilot.press("X")
        await pilot.pause()
        assert "Permanently delete subject orders-value" in screen_text(app)
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert await client.request("GET", "/subjects", deleted="true") == ["orders-value"]
        await pilot.press("X", "y")
        await settle(pilot)
        assert await client.request("GET", "/subjects", deleted="true") == []
        assert schemas.subjects == []
        await client.close()


async def test_an_invalid_schema_and_another_schema_type() -> None:
    app = make_app(orders_v1_v2, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        schemas = panel(app)
        await pilot.press("n")
        await paste(pilot, '{"type": "record", "name": "Order"}')  # no fields
        await until(pilot, lambda: schemas.editor.check is not None, "the registry's answer")
        assert schemas.editor.check is not None and schemas.editor.check.invalid is not None
        assert "✘ Not a valid AVRO schema" in screen_text(app)
        app.clear_notifications()
        await pilot.press("ctrl+s")
        await settle(pilot)
        [(title, _)] = notifications(app)
        assert title == "INVALID_SCHEMA (42201)"

        # A Protobuf subject: the type's template follows the type chosen.
        await pilot.press("escape", "escape", "n")
        subject = app.query_one("#schemas-subject", Input)
        subject.focus()
        await pilot.press("ctrl+u", *"shipments-value")
        app.query_one("#schemas-type", Select).focus()
        await pilot.press("enter", "down", "down", "enter")  # AVRO, JSON, PROTOBUF
        await pilot.pause()
        assert app.query_one("#schemas-type", Select).value == "PROTOBUF"
        await paste(pilot, 'syntax = "proto3";\nmessage Shipment {\n  string id = 1;\n}\n')
        await until(
            pilot, lambda: "✔ Valid; shipments-value has no version" in screen_text(app), "the Protobuf check"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("Registered shipments-value version 1", "schema id 3") in notifications(app)
        assert [(v.version, v.schema_type) for v in schemas.versions] == [(1, "PROTOBUF")]
        assert "message Shipment {" in screen_text(app)


async def test_the_global_level() -> None:
    app = make_app(orders_v1_v2, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert "Global compatibility level (now BACKWARD)" in screen_text(app)
        await pilot.press("down", "down", "down", "down", "enter")  # BACKWARD → FULL
        await settle(pilot)
        client = registry(app)
        assert await client.request("GET", "/config") == {"compatibilityLevel": "FULL"}
        await client.close()
        text = screen_text(app)
        assert "orders-value: FULL (follows global)" in text and "global: FULL" in text


async def test_a_registration_from_elsewhere_shows_up() -> None:
    app = make_app(schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        assert app.backend is not None
        await register(app.backend, "payments-value", V1)  # as a client's serializer would
        # The list shows the subject first, its detail (fetched next) a refresh later.
        shown = "payments-value · version 1 · schema id 1 · AVRO"
        await until(pilot, lambda: shown in screen_text(app), "the new subject's first version")


async def test_without_a_registry_the_panel_says_how_to_start_one() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("8")
        await settle(pilot)
        assert "No Schema Registry runs for this workbench" in screen_text(app)
        assert panel(app).browser is None
        assert NO_REGISTRY.startswith("No Schema Registry runs for this workbench")
        app.clear_notifications()
        await pilot.press("n")
        await pilot.pause()
        [(title, message)] = notifications(app)
        assert title == "New version: not available"
        assert "No Schema Registry runs here" in message


async def test_every_action_is_in_the_palette() -> None:
    app = make_app(schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        titles = {c.title for c in app.palette_commands()}
        for action in ("New version", "Register", "Diff", "Mark", "Level", "Global level", "Delete",
                       "Delete subject"):  # fmt: skip
            assert f"Schemas: {action}" in titles
        assert "Show Schemas" in titles
        # Register from the palette with no editor open says why instead of doing nothing.
        command = next(c for c in app.palette_commands() if c.title == "Schemas: Register")
        app.clear_notifications()
        command.run()
        await settle(pilot)
        assert ("Register: not available", "Nothing to register: n opens the editor.") in notifications(app)
