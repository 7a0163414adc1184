"""The REST Proxy's embedded formats (Confluent's `EmbeddedFormat` and `Versions`): how
a record's key and value travel inside the v2 JSON, and the media type that names each.

- binary: base64 text of the raw bytes;
- json: any JSON value, stored as its compact UTF-8 text;
- avro, jsonschema, protobuf: JSON checked against a registered schema and stored in
  Confluent's wire format (magic byte, schema id, payload). Avro's JSON is Avro's own
  JSON encoding (a union's value wrapped as `{"string": "x"}`, bytes as code points
  0-255), as Confluent's AvroConverter reads and writes it."""

from __future__ import annotations

import base64
import binascii
import io
import json
from enum import StrEnum
from typing import Any

import fastavro

from kafkatui.ecosystem.registry.schemas import ParsedSchema, SchemaType
from kafkatui.ecosystem.registry.schemas.avro import AvroSchema

V2 = "application/vnd.kafka.v2+json"
JSON = "application/json"


class EmbeddedFormat(StrEnum):
    BINARY = "binary"
    JSON = "json"
    AVRO = "avro"
    JSONSCHEMA = "jsonschema"
    PROTOBUF = "protobuf"

    @property
    def media_type(self) -> str:
        return f"application/vnd.kafka.{self.value}.v2+json"

    @property
    def schema_type(self) -> SchemaType | None:
        """The registry's schema type for the formats that need one."""
        return {
            EmbeddedFormat.AVRO: SchemaType.AVRO,
            EmbeddedFormat.JSONSCHEMA: SchemaType.JSON,
            EmbeddedFormat.PROTOBUF: SchemaType.PROTOBUF,
        }.get(self)

    @classmethod
    def parse(cls, name: object) -> EmbeddedFormat | None:
        """A consumer's `format` as Confluent reads it (case does not matter)."""
        if not isinstance(name, str):
            return None
        try:
            return cls(name.lower())
        except ValueError:
            return None

    @classmethod
    def of_media_type(cls, media_type: str) -> EmbeddedFormat | None:
        """The format a media type names; `application/vnd.kafka.v2+json` alone is
        binary (Confluent's binary read answers in it too)."""
        if media_type == V2:
            return cls.BINARY
        return next((f for f in cls if f.media_type == media_type), None)


# Binary is the first: a body without a Content-Type is taken as binary, and a read
# with Accept */* as a binary read, as Jersey weighs Confluent's resource methods.
EMBEDDED_TYPES = tuple(f.media_type for f in EmbeddedFormat)
# What the consumer resources read (the embedded types are accepted there too) and
# what every v2 resource answers in.
CONSUMER_REQUEST_TYPES = (V2, *EMBEDDED_TYPES, JSON)
V2_RESPONSE_TYPES = (V2, JSON)
# A read answers in its format's type, or the plain v2 type (binary only).
RECORDS_RESPONSE_TYPES = (*EMBEDDED_TYPES, V2)


class DataError(ValueError):
    """A key or value that does not fit its format (the message says why)."""


def decode_binary(data: Any) -> bytes:
    """A binary key or value: base64 text (NoSchemaRecordSerializer's words)."""
    if not isinstance(data, str):
        raise DataError(f"data={json.dumps(data)} is not a base64 string.")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"data={json.dumps(data)} is not a valid base64 string.") from None


def encode_json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def from_avro_json(schema: AvroSchema, data: Any) -> Any:
    """Avro's JSON encoding of a value → the Python value fastavro writes."""
    try:
        return next(iter(fastavro.json_reader(io.StringIO(json.dumps(data)), schema.parsed)))
    except StopIteration:
        raise DataError("no value") from None
    except Exception:  # fastavro's reader raises whatever its shape checks meet
        raise DataError(
            f"{json.dumps(data)} is not the Avro JSON encoding of a value of schema "
            f'{schema.canonical()} (a union\'s value is written as {{"type name": value}})'
        ) from None


def to_avro_json(schema: ParsedSchema, value: Any) -> Any:
    """A decoded Avro value → Avro's JSON encoding (what Confluent's consumers return)."""
    assert isinstance(schema, AvroSchema)
    out = io.StringIO()
    fastavro.json_writer(out, schema.parsed, [value])
    return json.loads(out.getvalue())


def binary_text(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()
