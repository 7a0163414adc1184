"""Exactly-once source support (KIP-618) in one process, on both backends: a source task
writes its records and offsets in one transaction (`<group.id>-<connector>-<task>`), so a
read_committed consumer sees each line once across a restart, nothing of a transaction
a failing task aborted, and a connector's own offsets.storage.topic holds its offsets.
Validation refuses what cannot be exactly-once, in Kafka's words."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kafkatui.common.clients import ConsumerConfig
from kafkatui.ecosystem.connect import eos
from kafkatui.ecosystem.connect.api import (
    SUPPORTED,
    ConnectException,
    Props,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from kafkatui.ecosystem.connect.plugins import PluginDesc, TransformDesc
from kafkatui.ecosystem.connect.transforms import Transformation
from tests.ecosystem.connect.conftest import ServedConnect, write_lines

FAIL_ON = "com.example.FailOn"


class FailOn(Transformation):
    """Fails the task on the record whose value is "bad" (not retriable)."""

    class_name = FAIL_ON

    def apply(self, record: Any) -> Any:
        if record.value == "bad":
            raise ConnectException("this record cannot be written")
        return record

    def configure(self, props: Mapping[str, Any]) -> None:
        return None


@pytest.fixture(params=["embedded", "remote"])
def eos_connect(request: pytest.FixtureRequest) -> Iterator[ServedConnect]:
    s = ServedConnect(request.param, exactly_once_source_support="enabled")
    try:
        yield s
    finally:
        s.close()


def _values(connect: ServedConnect, topic: str, isolation: str) -> list[str]:
    """Every value of `topic` as a fresh consumer with this isolation.level reads it."""

    async def read() -> list[str]:
        if topic not in connect.backend.topic_names(include_internal=True):
            return []
        consumer = connect.backend.consumer(
            ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False, isolation_level=isolation)
        )
        try:
            consumer.assign_topic(topic)
            out: list[str] = []
            empty = 0
            while empty < 3:
                records = await consumer.poll(300)
                empty = 0 if records else empty + 1
                out += [r.value.decode() if isinstance(r.value, bytes) else str(r.value) for r in records]
            return out
        finally:
            await consumer.close()

    return connect.call(read())


def _string_source(path: Path, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "FileStreamSource",
        "file": str(path),
        "topic": "lines",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "exactly.once.support": "required",
        **extra,
    }


def test_records_and_offsets_commit_together_and_a_restart_resumes(
    eos_connect: ServedConnect, tmp_path: Path
) -> None:
    c = eos_connect
    source = tmp_path / "in.txt"
    first = write_lines(source, 0, 300)
    assert c.create("src", **_string_source(source)).status_code == 201
    c.until(lambda: len(_values(c, "lines", "read_committed")) >= 300, "the first lines committed")
    txn = eos.transactional_id("connect-cluster", "src", 0)
    assert txn == "connect-cluster-src-0"
    assert txn in {t.transactional_id for t in c.call(c.backend.list_transactions())}
    c.restart_worker()
    more = write_lines(source, 300, 600)
    c.until(lambda: len(_values(c, "lines", "read_committed")) >= 600, "the lines after the restart")
    assert _values(c, "lines", "read_committed") == first + more  # each once, in order
    offsets = c.http.get("/connectors/src/offsets").json()["offsets"]
    assert offsets == [
        {"partition": {"filename": str(source)}, "offset": {"position": source.stat().st_size}}
    ]


def test_a_failing_task_aborts_its_transaction(eos_connect: ServedConnect, tmp_path: Path) -> None:
    c = eos_connect
    c.worker.plugins.transformations[FAIL_ON] = TransformDesc(FAIL_ON, FailOn, "transformation")
    source = tmp_path / "in.txt"
    write_lines(source, 0, 50)
    boundary = {"transaction.boundary": "interval", "transaction.boundary.interval.ms": "600000"}
    config = _string_source(source, **{"transforms": "f", "transforms.f.type": FAIL_ON, **boundary})
    assert c.create("src", **config).status_code == 201
    # The 50 lines are written in the task's open transaction; then a line fails it.
    c.until(lambda: len(_values(c, "lines", "read_uncommitted")) == 50, "the open transaction's records")
    with source.open("a") as out:
        out.write("bad\n")
    status = c.until_state("src", "FAILED")
    assert "this record cannot be written" in status["tasks"][0]["trace"]
    assert len(_values(c, "lines", "read_uncommitted")) == 50
    assert _values(c, "lines", "read_committed") == []
    assert c.http.get("/connectors/src/offsets").json()["offsets"] == []


def test_interval_boundary_and_a_connector_offsets_topic(eos_connect: ServedConnect, tmp_path: Path) -> None:
    c = eos_connect
    source = tmp_path / "in.txt"
    lines = write_lines(source, 0, 100)
    config = _string_source(
        source,
        **{
            "transaction.boundary": "interval",
            "transaction.boundary.interval.ms": "300",
            "offsets.storage.topic": "src-offsets",
        },
    )
    assert c.create("src", **config).status_code == 201
    c.until(lambda: len(_values(c, "lines", "read_committed")) >= 100, "the lines committed")
    assert _values(c, "lines", "read_committed") == lines
    position = {"position": source.stat().st_size}
    c.until(
        lambda: (
            c.http.get("/connectors/src/offsets").json()["offsets"]
            == [{"partition": {"filename": str(source)}, "offset": position}]
        ),
        "the offsets",
    )
    assert c.backend.describe_topic("src-offsets").configs.get("cleanup.policy") == "compact"
    assert _values(c, "connect-offsets", "read_committed") == []  # the connector's own topic has them
    c.until(lambda: len(_values(c, "src-offsets", "read_committed")) >= 1, "the offsets in src-offsets")


def test_validation_refuses_what_cannot_be_exactly_once(tmp_path: Path) -> None:
    plain = ServedConnect("embedded")
    try:
        answer = plain.create("src", **_string_source(tmp_path / "in.txt"))
        assert answer.status_code == 400
        assert eos.WORKER_NOT_ENABLED in answer.json()["message"]
    finally:
        plain.close()
    c = ServedConnect("embedded", exactly_once_source_support="enabled")
    try:
        answer = c.create("gen", **{"connector.class": "Datagen", "quickstart": "sales", "kafka.topic": "s",
                                    "exactly.once.support": "required"})  # fmt: skip
        assert answer.status_code == 400, answer.text
        assert eos.NO_PREFLIGHT_API in answer.json()["message"]
        answer = c.create(
            "src", **_string_source(tmp_path / "in.txt", **{"transaction.boundary": "connector"})
        )
        assert answer.status_code == 400
        assert eos.NO_CONNECTOR_BOUNDARIES in answer.json()["message"]
        infos = c.http.put(
            "/connector-plugins/FileStreamSource/config/validate",
            json={**_string_source(tmp_path / "in.txt"), "transaction.boundary": "sometimes"},
        ).json()
        errors = {x["definition"]["name"]: x["value"]["errors"] for x in infos["configs"]}
        assert errors["transaction.boundary"] == [
            "Invalid value sometimes for configuration transaction.boundary: "
            "String must be one of: poll, interval, connector"
        ]
        assert errors["exactly.once.support"] == []
    finally:
        c.close()


def test_new_task_configs_fence_the_previous_generation(tmp_path: Path) -> None:
    """Two tasks, then one: the fencing round bumps the epoch of task 1's transactional
    id too, which no task of the new generation uses (a zombie of it is fenced), and the
    tasks-fencing record holds the new count."""
    c = ServedConnect("embedded", exactly_once_source_support="enabled")
    try:
        config = {"connector.class": "Datagen", "quickstart": "sales", "kafka.topic": "s",
                  "max.interval": "50", "tasks.max": "2"}  # fmt: skip
        assert c.create("gen", **config).status_code == 201
        c.until_state("gen", "RUNNING", 1)

        def epoch(task: int) -> int:
            txn = eos.transactional_id("connect-cluster", "gen", task)
            return c.call(c.backend.describe_transactions([txn]))[0].producer_epoch

        before = epoch(1)
        answer = c.http.put("/connectors/gen/config", json={**config, "tasks.max": "1"})
        assert answer.status_code == 200, answer.text
        c.until(lambda: len(c.state("gen")["tasks"]) == 1, "one task")
        assert epoch(1) > before
        records = {r.key.decode(): r.value for r in c.log("connect-configs") if r.key}
        assert records["tasks-fencing-gen"] == b'{"task-count":1}'
        assert c.worker.configs.state.task_counts["gen"] == 1
    finally:
        c.close()


BOUNDED = "com.example.BoundedSourceConnector"


class BoundedSourceTask(SourceTask):
    """One poll of ten records that defines its own transactions: commit after record 4,
    abort after record 7 (5, 6, 7 are dropped), commit the rest after the batch."""

    def start(self, props: Props) -> None:
        self.done = False

    async def poll(self) -> list[SourceRecord] | None:
        if self.done:
            await asyncio.sleep(0.2)
            return None
        self.done = True
        records = [SourceRecord({"bounded": "p"}, {"n": n + 1}, "bounded", str(n)) for n in range(10)]
        transactions = self.context.transaction_context
        assert transactions is not None
        transactions.commit_transaction(records[4])
        transactions.abort_transaction(records[7])
        transactions.commit_transaction()
        return records


class BoundedSourceConnector(SourceConnector):
    def start(self, props: Props) -> None:
        return None

    def task_class(self) -> type[Task]:
        return BoundedSourceTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{}]

    def exactly_once_support(self, props: Mapping[str, str]) -> str:
        return SUPPORTED

    def can_define_transaction_boundaries(self, props: Mapping[str, str]) -> str:
        return SUPPORTED


def test_connector_defined_transaction_boundaries(eos_connect: ServedConnect) -> None:
    c = eos_connect
    c.worker.plugins.plugins[BOUNDED] = PluginDesc(BOUNDED, BoundedSourceConnector)
    config = {
        "connector.class": BOUNDED,
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "exactly.once.support": "required",
        "transaction.boundary": "connector",
    }
    answer = c.create("bounded", **config)
    assert answer.status_code == 201, answer.text
    expected = ["0", "1", "2", "3", "4", "8", "9"]

    def committed() -> bool:
        task = c.state("bounded")["tasks"][0]
        assert task["state"] != "FAILED", task.get("trace")  # say why, not just time out
        return _values(c, "bounded", "read_committed") == expected

    c.until(committed, "the committed transactions")
    c.until(
        lambda: (
            c.http.get("/connectors/bounded/offsets").json()["offsets"]
            == [{"partition": {"bounded": "p"}, "offset": {"n": 10}}]
        ),
        "the offset of the last committed record",
    )
    task = c.worker.tasks[("bounded", 0)]
    assert (task.committed_transactions, task.aborted_transactions) == (2, 1)


def test_preparing_writes_fencing_records_without_transactions(tmp_path: Path) -> None:
    """exactly.once.source.support=preparing (the first step of a rolling upgrade): task
    count records are written, tasks are not transactional yet."""
    c = ServedConnect("embedded", exactly_once_source_support="preparing")
    try:
        source = tmp_path / "in.txt"
        lines = write_lines(source, 0, 20)
        config = {k: v for k, v in _string_source(source).items() if k != "exactly.once.support"}
        assert c.create("src", **config).status_code == 201, "requested is the default"
        c.until(lambda: _values(c, "lines", "read_uncommitted") == lines, "the lines")
        assert c.worker.configs.state.task_counts == {"src": 1}
        assert c.call(c.backend.list_transactions()) == []
    finally:
        c.close()
