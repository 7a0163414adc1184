"""Confluent's wire format: properties of the codec, and kafkatui's serde against
records confluent-kafka's serializers wrote (and the other way round)."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.ecosystem.registry.schemas import SchemaType, parse_schema
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer, ValueRefused
from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy
from tests.ecosystem.conftest import ServedRegistry

ids = st.integers(0, wire.MAX_ID)


@given(ids, st.binary(max_size=256))
def test_frame_unframe_round_trips(schema_id: int, payload: bytes) -> None:
    framed = wire.frame(schema_id, payload)
    assert framed[0] == 0 and len(framed) == 5 + len(payload)
    assert wire.unframe(framed) == wire.Framed(schema_id, payload)


@given(ids, st.lists(st.integers(0, 10_000), max_size=6), st.binary(max_size=64))
def test_protobuf_message_indexes_round_trip(schema_id: int, indexes: list[int], payload: bytes) -> None:
    framed = wire.frame_protobuf(schema_id, indexes, payload)
    back = wire.unframe_protobuf(framed)
    assert (back.schema_id, back.payload) == (schema_id, payload)
    assert list(back.message_indexes) == (indexes or [0])


@given(st.integers(-(2**62), 2**62))
def test_zigzag_varints_round_trip(value: int) -> None:
    encoded = wire.zigzag_varint(value)
    assert wire.read_zigzag_varint(encoded + b"tail", 0) == (value, len(encoded))


@given(st.binary(max_size=4) | st.binary(min_size=5).filter(lambda b: b[0] != 0))
def test_what_is_not_framed_is_refused(data: bytes) -> None:
    with pytest.raises(wire.FramingError):
        wire.unframe(data)


ORDER = {"type": "record", "name": "Order", "namespace": "shop",
         "fields": [{"name": "id", "type": "string"}, {"name": "price", "type": "double"}]}  # fmt: skip


def test_kafkatui_serde_and_confluent_serde_read_each_other(registry: ServedRegistry) -> None:
    # confluent-kafka's client blocks: it runs here, ours on the registry's loop.
    theirs = AvroSerializer(SchemaRegistryClient({"url": registry.url}), json.dumps(ORDER))(
        {"id": "b", "price": 1.0}, SerializationContext("orders", MessageField.VALUE)
    )

    async def ours() -> tuple[bytes, object, object]:
        client = RegistryClient(registry.url)
        try:
            schema = parse_schema(SchemaType.AVRO, json.dumps(ORDER), {})
            serializer = await Serializer.create(client, "orders", schema)
            framed = serializer({"id": "a", "price": 2.5})
            with pytest.raises(ValueRefused, match="price"):
                serializer({"id": "a", "price": "cheap"})
            decoded = await Deserializer(client)(theirs)
            record = await Serializer.create(
                client, "orders", schema, strategy=SubjectNameStrategy.TOPIC_RECORD
            )
            return framed, decoded, record.subject
        finally:
            await client.close()

    framed, decoded, subject = registry.call(ours())
    assert AvroDeserializer(SchemaRegistryClient({"url": registry.url}))(
        framed, SerializationContext("orders", MessageField.VALUE)
    ) == {"id": "a", "price": 2.5}
    assert decoded.value == {"id": "b", "price": 1.0} and decoded.schema_id == 1  # type: ignore[attr-defined]
    assert subject == "orders-shop.Order"
