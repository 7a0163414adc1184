"""Avro (fastavro), JSON Schema (jsonschema) and Protobuf (protobuf) in Confluent's
wire format. A `Serializer` is bound to one registered schema and turns JSON-shaped
values into framed bytes, refusing a value that does not fit and naming the field; a
`Deserializer` reads any framed record by its schema id."""

from __future__ import annotations

import importlib
import io
import json
from dataclasses import dataclass
from typing import Any

import fastavro
from fastavro.validation import ValidationError
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import DecodeError, Message

from kafkatui.ecosystem.registry.schemas import ParsedSchema, Reference, SchemaType
from kafkatui.ecosystem.registry.schemas.avro import AvroSchema
from kafkatui.ecosystem.registry.schemas.json_schema import JsonSchema
from kafkatui.ecosystem.registry.schemas.protobuf import ProtobufSchema, message_at, message_indexes
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy


class ValueRefused(ValueError):
    """A value that does not fit its schema; the message names the field."""


def record_name(schema: ParsedSchema, message: str | None = None) -> str | None:
    """The name subject strategies other than TopicNameStrategy use."""
    if isinstance(schema, AvroSchema):
        return schema.parsed.get("name") if isinstance(schema.parsed, dict) else None
    if isinstance(schema, JsonSchema):
        return schema.raw.get("title") if isinstance(schema.raw, dict) else None
    if isinstance(schema, ProtobufSchema):
        names = schema.message_names()
        local = message or (names[0] if names else None)
        package = schema.descriptor.package
        return f"{package}.{local}" if package and local and not local.startswith(package + ".") else local
    return None


# --- Protobuf message classes -------------------------------------------------------------


def _add_file(
    pool: descriptor_pool.DescriptorPool, schema: ProtobufSchema, name: str, added: set[str]
) -> None:
    for dep in schema.descriptor.dependency:
        if dep in added:
            continue
        if dep.startswith("google/protobuf/"):
            module = importlib.import_module(
                "google.protobuf." + dep.removeprefix("google/protobuf/").removesuffix(".proto") + "_pb2"
            )
            pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
            added.add(dep)
        elif dep in schema.references:
            _add_file(pool, schema.references[dep], dep, added)
    if name not in added:
        proto = descriptor_pb2.FileDescriptorProto()
        proto.CopyFrom(schema.descriptor)
        proto.name = name
        pool.Add(proto)
        added.add(name)


def message_class(schema: ProtobufSchema, full_name: str) -> type[Message]:
    pool = descriptor_pool.DescriptorPool()
    _add_file(pool, schema, "kafkatui/" + str(id(schema)) + ".proto", set())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


# --- serializing --------------------------------------------------------------------------


@dataclass
class Serializer:
    """Values → framed bytes with one registered schema."""

    schema_id: int
    schema: ParsedSchema
    subject: str
    message: str | None = None  # Protobuf: the message's full name
    _cls: Any = None
    _indexes: tuple[int, ...] = ()
    _validator: Any = None

    @classmethod
    async def create(
        cls,
        client: RegistryClient,
        topic: str,
        schema: ParsedSchema,
        *,
        is_key: bool = False,
        strategy: SubjectNameStrategy = SubjectNameStrategy.TOPIC,
        references: tuple[Reference, ...] = (),
        message: str | None = None,
    ) -> Serializer:
        """Register `schema` under the strategy's subject (its id if it is there)."""
        name = record_name(schema, message)
        subject = strategy.subject(topic, is_key=is_key, record_name=name)
        schema_id = await client.register(subject, schema.canonical(), schema.schema_type, references)
        return cls(schema_id, schema, subject, name if isinstance(schema, ProtobufSchema) else None)

    def __post_init__(self) -> None:
        # Also for a schema already registered (use.latest.version): built from its id.
        if isinstance(self.schema, ProtobufSchema):
            if self.message is None:  # Confluent's default: the file's first message
                self.message = record_name(self.schema)
            assert self.message is not None, "a .proto without messages cannot serialize"
            self._cls = message_class(self.schema, self.message)
            self._indexes = tuple(message_indexes(self.schema.descriptor, self.message))
        elif isinstance(self.schema, JsonSchema):
            self._validator = self.schema.validator()

    def payload(self, value: Any) -> bytes:
        """The value's encoding without framing (what a plain producer would send)."""
        schema = self.schema
        if isinstance(schema, AvroSchema):
            buffer = io.BytesIO()
            try:
                fastavro.schemaless_writer(buffer, schema.parsed, value)
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                raise ValueRefused(_avro_problem(schema, value)) from None
            return buffer.getvalue()
        if isinstance(schema, JsonSchema):
            error = next(
                iter(sorted(self._validator.iter_errors(value), key=lambda e: list(e.absolute_path))), None
            )
            if error is not None:
                where = ".".join(str(p) for p in error.absolute_path) or "the value"
                raise ValueRefused(f"`{where}`: {error.message}")
            return json.dumps(value, separators=(",", ":")).encode()
        try:
            return json_format.ParseDict(value, self._cls()).SerializeToString()
        except (json_format.ParseError, TypeError, ValueError) as error:
            raise ValueRefused(str(error)) from None

    def __call__(self, value: Any) -> bytes:
        if isinstance(self.schema, ProtobufSchema):
            return wire.frame_protobuf(self.schema_id, self._indexes, self.payload(value))
        return wire.frame(self.schema_id, self.payload(value))


