"""The Log panel's record details show Confluent's framing (magic byte, schema id and the
subject/version registered with it, payload bytes) beside the decoded value, for
records written by kafkatui's serde (Avro, JSON Schema, Protobuf, a framed key); other
records look as before."""

from __future__ import annotations

import json

from textual.pilot import Pilot

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.registry.schemas import SchemaType, parse_schema
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.codecs import Serializer
from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.log import LogPanel
from tests.tui.conftest import SIZE, make_app

ORDER = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "string"}, {"name": "price", "type": "double"},
]})  # fmt: skip
CLIENT_KEY = json.dumps({"type": "string"})
PAYMENT = json.dumps({"type": "object", "title": "Payment", "properties": {"amount": {"type": "number"}}})
SHIPMENT = 'syntax = "proto3";\npackage shop;\nmessage Shipment {\n  string id = 1;\n  int32 boxes = 2;\n}\n'


async def framed_records(backend: EmbeddedBackend) -> None:
    """Topic orders, one partition: a plain JSON record, then records through the serde."""
    url = backend.schema_registry_url()
    assert url is not None
    client = RegistryClient(url)
    await backend.create_topic("orders", 1, 3)
    producer = backend.producer(ProducerConfig(linger_ms=0))
    avro = await Serializer.create(client, "orders", parse_schema(SchemaType.AVRO, ORDER, {}))
    key = await Serializer.create(
        client, "orders", parse_schema(SchemaType.AVRO, CLIENT_KEY, {}), is_key=True
    )
    # Other types in the same topic: subjects per record type (orders-Payment, orders-shop.Shipment).
    by_record = SubjectNameStrategy.TOPIC_RECORD
    payment = await Serializer.create(
        client, "orders", parse_schema(SchemaType.JSON, PAYMENT, {}), strategy=by_record
    )
    shipment = await Serializer.create(
        client, "orders", parse_schema(SchemaType.PROTOBUF, SHIPMENT, {}), strategy=by_record
    )
    records = [
        (b"client-1", b'{"id": "o-0", "price": 1.5}'),  # offset 0: plain JSON, no framing
        (b"client-1", avro({"id": "o-1", "price": 9.5})),  # 1: Avro, orders-value v1 (id 1)
        (key("client-2"), payment({"amount": 12})),  # 2: an Avro key (id 2), JSON Schema value (id 3)
        (b"client-3", shipment({"id": "s-1", "boxes": 2})),  # 3: Protobuf (id 4)
        (b"client-4", wire.frame(99, b"\x02")),  # 4: framed, with an id the registry never gave
    ]
    for k, v in records:
        await producer.send_and_wait("orders", v, key=k, partition=0)
    await producer.close()
    await client.close()


def detail_text(app: KafkaTuiApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_details(app: KafkaTuiApp, pilot: Pilot[None], offset: int) -> LogPanel:
    """Show orders in the Log panel at `offset` and open its details (enter)."""
    await app.ready.wait()
    await pilot.press("3")
    log: LogPanel = app.panel("log")  # type: ignore[assignment]
    await log.show("orders", 0, offset)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    return log


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_an_avro_value_shows_its_framing_beside_the_decoded_value() -> None:
    app = make_app(framed_records, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        log = await open_details(app, pilot, 1)
        framing = log.detail.framing
        assert framing is not None and framing.record == log.detail.record
        assert framing.key is None and framing.value is not None
        assert (framing.value.schema_id, framing.value.schema_type) == (1, "AVRO")
        assert framing.value.uses == (("orders-value", 1),)
        assert framing.value.decoded == {"id": "o-1", "price": 9.5}
        text = detail_text(app)
        assert "Value · Confluent framing" in text
        assert "magic byte 00 (Confluent's wire format)" in text
        assert "schema id  1 · 00 00 00 01" in text
        assert "registered orders-value version 1" in text
        assert "payload    12 B: 06 6f 2d 31 00 00 00 00 00 00" in text  # "o-1", then 9.5 as a double
        assert '"id": "o-1",' in text and '"price": 9.5' in text


async def test_a_framed_key_json_schema_and_protobuf_values() -> None:
    app = make_app(framed_records, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        log = await open_details(app, pilot, 2)
        framing = log.detail.framing
        assert framing is not None and framing.key is not None and framing.value is not None
        assert (framing.key.schema_id, framing.key.uses, framing.key.decoded) == (
            2, (("orders-key", 1),), "client-2",
        )  # fmt: skip
        assert (framing.value.schema_type, framing.value.uses) == ("JSON", (("orders-Payment", 1),))
        assert framing.value.decoded == {"amount": 12}
        text = detail_text(app)
        assert "key       framed: see below" in text
        assert "Key · Confluent framing" in text and "registered orders-key version 1" in text

        await pilot.press("right")  # the details follow the cursor: offset 3
        await settle(pilot)
        framing = log.detail.framing
        assert framing is not None and framing.value is not None
        assert framing.record.offset == 3
        assert (framing.value.schema_type, framing.value.message) == ("PROTOBUF", "shop.Shipment")
        assert framing.value.message_indexes == (0,)
        assert framing.value.decoded == {"id": "s-1", "boxes": 2}
        assert "type       PROTOBUF · message shop.Shipment" in detail_text(app)


async def test_records_without_framing_look_as_before() -> None:
    app = make_app(framed_records, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        log = await open_details(app, pilot, 0)
        assert log.detail.framing is None
        text = detail_text(app)
        assert "Confluent framing" not in text
        assert '"id": "o-0",' in text  # the JSON value, pretty-printed as before


async def test_an_id_the_registry_does_not_know() -> None:
    app = make_app(framed_records, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        log = await open_details(app, pilot, 4)
        framing = log.detail.framing
        assert framing is not None and framing.value is not None
        assert framing.value.schema_id == 99 and framing.value.decoded is None
        assert "the registry knows no schema 99" in detail_text(app)


async def test_without_a_registry_the_framing_is_still_read() -> None:
    async def framed_by_hand(backend: EmbeddedBackend) -> None:
        await backend.create_topic("orders", 1, 3)
        producer = backend.producer(ProducerConfig(linger_ms=0))
        await producer.send_and_wait("orders", wire.frame(7, b"\x06o-1"), key=b"k", partition=0)
        await producer.close()

    app = make_app(framed_by_hand)
    async with app.run_test(size=SIZE) as pilot:
        log = await open_details(app, pilot, 0)
        framing = log.detail.framing
        assert framing is not None and framing.value is not None
        assert (framing.value.schema_id, framing.value.payload) == (7, b"\x06o-1")
        text = detail_text(app)
        assert "schema id  7 · 00 00 00 07" in text
        assert "no Schema Registry runs here" in text
