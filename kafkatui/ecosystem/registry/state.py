"""What the reader of `_schemas` builds in memory (Confluent's LookupCache): every
subject's versions, the schema behind each global id, configs and modes. Only
`apply` changes it, one record at a time, in log order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from kafkatui.ecosystem.registry.records import (
    CorruptRecord,
    SchemaValue,
    decode_key,
    decode_value,
    schema_value,
)
from kafkatui.ecosystem.registry.schemas import Reference, SchemaType

log = logging.getLogger("kafkatui.ecosystem.registry")

IGNORED_KEYTYPES = frozenset({"NOOP", "CLEAR_SUBJECT", "CONTEXT", "ASSOC"})
# Confluent's identity of a schema: its type, canonical text and references.
Identity = tuple[SchemaType, str, tuple[Reference, ...]]


def identity(value: SchemaValue) -> Identity:
    return value.schema_type, value.schema, value.references


@dataclass
class RegistryState:
    versions: dict[str, dict[int, SchemaValue]] = field(default_factory=dict)  # subject → version → value
    by_identity: dict[Identity, int] = field(default_factory=dict)
    by_id: dict[int, Identity] = field(default_factory=dict)
    configs: dict[str | None, dict[str, Any]] = field(default_factory=dict)  # None: the global config
    modes: dict[str | None, str] = field(default_factory=dict)
    max_id: int = 0
    skipped: int = 0  # corrupt or foreign records passed over

    def apply(self, raw_key: bytes | None, raw_value: bytes | None, offset: int) -> None:
        """One `_schemas` record; a corrupt or foreign one is skipped with a warning."""
        try:
            key = decode_key(raw_key)
            value = decode_value(raw_value)
            if key.keytype == "SCHEMA":
                self._schema(
                    key.subject or "", key.version or 0, None if value is None else schema_value(key, value)
                )
            elif key.keytype == "CONFIG":
                self._set(self.configs, key.subject, value)
            elif key.keytype == "MODE":
                mode = None if value is None else value.get("mode")
                if value is not None and not isinstance(mode, str):
                    raise CorruptRecord("a MODE value without a mode")
                self._set(self.modes, key.subject, mode)
            elif key.keytype == "DELETE_SUBJECT":
                if value is not None:
                    self._delete_subject(key.subject or "", value.get("version"))
            elif key.keytype not in IGNORED_KEYTYPES:
                raise CorruptRecord(f"unknown keytype {key.keytype!r}")
        except CorruptRecord as error:
            self.skipped += 1
            log.warning("_schemas offset %d skipped: %s", offset, error)

    @staticmethod
    def _set(table: dict[str | None, Any], subject: str | None, value: Any) -> None:
        if value is None:
            table.pop(subject, None)
        else:
            table[subject] = value

    def _schema(self, subject: str, version: int, value: SchemaValue | None) -> None:
        versions = self.versions.setdefault(subject, {})
        old = versions.pop(version, None)
        if value is not None:
            known = self.by_id.get(value.id)
            if known is not None and known != identity(value):
                raise CorruptRecord(f"id {value.id} is already another schema's")
            versions[version] = value
            self.by_identity.setdefault(identity(value), value.id)
            self.by_id[value.id] = identity(value)
            self.max_id = max(self.max_id, value.id)
        if not versions:
            del self.versions[subject]
        if old is not None and (value is None or old.id != value.id) and not self.uses(old.id):
            # A permanently deleted schema's id is gone unless another version has it.
            self.by_identity.pop(identity(old), None)
            self.by_id.pop(old.id, None)

    def _delete_subject(self, subject: str, up_to: object) -> None:
        if not isinstance(up_to, int):
            raise CorruptRecord("a DELETE_SUBJECT value without a version")
        versions = self.versions.get(subject, {})
        for number, value in list(versions.items()):
            if number <= up_to and not value.deleted:
                versions[number] = replace(value, deleted=True)

    def uses(self, schema_id: int) -> list[SchemaValue]:
        return [v for versions in self.versions.values() for v in versions.values() if v.id == schema_id]

    # --- questions ----------------------------------------------------------------------

    def subject_versions(self, subject: str, *, deleted: bool = False) -> list[SchemaValue]:
        """A subject's versions, oldest first (soft-deleted ones only if asked)."""
        versions = self.versions.get(subject, {})
        return [versions[n] for n in sorted(versions) if deleted or not versions[n].deleted]

    def subjects(self, *, deleted: bool = False) -> list[str]:
        return sorted(s for s in self.versions if self.subject_versions(s, deleted=deleted))
