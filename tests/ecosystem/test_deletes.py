"""Soft and permanent deletes as Confluent has them: a soft delete hides a version (or
a subject) but keeps its id; only a soft-deleted one may be deleted permanently."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from tests.ecosystem.conftest import ServedRegistry


def code(call: object, *args: object, **kwargs: object) -> int:
    with pytest.raises(SchemaRegistryError) as error:
        call(*args, **kwargs)  # type: ignore[operator]
    return error.value.error_code


def schema(n: int) -> Schema:
    fields = [{"name": f"f{i}", "type": "int", "default": 0} for i in range(n)]
    return Schema(json.dumps({"type": "record", "name": "R", "fields": fields}), "AVRO")


def test_version_deletes(registry: ServedRegistry) -> None:
    c = SchemaRegistryClient({"url": registry.url})
    ids = [c.register_schema("s", schema(n)) for n in (1, 2, 3)]
    assert c.delete_version("s", 2) == 2
    assert c.get_versions("s") == [1, 3]
    assert code(c.get_version, "s", 2) == 40402
    assert c.get_version("s", 2, deleted=True).schema_id == ids[1]
    assert c.get_schema(ids[1]).schema_str  # the id still resolves (old records stay readable)
    assert code(c.delete_version, "s", 2) == 40406  # soft-deleting twice
    assert code(c.delete_version, "s", 3, permanent=True) == 40407  # not soft-deleted first
    assert c.delete_version("s", 2, permanent=True) == 2
    assert code(c.get_version, "s", 2, deleted=True) == 40402
    assert (
        code(SchemaRegistryClient({"url": registry.url}).get_schema, ids[1]) == 40403
    )  # gone for good: no version has it
    assert code(c.delete_version, "s", 9) == 40402
    assert code(c.delete_version, "nope", 1) == 40401
    # A new version after deletes continues the numbering (the client caches by id: a
    # fresh one asks the registry).
    assert c.register_schema("s", schema(4)) and c.get_versions("s") == [1, 3, 4]


def test_subject_deletes(registry: ServedRegistry) -> None:
    c = SchemaRegistryClient({"url": registry.url})
    first = c.register_schema("s", schema(1))
    c.register_schema("s", schema(2))
    assert code(c.delete_subject, "s", permanent=True) == 40405
    assert c.delete_subject("s") == [1, 2]
    assert c.get_subjects() == []
    assert c.get_subjects(deleted=True) == ["s"]
    assert code(c.get_latest_version, "s") == 40401
    assert code(c.delete_subject, "s") == 40404
    assert c.get_schema(first).schema_str
    # Registering again after a soft delete: a new version, the same id for the same schema.
    assert c.register_schema("s", schema(1)) == first
    assert c.get_versions("s") == [3]
    c.delete_subject("s")
    c.set_compatibility("s", "NONE")
    assert c.delete_subject("s", permanent=True) == [2, 3]  # v1 went when v3 took its id
    assert c.get_subjects(deleted=True) == []
    assert code(SchemaRegistryClient({"url": registry.url}).get_schema, first) == 40403
    assert code(c.get_compatibility, "s") == 40408  # its config went with it


def test_read_only_mode_refuses_writes(registry: ServedRegistry) -> None:
    c = SchemaRegistryClient({"url": registry.url})
    c.register_schema("s", schema(1))
    assert c.update_global_mode("READONLY") == "READONLY"
    assert c.get_global_mode() == "READONLY"
    assert code(c.register_schema, "s", schema(2)) == 42205
    assert code(c.delete_subject, "s") == 42205
    assert c.get_versions("s") == [1]  # reads still work
    assert c.update_mode("s", "READWRITE") == "READWRITE"  # a subject's mode overrides
    assert c.register_schema("s", schema(2))
    assert code(c.update_global_mode, "SLEEPING") == 42204