def _avro_problem(schema: AvroSchema, value: Any) -> str:
    try:
        fastavro.validation.validate(value, schema.parsed, raise_errors=True)
    except ValidationError as error:
        problems = []
        for item in error.errors:
            where = getattr(item, "field", None) or "the value"
            problems.append(
                f"`{where}` cannot be {json.dumps(getattr(item, 'datum', None), default=str)} "
                f"(its type is {json.dumps(_avro_type(getattr(item, 'schema', None)), default=str)})"
            )
        return "; ".join(problems) or str(error)
    return "the value does not fit the Avro schema"


def _avro_type(schema: Any) -> Any:
    """A type as a person names it: a record, enum or fixed by its name, not the whole
    parsed schema (which would fill the error line)."""
    if isinstance(schema, dict):
        return schema.get("name") or _avro_type(schema.get("type"))
    if isinstance(schema, list):
        return [_avro_type(branch) for branch in schema]
    return schema


# --- deserializing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    """A framed record taken apart: the framing and the value it decodes to."""

    schema_id: int
    schema_type: SchemaType
    value: Any
    message_indexes: tuple[int, ...] = ()
    message: str | None = None


class Deserializer:
    """Framed bytes → values, by the schema id in each record (fetched once per id)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._classes: dict[tuple[int, str], type[Message]] = {}

    async def __call__(self, data: bytes) -> Decoded:
        framed = wire.unframe(data)
        schema = await self.client.schema_by_id(framed.schema_id)
        if isinstance(schema, AvroSchema):
            try:
                value = fastavro.schemaless_reader(io.BytesIO(framed.payload), schema.parsed, None)
            except (EOFError, ValueError, IndexError, TypeError) as error:
                raise wire.FramingError(
                    f"the payload does not decode with schema {framed.schema_id}: {error}"
                ) from None
            return Decoded(framed.schema_id, SchemaType.AVRO, value)
        if isinstance(schema, JsonSchema):
            try:
                return Decoded(framed.schema_id, SchemaType.JSON, json.loads(framed.payload))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise wire.FramingError(f"the payload is not JSON: {error}") from None
        assert isinstance(schema, ProtobufSchema)
        framed = wire.unframe_protobuf(data)
        try:
            name = message_at(schema.descriptor, list(framed.message_indexes))
        except KeyError:
            raise wire.FramingError(
                f"message indexes {list(framed.message_indexes)} name no message of schema {framed.schema_id}"
            ) from None
        key = (framed.schema_id, name)
        if key not in self._classes:
            self._classes[key] = message_class(schema, name)
        try:
            message = self._classes[key].FromString(framed.payload)
        except DecodeError as error:
            raise wire.FramingError(f"the payload is not a {name}: {error}") from None
        value = json_format.MessageToDict(message, preserving_proto_field_name=True)
        return Decoded(framed.schema_id, SchemaType.PROTOBUF, value, framed.message_indexes, name)
