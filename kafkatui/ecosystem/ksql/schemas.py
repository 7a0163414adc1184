"""JSON_SR and AVRO through the Schema Registry (ksqlDB's JsonSchemaFormat): a source declared
without columns takes them from the latest schema of `<topic>-value`; a sink's schema is
made from its columns and registered under `<sink topic>-value` before the query runs,
and every record it writes carries that id in Confluent's framing (magic byte 0, the id
in 4 bytes). Reading needs no schema: the framing is skipped and the JSON read as JSON
is (the registry checks what producers register)."""

from __future__ import annotations

import json
from typing import Any

from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.statements import Column
from kafkatui.ecosystem.ksql.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, SqlType, array

_JSON_TYPES = {"INTEGER": "integer", "BIGINT": "integer", "DOUBLE": "number", "DECIMAL": "number",
               "STRING": "string", "BOOLEAN": "boolean", "TIMESTAMP": "integer", "DATE": "integer",
               "TIME": "integer", "BYTES": "string"}  # fmt: skip


def _json_type(kind: SqlType) -> dict[str, Any]:
    if kind.base == "ARRAY":
        body: dict[str, Any] = {"type": "array", "items": _json_type(kind.items[0])}
    elif kind.base == "MAP":
        body = {"type": "object", "additionalProperties": _json_type(kind.items[1])}
    elif kind.base == "STRUCT":
        body = {"type": "object", "properties": {n: _json_type(t) for n, t in kind.fields}}
    else:
        body = {"type": _JSON_TYPES.get(kind.base, "string")}
    # ksqlDB's columns are nullable: each type also takes null.
    return {"oneOf": [{"type": "null"}, body]}


def json_schema(columns: list[Column]) -> dict[str, Any]:
    """The JSON Schema of a sink's value columns, as ksqlDB registers one."""
    value = [c for c in columns if not c.key]
    return {
        "type": "object",
        "title": "KsqlDataSourceSchema",
        "properties": {c.name: _json_type(c.type) for c in value},
    }


def _sql_type(node: dict[str, Any]) -> SqlType:
    choices = node.get("oneOf") or node.get("anyOf")
    if choices:
        real = [c for c in choices if c.get("type") != "null"]
        return _sql_type(real[0]) if real else STRING
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "integer":
        return BIGINT
    if kind == "number":
        return DOUBLE
    if kind == "boolean":
        return BOOLEAN
    if kind == "array":
        return array(_sql_type(node.get("items") or {}))
    if kind == "object" and "properties" in node:
        return SqlType("STRUCT", fields=tuple((n, _sql_type(p)) for n, p in node["properties"].items()))
    if kind == "object":
        return SqlType("MAP", items=(STRING, _sql_type(node.get("additionalProperties") or {})))
    return STRING


def columns_of(raw: Any, keys: list[Column]) -> list[Column]:
    """The value columns a JSON Schema describes (its properties, upper-cased as ksqlDB
    names columns), after the key columns the statement declared."""
    if not isinstance(raw, dict) or raw.get("type") != "object" or "properties" not in raw:
        raise KsqlError("The value schema of a JSON_SR source must be an object with properties")
    taken = {c.name for c in keys}
    found = [Column(name.upper(), _sql_type(node)) for name, node in raw["properties"].items()]
    return [*keys, *(c for c in found if c.name not in taken)]


def schema_text(columns: list[Column]) -> str:
    return json.dumps(json_schema(columns), separators=(",", ":"))


_AVRO_TYPES = {
    "INTEGER": "int", "BIGINT": "long", "DOUBLE": "double", "STRING": "string", "BOOLEAN": "boolean",
    "BYTES": "bytes",
}  # fmt: skip


def _avro_type(kind: SqlType, name: str) -> Any:
    if kind.base == "ARRAY":
        body: Any = {"type": "array", "items": _avro_type(kind.items[0], name + "_item")}
    elif kind.base == "MAP":
        body = {"type": "map", "values": _avro_type(kind.items[1], name + "_value")}
    elif kind.base == "STRUCT":
        body = {"type": "record", "name": name, "fields": [
            {"name": n, "type": _avro_type(t, f"{name}_{n}"), "default": None} for n, t in kind.fields
        ]}  # fmt: skip
    elif kind.base == "DECIMAL":
        body = {"type": "bytes", "logicalType": "decimal", "precision": kind.precision, "scale": kind.scale}
    elif kind.base in ("TIMESTAMP", "TIME", "DATE"):
        body = "long"
    else:
        body = _AVRO_TYPES.get(kind.base, "string")
    return ["null", body]  # ksqlDB's columns are nullable


def avro_schema(columns: list[Column]) -> dict[str, Any]:
    """The Avro schema of a sink's value columns, named as ksqlDB names it."""
    return {
        "type": "record",
        "name": "KsqlDataSourceSchema",
        "namespace": "io.confluent.ksql.avro_schemas",
        "fields": [
            {"name": c.name, "type": _avro_type(c.type, f"KsqlDataSourceSchema_{c.name}"), "default": None}
            for c in columns if not c.key
        ],
    }  # fmt: skip


def _from_avro(node: Any) -> SqlType:
    if isinstance(node, list):
        real = [n for n in node if n != "null"]
        return _from_avro(real[0]) if real else STRING
    if isinstance(node, dict):
        kind = node.get("type")
        if node.get("logicalType") == "decimal":
            return SqlType("DECIMAL", int(node.get("precision", 10)), int(node.get("scale", 0)))
        if kind == "array":
            return array(_from_avro(node["items"]))
        if kind == "map":
            return SqlType("MAP", items=(STRING, _from_avro(node["values"])))
        if kind == "record":
            return SqlType("STRUCT", fields=tuple((f["name"], _from_avro(f["type"])) for f in node["fields"]))
        return _from_avro(kind)
    return {"int": INTEGER, "long": BIGINT, "float": DOUBLE, "double": DOUBLE, "boolean": BOOLEAN,
            "string": STRING, "bytes": SqlType("BYTES")}.get(str(node), STRING)  # fmt: skip


def columns_of_avro(raw: Any, keys: list[Column]) -> list[Column]:
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise KsqlError("The value schema of an AVRO source must be a record")
    taken = {c.name for c in keys}
    found = [Column(f["name"].upper(), _from_avro(f["type"])) for f in raw["fields"]]
    return [*keys, *(c for c in found if c.name not in taken)]
