"""A v3 produce record (kafka-rest's `ProduceRequest`) → the bytes Kafka gets: `key` and
`value` as `{type, data, schema_id | schema_version | schema, subject,
subject_name_strategy}`, `headers` [{name, value: base64}], `partition_id`, `timestamp`.

BINARY is base64, JSON any JSON value, STRING text (NoSchemaRecordSerializer); AVRO,
JSONSCHEMA and PROTOBUF go through the Schema Registry as in v2 (`produce.py`'s
serializers), the schema found as SchemaManagerImpl finds it: by id, by subject and
version, by the raw schema (registered), or the subject's latest. A side without a
`type` or schema is BINARY and is left out of the answer, as ProduceAction does.

Every record is converted whole before it is sent, so a bad one is refused alone and
nothing of it is written."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from binascii import a2b_base64
from typing import Any

from kafkatui.ecosystem.registry.schemas import InvalidSchema, SchemaType, parse_schema
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.errors import RestError
from kafkatui.ecosystem.rest.formats import DataError, decode_binary, encode_json
from kafkatui.ecosystem.rest.produce import serialize_with, serializer_by_id
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError
from kafkatui.ecosystem.serde.codecs import Serializer, record_name
from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy

_SCHEMA_TYPES = {"AVRO": SchemaType.AVRO, "JSONSCHEMA": SchemaType.JSON, "PROTOBUF": SchemaType.PROTOBUF}
_TYPE_NAMES = {v: k for k, v in _SCHEMA_TYPES.items()}
_STRATEGIES = {
    "TOPIC_NAME": SubjectNameStrategy.TOPIC,
    "RECORD_NAME": SubjectNameStrategy.RECORD,
    "TOPIC_RECORD_NAME": SubjectNameStrategy.TOPIC_RECORD,
}
_SCHEMA_FIELDS = ("schema_id", "schema_version", "schema", "subject", "subject_name_strategy")


# One record ready to send: (partition, key, value, headers, timestamp ms or None, tail),
# the tail being the end of its answer (its key's and value's type and size), written
# here once so a report only adds where the record landed. A plain tuple: this is made
# once per record of a stream.
Prepared = tuple[
    int | None, bytes | None, bytes | None, tuple[tuple[str, bytes | None], ...], int | None, str
]


class NeedsSchema(Exception):
    """The record names a schema not looked up yet (`RecordSerde.resolve` it, then again)."""

    def __init__(self, spec: tuple[Any, ...]) -> None:
        super().__init__(spec)
        self.spec = spec


def _bad(message: str) -> RestError:
    return errors.bad_request(message)


def _timestamp_ms(value: Any) -> int | None:
    """`timestamp`, an ISO-8601 instant as Jackson reads `java.time.Instant`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"`timestamp` {json.dumps(value)} is not an ISO-8601 date-time")
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"`timestamp` {json.dumps(value)} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp() * 1000)


def _headers(items: Any) -> tuple[tuple[str, bytes | None], ...]:
    if not items:
        return ()
    if not isinstance(items, list):
        raise _bad("`headers` must be a list of {name, value}")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _bad("each header needs a `name`")
        value = item.get("value")
        if value is None:
            out.append((item["name"], None))
            continue
        try:
            out.append((item["name"], base64.b64decode(value, validate=True)))
        except (binascii.Error, ValueError, TypeError):
            raise _bad(
                f"Cannot deserialize value of type `byte[]` from String {json.dumps(value)}: "
                "not a valid base64 string (header values are base64)"
            ) from None
    return tuple(out)


