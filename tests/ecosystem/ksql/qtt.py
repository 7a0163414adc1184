"""A query-translation test in the manner of ksqlDB's QTT: CREATE statements declare the
sources, one persistent query (or a push SELECT) is compiled, the inputs are written
with the sources' formats into a TopologyTestDriver on its manual clock, and what the
query wrote is read back with the sink's formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafkatui.ecosystem.ksql import ddl
from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.formats import KeySerde, ValueSerde
from kafkatui.ecosystem.ksql.metastore import DataSource, Metastore
from kafkatui.ecosystem.ksql.parser import parse
from kafkatui.ecosystem.ksql.sessions import SessionWindowedSerde
from kafkatui.ecosystem.streams import TopologyTestDriver, Windowed
from kafkatui.ecosystem.streams.serdes import TimeWindowedSerde


@dataclass
class Run:
    outputs: list[dict[str, Any]] = field(default_factory=list)
    driver: TopologyTestDriver | None = None
    sink: DataSource | None = None
    plan: Any = None


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=float))


def _collector(result: Run, names: list[str]) -> Callable[[Any, Any, int], None]:
    def collect(key: Any, row: Any, timestamp: int) -> None:
        value = None if row is None else _plain([row.get(n) for n in names])
        plain_key = key.key if isinstance(key, Windowed) else key
        result.outputs.append({"key": _plain(plain_key), "value": value, "timestamp": timestamp})

    return collect


def run(statements: str, inputs: list[dict[str, Any]]) -> Run:
    metastore = Metastore()
    result = Run()
    for statement in parse(statements):
        if isinstance(statement, st.CreateSource):
            metastore.sources[statement.name] = ddl.declare(statement)
            continue
        if isinstance(statement, st.CreateAsSelect):
            plan, sink = ddl.persistent_plan(metastore, statement)
            metastore.sources[sink.name] = sink
            result.sink = sink
        elif isinstance(statement, st.InsertInto):
            plan, sink = ddl.insert_plan(metastore, statement)
            result.sink = sink
        else:
            assert isinstance(statement, st.Select)
            plan = ddl.compiler_for(metastore, statement.query).compile()
            plan.to_callback(_collector(result, plan.names))
        result.plan = plan
    # ksqlDB's handler: a record that does not read is logged and skipped.
    driver = TopologyTestDriver(
        result.plan.builder.build(), {"default.deserialization.exception.handler": "logAndContinue"}
    )
    result.driver = driver
    by_topic = {s.topic: s for s in metastore.sources.values()}
    for record in inputs:
        source = by_topic[record["topic"]]
        key_serde = KeySerde(source.key_format, source.columns)
        value = record.get("value")
        raw_value = (
            value.encode()
            if isinstance(value, str)
            else None
            if value is None
            else json.dumps(value).encode()
        )
        if source.value_format != "JSON" and isinstance(value, dict):
            raw_value = ValueSerde(source.value_format, source.columns).serialize(source.topic, value)
        driver.pipe_raw(source.topic, key_serde.serialize(source.topic, record.get("key")), raw_value,
                        record.get("timestamp", 0))  # fmt: skip
    if result.sink is not None:
        sink = result.sink
        key_serde: Any = KeySerde(sink.key_format, sink.columns)
        if sink.window is not None and sink.window.kind == "SESSION":
            key_serde = SessionWindowedSerde(key_serde)
        elif sink.window is not None:
            key_serde = TimeWindowedSerde(key_serde, sink.window.size_ms)
        value_serde = ValueSerde(sink.value_format, sink.columns)
        for out in driver.produced(sink.topic):
            key = key_serde.deserialize(sink.topic, out.key)
            plain_key = key.key if isinstance(key, Windowed) else key
            value = _plain(value_serde.deserialize(sink.topic, out.value))
            entry: dict[str, Any] = {"key": _plain(plain_key), "value": value, "timestamp": out.timestamp}
            if isinstance(key, Windowed):
                entry["window"] = [key.window.start, key.window.end]
            result.outputs.append(entry)
    return result
