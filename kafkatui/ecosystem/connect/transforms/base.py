"""The transformation API (Kafka's `org.apache.kafka.connect.transforms.Transformation`
and `...transforms.predicates.Predicate`, KIP-66 and KIP-585): a plugin declares its
configs (`config_def`), is configured with its own props (the connector's
`transforms.<alias>.` ones, prefix stripped), and maps one record to one record, or to
None to drop it.

A record is a `SourceRecord` or a `SinkRecord` (both frozen dataclasses): `new_record`
copies one with some parts replaced, as ConnectRecord.newRecord does. A value "with a
schema" is a Struct as data.py models it: a dict holding the schema's fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect.api import SinkRecord, SourceRecord
from kafkatui.ecosystem.connect.config import ConfigDef
from kafkatui.ecosystem.connect.data import DataException, Schema

ConnectRecord = SourceRecord | SinkRecord


class Transformation:
    """One single message transform. `class_name` is the name configs use for it."""

    class_name = ""

    def version(self) -> str:
        return "3.9.0"  # the Apache Kafka release whose transform this follows

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def configure(self, props: Mapping[str, Any]) -> None:
        """Parse `props` against config_def (ConfigException names a bad one)."""

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        raise NotImplementedError

    def close(self) -> None:
        return None


class Predicate:
    """A condition a transform is applied under (`transforms.<alias>.predicate`)."""

    class_name = ""

    def version(self) -> str:
        return "3.9.0"

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def configure(self, props: Mapping[str, Any]) -> None:
        pass

    def test(self, record: ConnectRecord) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        return None


def kafka_partition(record: ConnectRecord) -> int | None:
    return record.kafka_partition if isinstance(record, SinkRecord) else record.partition


def new_record(record: ConnectRecord, **changes: Any) -> ConnectRecord:
    """A copy with `topic`, `key`, `key_schema`, `value`, `value_schema`, `timestamp` or
    `headers` replaced (ConnectRecord.newRecord)."""
    return dataclasses.replace(record, **changes)


class KeyOrValue:
    """Which part of the record a `$Key`/`$Value` transform works on (Kafka's
    operatingSchema / operatingValue / newRecord pair)."""

    part = "value"

    def schema_of(self, record: ConnectRecord) -> Schema | None:
        return record.key_schema if self.part == "key" else record.value_schema

    def value_of(self, record: ConnectRecord) -> Any:
        return record.key if self.part == "key" else record.value

    def with_part(self, record: ConnectRecord, schema: Schema | None, value: Any) -> ConnectRecord:
        if self.part == "key":
            return new_record(record, key_schema=schema, key=value)
        return new_record(record, value_schema=schema, value=value)


def require_map(value: Any, purpose: str) -> dict[str, Any]:
    """Requirements.requireMap."""
    if not isinstance(value, dict):
        found = "null" if value is None else type(value).__name__
        raise DataException(
            f"Only Map objects supported in absence of schema for [{purpose}], found: {found}"
        )
    return value


def require_struct(schema: Schema, value: Any, purpose: str) -> dict[str, Any]:
    """Requirements.requireStruct: a Struct is a dict under a struct schema."""
    if schema.type != "struct" or not isinstance(value, dict):
        found = "null" if value is None else type(value).__name__
        raise DataException(f"Only Struct objects supported for [{purpose}], found: {found}")
    return value


def field_schema(schema: Schema, name: str) -> Schema | None:
    for field_name, field in schema.fields:
        if field_name == name:
            return field
    return None


def struct_schema(base: Schema, fields: list[tuple[str, Schema]]) -> Schema:
    """A struct schema like `base` (name, version, doc, optional) with other fields
    (SchemaUtil.copySchemaBasics)."""
    return Schema("struct", base.optional, base.name, base.version, base.doc, fields=tuple(fields))
