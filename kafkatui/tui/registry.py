"""The Schema Registry as the workbench sees it, over Confluent's REST API.

The panels speak HTTP to the registry's URL (`Backend.schema_registry_url`) through the
serde's `RegistryClient`, as `kafkatui schema` and any Confluent client do, rather than
holding the registry's Python object: the same code then works on the workbench's own
registry, on the one of the kafkatui process it attached to, and on Confluent's; what it
shows is what clients get (Confluent's error codes, its verbose compatibility messages);
and the TUI needs nothing of the registry's insides. No Textual here: the Schemas panel
and the Log panel's framing view draw what these calls return. What every panel shares
of a registry (the client, the text when none runs) is in `registry_serde.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, Reason, read_messages
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClientError, quote
from kafkatui.ecosystem.serde.codecs import Deserializer
from kafkatui.tui.registry_serde import registry_client

T = TypeVar("T")

DEFAULT_LEVEL = CompatibilityLevel.BACKWARD.value  # Confluent's, when nothing is configured
FOLLOW_GLOBAL = "follow global"  # a subject's choice: no level of its own (DELETE /config/{s})
PAYLOAD_SHOWN = 32  # payload bytes a framing view shows (the rest is counted)


@dataclass(frozen=True)
class SubjectRow:
    """A subject as the registry lists it: its live versions, and whether it is
    soft-deleted (every version deleted, still listed by `?deleted=true`)."""

    name: str
    versions: tuple[int, ...]

    @property
    def deleted(self) -> bool:
        return not self.versions


@dataclass(frozen=True)
class VersionRow:
    """One version of a subject: its global schema id, type and schema text."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    schema: str
    deleted: bool  # soft-deleted: hidden from clients, its id still decodes records
    references: tuple[str, ...] = ()  # "name → subject version n"


@dataclass(frozen=True)
class Compatibility:
    """A subject's compatibility level: its own (None: it follows the global one) and
    the global one."""

    own: str | None
    global_level: str

    @property
    def level(self) -> str:
        return self.own or self.global_level


@dataclass(frozen=True)
class CheckResult:
    """Would the registry take this schema? Its answer to POST /compatibility/... with
    `?verbose=true`, or why it could not judge (an invalid schema)."""

    compatible: bool
    level: str
    against: tuple[int, ...]  # the versions the level checks it against
    reasons: tuple[Reason, ...] = ()
    invalid: str | None = None  # 42201: the schema itself is not valid, in the registry's words


@dataclass(frozen=True)
class Registered:
    subject: str
    version: int
    schema_id: int
    new: bool  # False: the subject had this schema already (its version and id come back)


@dataclass(frozen=True)
class FramingView:
    """A key or value in Confluent's wire format taken apart: magic byte 0, the 4-byte
    schema id, then the payload (for Protobuf first the message indexes). `decoded` is
    the payload read with the writer's schema, as JSON-shaped data; `problem` says why
    it could not be (no registry, an id it does not know, a payload that does not fit)."""

    schema_id: int
    payload: bytes
    schema_type: str | None = None
    uses: tuple[tuple[str, int], ...] = ()  # (subject, version) registered with this id
    message_indexes: tuple[int, ...] = ()
    message: str | None = None  # Protobuf: the message's full name
    decoded: Any = None
    problem: str | None = None


def looks_framed(data: bytes | None) -> bool:
    """Could these bytes be Confluent's framing? Magic byte 0 and a 4-byte id: text and
    JSON never start with a NUL byte, so ordinary records never qualify."""
    return data is not None and len(data) >= wire.HEADER_SIZE and data[0] == wire.MAGIC


def refusal_title(error: RegistryClientError) -> str:
    """A refusal named as Confluent names it: "INCOMPATIBLE_SCHEMA (409)"."""
    if error.status == 0:
        return "NETWORK_EXCEPTION"
    return f"{errors.error_name(error.error_code)} ({error.error_code})"


