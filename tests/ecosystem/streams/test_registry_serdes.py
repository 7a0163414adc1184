"""Schema Registry serdes in a Streams application on the embedded cluster with the
registry served beside it: records framed by a registry serializer (magic byte, schema
id, Protobuf message indexes) are read, transformed and written with the application's
own schema, registered under `<topic>-value`; a record the serde cannot read goes to the
deserialization handler with its offset."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kafkatui.ecosystem.registry.schemas import SchemaType, parse_schema
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer
from kafkatui.ecosystem.streams import AvroSerde, JsonSchemaSerde, ProtobufSerde, StreamsBuilder
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from kafkatui.serve.host import ServiceHost
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

ORDERS, TOTALS = "orders", "totals"
AVRO_IN = (
    '{"type":"record","name":"Order","fields":[{"name":"item","type":"string"},'
    '{"name":"qty","type":"int"},{"name":"price","type":"double"}]}'
)
AVRO_OUT = (
    '{"type":"record","name":"Total","fields":[{"name":"item","type":"string"},'
    '{"name":"total","type":"double"}]}'
)
JSON_IN = (
    '{"type":"object","properties":{"item":{"type":"string"},"qty":{"type":"integer"},'
    '"price":{"type":"number"}}}'
)
JSON_OUT = (
    '{"type":"object","properties":{"item":{"type":"string"},"total":{"type":"number"}},"required":["total"]}'
)
PROTO_IN = (
    'syntax = "proto3"; package shop; message Other { string x = 1; } '
    "message Order { string item = 1; int32 qty = 2; double price = 3; }"
)
PROTO_OUT = 'syntax = "proto3"; package shop; message Total { string item = 1; double total = 2; }'
KINDS = {
    "avro": (SchemaType.AVRO, AvroSerde, AVRO_IN, AVRO_OUT, None),
    "json": (SchemaType.JSON, JsonSchemaSerde, JSON_IN, JSON_OUT, None),
    "protobuf": (SchemaType.PROTOBUF, ProtobufSerde, PROTO_IN, PROTO_OUT, "shop.Order"),
}


@pytest.fixture
async def registry() -> AsyncIterator[tuple[Served, str]]:
    served = await open_served("embedded")
    services = ServiceHost(served.cluster)
    url = await services.listen_registry(0, backend=served.backend)
    try:
        yield served, url
    finally:
        await services.close()
        await close_served(served)


def total(order: dict[str, Any]) -> dict[str, Any]:
    return {"item": order["item"], "total": order["qty"] * order["price"]}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_streams_app_reads_and_writes_registry_framed_records(
    registry: tuple[Served, str], tmp_path: Path, kind: str
) -> None:
    served, url = registry
    schema_type, serde_class, schema_in, schema_out, message = KINDS[kind]
    await served.backend.create_topic(ORDERS, 1, 1)
    await served.backend.create_topic(TOTALS, 1, 1)
    client = RegistryClient(url)
    writer = await Serializer.create(
        client, ORDERS, parse_schema(schema_type, schema_in, {}), message=message
    )
    orders = [{"item": f"i{n}", "qty": n, "price": 2.5} for n in range(1, 6)]
    await served.produce(ORDERS, [(b"k", writer(o)) for o in orders] + [(b"k", b"not framed")])

    builder = StreamsBuilder()
    builder.stream(ORDERS, value_serde=serde_class(url)).map_values(total).to(
        TOTALS, value_serde=serde_class(url, schema_out)
    )
    settings = {
        "application.id": f"totals-{kind}", "state.dir": str(tmp_path), "commit.interval.ms": 100,
        "default.deserialization.exception.handler": "logAndContinue",
    }  # fmt: skip
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()
    await until(lambda: served.caught_up(streams, ORDERS), "the orders to be processed")
    await streams.close()
    assert [(s.offset, "framing" in str(s.error)) for s in streams.skipped] == [(5, True)]

    values = [bytes(r.value) for r in await served.backend.read_log(TOTALS, 0, 0, 100) if r.value]
    decode = Deserializer(client)
    decoded = [await decode(v) for v in values]
    assert [d.value for d in decoded] == [total(o) for o in orders]
    registered = await client.latest(f"{TOTALS}-value")
    assert {d.schema_id for d in decoded} == {registered.schema_id}
    assert registered.schema.schema_type is schema_type
    if kind == "protobuf":  # Confluent's message indexes: Order is the second message, [1]
        assert wire.unframe_protobuf(writer(orders[0])).message_indexes == (1,)
        assert all(d.message == "shop.Total" for d in decoded)
    await client.close()


async def test_internal_topics_take_the_registry_serde_under_their_own_subjects(
    registry: tuple[Served, str], tmp_path: Path
) -> None:
    """Avro through a repartition topic and an aggregate's store: the schema registered
    under `<app>-<store>-repartition-value` and `<app>-<store>-changelog-value` (Kafka
    Streams with Confluent's serde), and after a kill the store comes back from its Avro
    changelog in an instance whose serdes know no schema yet."""
    served, url = registry
    await served.backend.create_topic(ORDERS, 2, 1)
    client = RegistryClient(url)
    writer = await Serializer.create(client, ORDERS, parse_schema(SchemaType.AVRO, AVRO_IN, {}))
    orders = [{"item": f"i{n % 3}", "qty": n, "price": 2.0} for n in range(1, 10)]
    await served.produce(ORDERS, [(str(n).encode(), writer(o)) for n, o in enumerate(orders)])
    expected: dict[str, float] = {}
    for o in orders:
        expected[o["item"]] = expected.get(o["item"], 0.0) + o["qty"] * o["price"]

    def app() -> KafkaStreams:
        builder = StreamsBuilder()
        builder.stream(ORDERS, value_serde=AvroSerde(url)).map_values(total).group_by(
            lambda k, v: v["item"], value_serde=AvroSerde(url, AVRO_OUT)
        ).aggregate(
            lambda: {"item": "", "total": 0.0},
            lambda k, v, agg: {"item": k, "total": agg["total"] + v["total"]},
            value_serde=AvroSerde(url, AVRO_OUT),
            store="totals-store",
        )
        settings = {"application.id": "avro-totals", "state.dir": str(tmp_path), "commit.interval.ms": 100}
        return KafkaStreams(builder.build(), settings, served.backend)

    def totals(streams: KafkaStreams) -> dict[str, float]:
        if streams.error is not None:
            raise streams.error
        found = [t.stores["totals-store"] for t in streams.tasks.values() if "totals-store" in t.stores]
        return {k: v["total"] for store in found for k, v in store.all()}

    streams = app()
    await streams.start()
    await until(lambda: totals(streams) == expected, "the totals")
    repartition = "avro-totals-totals-store-repartition"
    await until(lambda: served.caught_up(streams, ORDERS, repartition), "both sub-topologies committed")
    streams.kill()
    await streams.wait()

    for topic in (repartition, "avro-totals-totals-store-changelog"):
        registered = await client.latest(f"{topic}-value")
        assert registered.schema.schema_type is SchemaType.AVRO and "Total" in str(registered.schema)
        ids = set()
        for partition in range(2):
            for r in await served.backend.read_log(topic, partition, 0, 100):
                ids.add(wire.unframe(bytes(r.value)).schema_id)
        assert ids == {registered.schema_id}

    # Started again on its state directory (the SQLite files, read through the serde),
    # then on none: everything from the Avro changelog.
    for wipe in (False, True):
        if wipe:
            shutil.rmtree(tmp_path / "avro-totals")
        again = app()
        await again.start()
        await until(lambda s=again: totals(s) == expected, "the totals back", 30)
        assert (sum(again.restored.values()) > 0) is wipe
        await again.close()
    await client.close()
