"""Error handling as Kafka's RetryWithToleranceOperator: with errors.tolerance=all a
sink's bad records go to its dead letter queue, as consumed, with the __connect.errors.*
context headers, and the good ones reach the sink; a RetriableException is retried until
errors.retry.timeout, then the task fails (tolerance none) or skips the record (all)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from kafkatui.backends.base import ProduceRequest
from tests.cli.conftest import CliFn, data_dir, kafkatui
from tests.ecosystem.connect.conftest import ServedConnect, lines_in
from tests.ecosystem.connect.smt_plugins import FLAKY, PICKY, Flaky, PickySinkTask, install

JSON_SINK = {"connector.class": "FileStreamSink", "key.converter": "StringConverter",
             "value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}  # fmt: skip
__all__ = ["data_dir", "kafkatui"]

DLQ = {
    "errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": "dlq",
    "errors.deadletterqueue.topic.replication.factor": "1",
    "errors.deadletterqueue.context.headers.enable": "true",
}


def _produce(connect: ServedConnect, topic: str, values: list[str], **more: Any) -> None:
    connect.call(connect.backend.create_topic(topic, 1, 1))
    for value in values:
        connect.call(connect.backend.produce(ProduceRequest(topic, value, **more)))


def _dlq(connect: ServedConnect) -> list[Any]:
    return connect.log("dlq") if "dlq" in connect.backend.topic_names() else []


def _committed(connect: ServedConnect, name: str) -> int:
    group = connect.call(connect.backend.describe_group(f"connect-{name}"))
    return max([p.committed for p in group.partitions] + [-1])


def test_the_dead_letter_queue_gets_exactly_the_bad_records_with_their_context(
    connect_on: ServedConnect, tmp_path: Path
) -> None:
    connect = connect_on  # on the embedded backend, and over the wire through confluent-kafka
    values = ['"ok 0"', "{not json", '"ok 1"', "", '"ok 2"', "[1,"]
    _produce(connect, "orders", values, key="k", headers=(("origin", "shop"),))
    sink = tmp_path / "out.txt"
    answer = connect.create("snk", **JSON_SINK, **DLQ, file=str(sink), topics="orders")
    assert answer.status_code == 201, answer.text
    connect.until(lambda: len(_dlq(connect)) == 3 and len(lines_in(sink)) == 3, "the DLQ and the sink")
    assert lines_in(sink) == ["ok 0", "ok 1", "ok 2"]
    dead = _dlq(connect)
    assert [r.value for r in dead] == [b"{not json", b"", b"[1,"]
    assert {r.key for r in dead} == {b"k"}
    first = dict(dead[0].headers)
    assert first["origin"] == b"shop"  # the consumed record's own headers come first
    assert {k: v.decode() for k, v in first.items() if k != "__connect.errors.exception.stacktrace"} == {
        "origin": "shop",
        "__connect.errors.topic": "orders",
        "__connect.errors.partition": "0",
        "__connect.errors.offset": "1",
        "__connect.errors.connector.name": "snk",
        "__connect.errors.task.id": "0",
        "__connect.errors.stage": "VALUE_CONVERTER",
        "__connect.errors.class.name": "org.apache.kafka.connect.json.JsonConverter",
        "__connect.errors.exception.class.name": "kafkatui.ecosystem.connect.data.DataException",
        "__connect.errors.exception.message": first["__connect.errors.exception.message"].decode(),
    }
    assert first["__connect.errors.exception.message"].startswith(
        b"Converting byte[] to Kafka Connect data failed"
    )
    assert b"Traceback" in first["__connect.errors.exception.stacktrace"]
    assert [dict(r.headers)["__connect.errors.offset"] for r in dead] == [b"1", b"3", b"5"]
    assert connect.state("snk")["tasks"][0]["state"] == "RUNNING"
    connect.until(lambda: _committed(connect, "snk") == 6, "every offset committed, the bad ones too")


def test_a_transform_failure_goes_to_the_dlq_from_the_transformation_stage(
    connect: ServedConnect, tmp_path: Path
) -> None:
    _produce(connect, "people", ['{"name": "ana"}', '"just text"', '{"name": "bo"}'])
    sink = tmp_path / "out.txt"
    no_context = {**DLQ, "errors.deadletterqueue.context.headers.enable": "false"}
    connect.create(
        "snk",
        **JSON_SINK,
        **no_context,
        file=str(sink),
        topics="people",
        transforms="name",
        **{"transforms.name.type": "ExtractField$Value", "transforms.name.field": "name"},
    )
    connect.until(lambda: len(lines_in(sink)) == 2 and len(_dlq(connect)) == 1, "the sink and the DLQ")
    assert lines_in(sink) == ["ana", "bo"]
    (dead,) = _dlq(connect)
    assert dead.value == b'"just text"' and dead.headers == ()  # no context headers unless enabled


def test_with_context_headers_the_transformation_stage_and_class_are_named(
    connect: ServedConnect, tmp_path: Path
) -> None:
    _produce(connect, "people", ['"just text"'])
    extract = {"transforms.name.type": "ExtractField$Value", "transforms.name.field": "name"}
    connect.create(
        "snk", **JSON_SINK, **DLQ, file=str(tmp_path / "o.txt"), topics="people", transforms="name", **extract
    )
    connect.until(lambda: len(_dlq(connect)) == 1, "the record in the DLQ")
    headers = dict(_dlq(connect)[0].headers)
    assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
    assert headers["__connect.errors.class.name"] == b"org.apache.kafka.connect.transforms.ExtractField$Value"
    assert b"Only Map objects supported" in headers["__connect.errors.exception.message"]


def test_tolerance_none_fails_the_task_and_writes_no_dlq(connect: ServedConnect, tmp_path: Path) -> None:
    _produce(connect, "orders", ['"ok"', "{bad"])
    sink = tmp_path / "out.txt"
    connect.create("snk", **JSON_SINK, **{**DLQ, "errors.tolerance": "none"}, file=str(sink), topics="orders")
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "ConnectException: Tolerance exceeded in error handler" in trace
    assert "DataException: Converting byte[] to Kafka Connect data failed" in trace
    assert _dlq(connect) == []
    assert connect.http.get("/").status_code == 200  # the worker is up


def test_errors_log_enable_logs_each_tolerated_error(
    connect: ServedConnect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _produce(connect, "orders", ["{bad", '"ok"'])
    sink = tmp_path / "out.txt"
    with caplog.at_level(logging.ERROR, logger="kafkatui.ecosystem.connect"):
        connect.create("snk", **JSON_SINK, file=str(sink), topics="orders",
                       **{"errors.tolerance": "all", "errors.log.enable": "true",
                          "errors.log.include.messages": "true"})  # fmt: skip
        connect.until(lambda: lines_in(sink) == ["ok"], "the good record")
    messages = [r.getMessage() for r in caplog.records if "Error encountered" in r.getMessage()]
    assert len(messages) == 1
    assert messages[0].startswith(
        "Error encountered in task snk-0. Executing stage 'VALUE_CONVERTER' with class "
        "'org.apache.kafka.connect.json.JsonConverter', where consumed record is "
        "{topic='orders', partition=0, offset=0, timestamp="
    )


def _flaky_sink(connect: ServedConnect, tmp_path: Path, **errors: str) -> Path:
    install(connect.worker)
    _produce(connect, "jobs", ['"a"', '"bad"', '"b"'])
    sink = tmp_path / "out.txt"
    answer = connect.create("snk", **JSON_SINK, file=str(sink), topics="jobs", transforms="flaky",
                            **{"transforms.flaky.type": FLAKY, "errors.retry.delay.max.ms": "50"},
                            **errors)  # fmt: skip
    assert answer.status_code == 201, answer.text
    return sink


def test_a_retriable_failure_is_retried_until_the_timeout_then_the_task_fails(
    connect: ServedConnect, tmp_path: Path
) -> None:
    sink = _flaky_sink(connect, tmp_path, **{"errors.retry.timeout": "1000"})
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert (
        "Tolerance exceeded in error handler" in trace and "RetriableException: the service is down" in trace
    )
    assert Flaky.calls > 3  # retried, each after a delay of at most errors.retry.delay.max.ms
    assert "b" not in lines_in(sink)  # nothing after the failing record


def test_a_retriable_failure_that_recovers_within_the_timeout_goes_through(
    connect: ServedConnect, tmp_path: Path
) -> None:
    sink = _flaky_sink(connect, tmp_path, **{"errors.retry.timeout": "-1", "transforms.flaky.failures": "3"})
    connect.until(lambda: len(lines_in(sink)) == 3, "every record, the flaky one after its retries")
    assert lines_in(sink) == ["a", "bad", "b"] and Flaky.calls == 4


def test_without_a_retry_timeout_a_tolerated_retriable_failure_is_skipped_at_once(
    connect: ServedConnect, tmp_path: Path
) -> None:
    sink = _flaky_sink(connect, tmp_path, **{"errors.tolerance": "all"})
    connect.until(lambda: len(lines_in(sink)) == 2, "the two good records")
    assert lines_in(sink) == ["a", "b"] and Flaky.calls == 1  # errors.retry.timeout=0: no retry


def test_a_source_skips_what_it_cannot_transform_and_commits_past_it(
    connect: ServedConnect, tmp_path: Path
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    connect.create("src", **{"connector.class": "FileStreamSource", "file": str(source), "topic": "lines",
                             "errors.tolerance": "all", "transforms": "route",
                             "transforms.route.type": "TimestampRouter"})  # fmt: skip
    # FileStreamSource's records carry no timestamp: TimestampRouter fails every one
    connect.until(lambda: connect.worker.offsets.get("src", {"filename": str(source)}) is not None, "offsets")
    assert connect.state("src")["tasks"][0]["state"] == "RUNNING"
    assert [t for t in connect.backend.topic_names() if t.startswith("lines")] == []
    failing = tmp_path / "in2.txt"
    failing.write_text("x\n")
    connect.create("src2", **{"connector.class": "FileStreamSource", "file": str(failing), "topic": "lines",
                              "transforms": "route", "transforms.route.type": "TimestampRouter"})  # fmt: skip
    trace = connect.until_state("src2", "FAILED")["tasks"][0]["trace"]
    assert "Timestamp missing on record" in trace


def test_the_dlq_topic_is_created_with_its_replication_factor_or_the_task_fails(
    connect: ServedConnect, tmp_path: Path
) -> None:
    _produce(connect, "orders", ['"ok"'])
    connect.create("snk", **JSON_SINK, **{**DLQ, "errors.deadletterqueue.topic.replication.factor": "3"},
                   file=str(tmp_path / "o.txt"), topics="orders")  # fmt: skip
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]  # one broker: replication 3 is refused
    assert "Could not initialize dead letter queue with topic=dlq" in trace
    assert "INVALID_REPLICATION_FACTOR" in trace


def test_a_sink_task_reports_what_it_cannot_put_to_the_dlq(connect: ServedConnect) -> None:
    """KIP-610: the errant record reporter, stage TASK_PUT."""
    install(connect.worker)
    _produce(connect, "jobs", ['"a"', '"bad"', '"b"'])
    answer = connect.create("snk", **{**JSON_SINK, "connector.class": PICKY}, **DLQ, topics="jobs")
    assert answer.status_code == 201, answer.text
    connect.until(lambda: len(_dlq(connect)) == 1 and len(PickySinkTask.kept) == 2, "the DLQ and the sink")
    assert PickySinkTask.kept == ["a", "b"]
    (dead,) = _dlq(connect)
    headers = dict(dead.headers)
    assert dead.value == b'"bad"' and headers["__connect.errors.offset"] == b"1"
    assert headers["__connect.errors.stage"] == b"TASK_PUT"
    assert headers["__connect.errors.class.name"] == b"org.apache.kafka.connect.sink.SinkTask"
    assert headers["__connect.errors.exception.class.name"] == b"ValueError"
    assert headers["__connect.errors.exception.message"] == b"cannot store a bad value"
    connect.until(
        lambda: _committed(connect, "snk") == 3, "the offsets committed after the DLQ had the record"
    )


def test_a_reported_record_fails_the_task_under_tolerance_none(connect: ServedConnect) -> None:
    install(connect.worker)
    _produce(connect, "jobs", ['"bad"'])
    connect.create("snk", **{**JSON_SINK, "connector.class": PICKY}, topics="jobs")
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "Tolerance exceeded in error handler" in trace and "ValueError: cannot store a bad value" in trace


README_EXAMPLE = {
    "name": "orders-file",
    "config": {
        "connector.class": "FileStreamSink", "topics": "orders", "file": "/tmp/orders.txt",
        "key.converter": "StringConverter",
        "value.converter": "JsonConverter", "value.converter.schemas.enable": "false",
        "transforms": "dropTests,product",
        "transforms.dropTests.type": "Filter", "transforms.dropTests.predicate": "isTest",
        "transforms.product.type": "ExtractField$Value", "transforms.product.field": "product",
        "predicates": "isTest", "predicates.isTest.type": "HasHeaderKey", "predicates.isTest.name": "test",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "orders-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    },
}  # fmt: skip


def test_the_readme_example(connect: ServedConnect, kafkatui: CliFn, tmp_path: Path) -> None:
    """The README's: a sink that drops test orders, keeps the product, and sends what is
    not JSON to orders-dlq."""
    out = tmp_path / "orders.txt"
    example = {**README_EXAMPLE, "config": {**README_EXAMPLE["config"], "file": str(out)}}
    (tmp_path / "orders-sink.json").write_text(json.dumps(example))
    created = kafkatui("connect", "create", str(tmp_path / "orders-sink.json"), "--connect-url", connect.url)
    assert created.ok().stdout.strip() == "created connector orders-file (sink, 1 task(s))"
    for key, value, headers in [("c1", '{"product": "pen", "price": 2}', ()), ("c2", '{"product": "ink"', ()),
                                ("c3", '{"product": "test"}', (("test", "1"),))]:  # fmt: skip
        connect.call(connect.backend.produce(ProduceRequest("orders", value, key=key, headers=headers)))
    connect.until(lambda: lines_in(out) == ["pen"] and "orders-dlq" in connect.backend.topic_names(), "pen")
    connect.until(lambda: len(connect.log("orders-dlq")) == 1, "the bad order in orders-dlq")
    (dead,) = connect.log("orders-dlq")
    assert (dead.key, dead.value) == (b"c2", b'{"product": "ink"')
    assert dict(dead.headers)["__connect.errors.stage"] == b"VALUE_CONVERTER"
    connect.until(lambda: _committed(connect, "orders-file") == 3, "all three offsets committed")
    assert lines_in(out) == ["pen"]


def test_a_failed_send_fails_a_source_unless_tolerated(connect: ServedConnect, tmp_path: Path) -> None:
    """Stage KAFKA_PRODUCE: a record the broker refuses (larger than the topic's
    max.message.bytes) fails the task; with errors.tolerance=all it is skipped."""
    connect.call(connect.backend.create_topic("small", 1, 1, {"max.message.bytes": "300"}))
    strict, lenient = tmp_path / "strict.txt", tmp_path / "lenient.txt"
    for path in (strict, lenient):
        path.write_text("x" * 1000 + "\n")
    connect.create("strict", **{"connector.class": "FileStreamSource", "file": str(strict), "topic": "small"})
    trace = connect.until_state("strict", "FAILED")["tasks"][0]["trace"]
    assert "Unrecoverable exception from producer send callback" in trace
    lenient_config = {"file": str(lenient), "topic": "small", "errors.tolerance": "all"}
    connect.create("lenient", **{"connector.class": "FileStreamSource", **lenient_config})
    # the refused line's offset is committed, then what follows is sent
    connect.until(lambda: connect.worker.offsets.get("lenient", {"filename": str(lenient)}), "an offset")
    with lenient.open("a") as out:
        out.write("short\n")
    connect.until(lambda: len(connect.log("small")) == 1, "the short line")
    assert json.loads(connect.log("small")[0].value)["payload"] == "short"
    assert connect.state("lenient")["tasks"][0]["state"] == "RUNNING"