def refusal_text(error: RegistryClientError) -> str:
    """The registry's message; an incompatible schema's as its reasons, in the
    registry's words, rather than Confluent's list of `{errorType:…}` items."""
    if error.error_code == errors.INCOMPATIBLE_SCHEMA:
        reasons, level = read_messages(error.message)
        if reasons:
            return f"refused under {level or 'its compatibility level'}: " + "; ".join(
                reason_text(r) for r in reasons
            )
    return error.message


def reason_text(reason: Reason) -> str:
    against = f" (against version {reason.version})" if reason.version is not None else ""
    return f"{reason.description}{against}"


def meaning(level: str) -> str:
    """What a level promises (a registry that is not kafkatui's may know others)."""
    known = CompatibilityLevel.parse(level)
    return known.meaning if known is not None else "a level kafkatui does not know"


async def _optional(call: Awaitable[T], *codes: int) -> T | None:
    """The answer, or None if the registry refused with one of `codes`."""
    try:
        return await call
    except RegistryClientError as error:
        if error.error_code in codes:
            return None
        raise


class RegistryBrowser:
    """What the workbench asks of a Schema Registry at `url`, one REST call or a few
    each, answered as the dataclasses above; refusals are `RegistryClientError`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = registry_client(url)
        self._deserializer = Deserializer(self.client)

    async def close(self) -> None:
        await self.client.close()

    def _subject(self, subject: str) -> str:
        return f"/subjects/{quote(subject)}"

    # --- reading ------------------------------------------------------------------------

    async def subjects(self) -> list[SubjectRow]:
        """Every subject, soft-deleted ones too (with no live versions)."""
        every = await self.client.request("GET", "/subjects", deleted="true")
        rows = []
        for name in sorted(every):
            live = await _optional(
                self.client.request("GET", f"{self._subject(name)}/versions"), errors.SUBJECT_NOT_FOUND
            )
            rows.append(SubjectRow(name, tuple(live or ())))
        return rows

    async def versions(self, subject: str) -> list[VersionRow]:
        """Every version of `subject`, soft-deleted ones marked, oldest first."""
        path = f"{self._subject(subject)}/versions"
        every = await self.client.request("GET", path, deleted="true")
        live = set(await _optional(self.client.request("GET", path), errors.SUBJECT_NOT_FOUND) or ())
        rows = []
        for number in every:
            body = await self.client.request("GET", f"{path}/{number}", deleted="true")
            references = tuple(
                f"{r['name']} → {r['subject']} version {r['version']}" for r in body.get("references") or ()
            )
            rows.append(
                VersionRow(
                    subject, int(body["version"]), int(body["id"]), body.get("schemaType") or "AVRO",
                    body["schema"], number not in live, references,
                )
            )  # fmt: skip
        return rows

    async def compatibility(self, subject: str | None) -> Compatibility:
        """The subject's own level (None without a subject, or when it sets none) and the
        global one."""
        found = await self.client.request("GET", "/config")
        global_level = found.get("compatibilityLevel", DEFAULT_LEVEL)
        own = None
        if subject is not None:
            mine = await _optional(
                self.client.request("GET", f"/config/{quote(subject)}"),
                errors.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                errors.SUBJECT_NOT_FOUND,
            )
            own = None if mine is None else mine.get("compatibilityLevel")
        return Compatibility(own, global_level)

    # --- checking and writing -----------------------------------------------------------

    async def check(self, subject: str, schema: str, schema_type: str) -> CheckResult:
        """Would `subject` take `schema` as its next version? Asked with `?verbose=true`,
        so a refusal comes with the registry's reasons; nothing is registered."""
        body = {"schema": schema, "schemaType": schema_type}
        config = await self.compatibility(subject)
        live = await _optional(
            self.client.request("GET", f"{self._subject(subject)}/versions"), errors.SUBJECT_NOT_FOUND
        )
        try:
            answer = await self.client.request(
                "POST", f"/compatibility{self._subject(subject)}/versions", body, verbose="true"
            )
        except RegistryClientError as error:
            if error.error_code == errors.INVALID_SCHEMA:
                return CheckResult(False, config.level, (), invalid=error.message)
            raise
        reasons, said = read_messages(answer.get("messages") or [])
        level = said or config.level
        against: tuple[int, ...] = ()
        if live and level != CompatibilityLevel.NONE.value:
            against = tuple(live) if level.endswith("_TRANSITIVE") else tuple(live[-1:])
        return CheckResult(bool(answer.get("is_compatible")), level, against, tuple(reasons))

    async def register(self, subject: str, schema: str, schema_type: str) -> Registered:
        """Register `schema` as `subject`'s next version (or find the version that has it)."""
        body = {"schema": schema, "schemaType": schema_type}
        known = await _optional(
            self.client.request("POST", self._subject(subject), body),
            errors.SUBJECT_NOT_FOUND,
            errors.SCHEMA_NOT_FOUND,
        )
        answer = await self.client.request("POST", f"{self._subject(subject)}/versions", body)
        version = answer.get("version")
        if version is None:  # older Confluent registries answer only the id
            version = (await self.client.request("POST", self._subject(subject), body))["version"]
        return Registered(subject, int(version), int(answer["id"]), new=known is None)

    async def set_compatibility(self, subject: str | None, level: str) -> None:
        """Set the subject's (or, for None, the global) level; FOLLOW_GLOBAL removes the
        subject's own level, so it follows the global one again."""
        path = "/config" + (f"/{quote(subject)}" if subject is not None else "")
        if level == FOLLOW_GLOBAL:
            await _optional(self.client.request("DELETE", path), errors.SUBJECT_COMPATIBILITY_NOT_CONFIGURED)
        else:
            await self.client.request("PUT", path, {"compatibility": level})

    async def delete(self, subject: str, version: int | None, *, permanent: bool) -> list[int]:
        """Soft-delete a version (or the whole subject), or remove what was soft-deleted
        for good: Confluent's two steps (a permanent delete of something live is 40405
        or 40407). The versions deleted."""
        path = self._subject(subject) + (f"/versions/{version}" if version is not None else "")
        answer = await self.client.request("DELETE", path, **({"permanent": "true"} if permanent else {}))
        return answer if isinstance(answer, list) else [answer]

    # --- framed records -----------------------------------------------------------------

    async def framing(self, data: bytes) -> FramingView:
        """`data` (which `looks_framed`) taken apart and decoded with its writer's schema."""
        framed = wire.unframe(data)
        try:
            uses = await self.client.request(
                "GET", f"/schemas/ids/{framed.schema_id}/versions", deleted="true"
            )
            decoded = await self._deserializer(data)
        except RegistryClientError as error:
            problem = (
                f"the registry knows no schema {framed.schema_id}: these bytes may not be Confluent's framing"
                if error.error_code == errors.SCHEMA_NOT_FOUND
                else refusal_text(error)
            )
            return FramingView(framed.schema_id, framed.payload, problem=problem)
        except wire.FramingError as error:
            return FramingView(framed.schema_id, framed.payload, problem=str(error))
        payload = framed.payload
        if decoded.message is not None:  # Protobuf: the payload after the message indexes
            payload = wire.unframe_protobuf(data).payload
        return FramingView(
            framed.schema_id, payload, decoded.schema_type.value,
            tuple((u["subject"], int(u["version"])) for u in uses),
            decoded.message_indexes, decoded.message, decoded.value,
        )  # fmt: skip


def framing_without_registry(data: bytes) -> FramingView:
    """What can be read of framed bytes when no registry runs: the id, not the value."""
    framed = wire.unframe(data)
    return FramingView(
        framed.schema_id,
        framed.payload,
        problem="no Schema Registry runs here to look the schema id up and decode the payload",
    )
