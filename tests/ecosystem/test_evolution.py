"""Schema evolution under each compatibility level, through confluent-kafka's client:
what each level accepts and refuses, with the reasons said in plain words."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from tests.ecosystem.conftest import ServedRegistry


def avro(*fields: dict[str, object]) -> Schema:
    return Schema(json.dumps({"type": "record", "name": "Order", "fields": list(fields)}), "AVRO")


ID = {"name": "id", "type": "string"}
PRICE = {"name": "price", "type": "double"}
PRICE_DEFAULT = {"name": "price", "type": "double", "default": 0.0}
QTY = {"name": "qty", "type": "int"}
QTY_DEFAULT = {"name": "qty", "type": "int", "default": 1}

# (level, v1, v2, v3 allowed?) — v2 is checked against v1 and v3 against both.
CASES = [
    # BACKWARD: the new schema reads old data — add with a default, remove freely.
    ("BACKWARD", [ID, PRICE], [ID, PRICE, QTY_DEFAULT], True),
    ("BACKWARD", [ID, PRICE], [ID, PRICE, QTY], False),
    # FORWARD: old readers read new data — removing needs a default in the old schema.
    ("FORWARD", [ID, PRICE], [ID], False),
    ("FORWARD", [ID, PRICE_DEFAULT], [ID], True),
    ("FORWARD", [ID], [ID, QTY], True),
    # FULL: both.
    ("FULL", [ID, PRICE], [ID, PRICE, QTY], False),
    ("FULL", [ID, PRICE], [ID, PRICE, QTY_DEFAULT], True),
    ("NONE", [ID, PRICE], [{"name": "id", "type": "int"}], True),
]


@pytest.mark.parametrize(("level", "old", "new", "allowed"), CASES)
def test_each_level_accepts_and_refuses_what_it_should(
    registry: ServedRegistry,
    level: str,
    old: list[dict[str, object]],
    new: list[dict[str, object]],
    allowed: bool,
) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    subject = f"orders-{level.lower()}"
    client.register_schema(subject, avro(*old))
    client.set_compatibility(subject, level)
    assert client.get_compatibility(subject) == level
    assert client.test_compatibility(subject, avro(*new)) is allowed
    if allowed:
        assert client.register_schema(subject, avro(*new)) == 2
        assert client.get_versions(subject) == [1, 2]
    else:
        with pytest.raises(SchemaRegistryError) as refused:
            client.register_schema(subject, avro(*new))
        assert refused.value.http_status_code == 409
        assert refused.value.error_code == 409
        assert client.get_versions(subject) == [1]  # nothing stored


def test_the_refusal_says_what_changed(registry: ServedRegistry) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    client.register_schema("orders-value", avro(ID, PRICE))
    client.set_compatibility("orders-value", "FORWARD")
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema("orders-value", avro(ID))
    assert "field `price` was removed without a default" in refused.value.error_message
    assert "{compatibility: 'FORWARD'}" in refused.value.error_message
    verbose = client.test_compatibility("orders-value", avro(ID), verbose=True)
    assert verbose is False


def test_transitive_levels_check_every_earlier_version(registry: ServedRegistry) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    client.set_compatibility("plain-value", "FORWARD")
    client.set_compatibility("transitive-value", "FORWARD_TRANSITIVE")
    for subject in ("plain-value", "transitive-value"):
        client.register_schema(subject, avro(ID, PRICE))  # v1 needs price
        client.set_compatibility(subject, "NONE")
        client.register_schema(subject, avro(ID, PRICE_DEFAULT))  # v2 has a default
    client.set_compatibility("plain-value", "FORWARD")
    client.set_compatibility("transitive-value", "FORWARD_TRANSITIVE")
    # v3 drops price: v2's readers cope (default), v1's cannot.
    assert client.register_schema("plain-value", avro(ID)) > 0
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema("transitive-value", avro(ID))
    assert "{oldSchemaVersion: 1}" in refused.value.error_message
    client.set_compatibility("transitive-value", "BACKWARD_TRANSITIVE")
    assert client.register_schema("transitive-value", avro(ID)) > 0


def test_compatibility_endpoint_is_verbose_on_request(registry: ServedRegistry) -> None:
    import urllib.request

    client = SchemaRegistryClient({"url": registry.url})
    client.register_schema("orders-value", avro(ID, PRICE))
    body = json.dumps({"schema": avro(ID, PRICE, QTY).schema_str}).encode()
    request = urllib.request.Request(
        f"{registry.url}/compatibility/subjects/orders-value/versions/latest?verbose=true", body,
        {"Content-Type": "application/vnd.schemaregistry.v1+json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    assert answer["is_compatible"] is False
    assert any("field `qty` was added without a default" in m for m in answer["messages"])


def test_global_config_is_the_fallback(registry: ServedRegistry) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    assert client.get_compatibility() == "BACKWARD"
    client.set_compatibility(level="NONE")
    client.register_schema("orders-value", avro(ID, PRICE))
    assert client.register_schema("orders-value", avro({"name": "id", "type": "int"})) == 2
    with pytest.raises(SchemaRegistryError) as unset:
        client.get_compatibility("orders-value")
    assert unset.value.error_code == 40408
    with pytest.raises(SchemaRegistryError) as bad:
        client.set_compatibility("orders-value", "SIDEWAYS")
    assert bad.value.error_code == 42203


JSON_V1 = {"type": "object", "properties": {"id": {"type": "string"}, "price": {"type": "number"}},
           "additionalProperties": False}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "allowed", "reason"),
    [
        ({"properties": {"id": {"type": "string"}, "price": {"type": "number"}, "note": {"type": "string"}}}, True, ""),  # noqa: E501
        ({"required": ["id"]}, False, "property `id` is required by the new schema"),
        ({"properties": {"id": {"type": "string"}, "price": {"type": "integer"}}}, False, "changed type from number to integer"),  # noqa: E501
        ({"properties": {"id": {"type": "string"}}}, False, "property `price` was removed"),
        ({"properties": {"id": {"type": "string"}, "price": {"oneOf": [{"type": "number"}, {"type": "string"}]}}}, True, ""),  # noqa: E501
        ({"properties": {"id": {"type": "string"}, "price": {"allOf": [{"type": "number"}, {"minimum": 0}]}}}, False, "`price` is a plain schema in the old schema but `allOf` in the new schema"),  # noqa: E501
    ],
)  # fmt: skip
def test_json_schema_evolution_rules(
    registry: ServedRegistry, change: dict[str, object], allowed: bool, reason: str
) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    client.register_schema("doc-value", Schema(json.dumps(JSON_V1), "JSON"))
    new = Schema(json.dumps({**JSON_V1, **change}), "JSON")
    if allowed:
        assert client.register_schema("doc-value", new) == 2
    else:
        with pytest.raises(SchemaRegistryError) as refused:
            client.register_schema("doc-value", new)
        assert reason in refused.value.error_message


PROTO_V1 = 'syntax = "proto3"; package shop; message Order { string id = 1; double price = 2; }'


@pytest.mark.parametrize(
    ("new", "allowed", "reason"),
    [
        ('syntax = "proto3"; package shop; message Order { string id = 1; double price = 2; int32 qty = 3; }', True, ""),  # noqa: E501
        ('syntax = "proto3"; package shop; message Order { string id = 1; }', True, ""),  # unknown fields are skipped  # noqa: E501
        ('syntax = "proto3"; package shop; message Order { string id = 1; string price = 2; }', False, "changed type from double to string"),  # noqa: E501
        ('syntax = "proto3"; package shop; message Order { bytes id = 1; double price = 2; }', True, ""),
        ('syntax = "proto3"; package other; message Order { string id = 1; double price = 2; }', False, "the package changed"),  # noqa: E501
        ('syntax = "proto3"; package shop; enum Status { NEW = 0; } message Order { string id = 1; double price = 2; Status status = 3; }', True, ""),  # noqa: E501
        ('syntax = "proto3"; package shop; message Order { string id = 1; repeated double price = 2; }', True, ""),  # noqa: E501
        ('syntax = "proto3"; package shop; message Order { oneof key { string id = 1; double price = 2; } }', False, "are in oneof `key`"),  # noqa: E501
    ],
)  # fmt: skip
def test_protobuf_evolution_follows_the_wire_rules(
    registry: ServedRegistry, new: str, allowed: bool, reason: str
) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    client.register_schema("pb-value", Schema(PROTO_V1, "PROTOBUF"))
    client.set_compatibility("pb-value", "FULL")
    if allowed:
        assert client.register_schema("pb-value", Schema(new, "PROTOBUF")) == 2
    else:
        with pytest.raises(SchemaRegistryError) as refused:
            client.register_schema("pb-value", Schema(new, "PROTOBUF"))
        assert reason in refused.value.error_message
