"""The Schema Registry as the Produce panel uses it: which subjects hold schemas of a
type, and a subject's latest version as the serializer a value typed as JSON is checked
against and sent with, in Confluent's wire format.

Like the Schemas panel's glue (`registry.py`, which takes its client and its "no
registry" text from here), it speaks Confluent's REST API to the registry's URL
(`Backend.schema_registry_url`) through the serde's `RegistryClient`, so the same code
serves the workbench's own registry, the one of the kafkatui process it attached to, and
Confluent's. No Textual here. The codecs (fastavro, protobuf, jsonschema) and the HTTP
client load only once a registry is there to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kafkatui.ecosystem.serde.client import RegistryClient
    from kafkatui.ecosystem.serde.codecs import Serializer

# The registry's schemaType values, as the panel names them.
SCHEMA_TYPES = {"AVRO": "Avro", "JSON": "JSON Schema", "PROTOBUF": "Protobuf"}

# What the Schemas and Produce panels say where a registry would be.
NO_REGISTRY = (
    "No Schema Registry runs for this workbench. Started without --no-schema-registry "
    "(and with --listen, the default), the workbench serves one on 127.0.0.1:8081 over its "
    "cluster's _schemas topic; `kafkatui serve` runs one too. Attached to another kafkatui "
    "process, the workbench uses that process's registry."
)
REGISTRY_TIMEOUT_S = 10.0  # a panel's call to the registry gives up after this


def registry_client(url: str) -> RegistryClient:
    """The REST client every panel reaches the registry at `url` with."""
    from kafkatui.ecosystem.serde.client import RegistryClient

    return RegistryClient(url, timeout_s=REGISTRY_TIMEOUT_S)


@dataclass(frozen=True)
class ValueSchema:
    """One version of a subject, bound to its serializer (Confluent's use.latest.version)."""

    subject: str
    version: int
    serializer: Serializer

    @property
    def schema_id(self) -> int:
        return self.serializer.schema_id

    @property
    def schema_type(self) -> str:
        return self.serializer.schema.schema_type.value

    @property
    def title(self) -> str:
        """The version, id and type: "version 2 · schema id 3 · Avro"."""
        kind = SCHEMA_TYPES.get(self.schema_type, self.schema_type)
        return f"version {self.version} · schema id {self.schema_id} · {kind}"

    @property
    def serializer_name(self) -> str:
        """What made the bytes, for the producer path: "Avro, schema id 3 (magic byte 0, id, payload)"."""
        kind = SCHEMA_TYPES.get(self.schema_type, self.schema_type)
        indexes = "message indexes, " if self.schema_type == "PROTOBUF" else ""
        return f"{kind}, schema id {self.schema_id} (magic byte 0, id, {indexes}payload)"

    def problem(self, value: Any) -> str | None:
        """Why `value` (JSON-shaped data) does not fit the schema, naming the field; None if it fits."""
        try:
            self.serialize(value)
        except ValueError as refused:
            return str(refused)
        return None

    def serialize(self, value: Any) -> bytes:
        """`value` in Confluent's wire format; ValueError (`codecs.ValueRefused`, naming the
        field) if it does not fit."""
        try:
            return self.serializer(value)
        except ValueError:
            raise
        except Exception as error:  # a codec's own failure is a refusal too, never a traceback
            raise ValueError(str(error) or type(error).__name__) from error


class SubjectSchemas:
    """The subjects of the Schema Registry at `url` and their latest versions; refusals
    and an unreachable registry are `RegistryClientError`."""

    def __init__(self, url: str) -> None:
        from kafkatui.ecosystem.registry.store import TOPIC

        self.url = url
        self.client = registry_client(url)
        self.topic = TOPIC  # where the workbench's registry keeps schemas: it grows as they change

    async def subjects(self, schema_type: str) -> list[str]:
        """The subjects whose latest version is a schema of `schema_type`, by name."""
        from kafkatui.ecosystem.registry import errors
        from kafkatui.ecosystem.serde.client import RegistryClientError, quote

        found = []
        for name in sorted(await self.client.request("GET", "/subjects")):
            try:
                latest = await self.client.request("GET", f"/subjects/{quote(name)}/versions/latest")
            except RegistryClientError as error:
                if error.error_code in (errors.SUBJECT_NOT_FOUND, errors.VERSION_NOT_FOUND):
                    continue  # deleted since it was listed
                raise
            if (latest.get("schemaType") or "AVRO") == schema_type:
                found.append(name)
        return found

    async def latest(self, subject: str) -> ValueSchema:
        """The subject's latest version, ready to serialize (a Protobuf schema's first message)."""
        from kafkatui.ecosystem.serde.codecs import Serializer

        registered = await self.client.latest(subject)
        serializer = Serializer(registered.schema_id, registered.schema, subject)
        return ValueSchema(subject, registered.version or 0, serializer)

    async def close(self) -> None:
        await self.client.close()
