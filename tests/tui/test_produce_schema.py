"""The Produce panel with a schema: subjects from the workbench's own Schema Registry (its
REST API on a free port, its `_schemas` topic on the seeded manual-clock cluster), values
checked as they are typed and sent in Confluent's wire format."""

from __future__ import annotations

import json

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Switch

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.codecs import Deserializer
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.host import ServiceHost
from kafkatui.tui import registry_serde
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels import produce_form
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.panels.produce_schema import SchemaChooser
from kafkatui.tui.widgets.producer_path import ProducerPath, StepBox
from tests.tui.conftest import SIZE, until
from tests.tui.test_produce_panel import (
    KEY_PARTITION,
    Harness,
    fill,
    path_shown,
    quick_reveal,  # noqa: F401 (an autouse fixture: the path's reveal at test pace)
    ready,
    records,
    register,
    text_of,
)

SALE_V1 = json.dumps(
    {
        "type": "record",
        "name": "Sale",
        "fields": [{"name": "id", "type": "int"}, {"name": "total", "type": "double"}],
    }
)
SALE_V2 = json.dumps(  # v1 and a note with a default: a BACKWARD-compatible evolution
    {
        "type": "record",
        "name": "Sale",
        "fields": [
            {"name": "id", "type": "int"},
            {"name": "total", "type": "double"},
            {"name": "note", "type": "string", "default": ""},
        ],
    }
)
AUDIT = json.dumps({"type": "record", "name": "Audit", "fields": [{"name": "who", "type": "string"}]})
PAYMENT = json.dumps(
    {
        "title": "Payment",
        "type": "object",
        "properties": {"id": {"type": "integer"}, "amount": {"type": "number", "minimum": 0}},
        "required": ["id", "amount"],
    }
)
REFUND = 'syntax = "proto3";\npackage shop;\n\nmessage Refund {\n  int32 id = 1;\n  double amount = 2;\n}\n'

# Ids in registration order: audit-value 1, sales-value v1 2 and v2 3, payments-value 4, refunds-value 5.
SUBJECTS = (
    ("audit-value", "AVRO", AUDIT),
    ("sales-value", "AVRO", SALE_V1),
    ("sales-value", "AVRO", SALE_V2),
    ("payments-value", "JSON", PAYMENT),
    ("refunds-value", "PROTOBUF", REFUND),
)


def with_registry() -> Harness:
    return Harness(schema_registry=True, registered=SUBJECTS)


def chooser(panel: ProducePanel) -> SchemaChooser:
    return panel.query_one(SchemaChooser)


async def choose(
    pilot: Pilot[None], panel: ProducePanel, schema_type: str, subject: str | None = None
) -> None:
    """Pick a schema type (and a subject of it) and wait until its latest version is loaded."""
    panel.query_one("#value-schema", Select).value = schema_type
    await until(pilot, lambda: chooser(panel).schema is not None, f"a {schema_type} subject loaded")
    if subject is not None and chooser(panel).schema.subject != subject:  # type: ignore[union-attr]
        panel.query_one("#subject", Select).value = subject
        await until(
            pilot,
            lambda: chooser(panel).schema is not None and chooser(panel).schema.subject == subject,  # type: ignore[union-attr]
            f"{subject} loaded",
        )


def subject_options(panel: ProducePanel) -> list[str]:
    return [str(value) for _, value in panel.query_one("#subject", Select)._options if isinstance(value, str)]


async def sent_value(app: Harness, partition: int) -> bytes:
    assert app.backend is not None
    [record] = await app.backend.read_log("sales", partition, 0, 10)
    assert record.value is not None
    return record.value


async def decoded(app: Harness, data: bytes) -> object:
    """What `kafkatui consume` and the Log panel read: the value by the schema id in its framing."""
    assert app.backend is not None
    url = app.backend.schema_registry_url()
    assert url is not None
    client = RegistryClient(url)
    try:
        return (await Deserializer(client)(data)).value
    finally:
        await client.close()


async def test_without_a_registry_the_chooser_says_so_and_text_is_sent_as_before() -> None:
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        schemas = panel.query_one("#value-schema", Select)
        assert schemas.disabled
        assert [label for label, _ in schemas._options] == ["none · no Schema Registry"]
        assert schemas.tooltip == registry_serde.NO_REGISTRY
        assert "--no-schema-registry" in registry_serde.NO_REGISTRY
        assert not panel.query_one("#subject-row").display

        await fill(pilot, panel, key="client-1", value="plain text")
        await pilot.press("enter")
        await path_shown(pilot, panel)
        assert await sent_value(app, KEY_PARTITION) == b"plain text"


