"""The field transforms of Kafka's `connect-transforms`: InsertField, ReplaceField,
MaskField, ValueToKey, ExtractField — each on a schemaless value (a dict) or on a Struct
with its schema, as Kafka's apply / applySchemaless / applyWithSchema split them. A
tombstone (null value) passes InsertField (KAFKA-8523) and ReplaceField unchanged; MaskField
and ValueToKey refuse it as Kafka's do (a RecordIsTombstone predicate keeps them off it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect.api import SinkRecord
from kafkatui.ecosystem.connect.config import (
    NO_DEFAULT,
    ConfigDef,
    ConfigException,
    ConfigType,
    Importance,
    non_empty_string,
)
from kafkatui.ecosystem.connect.data import DataException, Schema
from kafkatui.ecosystem.connect.transforms.base import (
    ConnectRecord,
    KeyOrValue,
    Transformation,
    field_schema,
    kafka_partition,
    new_record,
    require_map,
    require_struct,
    struct_schema,
)

PACKAGE = "org.apache.kafka.connect.transforms"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"  # Connect's logical type: int64 ms


def java_list(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def non_empty_list(name: str, value: Any) -> None:
    """ConfigDef's NonEmptyListValidator (via `NO_DEFAULT` a list may still be "")."""
    if value is not None and not [v for v in value if v]:
        raise ConfigException(f"Invalid value {java_list(value)} for configuration {name}: Empty list")


# --- InsertField ----------------------------------------------------------------------

OPTIONALITY_DOC = "Suffix with '!' to make this a required field, or '?' to keep it optional (the default)."
_INSERTED = {  # config → (what, the field's schema type)
    "topic.field": ("Field name for Kafka topic.", "string"),
    "partition.field": ("Field name for Kafka partition.", "int32"),
    "offset.field": ("Field name for Kafka offset - only applicable to sink connectors.", "int64"),
    "timestamp.field": ("Field name for record timestamp.", "int64"),
    "static.field": ("Field name for static data field.", "string"),
}


def _spec(raw: str | None) -> tuple[str, bool] | None:
    """InsertionSpec.parse: a name, optional unless it ends in '!'."""
    if raw is None:
        return None
    if raw.endswith("?"):
        return raw[:-1], True
    if raw.endswith("!"):
        return raw[:-1], False
    return raw, True


class InsertField(KeyOrValue, Transformation):
    """Insert the record's topic, partition, offset (sinks), timestamp, or a static
    value as fields of the key or value."""

    def config_def(self) -> ConfigDef:
        d = ConfigDef()
        for name, (doc, _) in _INSERTED.items():
            d.define(name, ConfigType.STRING, None, Importance.MEDIUM, f"{doc}\n{OPTIONALITY_DOC}")
        d.define(
            "static.value",
            ConfigType.STRING,
            None,
            Importance.MEDIUM,
            "Static field value, if field name configured.",
        )
        return d  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        config = self.config_def().parse(props)
        self.specs = {name: _spec(config[name]) for name in _INSERTED}
        self.static_value = config["static.value"]

    def _inserted(self, record: ConnectRecord) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in self.specs.items():
            if spec is None:
                continue
            if name == "topic.field":
                out[spec[0]] = record.topic
            elif name == "partition.field" and kafka_partition(record) is not None:
                out[spec[0]] = kafka_partition(record)
            elif name == "offset.field":
                if not isinstance(record, SinkRecord):
                    raise DataException(
                        "Offset insertion is only supported for sink connectors, record is of type: "
                        f"{type(record).__name__}"
                    )
                out[spec[0]] = record.kafka_offset
            elif name == "timestamp.field" and record.timestamp is not None:
                out[spec[0]] = record.timestamp
            elif name == "static.field" and self.static_value is not None:
                out[spec[0]] = self.static_value
        return out

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value = self.value_of(record)
        if value is None:
            return record
        schema = self.schema_of(record)
        if schema is None:
            return self.with_part(
                record, None, {**require_map(value, "field insertion"), **self._inserted(record)}
            )
        struct = require_struct(schema, value, "field insertion")
        fields = list(schema.fields)
        for name, spec in self.specs.items():
            if spec is not None:
                kind = _INSERTED[name][1]
                logical = TIMESTAMP if name == "timestamp.field" else None
                fields.append((spec[0], Schema(kind, spec[1], logical, 1 if logical else None)))
        updated = struct_schema(schema, fields)
        inserted = self._inserted(record)
        return self.with_part(record, updated, {n: inserted.get(n, struct.get(n)) for n, _ in fields})


class InsertFieldKey(InsertField):
    class_name = f"{PACKAGE}.InsertField$Key"
    part = "key"


class InsertFieldValue(InsertField):
    class_name = f"{PACKAGE}.InsertField$Value"


# --- ReplaceField ---------------------------------------------------------------------


def _renames(name: str, value: Any) -> None:
    for mapping in value or ():
        if len(mapping.split(":")) != 2:
            raise ConfigException(
                f"Invalid value {java_list(value)} for configuration {name}: "
                f"Invalid rename mapping: {mapping}"
            )


