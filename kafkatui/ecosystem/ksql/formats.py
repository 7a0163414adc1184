"""ksqlDB's serialization formats (KEY_FORMAT, VALUE_FORMAT) as Streams serdes. A value
serde reads a record into a dict of the source's value columns and writes the value
columns of a row; a key serde reads and writes the key column(s).

- JSON: an object, field names matched case-insensitively (ksqlDB's JSON deserializer);
  written with the columns' names. A single key column is the bare JSON value.
- DELIMITED: the columns in order, comma-separated (VALUE_DELIMITER), CSV quoting.
- KAFKA: one primitive as Kafka's serializers write it: STRING UTF-8, INTEGER 4 bytes,
  BIGINT 8 bytes, DOUBLE 8 bytes IEEE 754, all big-endian.
- JSON_SR, AVRO, PROTOBUF: through the Schema Registry (schemas.py, protobuf.py);
  PROTOBUF_NOSR: a bare protobuf message of the columns' own schema.
A record that does not read is a `SerializationError`: the query's deserialization
handler (log and continue, as ksqlDB's) skips it and says where it was."""

from __future__ import annotations

import csv
import decimal
import io
import json
import struct
from typing import Any

import fastavro

from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.protobuf import ProtobufCodec
from kafkatui.ecosystem.ksql.statements import Column
from kafkatui.ecosystem.ksql.types import coerce
from kafkatui.ecosystem.streams.serdes import SerializationError

FORMATS = ("JSON", "DELIMITED", "KAFKA", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR")
KEY_FORMATS = ("KAFKA", "JSON", "DELIMITED")


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_default)  # one, not one per record
_DECODER = json.JSONDecoder()


def dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def loads(data: bytes) -> Any:
    return _DECODER.decode(bytes(data).decode())


def check_format(name: str, what: str) -> str:
    upper = name.upper()
    if upper not in FORMATS:
        raise KsqlError(f"Unknown format: {name}")
    if what == "KEY_FORMAT" and upper not in KEY_FORMATS:
        raise KsqlError(f"KEY_FORMAT {upper} is not supported here yet: use one of {', '.join(KEY_FORMATS)}")
    return upper


class _Kafka:
    @staticmethod
    def write(value: Any, kind: str) -> bytes | None:
        if value is None:
            return None
        if kind == "INTEGER":
            return struct.pack(">i", int(value))
        if kind == "BIGINT":
            return struct.pack(">q", int(value))
        if kind == "DOUBLE":
            return struct.pack(">d", float(value))
        if kind == "BYTES":
            return bytes(value)
        return str(value).encode()

    @staticmethod
    def read(data: bytes, kind: str) -> Any:
        try:
            if kind == "INTEGER":
                return struct.unpack(">i", data)[0]
            if kind == "BIGINT":
                return struct.unpack(">q", data)[0]
            if kind == "DOUBLE":
                return struct.unpack(">d", data)[0]
        except struct.error:
            raise SerializationError(f"Size of data received by {kind} deserializer is {len(data)}") from None
        if kind == "BYTES":
            return bytes(data)
        try:
            return bytes(data).decode()
        except UnicodeDecodeError as error:
            raise SerializationError(f"not UTF-8: {error}") from None


