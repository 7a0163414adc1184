"""Transforms and predicates on real records through a running worker: a source's
records are transformed before its converter writes them to Kafka, a sink's after its
converter read them, configured in the connector config as Apache Kafka's are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kafkatui.backends.base import ProduceRequest
from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines
from tests.ecosystem.connect.smt_plugins import PEOPLE, install

SMT = "org.apache.kafka.connect.transforms"


def _log(connect: ServedConnect, topic: str) -> list[Any]:
    """The topic's records; none while it does not exist yet."""
    if topic not in connect.backend.topic_names():
        return []
    return connect.log(topic)


def _produce(connect: ServedConnect, topic: str, values: list[str | None], **more: object) -> None:
    for value in values:
        connect.call(connect.backend.produce(ProduceRequest(topic, value, **more)))  # type: ignore[arg-type]


def test_a_source_chain_rewrites_structs_before_the_json_converter(connect: ServedConnect) -> None:
    install(connect.worker)
    answer = connect.create("people", **{
        "connector.class": PEOPLE, "topic": "people", "count": "6",
        "transforms": "mask,origin,key,id,route,dropOdd",
        "transforms.mask.type": f"{SMT}.MaskField$Value", "transforms.mask.fields": "email",
        "transforms.origin.type": f"{SMT}.InsertField$Value", "transforms.origin.static.field": "origin",
        "transforms.origin.static.value": "crm", "transforms.origin.timestamp.field": "seen",
        "transforms.key.type": f"{SMT}.ValueToKey", "transforms.key.fields": "id",
        "transforms.id.type": "ExtractField$Key", "transforms.id.field": "id",
        "transforms.route.type": f"{SMT}.TimestampRouter",
        "transforms.route.topic.format": "${topic}_${timestamp}",
        "transforms.route.timestamp.format": "yyyyMM",
        "transforms.dropOdd.type": f"{SMT}.Filter", "transforms.dropOdd.predicate": "traced",
        "transforms.dropOdd.negate": "true",
        "predicates": "traced", "predicates.traced.type": "HasHeaderKey",
        "predicates.traced.name": "trace-id",
    })  # fmt: skip
    assert answer.status_code == 201, answer.text
    connect.until(lambda: len(_log(connect, "people_202612")) == 3, "the three traced people")
    records = connect.log("people_202612")
    envelopes = [json.loads(r.value) for r in records]
    assert [e["payload"] for e in envelopes] == [
        {"id": n, "name": f"person{n}", "email": "", "origin": "crm", "seen": 1_796_630_400_000 + n}
        for n in (0, 2, 4)
    ]
    fields = [f["field"] for f in envelopes[0]["schema"]["fields"]]
    assert fields == ["id", "name", "email", "seen", "origin"]  # InsertField's order: the timestamp first
    assert envelopes[0]["schema"]["fields"][3]["name"] == "org.apache.kafka.connect.data.Timestamp"
    key_schema = {"type": "int64", "optional": False}
    assert [json.loads(r.key) for r in records] == [{"schema": key_schema, "payload": n} for n in (0, 2, 4)]
    assert "people" not in connect.backend.topic_names()  # routed: the original topic is never written
    # the filtered records' offsets are committed too: a restart does not send them again
    connect.until(lambda: connect.worker.offsets.get("people", {"source": "people"}) == {"id": 5}, "offset 5")


def test_a_source_regex_router_routes_file_lines(connect: ServedConnect, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    written = write_lines(source, 0, 20)
    connect.create("src", **{
        "connector.class": "FileStreamSource", "file": str(source), "topic": "raw.lines",
        "transforms": "route", "transforms.route.type": "RegexRouter",
        "transforms.route.regex": "raw\\.(.*)", "transforms.route.replacement": "clean.$1",
    })  # fmt: skip
    connect.until(lambda: len(_log(connect, "clean.lines")) == 20, "the lines in clean.lines")
    assert [json.loads(r.value)["payload"] for r in connect.log("clean.lines")] == written
    assert connect.http.get("/connectors/src/topics").json() == {"src": {"topics": ["clean.lines"]}}


def test_a_sink_chain_transforms_what_the_converter_read(connect: ServedConnect, tmp_path: Path) -> None:
    connect.call(connect.backend.create_topic("events", 1, 1))
    _produce(connect, "events", [json.dumps({"user": {"name": n}, "kind": "click"}) for n in ("ana", "bo")])
    _produce(connect, "events", [None])  # a tombstone
    sink = tmp_path / "out.txt"
    answer = connect.create("snk", **{
        "connector.class": "FileStreamSink", "file": str(sink), "topics": "events",
        "value.converter": "JsonConverter", "value.converter.schemas.enable": "false",
        "transforms": "noTombstones,tag,rename",
        "transforms.noTombstones.type": "Filter", "transforms.noTombstones.predicate": "tombstone",
        "transforms.tag.type": "InsertField$Value", "transforms.tag.topic.field": "from",
        "transforms.tag.offset.field": "at",
        "transforms.rename.type": "ReplaceField$Value", "transforms.rename.exclude": "kind",
        "transforms.rename.renames": "user:who",
        "predicates": "tombstone", "predicates.tombstone.type": "RecordIsTombstone",
    })  # fmt: skip
    assert answer.status_code == 201, answer.text
    connect.until(lambda: len(lines_in(sink)) == 2, "two lines in the sink")
    assert lines_in(sink) == [  # FileStreamSink prints each value as it is
        "{'who': {'name': 'ana'}, 'from': 'events', 'at': 0}",
        "{'who': {'name': 'bo'}, 'from': 'events', 'at': 1}",
    ]
    connect.until(
        lambda: connect.call(connect.backend.describe_group("connect-snk")).partitions[0].committed == 3,
        "the tombstone's offset committed though it was filtered",
    )
    assert connect.state("snk")["tasks"][0]["state"] == "RUNNING"
