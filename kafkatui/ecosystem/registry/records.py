"""The `_schemas` topic's records, in Confluent's JSON shapes
(io.confluent.kafka.schemaregistry.storage.*Key / *Value), so a Confluent registry
pointed at the same topic would read them and ours reads theirs:

    SCHEMA  {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
            {"subject":s,"version":v,"id":i,"schemaType":t,"references":[...],"schema":text,"deleted":b}
            a null value (tombstone) is a permanent delete
    CONFIG  {"keytype":"CONFIG","subject":s,"magic":0}  (no subject: the global config)
            {"compatibilityLevel":level, ...}; null: the subject's config removed
    MODE    {"keytype":"MODE","subject":s,"magic":0}    {"mode":m}; null: removed
    DELETE_SUBJECT {"keytype":"DELETE_SUBJECT","subject":s,"magic":0}  {"subject":s,"version":v}
            every version up to v is soft-deleted
    NOOP    {"keytype":"NOOP","magic":0}  written to learn where the log ends
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kafkatui.ecosystem.registry.schemas import Reference, SchemaType


class CorruptRecord(ValueError):
    """A `_schemas` record that is not one of the shapes above."""


@dataclass(frozen=True)
class SchemaValue:
    subject: str
    version: int
    id: int
    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[Reference, ...] = ()
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # metadata, ruleSet: kept as read

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "version": self.version, "id": self.id}
        if self.schema_type is not SchemaType.AVRO:
            out["schemaType"] = self.schema_type.value
        if self.references:
            out["references"] = [r.to_json() for r in self.references]
        out.update(self.extra)
        out["schema"] = self.schema
        out["deleted"] = self.deleted
        return out


@dataclass(frozen=True)
class Key:
    keytype: str
    subject: str | None = None
    version: int | None = None

    def encode(self) -> bytes:
        out: dict[str, Any] = {"keytype": self.keytype}
        if self.subject is not None:
            out["subject"] = self.subject
        if self.version is not None:
            out["version"] = self.version
        out["magic"] = 1 if self.keytype == "SCHEMA" else 0
        return json.dumps(out, separators=(",", ":")).encode()


NOOP = Key("NOOP")


def encode_value(value: dict[str, Any] | None) -> bytes | None:
    return None if value is None else json.dumps(value, separators=(",", ":")).encode()


def decode_key(raw: bytes | None) -> Key:
    if raw is None:
        raise CorruptRecord("a record without a key")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptRecord(f"the key is not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keytype"), str):
        raise CorruptRecord("the key has no keytype")
    subject = data.get("subject")
    version = data.get("version")
    if subject is not None and not isinstance(subject, str):
        raise CorruptRecord("the key's subject is not a string")
    if data["keytype"] == "SCHEMA" and (not isinstance(subject, str) or not _is_version(version)):
        raise CorruptRecord("a SCHEMA key needs a subject and a version")
    return Key(data["keytype"], subject, version if data["keytype"] == "SCHEMA" else None)


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def decode_value(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptRecord(f"the value is not JSON ({error})") from None
    if data is not None and not isinstance(data, dict):
        raise CorruptRecord("the value is not a JSON object")
    return data


def schema_value(key: Key, data: dict[str, Any]) -> SchemaValue:
    """A SCHEMA record's value, checked against its key."""
    try:
        schema_id, text = data["id"], data["schema"]
        kind = SchemaType(data.get("schemaType") or "AVRO")
        refs = tuple(
            Reference(r["name"], r["subject"], int(r["version"])) for r in data.get("references") or ()
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CorruptRecord(f"a SCHEMA value lacks or garbles {error}") from None
    if (
        not isinstance(schema_id, int)
        or isinstance(schema_id, bool)
        or schema_id < 0
        or not isinstance(text, str)
    ):
        raise CorruptRecord("a SCHEMA value needs an integer id and a schema string")
    if data.get("subject", key.subject) != key.subject or data.get("version", key.version) != key.version:
        raise CorruptRecord("a SCHEMA value names another subject or version than its key")
    known = {"subject", "version", "id", "schemaType", "references", "schema", "deleted", "md5"}
    extra = {k: v for k, v in data.items() if k not in known}
    return SchemaValue(
        key.subject or "", key.version or 0, schema_id, text, kind, refs, bool(data.get("deleted")), extra
    )
