"""v2 produce (Confluent's `ProduceToTopicAction` / `ProduceToPartitionAction`): a
batch of records in one embedded format, every one converted before any is sent, so
a bad record refuses the whole request and nothing of it is written; then all are sent
together (`send_batch`, one await for the request, not one per record) and each is
answered with its partition and offset, or its own Kafka error."""

from __future__ import annotations

import binascii
from binascii import a2b_base64
from dataclasses import dataclass
from typing import Any

from kafkatui.backends.base import Backend, BatchRecord, ProducerClient
from kafkatui.common.clients import ProducerConfig, RecordMetadata
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.registry.schemas import InvalidSchema, SchemaType, parse_schema
from kafkatui.ecosystem.registry.schemas.avro import AvroSchema
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.formats import (
    DataError,
    EmbeddedFormat,
    decode_binary,
    encode_json,
    from_avro_json,
)
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError
from kafkatui.ecosystem.serde.codecs import Serializer, ValueRefused
from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy

# A record converted, as `ProducerClient.send_batch` takes it: (partition, key, value,
# headers, timestamp); v2 has neither headers nor timestamps.
OutgoingRecord = BatchRecord


@dataclass(frozen=True)
class ProduceBatch:
    records: list[OutgoingRecord]
    key_schema_id: int | None = None
    value_schema_id: int | None = None


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        # Jackson's mapping error, which rest-utils answers 400 with code 400.
        raise errors.bad_request(f"`{name}` must be {'an integer' if kind is int else 'a string'}")
    return value


def _records(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise errors.bad_request("the request must be a JSON object with `records`")
    records = body.get("records")
    if records is None or records == []:
        raise errors.unprocessable("records may not be empty")  # ProduceRequest's @NotEmpty
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise errors.bad_request("`records` must be a list of objects")
    for record in records:
        partition = _field(record, "partition", int)
        if partition is not None and partition < 0:
            raise errors.unprocessable("partition must be greater than or equal to 0")
    return records


class RestProducer:
    """The producer every produce request shares, and the schemas it resolves through
    the registry (`schema.registry.url`), if the service was given one."""

    def __init__(self, backend: Backend, registry: RegistryClient | None) -> None:
        self.backend = backend
        self.registry = registry
        self._producer: ProducerClient | None = None

    async def produce(
        self, fmt: EmbeddedFormat, topic: str, partition: int | None, body: Any
    ) -> dict[str, Any]:
        records = _records(body)
        partitions = await self._partitions(topic)
        for p in [partition, *(r.get("partition") for r in records)]:
            if p is not None and p >= partitions:
                raise errors.partition_not_found()
        batch = await self.prepare(fmt, topic, partition, body, records)
        return await self._send(topic, batch)

    async def _partitions(self, topic: str) -> int:
        """How many partitions `topic` has; one that does not exist is created as a
        producer's Metadata request would (auto.create.topics.enable), else 40401."""
        try:
            await self.backend.auto_create_topic(topic)
            return len(self.backend.describe_topic(topic).partitions)
        except KafkaError as error:
            if error.code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION):
                raise errors.topic_not_found() from None
            raise errors.from_kafka(error) from None

    async def prepare(
        self,
        fmt: EmbeddedFormat,
        topic: str,
        partition: int | None,
        body: dict[str, Any],
        records: list[dict[str, Any]],
    ) -> ProduceBatch:
        """Every record's key and value as bytes, or the error of the first that does not
        convert (nothing is sent then)."""
        if fmt.schema_type is None:
            encode = _binary if fmt is EmbeddedFormat.BINARY else encode_json
            try:
                out = [self._plain(r, partition, encode) for r in records]
            except DataError as error:
                raise errors.bad_request(str(error)) from None
            return ProduceBatch(out)
        key_serializer = await self._serializer(fmt, topic, body, is_key=True)
        value_serializer = await self._serializer(fmt, topic, body, is_key=False)
        out = []
        for record in records:
            key, value = record.get("key"), record.get("value")
            if key is not None and key_serializer is None:
                raise errors.key_schema_missing()
            if value is not None and value_serializer is None:
                raise errors.value_schema_missing()
            own = record.get("partition")
            out.append(
                (
                    own if own is not None else partition,
                    None if key is None else serialize_with(key_serializer, key),
                    None if value is None else serialize_with(value_serializer, value),
                    (),
                    None,
                )
            )
        return ProduceBatch(
            out,
            None if key_serializer is None else key_serializer.schema_id,
            None if value_serializer is None else value_serializer.schema_id,
        )

    @staticmethod
    def _plain(record: dict[str, Any], partition: int | None, encode: Any) -> OutgoingRecord:
        key, value = record.get("key"), record.get("value")
        # A record's own partition wins over the path's, as AbstractProduceAction has it.
        own = record.get("partition")
        return (
            own if own is not None else partition,
            None if key is None else encode(key),
            None if value is None else encode(value),
            (),
            None,
        )

    async def _serializer(
        self, fmt: EmbeddedFormat, topic: str, body: dict[str, Any], *, is_key: bool
    ) -> Serializer | None:
        """The key's or value's schema: `*_schema_id` (looked up), else `*_schema`
        (registered under TopicNameStrategy's subject, or found there); None without."""
        side = "key" if is_key else "value"
        schema_id = _field(body, f"{side}_schema_id", int)
        text = _field(body, f"{side}_schema", str)
        if schema_id is None and text is None:
            return None
        if self.registry is None:
            raise errors.serialization(
                "Schema Registry not defined, no Schema Registry client available to serialize message."
            )
        assert fmt.schema_type is not None
        subject = SubjectNameStrategy.TOPIC.subject(topic, is_key=is_key, record_name=None)
        if schema_id is not None:
            return await serializer_by_id(self.registry, fmt.schema_type, schema_id, subject)
        try:
            parsed = parse_schema(fmt.schema_type, text, {})
        except InvalidSchema as error:
            raise errors.invalid_schema(str(error)) from None
        try:
            return await Serializer.create(self.registry, topic, parsed, is_key=is_key)
        except RegistryClientError as error:
            raise errors.serialization(
                f"Error when registering schema. format = {fmt.name}, subject = {subject}\n{error.message}"
            ) from None

    async def _send(self, topic: str, batch: ProduceBatch) -> dict[str, Any]:
        """Send the records together (one `send_batch`) and answer each with where it
        landed, or its own Kafka error."""
        offsets = []
        add = offsets.append
        for outcome in await (await self.client().send_batch(topic, batch.records)):
            if outcome.__class__ is RecordMetadata:
                add({"partition": outcome.partition, "offset": outcome.offset,
                     "error_code": None, "error": None})  # fmt: skip
            elif isinstance(outcome, KafkaError):
                code = errors.kafka_error_code(outcome)
                add({"partition": None, "offset": None, "error_code": code, "error": str(outcome)})
            else:
                raise outcome  # not Kafka's: the request's 500, as before any record was answered
        return {
            "offsets": offsets,
            "key_schema_id": batch.key_schema_id,
            "value_schema_id": batch.value_schema_id,
        }

    def client(self) -> ProducerClient:
        """The producer every produce request shares (v2's and v3's)."""
        if self._producer is None:
            # kafka-rest sets nothing of its own: Kafka's producer defaults (acks=all).
            self._producer = self.backend.producer(ProducerConfig())
        return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.close()