class ReplaceField(KeyOrValue, Transformation):
    """Keep only `include`d fields, drop `exclude`d ones, rename by `renames` (old:new)."""

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("exclude", ConfigType.LIST, [], Importance.MEDIUM,
                    "Fields to exclude. This takes precedence over the fields to include.")
            .define("include", ConfigType.LIST, [], Importance.MEDIUM,
                    "Fields to include. If specified, only these fields will be used.")
            .define("renames", ConfigType.LIST, [], Importance.MEDIUM,
                    "Field rename mappings.", validators=[_renames])
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        # ConfigUtils.translateDeprecatedConfigs: KIP-629's old names still work
        renamed = {"blacklist": "exclude", "whitelist": "include"}
        props = {renamed.get(k, k): v for k, v in props.items() if not (k in renamed and renamed[k] in props)}
        config = self.config_def().parse(props)
        self.exclude = {f for f in config["exclude"] if f}
        self.include = {f for f in config["include"] if f}
        self.renames = dict(m.split(":") for m in config["renames"] if m)

    def _kept(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value = self.value_of(record)
        if value is None:
            return record
        schema = self.schema_of(record)
        if schema is None:
            fields = require_map(value, "field replacement")
            return self.with_part(
                record, None, {self.renames.get(n, n): v for n, v in fields.items() if self._kept(n)}
            )
        struct = require_struct(schema, value, "field replacement")
        kept = [(n, s) for n, s in schema.fields if self._kept(n)]
        updated = struct_schema(schema, [(self.renames.get(n, n), s) for n, s in kept])
        return self.with_part(record, updated, {self.renames.get(n, n): struct.get(n) for n, _ in kept})


class ReplaceFieldKey(ReplaceField):
    class_name = f"{PACKAGE}.ReplaceField$Key"
    part = "key"


class ReplaceFieldValue(ReplaceField):
    class_name = f"{PACKAGE}.ReplaceField$Value"


# --- MaskField ------------------------------------------------------------------------


def masked(value: Any, replacement: str | None) -> Any:
    """MaskField.masked: the type's empty value, or `replacement` read as the type."""
    if value is None:
        return None
    if replacement is None:
        if isinstance(value, bool):
            return False
        for kind in (int, float, str, list, dict):
            if isinstance(value, kind):
                return kind()
        raise DataException(f"Cannot mask value of type: {type(value).__name__}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataException(f"Cannot mask value of type {type(value).__name__} with custom replacement.")
    if isinstance(value, str):
        return replacement
    try:
        return type(value)(replacement)
    except ValueError:
        raise DataException(f"Unable to convert {replacement} (str) to number") from None


class MaskField(KeyOrValue, Transformation):
    """Replace `fields` with their type's empty value (0, "", false, [], {}) or with
    `replacement`."""

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("fields", ConfigType.LIST, NO_DEFAULT, Importance.HIGH,
                    "Names of fields to mask.", validators=[non_empty_list])
            .define("replacement", ConfigType.STRING, None, Importance.LOW,
                    "Custom value replacement, that will be applied to all 'fields' values "
                    "(numeric or non-empty string values only).", validators=[non_empty_string])
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        config = self.config_def().parse(props)
        self.fields = [f for f in config["fields"] if f]
        self.replacement = config["replacement"]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value, schema = self.value_of(record), self.schema_of(record)
        if schema is None:
            updated = dict(require_map(value, "mask fields"))
            for name in self.fields:
                updated[name] = masked(updated.get(name), self.replacement)
            return self.with_part(record, None, updated)
        struct = require_struct(schema, value, "mask fields")
        masks = set(self.fields)
        out = {
            n: masked(struct.get(n), self.replacement) if n in masks else struct.get(n)
            for n, _ in schema.fields
        }
        return self.with_part(record, schema, out)


class MaskFieldKey(MaskField):
    class_name = f"{PACKAGE}.MaskField$Key"
    part = "key"


class MaskFieldValue(MaskField):
    class_name = f"{PACKAGE}.MaskField$Value"


# --- ValueToKey -----------------------------------------------------------------------


class ValueToKey(Transformation):
    """Replace the key with a struct (or map) of `fields` taken from the value."""

    class_name = f"{PACKAGE}.ValueToKey"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            "fields", ConfigType.LIST, NO_DEFAULT, Importance.HIGH,
            "Field names on the record value to extract as the record key.", validators=[non_empty_list],
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        self.fields = [f for f in self.config_def().parse(props)["fields"] if f]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        purpose = "copying fields from value to key"
        if record.value_schema is None:
            value = require_map(record.value, purpose)
            return new_record(record, key_schema=None, key={f: value.get(f) for f in self.fields})
        struct = require_struct(record.value_schema, record.value, purpose)
        fields = []
        for name in self.fields:
            schema = field_schema(record.value_schema, name)
            if schema is None:
                raise DataException(f"Field does not exist: {name}")
            fields.append((name, schema))
        key_schema = Schema("struct", fields=tuple(fields))
        return new_record(record, key_schema=key_schema, key={f: struct.get(f) for f in self.fields})


# --- ExtractField ---------------------------------------------------------------------


class ExtractField(KeyOrValue, Transformation):
    """Replace the key or value with one of its fields (and that field's schema)."""

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            "field", ConfigType.STRING, NO_DEFAULT, Importance.MEDIUM,
            "Field name to extract.", validators=[non_empty_string],
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        self.field = self.config_def().parse(props)["field"]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        schema, value = self.schema_of(record), self.value_of(record)
        purpose = "field extraction"
        if schema is None:
            if value is None:
                return self.with_part(record, None, None)
            return self.with_part(record, None, require_map(value, purpose).get(self.field))
        extracted = field_schema(schema, self.field)
        if extracted is None:
            raise DataException(f"Unknown field: {self.field}")  # Kafka's IllegalArgumentException
        if value is None:
            return self.with_part(record, extracted, None)
        return self.with_part(record, extracted, require_struct(schema, value, purpose).get(self.field))


class ExtractFieldKey(ExtractField):
    class_name = f"{PACKAGE}.ExtractField$Key"
    part = "key"


class ExtractFieldValue(ExtractField):
    class_name = f"{PACKAGE}.ExtractField$Value"
