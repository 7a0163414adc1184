"""PROTOBUF and PROTOBUF_NOSR values (ksqlDB's ProtobufFormat and ProtobufNoSRFormat),
over the protobuf serde of `kafkatui.ecosystem.serde` (message classes, Confluent's
framing with message indexes):

- PROTOBUF: a source's columns come from `<topic>-value`'s latest schema (its first
  message's fields); each record is read with the schema its id names. A sink
  registers a proto3 schema of its value columns — one message `ConnectDefault1`, as
  ksqlDB's (through Connect's ProtobufData) names it — and frames every record.
- PROTOBUF_NOSR: the bare message, no registry and no framing; the schema is the
  columns' own `ConnectDefault1`.

proto3 has no null for a scalar: a column left null is written as absent, and read
back as the type's default (0, "", false), as ksqlDB reads unwrapped fields."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, json_format
from google.protobuf.message import DecodeError, Message

from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.statements import Column
from kafkatui.ecosystem.ksql.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, SqlType, array
from kafkatui.ecosystem.registry.schemas.protobuf import ProtobufSchema, message_at, message_indexes, parse
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.codecs import message_class
from kafkatui.ecosystem.streams.serdes import SerializationError

MESSAGE = "ConnectDefault1"
_TO_PROTO = {"STRING": "string", "INTEGER": "int32", "BIGINT": "int64", "DOUBLE": "double",
             "BOOLEAN": "bool", "BYTES": "bytes"}  # fmt: skip
FieldProto = descriptor_pb2.FieldDescriptorProto
_FROM_PROTO = {
    FieldProto.TYPE_STRING: STRING, FieldProto.TYPE_INT32: INTEGER, FieldProto.TYPE_SINT32: INTEGER,
    FieldProto.TYPE_SFIXED32: INTEGER, FieldProto.TYPE_UINT32: BIGINT, FieldProto.TYPE_FIXED32: BIGINT,
    FieldProto.TYPE_INT64: BIGINT, FieldProto.TYPE_SINT64: BIGINT, FieldProto.TYPE_SFIXED64: BIGINT,
    FieldProto.TYPE_UINT64: BIGINT, FieldProto.TYPE_FIXED64: BIGINT, FieldProto.TYPE_DOUBLE: DOUBLE,
    FieldProto.TYPE_FLOAT: DOUBLE, FieldProto.TYPE_BOOL: BOOLEAN, FieldProto.TYPE_BYTES: SqlType("BYTES"),
    FieldProto.TYPE_ENUM: STRING,
}  # fmt: skip


def _proto_type(kind: SqlType, name: str) -> str:
    if kind.base == "ARRAY" and kind.items and kind.items[0].base in _TO_PROTO:
        return f"repeated {_TO_PROTO[kind.items[0].base]}"
    if kind.base not in _TO_PROTO:
        raise KsqlError(
            f"PROTOBUF: column {name} of type {kind} is not supported here (scalars and arrays of them)"
        )
    return _TO_PROTO[kind.base]


def proto_text(columns: list[Column]) -> str:
    """The proto3 schema of a row's value columns, field numbers in column order."""
    fields = [
        f"  {_proto_type(c.type, c.name)} {c.name} = {number};"
        for number, c in enumerate((c for c in columns if not c.key), start=1)
    ]
    return 'syntax = "proto3";\n\nmessage ' + MESSAGE + " {\n" + "\n".join(fields) + "\n}\n"


def columns_of_protobuf(schema: Any, keys: list[Column]) -> list[Column]:
    """The value columns of a registered schema's first message (names upper-cased, as
    ksqlDB names columns), after the key columns the statement declared."""
    if not isinstance(schema, ProtobufSchema) or not schema.descriptor.message_type:
        raise KsqlError("The value schema of a PROTOBUF source must be a Protobuf schema with a message")
    message = schema.descriptor.message_type[0]
    taken = {c.name for c in keys}
    found = []
    for field in message.field:
        kind = _FROM_PROTO.get(field.type)
        if kind is None:
            raise KsqlError(
                f"PROTOBUF: field {field.name} of {message.name} is a nested message, not read here"
            )
        if field.label == FieldProto.LABEL_REPEATED:
            kind = array(kind)
        found.append(Column(field.name.upper(), kind))
    return [*keys, *(c for c in found if c.name not in taken)]


class ProtobufCodec:
    """One value serde's messages: `registry` (PROTOBUF) frames them with `schema_id` and
    reads any registered version (`readers`, by id); without it (PROTOBUF_NOSR) a bare
    message of the columns' own schema."""

    def __init__(self, columns: list[Column], registry: bool) -> None:
        self.columns, self.registry = columns, registry
        self.schema_id: int | None = None
        self.readers: dict[int, ProtobufSchema] = {}
        self._classes: dict[tuple[int, str], type[Message]] = {}
        self._writer: tuple[type[Message], tuple[int, ...]] | None = None
        if not registry:
            self.use_schema(parse(proto_text(columns), {}))

    def use_schema(self, schema: ProtobufSchema) -> None:
        """The schema a sink writes with (PROTOBUF: the one it registered)."""
        name = schema.message_names()[0]
        self._writer = (message_class(schema, name), tuple(message_indexes(schema.descriptor, name)))

    def encode(self, topic: str, row: dict[str, Any]) -> bytes:
        if self._writer is None or (self.registry and self.schema_id is None):
            raise SerializationError(f"PROTOBUF needs a registered schema to write to {topic}")
        cls, indexes = self._writer
        values = {c.name: row.get(c.name) for c in self.columns if row.get(c.name) is not None}
        try:
            payload = json_format.ParseDict(values, cls()).SerializeToString()
        except (json_format.ParseError, TypeError, ValueError) as error:
            raise SerializationError(
                f"Failed to serialize PROTOBUF value to topic {topic}: {error}"
            ) from None
        if not self.registry:
            return payload
        assert self.schema_id is not None
        return wire.frame_protobuf(self.schema_id, indexes, payload)

    def decode(self, topic: str, data: bytes) -> dict[str, Any]:
        if self.registry:
            try:
                framed = wire.unframe_protobuf(data)
            except wire.FramingError as error:
                raise SerializationError(
                    f"Failed to deserialize value from topic: {topic}. {error}"
                ) from None
            schema = self.readers.get(framed.schema_id)
            if schema is None:
                raise SerializationError(
                    f"Failed to deserialize value from topic: {topic}. Schema id {framed.schema_id} is "
                    f"not one of {topic}-value's versions when the query started"
                )
            try:
                name = message_at(schema.descriptor, list(framed.message_indexes))
            except KeyError:
                raise SerializationError(
                    f"Failed to deserialize value from topic: {topic}. Message indexes "
                    f"{list(framed.message_indexes)} name no message of schema {framed.schema_id}"
                ) from None
            key = (framed.schema_id, name)
            if key not in self._classes:
                self._classes[key] = message_class(schema, name)
            cls, payload = self._classes[key], framed.payload
        else:
            assert self._writer is not None
            cls, payload = self._writer[0], data
        try:
            message = cls.FromString(bytes(payload))
        except DecodeError as error:
            raise SerializationError(f"Failed to deserialize value from topic: {topic}. {error}") from None
        return json_format.MessageToDict(
            message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True,
            unquote_int64_if_possible=True,
        )  # fmt: skip