def _binary(data: Any) -> bytes:
    """decode_binary's answer, from binascii's strict decoder straight away in the
    common case (it refuses whatever b64decode(validate=True) refuses, and decode_binary
    then says why)."""
    if data.__class__ is str:
        try:
            return a2b_base64(data, strict_mode=True)
        except (binascii.Error, ValueError):
            pass
    return decode_binary(data)


async def serializer_by_id(
    registry: RegistryClient, schema_type: SchemaType, schema_id: int, subject: str
) -> Serializer:
    """A serializer for the registered schema `schema_id` (42207 if there is none, or it
    is of another type than the embedded format's)."""
    try:
        schema = await registry.schema_by_id(schema_id)
    except RegistryClientError as error:
        raise errors.serialization(
            f"Error when fetching schema by id. schemaId = {schema_id}\n{error.message}"
        ) from None
    if schema.schema_type is not schema_type:
        raise errors.serialization(
            f"schema {schema_id} is a {schema.schema_type.value} schema, not {schema_type.value}"
        )
    return Serializer.bound(schema_id, schema, subject)


def serialize_with(serializer: Serializer | None, data: Any) -> bytes:
    """`data` (the embedded JSON) in the serializer's schema and wire format; 42203 if it
    does not fit."""
    assert serializer is not None
    try:
        if isinstance(serializer.schema, AvroSchema):
            data = from_avro_json(serializer.schema, data)
        return serializer(data)
    except (DataError, ValueRefused) as error:
        raise errors.conversion_failed(str(error)) from None