class ValueSerde:
    """A row's value columns in `format`."""

    def __init__(self, format: str, columns: list[Column], delimiter: str = ",") -> None:
        self.format, self.columns, self.delimiter = format, [c for c in columns if not c.key], delimiter
        self._by_upper = {c.name.upper(): c for c in self.columns}
        self.schema_id: int | None = None  # JSON_SR, AVRO: the registered schema a sink writes with
        self.writer: Any = None  # AVRO: that schema, parsed (fastavro)
        self.readers: dict[int, Any] = {}  # AVRO: the schemas a source's records may name, by id
        # PROTOBUF, PROTOBUF_NOSR (protobuf.py); PROTOBUF's schema id and readers come
        # from the engine, as AVRO's do
        self.protobuf = (
            ProtobufCodec(self.columns, format == "PROTOBUF") if format.startswith("PROTOBUF") else None
        )
        if format == "KAFKA" and len(self.columns) > 1:
            raise KsqlError(
                "The 'KAFKA' format only supports a single field. Got: "
                + ", ".join(f"`{c.name}` {c.type}" for c in self.columns)
            )

    def serialize(self, topic: str, row: Any) -> bytes | None:
        if row is None:
            return None
        if self.format == "JSON":
            return dumps({c.name: row.get(c.name) for c in self.columns})
        if self.format == "JSON_SR":
            if self.schema_id is None:
                raise SerializationError(f"JSON_SR needs a registered schema to write to {topic}")
            payload = dumps({c.name: row.get(c.name) for c in self.columns})
            return bytes((0,)) + self.schema_id.to_bytes(4, "big") + payload
        if self.format == "KAFKA":
            column = self.columns[0]
            return _Kafka.write(row.get(column.name), column.type.base)
        if self.format == "AVRO":
            return self._to_avro(topic, row)
        if self.protobuf is not None:
            return self.protobuf.encode(topic, row)
        out = io.StringIO()
        # The writer quotes a field that holds its line terminator; the record has none.
        csv.writer(out, delimiter=self.delimiter, lineterminator="\r\n").writerow(
            ["" if row.get(c.name) is None else row.get(c.name) for c in self.columns]
        )
        return out.getvalue()[:-2].encode()

    def deserialize(self, topic: str, data: bytes | None) -> dict[str, Any] | None:
        if data is None:
            return None
        try:
            if self.format == "JSON":
                return self._from_json(data)
            if self.format == "JSON_SR":
                # Confluent's framing: magic byte 0, the schema id in 4 bytes, then the JSON.
                if len(data) < 5 or data[0] != 0:
                    raise SerializationError(
                        f"Failed to deserialize value from topic: {topic}. "
                        "Unknown magic byte: not Schema Registry framing"
                    )
                return self._from_json(bytes(data)[5:])
            if self.format == "AVRO":
                return self._from_avro(topic, bytes(data))
            if self.protobuf is not None:
                return self._from_dict(self.protobuf.decode(topic, bytes(data)))
            if self.format == "KAFKA":
                column = self.columns[0]
                return {column.name: _Kafka.read(data, column.type.base)}
            return self._from_delimited(data)
        except (ValueError, TypeError, decimal.InvalidOperation) as error:
            raise SerializationError(f"Failed to deserialize value from topic: {topic}. {error}") from None

    def _to_avro(self, topic: str, row: Any) -> bytes:
        if self.schema_id is None or self.writer is None:
            raise SerializationError(f"AVRO needs a registered schema to write to {topic}")
        buffer = io.BytesIO()
        record = {c.name: _avro_value(row.get(c.name)) for c in self.columns}
        try:
            fastavro.schemaless_writer(buffer, self.writer, record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            raise SerializationError(f"Failed to serialize AVRO value to topic {topic}: {error}") from None
        return bytes((0,)) + self.schema_id.to_bytes(4, "big") + buffer.getvalue()

    def _from_avro(self, topic: str, data: bytes) -> dict[str, Any]:
        if len(data) < 5 or data[0] != 0:
            raise SerializationError(
                f"Failed to deserialize value from topic: {topic}. "
                "Unknown magic byte: not Schema Registry framing"
            )
        schema_id = int.from_bytes(data[1:5], "big")
        reader = self.readers.get(schema_id)
        if reader is None:
            raise SerializationError(
                f"Failed to deserialize value from topic: {topic}. Schema id {schema_id} is not one of "
                f"{topic}-value's versions when the query started"
            )
        try:
            value = fastavro.schemaless_reader(io.BytesIO(data[5:]), reader, None)
        except (EOFError, ValueError, IndexError, TypeError) as error:
            raise SerializationError(f"Failed to deserialize value from topic: {topic}. {error}") from None
        return self._from_dict(value)

    def _from_json(self, data: bytes) -> dict[str, Any]:
        try:
            parsed = loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise SerializationError(
                f"Failed to deserialize value from topic. Invalid JSON: {error}"
            ) from None
        if len(self.columns) == 1 and not isinstance(parsed, dict):
            column = self.columns[0]  # ksqlDB reads an anonymous value into the one column
            return {column.name: coerce(parsed, column.type)}
        return self._from_dict(parsed)

    def _from_dict(self, parsed: Any) -> dict[str, Any]:
        if not isinstance(parsed, dict):
            raise SerializationError(
                f"Can't convert type. sourceType: {type(parsed).__name__}, requiredType: STRUCT"
            )
        fields = {str(k).upper(): v for k, v in parsed.items()}
        exact = parsed
        return {
            c.name: coerce(exact[c.name] if c.name in exact else fields.get(c.name.upper()), c.type)
            for c in self.columns
        }

    def _from_delimited(self, data: bytes) -> dict[str, Any]:
        text = bytes(data).decode()
        try:
            values = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter), [])
        except csv.Error as error:
            raise SerializationError(f"Failed to deserialize DELIMITED value: {error}") from None
        if len(values) != len(self.columns):
            raise SerializationError(
                f"Column count mismatch on deserialization. topic: expected: {len(self.columns)}, "
                f"got: {len(values)}"
            )
        return {
            c.name: None if v == "" else coerce(v, c.type) for c, v in zip(self.columns, values, strict=True)
        }


