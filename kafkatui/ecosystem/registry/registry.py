"""`SchemaRegistry`: Confluent Schema Registry's operations (KafkaSchemaRegistry) over
the `_schemas` log — register with global ids and compatibility checks, lookup, soft
and permanent deletes, configs and modes. The REST layer (`api.py`) only translates
HTTP to these calls; every refusal is a `RegistryError` with Confluent's code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.registry import compatibility, errors
from kafkatui.ecosystem.registry.compatibility import DEFAULT_LEVEL, CompatibilityLevel
from kafkatui.ecosystem.registry.records import Key, SchemaValue
from kafkatui.ecosystem.registry.schemas import (
    InvalidSchema,
    ParsedSchema,
    Reference,
    SchemaType,
    parse_schema,
)
from kafkatui.ecosystem.registry.state import RegistryState
from kafkatui.ecosystem.registry.store import TOPIC, SchemaLog

MAX_VERSION = 2**31 - 1


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"


@dataclass(frozen=True)
class SchemaRequest:
    """A schema as a client sends it (RegisterSchemaRequest)."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[Reference, ...] = ()

    @classmethod
    def from_json(cls, body: Any) -> SchemaRequest:
        if not isinstance(body, dict):
            raise errors.invalid_schema(
                "Invalid schema: the request body must be a JSON object with a `schema`"
            )
        text = body.get("schema")
        if not isinstance(text, str) or not text.strip():
            raise errors.invalid_schema("Invalid schema: `schema` must be a non-empty string")
        kind = body.get("schemaType") or "AVRO"
        if not isinstance(kind, str) or kind.upper() not in SchemaType.__members__:
            raise errors.invalid_schema(
                f"Invalid schema type {kind!r}: the types are AVRO, JSON and PROTOBUF"
            )
        refs = []
        for ref in body.get("references") or ():
            try:
                version = int(ref["version"])
                refs.append(Reference(str(ref["name"]), str(ref["subject"]), version))
            except (KeyError, TypeError, ValueError):
                raise errors.invalid_schema(
                    "Invalid schema: each reference needs a name, a subject and a version"
                ) from None
        return cls(text, SchemaType[kind.upper()], tuple(refs))