class RecordSerde:
    """Converts one stream's records; the schemas it looked up stay for the stream."""

    def __init__(self, topic: str, partitions: int, registry: RegistryClient | None) -> None:
        self.topic = topic
        self.partitions = partitions
        self.registry = registry
        self._serializers: dict[tuple[Any, ...], tuple[Serializer, int | None]] = {}
        self._tails: dict[tuple[bool, str, int], str] = {}
        # BINARY's, by size, for the value (0) and the key (1): the common case, looked up
        # without building a key.
        self._binary_tails: tuple[dict[int, str], dict[int, str]] = ({}, {})
        self._value_only_tails: dict[int, str] = {}  # a whole tail: a BINARY value, no key

    def prepare(self, record: Any) -> Prepared:
        """The record as bytes (RestError if it cannot be; NeedsSchema to look one up)."""
        if record.__class__ is not dict:
            raise _bad("a record must be a JSON object")
        get = record.get
        partition = get("partition_id")
        if partition is not None:
            if partition.__class__ is not int:
                raise _bad(f"`partition_id` must be an integer, not {json.dumps(partition)}")
            if not 0 <= partition < self.partitions:
                raise errors.partition_not_found()
        key, value = get("key"), get("value")
        key_bytes, key_tail = (None, "") if key is None else self._side(key, is_key=True)
        headers = get("headers")
        timestamp = get("timestamp")
        if key is None and value.__class__ is dict and len(value) == 2 and headers is None:
            # The common case, a keyless BINARY value: _side's first branch, inline.
            payload = value.get("data")
            if value.get("type") == "BINARY" and payload.__class__ is str:
                try:
                    out = a2b_base64(payload, strict_mode=True)
                except (binascii.Error, ValueError):
                    out = None
                if out is not None:
                    tail = self._value_only_tails.get(len(out))
                    if tail is None:
                        tail = f",{self._tail(False, 'BINARY', len(out))}}}"
                        self._value_only_tails[len(out)] = tail
                    ms = None if timestamp is None else _timestamp_ms(timestamp)
                    return partition, None, out, (), ms, tail
        value_bytes, value_tail = (None, "") if value is None else self._side(value, is_key=False)
        if key_tail:
            tail = f",{key_tail},{value_tail}}}" if value_tail else f",{key_tail}}}"
        else:
            tail = f",{value_tail}}}" if value_tail else "}"
        return (
            partition, key_bytes, value_bytes, _headers(headers) if headers else (),
            None if timestamp is None else _timestamp_ms(timestamp), tail,
        )  # fmt: skip

    def _side(self, data: Any, *, is_key: bool) -> tuple[bytes | None, str]:
        if data.__class__ is not dict:
            raise _bad(f"`{'key' if is_key else 'value'}` must be an object with `type` and `data`")
        kind = data.get("type")
        payload = data.get("data")
        if kind == "BINARY" and payload.__class__ is str and len(data) == 2:
            try:  # the common case, without decode_binary's checks in Python
                out = a2b_base64(payload, strict_mode=True)
            except (binascii.Error, ValueError):
                out = self._plain(kind, payload)  # its error says why
            tails = self._binary_tails[is_key]
            tail = tails.get(len(out))
            if tail is None:
                tail = tails[len(out)] = self._tail(is_key, kind, len(out))
            return out, tail
        if kind is None and not any(data.get(f) is not None for f in _SCHEMA_FIELDS):
            return self._plain("BINARY", payload), ""  # no format: BINARY, not answered
        if kind in ("BINARY", "JSON", "STRING"):
            out = self._plain(kind, payload)
            return out, self._tail(is_key, kind, len(out or b""))
        if kind is not None and kind not in _SCHEMA_TYPES:
            raise _bad(
                f"`type` {json.dumps(kind)} is not one of BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF"
            )
        return self._schema_side(data, kind, payload, is_key)

    @staticmethod
    def _plain(kind: str, payload: Any) -> bytes | None:
        if payload is None:
            return None
        try:
            if kind == "BINARY":
                return decode_binary(payload)
            if kind == "JSON":
                return encode_json(payload)
        except DataError as error:
            raise _bad(str(error)) from None
        if not isinstance(payload, str):
            raise _bad(f"data={json.dumps(payload)} is not a string.")
        return payload.encode()

    def _tail(self, is_key: bool, kind: str, size: int) -> str:
        found = self._tails.get((is_key, kind, size))
        if found is None:
            found = f'"{"key" if is_key else "value"}":{{"type":"{kind}","size":{size}}}'
            self._tails[(is_key, kind, size)] = found
        return found

    def _spec(self, data: dict[str, Any], kind: str | None, is_key: bool) -> tuple[Any, ...]:
        return (is_key, kind, *(data.get(f) for f in _SCHEMA_FIELDS))

    def _schema_side(
        self, data: dict[str, Any], kind: str | None, payload: Any, is_key: bool
    ) -> tuple[bytes | None, str]:
        spec = self._spec(data, kind, is_key)
        found = self._serializers.get(spec)
        if found is None:
            raise NeedsSchema(spec)
        serializer, version = found
        out = None if payload is None else serialize_with(serializer, payload)
        described = {
            "type": _TYPE_NAMES[serializer.schema.schema_type], "subject": serializer.subject,
            "schema_id": serializer.schema_id, "schema_version": version, "size": len(out or b""),
        }  # fmt: skip
        return out, f'"{"key" if is_key else "value"}":{json.dumps(described, separators=(",", ":"))}'

    async def resolve(self, spec: tuple[Any, ...]) -> None:
        """Look up (or register) the schema a record names, as SchemaManagerImpl does."""
        is_key, kind, schema_id, version, text, subject, strategy_name = spec
        if self.registry is None:
            raise errors.serialization("Schema Registry must be configured when using schemas.")
        strategy = _STRATEGIES.get(strategy_name or "TOPIC_NAME")
        if strategy is None:
            raise _bad(
                f"subject_name_strategy {json.dumps(strategy_name)} is not one of {', '.join(_STRATEGIES)}"
            )
        schema_type = _SCHEMA_TYPES.get(kind) if kind is not None else None
        default_subject = None if strategy is not SubjectNameStrategy.TOPIC else strategy.subject(
            self.topic, is_key=is_key, record_name=None)  # fmt: skip
        try:
            if schema_id is not None:
                if not isinstance(schema_id, int):
                    raise _bad("`schema_id` must be an integer")
                if schema_type is None:
                    schema_type = (await self.registry.schema_by_id(schema_id)).schema_type
                named = subject or default_subject or ""
                found = await serializer_by_id(self.registry, schema_type, schema_id, named), None
            elif text is not None:
                if schema_type is None:
                    raise _bad("a raw `schema` needs the `type` (AVRO, JSONSCHEMA or PROTOBUF)")
                try:
                    parsed = parse_schema(schema_type, text, {})
                except InvalidSchema as error:
                    raise errors.invalid_schema(str(error)) from None
                named = subject or strategy.subject(
                    self.topic, is_key=is_key, record_name=record_name(parsed)
                )
                registered = await self.registry.register(named, parsed.canonical(), schema_type)
                found = Serializer.bound(registered, parsed, named), None
            else:
                named = subject or default_subject
                if named is None:
                    raise _bad("the subject of a record-name strategy needs a `schema` or `schema_id`")
                got = await self.registry.version(named, version if version is not None else "latest")
                if schema_type is not None and got.schema.schema_type is not schema_type:
                    raise errors.serialization(
                        f"subject {named} has a {got.schema.schema_type.value} schema, not {kind}"
                    )
                found = Serializer.bound(got.schema_id, got.schema, named), got.version
        except RegistryClientError as error:
            raise errors.serialization(error.message) from None
        except ValueError as error:  # a record-name strategy over a schema without a name
            raise _bad(str(error)) from None
        self._serializers[spec] = found