async def test_the_topics_subject_is_chosen_and_a_value_is_sent_framed_with_its_latest_id() -> None:
    app = with_registry()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await choose(pilot, panel, "AVRO")
        # TopicNameStrategy's subject for topic sales, among the Avro subjects only.
        assert subject_options(panel) == ["audit-value", "sales-value"]
        assert panel.query_one("#subject", Select).value == "sales-value"
        assert text_of(panel, "#schema-msg") == "version 2 · schema id 3 · Avro"
        json_switch = panel.query_one("#json", Switch)
        assert json_switch.value and json_switch.disabled  # values with a schema are typed as JSON

        await fill(pilot, panel, key="client-1", value='{"id": 7, "total": 9.5, "note": "gift"}')
        await until(
            pilot, lambda: text_of(panel, "#value-msg") == "✔ fits sales-value v2", "the value checked"
        )
        await pilot.press("enter")
        path = await path_shown(pilot, panel)

        data = await sent_value(app, KEY_PARTITION)
        framed = wire.unframe(data)
        assert (data[0], framed.schema_id) == (0, 3)  # magic byte 0, then sales-value v2's global id
        assert await decoded(app, data) == {"id": 7, "total": 9.5, "note": "gift"}
        serialize = str(path.query_one("#step-serialize", StepBox).content)
        assert f"value {len(data)} B: Avro, schema id 3 (magic byte 0, id, payload)" in serialize
        assert [m.trace.offset for m in app.produced] == [0]

        # Back to no schema: the value is its text again, and the JSON switch is the user's.
        panel.query_one("#value-schema", Select).value = "none"
        await pilot.pause()
        assert not panel.query_one("#subject-row").display
        assert not json_switch.disabled and not json_switch.value


async def test_a_value_that_does_not_fit_is_refused_naming_the_field_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = with_registry()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await choose(pilot, panel, "AVRO")
        await fill(pilot, panel, key="client-1", value='{"id": 7, "total": "abc"}')
        await until(pilot, lambda: panel.query_one("#value-msg").has_class("-error"), "the refusal")
        assert text_of(panel, "#value-msg") == '`Sale.total` cannot be "abc" (its type is "double")'
        assert panel.query_one("#send").disabled
        await pilot.press("ctrl+s")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert records(app) == 0 and app.produced == []

        # Enter before the check had its pause: the value is checked as it is sent, and refused.
        monkeypatch.setattr(produce_form, "SCHEMA_CHECK_DELAY", 3600)
        await fill(pilot, panel, value='{"id": "seven", "total": 1.0}')
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert text_of(panel, "#value-msg") == '`Sale.id` cannot be "seven" (its type is "int")'
        assert records(app) == 0 and app.produced == []
        assert not panel.query_one(ProducerPath).complete

        await fill(pilot, panel, value="{not json")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert text_of(panel, "#value-msg").startswith("invalid JSON: ")
        assert records(app) == 0


@pytest.mark.parametrize(
    ("schema_type", "subject", "schema_id", "value", "refused", "why"),
    [
        (
            "JSON", "payments-value", 4, {"id": 1, "amount": 12.5}, '{"id": 1, "amount": -3}',
            "`amount`: -3 is less than the minimum of 0",
        ),
        (
            "PROTOBUF", "refunds-value", 5, {"id": 2, "amount": 4.25}, '{"id": 2, "amount": "x"}',
            "amount",
        ),
    ],
)  # fmt: skip
async def test_json_schema_and_protobuf_values_are_framed_and_checked(
    schema_type: str, subject: str, schema_id: int, value: dict[str, object], refused: str, why: str
) -> None:
    app = with_registry()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await choose(pilot, panel, schema_type, subject)
        assert subject_options(panel) == [subject]

        await fill(pilot, panel, value=refused)
        await until(pilot, lambda: panel.query_one("#value-msg").has_class("-error"), "the refusal")
        assert why in text_of(panel, "#value-msg")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert records(app) == 0

        panel.query_one("#partition", Select).value = 1
        await fill(pilot, panel, value=json.dumps(value))
        await pilot.press("enter")
        await path_shown(pilot, panel)
        data = await sent_value(app, 1)
        assert wire.unframe(data).schema_id == schema_id
        if schema_type == "PROTOBUF":  # message indexes [0] (the first message) as one byte 0
            assert data[5] == 0 and wire.unframe_protobuf(data).message_indexes == (0,)
        assert await decoded(app, data) == value