class SchemaRegistry:
    """A Confluent-compatible registry on one cluster, through its `Backend`."""

    def __init__(self, backend: Backend, topic: str = TOPIC) -> None:
        self.state = RegistryState()
        self.log = SchemaLog(backend, self.state.apply, topic)
        self._parsed: dict[int, ParsedSchema] = {}

    async def start(self) -> None:
        await self.log.start()

    async def close(self) -> None:
        await self.log.close()

    # --- schemas --------------------------------------------------------------------------

    def _parse(self, request: SchemaRequest, *, normalize: bool = False) -> ParsedSchema:
        references = {ref.name: self._referenced(ref) for ref in request.references}
        try:
            parsed = parse_schema(request.schema_type, request.schema, references)
        except InvalidSchema as error:
            raise errors.invalid_schema(str(error)) from None
        return parsed.normalized() if normalize else parsed

    def _referenced(self, ref: Reference) -> ParsedSchema:
        versions = self.state.subject_versions(ref.subject)
        if ref.version == -1 and versions:
            found = versions[-1]
        else:
            found = next((v for v in versions if v.version == ref.version), None)
        if found is None:
            raise errors.invalid_schema(
                f"Invalid schema: reference {ref.name} names {ref.subject} version {ref.version}, "
                "which does not exist"
            )
        return self.parsed(found)

    def parsed(self, value: SchemaValue) -> ParsedSchema:
        """The parsed schema of a stored version (parsed once per id)."""
        cached = self._parsed.get(value.id)
        if cached is None:
            cached = self._parse(SchemaRequest(value.schema, value.schema_type, value.references))
            self._parsed[value.id] = cached
        return cached

    def mode(self, subject: str | None) -> Mode:
        mode = self.state.modes.get(subject) if subject is not None else None
        return Mode(mode or self.state.modes.get(None) or Mode.READWRITE)

    def _writable(self, subject: str) -> None:
        if self.mode(subject) in (Mode.READONLY, Mode.READONLY_OVERRIDE):
            raise errors.read_only(subject)

    def level(self, subject: str | None) -> CompatibilityLevel:
        for scope in (subject, None) if subject is not None else (None,):
            found = CompatibilityLevel.parse((self.state.configs.get(scope) or {}).get("compatibilityLevel"))
            if found is not None:
                return found
        return DEFAULT_LEVEL

    def _normalize(self, subject: str, asked: bool) -> bool:
        return asked or any(bool((self.state.configs.get(s) or {}).get("normalize")) for s in (subject, None))

    async def register(self, subject: str, request: SchemaRequest, *, normalize: bool = False) -> SchemaValue:
        """Register `request` under `subject`: the existing version if it is already
        there, else a new version after the compatibility check (409 if it fails).
        The same schema keeps its global id across subjects."""
        if not subject.strip() or "\x00" in subject:
            raise errors.invalid_subject(subject)
        self._writable(subject)
        parsed = self._parse(request, normalize=self._normalize(subject, normalize))
        async with self.log.lock():
            candidate = SchemaValue(
                subject, 0, 0, parsed.canonical(), request.schema_type, request.references
            )
            identity = (candidate.schema_type, candidate.schema, candidate.references)
            existing_id = self.state.by_identity.get(identity)
            live = self.state.subject_versions(subject)
            for value in reversed(live):
                if value.id == existing_id:
                    return value
            if self.mode(subject) is not Mode.IMPORT:
                level = self.level(subject)
                problems = compatibility.check(level, parsed, [(v.version, self.parsed(v)) for v in live])
                if problems:
                    details = compatibility.messages(level, problems)
                    raise errors.RegistryError(
                        errors.INCOMPATIBLE_SCHEMA,
                        f"Schema being registered is incompatible with an earlier schema for subject "
                        f'"{subject}", details: [{", ".join(details)}]',
                    )
            every = self.state.subject_versions(subject, deleted=True)
            version = max((v.version for v in every), default=0) + 1
            schema_id = existing_id if existing_id is not None else self.state.max_id + 1
            for old in every:
                if old.deleted and old.id == schema_id and not self._referrers(old):
                    await self.log.put(
                        Key("SCHEMA", subject, old.version), None
                    )  # as Confluent: one version per id
            value = replace(candidate, version=version, id=schema_id)
            await self.log.put(Key("SCHEMA", subject, version), value.to_json())
            self._parsed.setdefault(schema_id, parsed)
            return value

    def lookup(
        self, subject: str, request: SchemaRequest, *, normalize: bool = False, deleted: bool = False
    ) -> SchemaValue:
        """POST /subjects/{subject}: the version of `subject` holding this schema."""
        versions = self.state.subject_versions(subject, deleted=deleted)
        if not versions:
            raise errors.subject_not_found(subject)
        parsed = self._parse(request, normalize=self._normalize(subject, normalize))
        text = parsed.canonical()
        for value in reversed(versions):
            if value.schema_type is request.schema_type and value.references == request.references:
                stored = self.parsed(value)
                if value.schema == text or (
                    stored.normalized().canonical() == parsed.normalized().canonical()
                ):
                    return value
        raise errors.schema_not_found()

    def version(self, subject: str, version: str | int, *, deleted: bool = False) -> SchemaValue:
        """A subject's version by number, or "latest" (-1) — the latest live one."""
        number = parse_version(version)
        every = self.state.subject_versions(subject, deleted=True)
        if not every or (not deleted and not any(not v.deleted for v in every)):
            raise errors.subject_not_found(subject)
        versions = every if deleted else [v for v in every if not v.deleted]
        if number == -1:
            return versions[-1]
        found = next((v for v in versions if v.version == number), None)
        if found is None:
            raise errors.version_not_found(number)
        return found

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        found = self.state.subject_versions(subject, deleted=deleted)
        if not found:
            raise errors.subject_not_found(subject)
        return [v.version for v in found]

    def by_id(self, schema_id: int) -> SchemaValue:
        """The schema behind a global id (as one of the versions that have it)."""
        uses = self.state.uses(schema_id)
        if not uses:
            raise errors.schema_not_found(schema_id)
        return min(uses, key=lambda v: (v.deleted, v.subject, v.version))

    def id_versions(self, schema_id: int, *, deleted: bool = False) -> list[SchemaValue]:
        uses = [v for v in self.state.uses(schema_id) if deleted or not v.deleted]
        if not self.state.uses(schema_id):
            raise errors.schema_not_found(schema_id)
        return sorted(uses, key=lambda v: (v.subject, v.version))

    def _referrers(self, value: SchemaValue, *, deleted: bool = True) -> list[SchemaValue]:
        return [
            v
            for versions in self.state.versions.values()
            for v in versions.values()
            if (deleted or not v.deleted)
            and any(r.subject == value.subject and r.version == value.version for r in v.references)
        ]

    def referenced_by(self, subject: str, version: str | int) -> list[int]:
        value = self.version(subject, version)
        return sorted({v.id for v in self._referrers(value, deleted=False)})

    # --- deletes --------------------------------------------------------------------------

    async def delete_version(self, subject: str, version: str | int, *, permanent: bool = False) -> int:
        number = parse_version(version)
        self._writable(subject)
        async with self.log.lock():
            every = self.state.subject_versions(subject, deleted=True)
            if not every:
                raise errors.subject_not_found(subject)
            if number == -1:
                live = [v for v in every if not v.deleted]
                if not live:
                    raise errors.subject_not_found(subject)
                number = live[-1].version
            value = next((v for v in every if v.version == number), None)
            if value is None:
                raise errors.version_not_found(number)
            if permanent and not value.deleted:
                raise errors.version_not_soft_deleted(subject, number)
            if not permanent and value.deleted:
                raise errors.version_soft_deleted(subject, number)
            if self._referrers(value, deleted=permanent):
                raise errors.reference_exists(subject, number)
            if permanent:
                await self.log.put(Key("SCHEMA", subject, number), None)
                if not self.state.subject_versions(subject, deleted=True):
                    await self._forget_subject(subject)
            else:
                await self.log.put(Key("SCHEMA", subject, number), replace(value, deleted=True).to_json())
            return number

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        self._writable(subject)
        async with self.log.lock():
            every = self.state.subject_versions(subject, deleted=True)
            live = [v for v in every if not v.deleted]
            if not every:
                raise errors.subject_not_found(subject)
            if permanent and live:
                raise errors.subject_not_soft_deleted(subject)
            if not permanent and not live:
                raise errors.subject_soft_deleted(subject)
            doomed = every if permanent else live
            for value in doomed:
                if any(r.subject != subject for r in self._referrers(value, deleted=permanent)):
                    raise errors.reference_exists(subject, value.version)
            if permanent:
                for value in reversed(doomed):  # newest first: a version may refer to an older one
                    await self.log.put(Key("SCHEMA", subject, value.version), None)
                await self._forget_subject(subject)
            else:
                await self.log.put(
                    Key("DELETE_SUBJECT", subject), {"subject": subject, "version": doomed[-1].version}
                )
            return [v.version for v in doomed]

    async def _forget_subject(self, subject: str) -> None:
        if subject in self.state.modes:
            await self.log.put(Key("MODE", subject), None)
        if subject in self.state.configs:
            await self.log.put(Key("CONFIG", subject), None)

    # --- config and mode ------------------------------------------------------------------

    def config(self, subject: str | None, *, default_to_global: bool = False) -> dict[str, Any]:
        found = self.state.configs.get(subject)
        if found is None and subject is not None and default_to_global:
            found = self.state.configs.get(None)
        if found is None:
            if subject is not None and not default_to_global:
                raise errors.RegistryError(
                    errors.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                    f"Subject '{subject}' does not have subject-level compatibility configured",
                )
            found = {"compatibilityLevel": DEFAULT_LEVEL.value}
        return dict(found)

    async def set_config(self, subject: str | None, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.invalid_compatibility(body)
        level = body.get("compatibility", body.get("compatibilityLevel"))
        stored = dict(self.state.configs.get(subject) or {})
        if level is not None:
            parsed = CompatibilityLevel.parse(level)
            if parsed is None:
                raise errors.invalid_compatibility(level)
            stored["compatibilityLevel"] = parsed.value
        if "normalize" in body:
            stored["normalize"] = bool(body["normalize"])
        if not stored:
            raise errors.invalid_compatibility(level)
        async with self.log.lock():
            await self.log.put(Key("CONFIG", subject), stored)
        answer = {"compatibility": stored["compatibilityLevel"]} if "compatibilityLevel" in stored else {}
        if "normalize" in body:
            answer["normalize"] = stored["normalize"]
        return answer

    async def delete_config(self, subject: str | None) -> dict[str, Any]:
        if subject is not None and not self.state.subject_versions(subject, deleted=True):
            raise errors.subject_not_found(subject)
        previous = self.config(subject, default_to_global=True)
        async with self.log.lock():
            await self.log.put(Key("CONFIG", subject), None)
        return previous

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> str:
        if subject is not None and subject not in self.state.modes and not default_to_global:
            raise errors.RegistryError(
                errors.SUBJECT_MODE_NOT_CONFIGURED,
                f"Subject '{subject}' does not have subject-level mode configured",
            )
        return self.mode(subject).value

    async def set_mode(self, subject: str | None, body: Any) -> str:
        wanted = body.get("mode") if isinstance(body, dict) else None
        if not isinstance(wanted, str) or wanted.upper() not in Mode.__members__:
            raise errors.invalid_mode(wanted)
        async with self.log.lock():
            await self.log.put(Key("MODE", subject), {"mode": wanted.upper()})
        return wanted.upper()

    async def delete_mode(self, subject: str) -> str:
        previous = self.get_mode(subject, default_to_global=True)
        async with self.log.lock():
            await self.log.put(Key("MODE", subject), None)
        return previous

    # --- compatibility checks -------------------------------------------------------------

    def test_compatibility(
        self, subject: str, version: str | int | None, request: SchemaRequest, *, normalize: bool = False
    ) -> tuple[bool, list[str]]:
        """POST /compatibility/...: whether `request` could be registered, against one
        version (all, if `version` is None, as the level says) — with the reasons."""
        parsed = self._parse(request, normalize=self._normalize(subject, normalize))
        level = self.level(subject)
        if version is None:
            against: Sequence[SchemaValue] = self.state.subject_versions(subject)
        else:
            against = [self.version(subject, version)]
            level = CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
        problems = compatibility.check(level, parsed, [(v.version, self.parsed(v)) for v in against])
        return not problems, compatibility.messages(level, problems)


def parse_version(version: str | int) -> int:
    """A version in a path: 1..2^31-1, or "latest"/-1; else Confluent's 42202."""
    if isinstance(version, int):
        number = version
    elif version == "latest":
        return -1
    else:
        try:
            number = int(version)
        except ValueError:
            raise errors.invalid_version(version) from None
    if number == -1:
        return -1
    if not 1 <= number <= MAX_VERSION:
        raise errors.invalid_version(str(version))
    return number
