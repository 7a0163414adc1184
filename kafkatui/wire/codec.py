"""Kafka's request/response framing over `kio`'s generated message classes.

A frame is a 4-byte big-endian size then that many bytes. A request starts with its
header (v1, or v2 for flexible versions); a response with the correlation id (header v0,
or v1 with tagged fields for flexible versions — except ApiVersions, always v0,
KIP-511). kio gives one frozen dataclass per (API, version); `build` fills one from
keyword arguments, dropping fields that version lacks, so a handler can answer every
version it advertises with one body of code.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import io
import struct
import types
import typing
from types import ModuleType
from typing import Any

from kio.index import load_payload_module
from kio.schema.errors import ErrorCode as KioErrorCode
from kio.serial import entity_reader, entity_writer
from kio.serial.errors import SerialError
from kio.static.constants import EntityType

from kafkatui.common.errors import ErrorCode, KafkaError

_SIZE = struct.Struct(">i")
_KEY_VERSION = struct.Struct(">hh")
MAX_FRAME_BYTES = 100 * 1024 * 1024  # socket.request.max.bytes


class MalformedRequest(Exception):
    """A frame that is not a request this server can parse: Kafka closes the connection."""


@dataclasses.dataclass(frozen=True)
class Request:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    body: Any  # a kio request dataclass


@functools.cache
def request_module(api_key: int, version: int) -> ModuleType:
    return load_payload_module(api_key, version, EntityType.request)


@functools.cache
def response_module(api_key: int, version: int) -> ModuleType:
    return load_payload_module(api_key, version, EntityType.response)


@functools.cache
def request_class(api_key: int, version: int) -> type:
    module = request_module(api_key, version)
    return next(v for v in vars(module).values() if getattr(v, "__type__", None) is EntityType.request)


@functools.cache
def response_class(api_key: int, version: int) -> type:
    module = response_module(api_key, version)
    return next(v for v in vars(module).values() if getattr(v, "__type__", None) is EntityType.response)


_reader = functools.cache(entity_reader)
_writer = functools.cache(entity_writer)


def peek_key_version(frame: bytes) -> tuple[int, int, int]:
    """API key, version and correlation id, without parsing the rest."""
    if len(frame) < 8:
        raise MalformedRequest(f"a request of {len(frame)} bytes is shorter than its header")
    api_key, version = _KEY_VERSION.unpack_from(frame)
    (correlation_id,) = _SIZE.unpack_from(frame, 4)
    return api_key, version, correlation_id


def decode_request(frame: bytes) -> Request:
    """Parse one request frame (without its size prefix)."""
    api_key, version, _ = peek_key_version(frame)
    try:
        cls = request_class(api_key, version)
    except Exception as error:  # kio's UnknownAPIKey / UnknownEntity
        raise MalformedRequest(f"no schema for api key {api_key} version {version}") from error
    try:
        header, pos = _reader(cls.__header_schema__)(frame, 0)
        body, _ = _reader(cls)(frame, pos)
    except (SerialError, ValueError, TypeError, OverflowError, KeyError, IndexError) as error:
        # KeyError: kio refuses a tagged field its schema does not know (Kafka skips those).
        raise MalformedRequest(f"cannot parse api key {api_key} v{version}: {error}") from error
    missing = _null_in_non_nullable(body)
    if missing is not None:
        raise MalformedRequest(f"api key {api_key} v{version}: {missing} is null but may not be")
    return Request(api_key, version, header.correlation_id, header.client_id, body)


@functools.cache
def _non_nullable(cls: type) -> tuple[tuple[str, bool], ...]:
    """(field name, may hold nested entities) for each field that may not be null."""
    out = []
    for f in dataclasses.fields(cls):
        kind = f.type
        if isinstance(kind, types.UnionType) and type(None) in kind.__args__:
            continue
        out.append((f.name, typing.get_origin(kind) is tuple or dataclasses.is_dataclass(kind)))
    return tuple(out)


def _null_in_non_nullable(entity: Any) -> str | None:
    """The first non-nullable field kio read as null (a -1 length it accepts), if any."""
    for name, nested_entities in _non_nullable(type(entity)):
        value = getattr(entity, name)
        if value is None:
            return f"{type(entity).__name__}.{name}"
        if nested_entities:
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item) and (found := _null_in_non_nullable(item)) is not None:
                    return found
    return None


def encode_response(correlation_id: int, body: Any) -> bytes:
    """A whole response frame: size, response header, body."""
    out = io.BytesIO()
    out.write(b"\0\0\0\0")
    header_cls = type(body).__header_schema__
    _writer(header_cls)(out, header_cls(correlation_id=correlation_id))
    _writer(type(body))(out, body)
    frame = out.getbuffer()
    _SIZE.pack_into(frame, 0, len(frame) - 4)
    return bytes(frame)


def error_code(error: KafkaError | ErrorCode | int | None) -> KioErrorCode:
    if error is None:
        return KioErrorCode.none
    code = error.code if isinstance(error, KafkaError) else error
    try:
        return KioErrorCode(int(code))
    except ValueError:  # a code kio does not know: the generic one
        return KioErrorCode.unknown_server_error


def _convert(field: dataclasses.Field[Any], value: Any) -> Any:
    kafka_type = field.metadata.get("kafka_type")
    if kafka_type == "error_code" and not isinstance(value, KioErrorCode):
        return error_code(value)
    if kafka_type in ("timedelta_i32", "timedelta_i64") and isinstance(value, int):
        return datetime.timedelta(milliseconds=value)
    if kafka_type == "datetime_i64" and isinstance(value, int):  # -1: none (null)
        return None if value < 0 else datetime.datetime.fromtimestamp(value / 1000, datetime.UTC)
    return value


@functools.cache
def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls)}


def build(cls: type, **values: Any) -> Any:
    """`cls(**values)` keeping only the fields this version has; ints become the
    error codes and timedeltas kio wants. Missing fields take kio's defaults."""
    fields = _fields(cls)
    return cls(**{k: _convert(fields[k], v) for k, v in values.items() if k in fields})


def nested(body_cls: type, name: str) -> type:
    """A nested entity class (e.g. `ApiVersion`) of the same version as `body_cls`."""
    return getattr(__import__(body_cls.__module__, fromlist=[name]), name)


def millis(value: datetime.timedelta | int) -> int:
    return value if isinstance(value, int) else int(value.total_seconds() * 1000)


def has_field(cls: type, name: str) -> bool:
    return name in _fields(cls)


def unsupported(api_key: int, version: int) -> KafkaError:
    return KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"api key {api_key} version {version} is not supported")