def _avro_value(value: Any) -> Any:
    # fastavro writes a decimal logical type from Decimal, and everything else as is.
    return value


class KeySerde:
    """The key column(s): none (the key is ignored, written null), one (KAFKA or JSON), or
    several (JSON array, as ksqlDB needs a format that holds more than one)."""

    def __init__(self, format: str, columns: list[Column]) -> None:
        self.format, self.columns = format, [c for c in columns if c.key]
        if format == "KAFKA" and len(self.columns) > 1:
            raise KsqlError("Key format KAFKA does not support multiple key columns: use KEY_FORMAT='JSON'")

    def serialize(self, topic: str, key: Any) -> bytes | None:
        if key is None or not self.columns:
            return None
        if len(self.columns) > 1:
            return dumps(list(key))
        if self.format == "JSON":
            return dumps(key)
        if self.format == "DELIMITED":
            return str(key).encode()
        return _Kafka.write(key, self.columns[0].type.base)

    def deserialize(self, topic: str, data: bytes | None) -> Any:
        if data is None or not self.columns:
            return None
        try:
            if len(self.columns) > 1:
                values = json.loads(bytes(data))
                return tuple(coerce(v, c.type) for v, c in zip(values, self.columns, strict=True))
            column = self.columns[0]
            if self.format == "JSON":
                return coerce(json.loads(bytes(data)), column.type)
            if self.format == "DELIMITED":
                return coerce(bytes(data).decode(), column.type)
            return _Kafka.read(data, column.type.base)
        except (ValueError, TypeError, decimal.InvalidOperation) as error:
            raise SerializationError(f"Failed to deserialize key from topic: {topic}. {error}") from None


class InternalSerde:
    """Rows and aggregates inside a query (repartition topics, stores, changelogs): JSON,
    with decimals as numbers and tuples (multi-column keys) as arrays."""

    def serialize(self, topic: str, data: Any) -> bytes | None:
        return None if data is None else dumps(data)

    def deserialize(self, topic: str, data: bytes | None) -> Any:
        return None if data is None else loads(data)


class InternalKeySerde(InternalSerde):
    def deserialize(self, topic: str, data: bytes | None) -> Any:
        value = super().deserialize(topic, data)
        return tuple(value) if isinstance(value, list) else value
