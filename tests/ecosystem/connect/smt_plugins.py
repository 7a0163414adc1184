"""Plugins the transform and error tests run in a real worker: a source connector
emitting people as Structs with a schema, timestamps and headers (as a JDBC-style
source would), and a transformation that raises RetriableException a set number of
times (as a transform calling a flaky service would)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect.api import (
    Props,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from kafkatui.ecosystem.connect.config import ConfigDef, ConfigType
from kafkatui.ecosystem.connect.data import Schema
from kafkatui.ecosystem.connect.errors import RetriableException
from kafkatui.ecosystem.connect.plugins import PluginDesc, TransformDesc
from kafkatui.ecosystem.connect.transforms import Transformation

PERSON = Schema(
    "struct",
    name="person",
    fields=(("id", Schema("int64")), ("name", Schema("string")), ("email", Schema("string", optional=True))),
)
PEOPLE = "com.example.PeopleSourceConnector"
FLAKY = "com.example.Flaky"
PICKY = "com.example.PickySinkConnector"
TS = 1_796_630_400_000  # 2026-12-07T08:00:00Z


class PeopleSourceTask(SourceTask):
    def start(self, props: Props) -> None:
        self.topic = props["topic"]
        self.count = int(props["count"])
        offset = self.context.offset_storage_reader.offset({"source": "people"})
        self.next = 0 if offset is None else int(offset["id"]) + 1

    def poll(self) -> list[SourceRecord]:
        if self.next >= self.count:
            time.sleep(0.05)
            return []
        n, self.next = self.next, self.next + 1
        person = {"id": n, "name": f"person{n}", "email": f"p{n}@example.com"}
        headers = (("trace-id", str(n).encode()),) if n % 2 == 0 else ()
        return [
            SourceRecord(
                {"source": "people"}, {"id": n}, self.topic, person, PERSON, timestamp=TS + n, headers=headers
            )
        ]


class PeopleSourceConnector(SourceConnector):
    def config_def(self) -> ConfigDef:
        return ConfigDef().define("topic", ConfigType.STRING).define("count", ConfigType.INT, 10)

    def start(self, props: Props) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return PeopleSourceTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{"topic": self.props["topic"], "count": self.props.get("count", "10")}]


class Flaky(Transformation):
    """Raises RetriableException `failures` times per record whose value is `value`
    (every one if failures < 0), then passes it; `calls` counts the attempts."""

    class_name = FLAKY
    calls = 0

    def config_def(self) -> ConfigDef:
        return ConfigDef().define("failures", ConfigType.INT, -1).define("value", ConfigType.STRING, "bad")

    def configure(self, props: Mapping[str, Any]) -> None:
        config = self.config_def().parse(props)
        self.failures, self.value = config["failures"], config["value"]
        self.failed: dict[Any, int] = {}

    def apply(self, record: Any) -> Any:
        if record.value != self.value:
            return record
        Flaky.calls += 1
        failed = self.failed.get(record.kafka_offset, 0)
        if self.failures < 0 or failed < self.failures:
            self.failed[record.kafka_offset] = failed + 1
            raise RetriableException(f"the service is down (attempt {failed + 1})")
        return record


class PickySinkTask(SinkTask):
    """Keeps what it is given, but reports each "bad" value through the errant record
    reporter (KIP-610) instead of writing it."""

    kept: list[Any] = []

    def start(self, props: Props) -> None:
        pass

    def put(self, records: list[SinkRecord]) -> None:
        for record in records:
            if record.value == "bad":
                self.context.errant_record_reporter.report(record, ValueError("cannot store a bad value"))
            else:
                PickySinkTask.kept.append(record.value)


class PickySinkConnector(SinkConnector):
    def start(self, props: Props) -> None:
        pass

    def task_class(self) -> type[Task]:
        return PickySinkTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{}]


def install(worker: Any) -> None:
    """Add the test plugins to a running worker's registry (as a distribution's entry
    points would at its start)."""
    worker.plugins.plugins[PEOPLE] = PluginDesc(PEOPLE, PeopleSourceConnector)
    worker.plugins.plugins[PICKY] = PluginDesc(PICKY, PickySinkConnector)
    worker.plugins.transformations[FLAKY] = TransformDesc(FLAKY, Flaky, "transformation")
    Flaky.calls = 0
    PickySinkTask.kept = []
