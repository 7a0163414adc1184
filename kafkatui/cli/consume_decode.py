"""`kafkatui consume`'s keys and values: those in Confluent's wire format decoded by the
schema id they carry (the serde's `Deserializer`, on the registry `cli/registry.py`
finds), the rest shown as before. The registry is asked for only at the first framed
record, so reading a topic of plain text never needs one.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kafkatui.cli.context import fail
from kafkatui.cli.serde import SCHEMA_TYPES

if TYPE_CHECKING:
    from kafkatui.ecosystem.serde.client import RegistryClient
    from kafkatui.ecosystem.serde.codecs import Decoded, Deserializer


class ReadFormat(enum.StrEnum):
    auto = "auto"  # decode what is Confluent-framed, show the rest as it is
    raw = "raw"
    avro = "avro"
    json_schema = "json-schema"
    protobuf = "protobuf"


def _read_format_option(side: str) -> Any:
    return typer.Option(
        f"--{side}-format",
        help=f"How {side}s are shown: auto decodes those in Confluent's wire format by their schema id "
        "(when the cluster has a Schema Registry, or --schema-registry-url names one) and shows other bytes "
        "as they are; avro, json-schema or protobuf expect that format (a record that is not is an error "
        "line, and shown as it is); raw never decodes.",
    )


ValueReadOption = Annotated[ReadFormat, _read_format_option("value")]
KeyReadOption = Annotated[ReadFormat, _read_format_option("key")]


@dataclass(frozen=True)
class Shown:
    """One side of a record as `consume` shows it: decoded (JSON, with its schema's id,
    subject and version) or its bytes as they are."""

    data: bytes | None
    decoded: bool = False
    value: Any = None
    schema: dict[str, Any] | None = None


class Undecodable(Exception):
    """A side that should decode and does not: `name` as the error line names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def looks_framed(data: bytes) -> bool:
    """Confluent's framing: magic byte 0 and a 4-byte schema id (then the payload)."""
    return len(data) >= 5 and data[0] == 0


class RecordDecoder:
    """Keys and values → `Shown`, by the schema id each framed one carries. The registry
    is asked for (`open_registry`) at the first framed record, so a topic of plain text
    never needs one."""

    def __init__(
        self,
        topic: str,
        open_registry: Callable[[], Awaitable[RegistryClient | None]],
        *,
        on_unregistered: Callable[[], None] = lambda: None,
    ) -> None:
        self.topic = topic
        self._open_registry = open_registry
        self._on_unregistered = on_unregistered  # called once: framed records, and no registry
        self._noted = False
        self._opened = False
        self._client: RegistryClient | None = None
        self._deserializer: Deserializer | None = None
        self._unknown: dict[int, Undecodable] = {}
        self._uses: dict[tuple[int, bool], tuple[str, int] | None] = {}

    async def _registry(self) -> RegistryClient | None:
        if not self._opened:
            self._opened = True
            self._client = await self._open_registry()
            if self._client is not None:
                from kafkatui.ecosystem.serde.codecs import Deserializer

                self._deserializer = Deserializer(self._client)
        return self._client

    async def decode(self, data: bytes | None, fmt: ReadFormat, *, is_key: bool) -> Shown:
        """Raises `Undecodable` (the record is then shown as it is); a registry that
        cannot be reached raises `RegistryClientError` (the command stops)."""
        from kafkatui.ecosystem.registry import errors
        from kafkatui.ecosystem.serde.client import RegistryClientError
        from kafkatui.ecosystem.serde.wire import FramingError, unframe

        if data is None or fmt is ReadFormat.raw or (fmt is ReadFormat.auto and not looks_framed(data)):
            return Shown(data)
        try:
            schema_id = unframe(data).schema_id
        except FramingError as error:
            raise Undecodable("INVALID_RECORD", f"not in Confluent's wire format: {error}") from None
        client = await self._registry()
        if client is None or self._deserializer is None:
            if fmt is not ReadFormat.auto:
                raise _no_registry(schema_id)
            if not self._noted:
                self._noted = True
                self._on_unregistered()
            return Shown(data)
        if schema_id in self._unknown:
            raise self._unknown[schema_id]
        try:
            decoded = await self._deserializer(data)
        except RegistryClientError as error:
            if error.status == 0:
                raise
            unknown = Undecodable(
                errors.error_name(error.error_code),
                f"schema id {schema_id}: {error.message.rstrip('. ')} (error code {error.error_code})",
            )
            if error.error_code == errors.SCHEMA_NOT_FOUND:
                self._unknown[schema_id] = unknown  # an id never changes meaning
            raise unknown from None
        except FramingError as error:
            raise Undecodable("INVALID_RECORD", f"schema id {schema_id}: {error}") from None
        side = "key" if is_key else "value"
        if fmt is not ReadFormat.auto and decoded.schema_type != SCHEMA_TYPES[fmt.value]:
            raise Undecodable(
                "INVALID_RECORD",
                f"schema id {schema_id} is {decoded.schema_type}, not {fmt.value} (--{side}-format)",
            )
        return Shown(data, True, _as_json(decoded.value), await self._schema(client, decoded, is_key))

    async def _schema(self, client: RegistryClient, decoded: Decoded, is_key: bool) -> dict[str, Any]:
        info: dict[str, Any] = {"id": decoded.schema_id, "type": str(decoded.schema_type)}
        used = await self._used_as(client, decoded.schema_id, is_key)
        if used is not None:
            info["subject"], info["version"] = used
        if decoded.message is not None:
            info["message"] = decoded.message
            info["message_indexes"] = list(decoded.message_indexes)
        return info

    async def _used_as(self, client: RegistryClient, schema_id: int, is_key: bool) -> tuple[str, int] | None:
        """The subject and version of an id: the topic's own subject if the id is one of
        its versions, else the first that uses it (a registry too old to say: None)."""
        from kafkatui.ecosystem.serde.client import RegistryClientError

        if (schema_id, is_key) not in self._uses:
            try:
                uses = await client.request("GET", f"/schemas/ids/{schema_id}/versions")
            except RegistryClientError as error:
                if error.status == 0:
                    raise
                uses = []
            own = f"{self.topic}-{'key' if is_key else 'value'}"
            ranked = sorted(uses, key=lambda u: u.get("subject") != own)
            self._uses[(schema_id, is_key)] = (ranked[0]["subject"], ranked[0]["version"]) if ranked else None
        return self._uses[(schema_id, is_key)]


def _no_registry(schema_id: int) -> typer.Exit:
    from kafkatui.ecosystem.registry import errors

    return fail(
        errors.error_name(errors.SCHEMA_NOT_FOUND),
        f"no Schema Registry to read schema id {schema_id} from: the cluster has no _schemas topic (nothing "
        "was ever registered on it); --schema-registry-url names a registry",
    )


def _json_default(value: Any) -> Any:
    """Avro's values that JSON has no type for."""
    if isinstance(value, bytes):
        return value.decode("latin-1")  # Avro's JSON encoding of bytes: one code point per byte
    if isinstance(value, decimal.Decimal):
        return str(value)  # a string keeps every digit
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))
