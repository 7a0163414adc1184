"""Connect's data model, as far as the converters need it: a `Schema` (Kafka's
`org.apache.kafka.connect.data.Schema`) with its JSON form, the one JsonConverter writes
into the `{"schema": ..., "payload": ...}` envelope."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

PRIMITIVES = ("int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string", "bytes")


class DataException(Exception):
    """Kafka's DataException: a value does not fit its schema or its converter."""


@dataclass(frozen=True)
class Schema:
    type: str  # int8 … string, bytes, array, map, struct (Schema.Type, lowercased as in JSON)
    optional: bool = False
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    items: Schema | None = None  # array
    keys: Schema | None = None  # map
    values: Schema | None = None
    fields: tuple[tuple[str, Schema], ...] = field(default=())  # struct

    def to_json(self) -> dict[str, Any]:
        """JsonConverter.asJsonSchema."""
        out: dict[str, Any] = {"type": self.type}
        if self.type == "array" and self.items is not None:
            out["items"] = self.items.to_json()
        if self.type == "map" and self.keys is not None and self.values is not None:
            out["keys"] = self.keys.to_json()
            out["values"] = self.values.to_json()
        if self.type == "struct":
            out["fields"] = [{**s.to_json(), "field": n} for n, s in self.fields]
        out["optional"] = self.optional
        for attribute in ("name", "version", "doc"):
            if getattr(self, attribute) is not None:
                out[attribute] = getattr(self, attribute)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Schema:
        """JsonConverter.asConnectSchema."""
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise DataException("Schema must contain 'type' field")
        kind = data["type"]
        if kind not in (*PRIMITIVES, "array", "map", "struct"):
            raise DataException(f"Unknown schema type: {kind}")
        items = keys = values = None
        fields: tuple[tuple[str, Schema], ...] = ()
        if kind == "array":
            items = cls.from_json(data.get("items"))
        elif kind == "map":
            keys, values = cls.from_json(data.get("keys")), cls.from_json(data.get("values"))
        elif kind == "struct":
            fields = tuple((f["field"], cls.from_json(f)) for f in data.get("fields", []))
        return cls(
            kind, bool(data.get("optional", False)), data.get("name"), data.get("version"),
            data.get("doc"), items, keys, values, fields,
        )  # fmt: skip


STRING_SCHEMA = Schema("string")
OPTIONAL_STRING_SCHEMA = Schema("string", optional=True)
OPTIONAL_BYTES_SCHEMA = Schema("bytes", optional=True)


def to_json_value(schema: Schema | None, value: Any) -> Any:
    """A Connect value as JSON (bytes as base64, as JsonConverter writes them)."""
    if value is None:
        if schema is not None and not schema.optional:
            raise DataException(
                "Conversion error: null value for field that is required and has no default value"
            )
        return None
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if schema is None:
        if isinstance(value, dict):
            return {str(k): to_json_value(None, v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [to_json_value(None, v) for v in value]
        return value
    if schema.type == "array" and isinstance(value, list | tuple):
        return [to_json_value(schema.items, v) for v in value]
    if schema.type == "struct" and isinstance(value, dict):
        return {n: to_json_value(s, value.get(n)) for n, s in schema.fields}
    if schema.type == "map" and isinstance(value, dict):
        return {str(k): to_json_value(schema.values, v) for k, v in value.items()}
    return value


def from_json_value(schema: Schema | None, value: Any) -> Any:
    if value is None or schema is None:
        return value
    if schema.type == "bytes":
        if not isinstance(value, str):
            raise DataException("Invalid type for bytes type: expected a base64 string")
        return base64.b64decode(value)
    if schema.type == "array":
        return [from_json_value(schema.items, v) for v in value]
    if schema.type == "struct":
        return {n: from_json_value(s, value.get(n)) for n, s in schema.fields}
    if schema.type == "map":
        return {k: from_json_value(schema.values, v) for k, v in value.items()}
    return value
