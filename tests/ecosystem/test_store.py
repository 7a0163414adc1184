"""The registry's storage is the cluster's `_schemas` topic: a restart (a new process on
the same data dir) reads every schema, id, config and delete back, and a record there
that is not the registry's is skipped with a warning, never a crash."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from tests.ecosystem.conftest import BACKENDS, ServedRegistry

V1 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'
V2 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"n","type":"int","default":0}]}'  # noqa: E501


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_restart_keeps_every_schema_id_config_and_delete(tmp_path: Path, backend: str) -> None:
    served = ServedRegistry(backend, data_dir=tmp_path / "data")
    try:
        c = SchemaRegistryClient({"url": served.url})
        a = c.register_schema("orders-value", Schema(V1))
        b = c.register_schema("orders-value", Schema(V2))
        j = c.register_schema("doc-value", Schema('{"type":"object"}', "JSON"))
        c.register_schema("gone-value", Schema('"string"'))
        c.delete_subject("gone-value")
        c.set_compatibility("orders-value", "FULL")
        c.update_mode("doc-value", "READONLY")
        served.restart()
        c = SchemaRegistryClient({"url": served.url})
        assert c.get_subjects() == ["doc-value", "orders-value"]
        assert c.get_subjects(deleted=True) == ["doc-value", "gone-value", "orders-value"]
        assert [c.get_version("orders-value", v).schema_id for v in (1, 2)] == [a, b]
        assert c.get_schema(j).schema_type == "JSON"
        assert c.get_compatibility("orders-value") == "FULL"
        assert c.get_mode("doc-value") == "READONLY"
        # Ids continue where they were, and an existing schema keeps its id.
        assert c.register_schema("more-value", Schema('"long"')) == max(a, b, j) + 2
        assert c.register_schema("copy-value", Schema(V1)) == a
    finally:
        served.close()


def test_a_corrupt_or_foreign_record_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = ServedRegistry("embedded", data_dir=tmp_path / "data", brokers=1)
    try:
        c = SchemaRegistryClient({"url": served.url})
        first = c.register_schema("orders-value", Schema(V1))
        producer = Producer({"bootstrap.servers": served.bootstrap})
        garbage = [
            (b"not json", b"{}"),
            (b'{"magic":0}', b"{}"),  # no keytype
            (b'{"keytype":"SCHEMA","subject":"x","version":1,"magic":1}', b"[1, 2]"),
            (b'{"keytype":"SCHEMA","subject":"x","version":1,"magic":1}', b'{"id":"one","schema":"x"}'),
            (b'{"keytype":"SOMETHING_NEW","magic":0}', b'{"x":1}'),
            # another schema claiming an id that is taken
            (b'{"keytype":"SCHEMA","subject":"y","version":1,"magic":1}',
             json.dumps({"subject": "y", "version": 1, "id": first, "schema": '"int"'}).encode()),
        ]  # fmt: skip
        for key, value in garbage:
            producer.produce("_schemas", value, key, partition=0)
        assert producer.flush(10) == 0
        with caplog.at_level(logging.WARNING, "kafkatui.ecosystem.registry"):
            assert c.register_schema("more-value", Schema('"string"')) == first + 1  # the reader is past them
            served.restart()
        c = SchemaRegistryClient({"url": served.url})
        assert c.get_subjects() == ["more-value", "orders-value"]
        assert c.get_schema(first).schema_str == V1
        assert served.registry.state.skipped == len(garbage)
        skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
        assert len(skipped) == 2 * len(garbage)  # once live, once on replay
        assert any("unknown keytype 'SOMETHING_NEW'" in m for m in skipped)
        assert any("already another schema's" in m for m in skipped)
    finally:
        served.close()
