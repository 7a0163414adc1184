"""Converters between Connect's data and the bytes in Kafka (`key.converter`,
`value.converter`), named by Kafka's class names so a connector config written for
Apache Kafka works unchanged: StringConverter, ByteArrayConverter and JsonConverter
(`schemas.enable`, KIP-… the envelope `{"schema": ..., "payload": ...}`). A converter's
own settings come prefixed in the connector's config (`value.converter.schemas.enable`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, Protocol

from kafkatui.ecosystem.connect.data import (
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    DataException,
    Schema,
    from_json_value,
    to_json_value,
)


class Converter(Protocol):
    def configure(self, props: Mapping[str, str], is_key: bool) -> None: ...
    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None: ...
    def to_connect(self, topic: str, raw: bytes | None) -> tuple[Schema | None, Any]: ...


class StringConverter:
    """org.apache.kafka.connect.storage.StringConverter: any value as its text (UTF-8,
    `converter.encoding`); bytes in Kafka are an optional string."""

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        self.encoding = props.get("converter.encoding", "UTF-8")
        try:
            "".encode(self.encoding)
        except LookupError:
            raise DataException(f"Unsupported encoding {self.encoding}") from None

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else _to_string(value)
        return text.encode(self.encoding)

    def to_connect(self, topic: str, raw: bytes | None) -> tuple[Schema | None, Any]:
        try:
            return OPTIONAL_STRING_SCHEMA, None if raw is None else raw.decode(self.encoding)
        except UnicodeDecodeError as error:
            raise DataException(f"Failed to deserialize string: {error}") from None


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class ByteArrayConverter:
    """org.apache.kafka.connect.converters.ByteArrayConverter: bytes pass through."""

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        pass

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if schema is not None and schema.type != "bytes":
            raise DataException(f"Invalid schema type for ByteArrayConverter: {schema.type.upper()}")
        if value is not None and not isinstance(value, bytes | bytearray):
            raise DataException(
                f"ByteArrayConverter is not compatible with objects of type {type(value).__name__}"
            )
        return None if value is None else bytes(value)

    def to_connect(self, topic: str, raw: bytes | None) -> tuple[Schema | None, Any]:
        return OPTIONAL_BYTES_SCHEMA, raw


_NO_SCHEMA = object()  # before a JsonConverter has written any


class JsonConverter:
    """org.apache.kafka.connect.json.JsonConverter. With `schemas.enable` (Kafka's default
    true) each value is the envelope `{"schema": <its Connect schema>, "payload": ...}`;
    without, plain JSON, read back schemaless."""

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        enabled = str(props.get("schemas.enable", "true")).strip().lower()
        if enabled not in ("true", "false"):
            raise DataException(
                f"Invalid value {enabled} for configuration schemas.enable: "
                "Expected value to be either true or false"
            )
        self.schemas_enable = enabled == "true"
        # The last schema written, and the envelope's start for it (from_connect).
        self._last_written: tuple[Schema | object | None, str] = (_NO_SCHEMA, "")
        # The envelope's start, its schema, and whether that is a string schema (to_connect).
        self._envelope: tuple[bytes, Schema | None, bool] | None = None

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if schema is None and value is None:
            return None  # a tombstone stays one
        # A str (a file's lines, the common case) is written as the encoder would, in one C call.
        payload = _encode_str(value) if type(value) is str else _dumps(to_json_value(schema, value))
        if self.schemas_enable:
            # The same bytes as dumping {"schema": ..., "payload": ...}, with the schema's
            # JSON written once per schema (JsonConverter's fromConnectSchemaCache); the
            # last schema's by identity, without hashing it (a Schema hashes all its fields).
            last = self._last_written
            if last[0] is not schema:
                last = self._last_written = (schema, f'{{"schema":{_schema_json(schema)},"payload":')
            return f"{last[1]}{payload}}}".encode()
        return payload.encode()

    def to_connect(self, topic: str, raw: bytes | None) -> tuple[Schema | None, Any]:
        if raw is None:
            return None, None
        envelope = self._envelope
        if envelope is not None and raw.startswith(envelope[0]) and raw.endswith(b"}"):
            # The schema this topic's records carry, seen before: parse the payload only.
            # Anything else after it (an extra field) fails here and takes the full path.
            try:
                text = raw[len(envelope[0]) : -1].decode()
                if text[:1] == '"':
                    # A string payload (a file's line): read by the scanner json.loads
                    # would end in, without its per-call checks; only a whole literal.
                    payload, end = _scan_str(text, 1, True)
                    if end == len(text):
                        if envelope[2]:  # a string schema: from_json_value keeps it as is
                            return envelope[1], payload
                        return envelope[1], from_json_value(envelope[1], payload)
                payload = json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass
            else:
                return envelope[1], from_json_value(envelope[1], payload)
        try:
            # UTF-8, as JsonConverter writes; json.loads(bytes) would first sniff for UTF-16/32.
            try:
                text: str | bytes = raw.decode()
            except UnicodeDecodeError:
                text = raw
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataException(
                f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
            ) from None
        if not self.schemas_enable:
            return None, data
        if not isinstance(data, dict) or set(data) != {"schema", "payload"}:
            raise DataException(
                'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not '
                "contain additional fields. If you are trying to deserialize plain JSON data, set "
                "schemas.enable=false in your converter configuration."
            )
        schema = _connect_schema(data["schema"])
        prefix = f'{{"schema":{_schema_json(schema)},"payload":'.encode()
        if raw.startswith(prefix):  # written as this converter writes it: remembered
            self._envelope = (prefix, schema, schema is not None and schema.type == "string")
        return schema, from_json_value(schema, data["payload"])


SCHEMAS_CACHE_SIZE = 1000  # JsonConverter's schemas.cache.size default
_PLAIN_SCHEMA_KEYS = frozenset(("type", "optional", "name", "version", "doc"))
_plain_schemas: dict[tuple[Any, ...], Schema] = {}


# json.dumps with separators builds an encoder per call; one, made once, writes the same.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_encode_str = json.encoder.encode_basestring_ascii  # what the encoder does with a str
_scan_str = json.decoder.scanstring  # what the decoder does with a string literal (strict)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


@functools.lru_cache(maxsize=SCHEMAS_CACHE_SIZE)
def _schema_json(schema: Schema | None) -> str:
    return _dumps(None if schema is None else schema.to_json())


def _connect_schema(data: Any) -> Schema | None:
    """Schema.from_json, remembered for schemas without nested ones (JsonConverter's
    toConnectSchemaCache): most records of a topic carry the same one."""
    if data is None:
        return None
    if not isinstance(data, dict) or not data.keys() <= _PLAIN_SCHEMA_KEYS:
        return Schema.from_json(data)
    key = (data.get("type"), data.get("optional"), data.get("name"), data.get("version"), data.get("doc"))
    try:
        found = _plain_schemas.get(key)
    except TypeError:  # an unhashable name or doc: not cached
        return Schema.from_json(data)
    if found is None:
        found = Schema.from_json(data)
        if len(_plain_schemas) >= SCHEMAS_CACHE_SIZE:
            _plain_schemas.clear()
        _plain_schemas[key] = found
    return found


# Kafka's class names, and the short aliases Connect's plugin loader accepts for them.
CONVERTERS: dict[str, type] = {
    "org.apache.kafka.connect.storage.StringConverter": StringConverter,
    "org.apache.kafka.connect.converters.ByteArrayConverter": ByteArrayConverter,
    "org.apache.kafka.connect.json.JsonConverter": JsonConverter,
}
_ALIASES = {name.rsplit(".", 1)[1]: name for name in CONVERTERS}


def canonical(name: str) -> str | None:
    """A converter's full class name from its name or alias; None if unknown."""
    name = name.strip()
    if name in CONVERTERS:
        return name
    return _ALIASES.get(name)


def make_converter(class_name: str, props: Mapping[str, str], is_key: bool) -> Converter:
    """A configured converter: `props` is the connector's config, the converter's own
    settings under the `key.converter.` or `value.converter.` prefix."""
    full = canonical(class_name)
    if full is None:
        raise DataException(f"Class {class_name} could not be found.")
    prefix = "key.converter." if is_key else "value.converter."
    own = {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)}
    converter = CONVERTERS[full]()
    converter.configure(own, is_key)
    return converter