async def test_choosing_another_topic_chooses_its_value_subject() -> None:
    app = with_registry()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        assert app.backend is not None
        await app.backend.create_topic("audit", 1)
        await panel.refresh_data()
        await choose(pilot, panel, "AVRO")
        assert panel.query_one("#subject", Select).value == "sales-value"

        panel.query_one("#topic", Select).value = "audit"
        await until(
            pilot, lambda: text_of(panel, "#schema-msg") == "version 1 · schema id 1 · Avro", "audit-value"
        )
        assert panel.query_one("#subject", Select).value == "audit-value"
        await fill(pilot, panel, value='{"who": "ana"}')
        await pilot.press("enter")
        await path_shown(pilot, panel)
        [record] = await app.backend.read_log("audit", 0, 0, 10)
        assert record.value is not None and wire.unframe(record.value).schema_id == 1


async def test_auto_produce_with_a_schema_sends_the_framed_value() -> None:
    app = with_registry()
    async with app.run_test(size=SIZE) as pilot:
        panel = await ready(pilot)
        await choose(pilot, panel, "AVRO")
        await fill(pilot, panel, value='{"id": 1, "total": 2.0}', rate="50")
        panel.query_one("#auto", Switch).value = True
        await pilot.pause(0.4)
        panel.query_one("#send").focus()
        await pilot.press("a")
        await pilot.pause(0.1)
        assert app.backend is not None
        logged = [r for p in range(3) for r in await app.backend.read_log("sales", p, 0, 1000)]
        assert logged and len(logged) == panel.auto_sent
        values = {r.value for r in logged}
        [data] = values  # the same record every time: a value with a schema is not numbered
        assert data is not None and wire.unframe(data).schema_id == 3
        assert await decoded(app, data) == {"id": 1, "total": 2.0, "note": ""}  # the note's default


async def test_subjects_registered_while_the_panel_is_open_are_offered() -> None:
    """In the workbench: a registration anywhere (the Schemas panel, `kafkatui schema
    register`, any client) is a record on `_schemas`, and the chooser lists again."""

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        backend = EmbeddedBackend(cluster)
        services = ServiceHost(cluster)
        await services.listen_registry(0, backend=backend)
        backend.attach_listeners(services)
        await backend.create_topic("sales", 3)
        await register(backend, SUBJECTS[:2])
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("4")
        panel = app.panel("produce")
        assert isinstance(panel, ProducePanel)
        await until(pilot, lambda: panel.form.topic == "sales", "topic sales")
        await choose(pilot, panel, "AVRO")
        assert text_of(panel, "#schema-msg") == "version 1 · schema id 2 · Avro"
        assert subject_options(panel) == ["audit-value", "sales-value"]

        assert app.backend is not None
        await register(app.backend, [("returns-value", "AVRO", SALE_V1), ("sales-value", "AVRO", SALE_V2)])
        await until(pilot, lambda: "returns-value" in subject_options(panel), "the new subject")
        await until(pilot, lambda: text_of(panel, "#schema-msg") == "version 2 · schema id 3 · Avro", "v2")
        assert panel.query_one("#subject", Select).value == "sales-value"  # the choice is kept


def test_snapshot_with_a_schema_chosen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def send_then_refuse(pilot: Pilot[None]) -> None:
        panel = await ready(pilot)
        await choose(pilot, panel, "AVRO")
        await fill(pilot, panel, key="client-1", value='{"id": 7, "total": 9.5}')
        await pilot.press("enter")
        await path_shown(pilot, panel)
        await fill(pilot, panel, value='{"id": 7, "total": "ten"}')
        await until(pilot, lambda: panel.query_one("#value-msg").has_class("-error"), "the refusal")
        pilot.app.set_focus(None)  # no blinking cursor in the picture
        await pilot.pause()

    assert snap_compare(with_registry(), terminal_size=(120, 40), run_before=send_then_refuse)
