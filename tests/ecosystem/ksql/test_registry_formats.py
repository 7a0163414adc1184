"""JSON_SR and AVRO through the Schema Registry: a stream declared without columns takes
them from `<topic>-value`'s latest schema; a persistent query's sink registers its own
schema and frames every record with that id; an AVRO source's records are read with the
schema their id names (a record without the framing is skipped); without a registry the
statement is refused and changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kafkatui.ecosystem.ksql.engine import KsqlEngine
from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.parser import parse
from kafkatui.ecosystem.registry.schemas.base import SchemaType
from kafkatui.ecosystem.registry.service import RegistryService
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.wire import frame, unframe
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

ORDERS_SCHEMA = {
    "type": "object",
    "properties": {"item": {"type": "string"}, "qty": {"type": "integer"}, "price": {"type": "number"}},
}


@pytest.fixture
async def served() -> AsyncIterator[tuple[Served, str]]:
    s = await open_served("embedded")
    registry = RegistryService(s.backend)
    url = await registry.start(0)
    try:
        yield s, url
    finally:
        await registry.close()
        await close_served(s)


async def run(engine: KsqlEngine, text: str) -> list[Any]:
    return [await engine.execute(s) for s in parse(text)]


async def test_columns_from_the_registry_and_a_framed_sink(served: tuple[Served, str]) -> None:
    cluster, url = served
    client = RegistryClient(url)
    schema_id = await client.register("orders-value", json.dumps(ORDERS_SCHEMA), SchemaType.JSON)
    await cluster.backend.create_topic("orders", 1)
    await cluster.produce(
        "orders", [(b"o1", frame(schema_id, json.dumps({"item": "pen", "qty": 3, "price": 1.5}).encode()))]
    )
    engine = KsqlEngine(cluster.backend, commit_interval_ms=100, schema_registry_url=url)
    await engine.start()
    try:
        await run(
            engine,
            "CREATE STREAM orders (id STRING KEY) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON_SR');",
        )
        source = engine.metastore.sources["ORDERS"]
        assert [(c.name, str(c.type), c.key) for c in source.columns] == [
            ("ID", "STRING", True), ("ITEM", "STRING", False), ("QTY", "BIGINT", False),
            ("PRICE", "DOUBLE", False),
        ]  # fmt: skip
        await run(engine, "CREATE STREAM totals AS SELECT id, item, qty * price AS total FROM orders;")

        async def written() -> Any:
            return await cluster.backend.read_log("TOTALS", 0, 0, 10)

        [record] = await until(written, "the sink's record")
        framed = unframe(bytes(record.value))
        assert json.loads(framed.payload) == {"ITEM": "pen", "TOTAL": 4.5}
        registered = await client.latest("TOTALS-value")
        assert registered.schema_id == framed.schema_id
        assert set(registered.schema.raw["properties"]) == {"ITEM", "TOTAL"}
    finally:
        await engine.close()
        await client.close()


async def test_without_a_registry_json_sr_is_refused(served: tuple[Served, str]) -> None:
    cluster, _ = served
    engine = KsqlEngine(cluster.backend)
    await engine.start()
    try:
        before = await cluster.ends(engine.command_topic)
        with pytest.raises(KsqlError, match=r"without configuring 'ksql\.schema\.registry\.url'"):
            await run(engine, "CREATE STREAM orders (id STRING KEY) WITH (KAFKA_TOPIC='orders', "
                      "VALUE_FORMAT='JSON_SR', PARTITIONS=1);")  # fmt: skip
        with pytest.raises(KsqlError, match=r"Cannot use format PROTOBUF for topic 'orders' without"):
            await run(engine, "CREATE STREAM orders (id STRING KEY) WITH (KAFKA_TOPIC='orders', "
                      "VALUE_FORMAT='PROTOBUF', PARTITIONS=1);")  # fmt: skip
        assert await cluster.ends(engine.command_topic) == before and not engine.metastore.sources
    finally:
        await engine.close()


CLICKS_AVRO = {
    "type": "record",
    "name": "Click",
    "fields": [{"name": "user", "type": "string"}, {"name": "ms", "type": ["null", "long"], "default": None}],
}


async def test_avro_columns_readers_by_id_and_a_registered_sink(served: tuple[Served, str]) -> None:
    import io

    import fastavro

    cluster, url = served
    client = RegistryClient(url)
    schema_id = await client.register("clicks-value", json.dumps(CLICKS_AVRO), SchemaType.AVRO)
    parsed = fastavro.parse_schema(CLICKS_AVRO)

    def avro(value: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, value)
        return frame(schema_id, buffer.getvalue())

    await cluster.backend.create_topic("clicks", 1)
    records = [(b"k1", avro({"user": "ana", "ms": 120})), (b"k2", avro({"user": "ana", "ms": None})),
               (b"k3", b"not framed")]  # fmt: skip
    await cluster.produce("clicks", records)
    engine = KsqlEngine(cluster.backend, commit_interval_ms=100, schema_registry_url=url)
    await engine.start()
    try:
        await run(
            engine, "CREATE STREAM clicks (id STRING KEY) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='AVRO');"
        )
        columns = [(c.name, str(c.type)) for c in engine.metastore.sources["CLICKS"].columns]
        assert columns == [("ID", "STRING"), ("USER", "STRING"), ("MS", "BIGINT")]
        await run(
            engine,
            "CREATE TABLE per_user AS SELECT user, COUNT(*) AS n, SUM(ms) AS total FROM clicks "
            "GROUP BY user;",
        )

        async def written() -> Any:
            records = await cluster.backend.read_log("PER_USER", 0, 0, 10)
            return records if len(records) == 2 else None

        records = await until(written, "both updates")
        last = unframe(bytes(records[-1].value))
        registered = await client.latest("PER_USER-value")
        assert registered.schema_id == last.schema_id
        value = fastavro.schemaless_reader(io.BytesIO(last.payload), registered.schema.parsed, None)
        assert value == {"N": 2, "TOTAL": 120}
    finally:
        await engine.close()
        await client.close()


ORDERS_PROTO = (
    'syntax = "proto3";\n\nmessage Order {\n  string item = 1;\n  int64 qty = 2;\n  double price = 3;\n}\n'
)


async def test_protobuf_columns_readers_and_a_registered_sink(served: tuple[Served, str]) -> None:
    """PROTOBUF: the columns of `<topic>-value`'s message, records read by their schema
    id and message indexes (one not framed is skipped), and a sink that registers its
    own `ConnectDefault1` and frames what it writes."""
    from kafkatui.ecosystem.registry.schemas.protobuf import parse as parse_proto
    from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer

    cluster, url = served
    client = RegistryClient(url)
    serializer = await Serializer.create(client, "orders", parse_proto(ORDERS_PROTO, {}))
    await cluster.backend.create_topic("orders", 1)
    records = [(b"o1", serializer({"item": "pen", "qty": 3, "price": 1.5})), (b"o2", b"not framed"),
               (b"o3", serializer({"item": "pen", "qty": 2, "price": 2.0}))]  # fmt: skip
    await cluster.produce("orders", records)
    engine = KsqlEngine(cluster.backend, commit_interval_ms=100, schema_registry_url=url)
    await engine.start()
    try:
        await run(
            engine,
            "CREATE STREAM orders (id STRING KEY) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='PROTOBUF');",
        )
        columns = [(c.name, str(c.type)) for c in engine.metastore.sources["ORDERS"].columns]
        assert columns == [("ID", "STRING"), ("ITEM", "STRING"), ("QTY", "BIGINT"), ("PRICE", "DOUBLE")]
        await run(
            engine,
            "CREATE TABLE per_item AS SELECT item, SUM(qty) AS qty, SUM(qty * price) AS total FROM orders "
            "GROUP BY item;",
        )

        async def written() -> Any:
            found = await cluster.backend.read_log("PER_ITEM", 0, 0, 10)
            return found if len(found) == 2 else None

        found = await until(written, "both updates")
        decoded = await Deserializer(client)(bytes(found[-1].value))
        registered = await client.latest("PER_ITEM-value")
        assert decoded.schema_id == registered.schema_id and decoded.message == "ConnectDefault1"
        assert decoded.value == {
            "QTY": "5",
            "TOTAL": 8.5,
        }  # int64 as JSON strings, as protobuf's JSON mapping
    finally:
        await engine.close()
        await client.close()
