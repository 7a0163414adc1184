"""A consumed record as a v2 read returns it (Confluent's `BinaryConsumerRecord`,
`JsonConsumerRecord`, `SchemaConsumerRecord`): topic, key, value, partition, offset, the
key and value in the consumer instance's embedded format."""

from __future__ import annotations

import json
from typing import Any

from kafkatui.common.clients import ConsumerRecord
from kafkatui.ecosystem.registry.schemas import SchemaType
from kafkatui.ecosystem.rest.formats import EmbeddedFormat, binary_text, to_avro_json
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError
from kafkatui.ecosystem.serde.codecs import Deserializer
from kafkatui.ecosystem.serde.wire import FramingError


class Undecodable(Exception):
    """A record whose key or value is not in the instance's format (Kafka's
    RecordDeserializationException: the consumer stays at that record)."""


class RecordDecoder:
    def __init__(self, fmt: EmbeddedFormat, registry: RegistryClient | None) -> None:
        self.format = fmt
        self.registry = registry
        self._deserializer = None if registry is None else Deserializer(registry)

    async def __call__(self, record: ConsumerRecord) -> tuple[dict[str, Any], int]:
        """The record's JSON and its size as Confluent counts it against max_bytes (the
        key's and value's bytes)."""
        size = len(record.key or b"") + len(record.value or b"")
        where = f"{record.topic}-{record.partition} at offset {record.offset}"
        try:
            key = await self._field(record.key)
            value = await self._field(record.value)
        except Undecodable as error:
            raise Undecodable(f"Error deserializing key/value for partition {where}: {error}") from None
        out = {"topic": record.topic, "key": key, "value": value,
               "partition": record.partition, "offset": record.offset}  # fmt: skip
        return out, size

    async def _field(self, data: bytes | None) -> Any:
        if data is None:
            return None
        if self.format is EmbeddedFormat.BINARY:
            return binary_text(data)
        if self.format is EmbeddedFormat.JSON:
            try:
                return json.loads(data)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise Undecodable(f"not JSON: {error}") from None
        return await self._schema_field(data)

    async def _schema_field(self, data: bytes) -> Any:
        if self._deserializer is None or self.registry is None:
            raise Undecodable("no Schema Registry is configured to read schema-framed records")
        try:
            decoded = await self._deserializer(data)
            schema = await self.registry.schema_by_id(decoded.schema_id)
        except (FramingError, RegistryClientError) as error:
            raise Undecodable(str(error)) from None
        if decoded.schema_type is not self.format.schema_type:
            raise Undecodable(
                f"schema {decoded.schema_id} is {decoded.schema_type.value}, not {self.format.name}"
            )
        if decoded.schema_type is SchemaType.AVRO:
            return to_avro_json(schema, decoded.value)
        return decoded.value
