"""A task that fails goes FAILED with its trace in its status (errors.tolerance=none)
and the worker goes on serving everything else; errors.tolerance=all skips the records
that cannot be converted; restarting the failed tasks after the cause is fixed runs them."""

from __future__ import annotations

from pathlib import Path

from kafkatui.backends.base import ProduceRequest
from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines


def test_a_sink_that_cannot_open_its_file_fails_and_restarts_once_fixed(
    connect: ServedConnect, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.txt"
    answer = connect.create(
        "snk", **{"connector.class": "FileStreamSink", "file": str(target), "topics": "t"}
    )
    assert answer.status_code == 201
    status = connect.until_state("snk", "FAILED")
    assert status["connector"]["state"] == "RUNNING"
    trace = status["tasks"][0]["trace"]
    assert "Couldn't find or create file" in trace and str(target) in trace and "Traceback" in trace
    assert connect.http.get("/connectors/snk/tasks/0/status").json()["trace"] == trace
    # the worker is still up: another connector runs
    fine = tmp_path / "fine.txt"
    connect.create("other", **{"connector.class": "FileStreamSink", "file": str(fine), "topics": "t"})
    connect.until_state("other", "RUNNING")
    target.parent.mkdir()
    plan = connect.http.post("/connectors/snk/restart", params={"includeTasks": "true", "onlyFailed": "true"})
    assert plan.status_code == 202
    assert plan.json()["connector"]["state"] == "RUNNING"  # not failed: not restarted
    assert plan.json()["tasks"][0]["state"] == "RESTARTING"
    status = connect.until_state("snk", "RUNNING")
    assert "trace" not in status["tasks"][0]


def test_a_source_whose_file_is_a_directory_fails(connect: ServedConnect, tmp_path: Path) -> None:
    connect.create("src", **{"connector.class": "FileStreamSource", "file": str(tmp_path), "topic": "t"})
    status = connect.until_state("src", "FAILED")
    assert "Couldn't open file" in status["tasks"][0]["trace"]


def test_a_missing_source_file_is_waited_for(connect: ServedConnect, tmp_path: Path) -> None:
    """As Kafka's FileStreamSourceTask: it waits for the file to be created."""
    source, sink = tmp_path / "later.txt", tmp_path / "out.txt"
    connect.create("src", **{"connector.class": "FileStreamSource", "file": str(source), "topic": "t"})
    connect.create("snk", **{"connector.class": "FileStreamSink", "file": str(sink), "topics": "t"})
    connect.until_state("src", "RUNNING")
    written = write_lines(source, 0, 10)
    connect.until(lambda: len(lines_in(sink)) >= 10, "the lines of the file created later")
    assert lines_in(sink) == written


def _produce_plain(connect: ServedConnect, topic: str, values: list[str]) -> None:
    for value in values:
        connect.call(connect.backend.produce(ProduceRequest(topic, value)))


def test_records_the_converter_cannot_read_fail_the_task(connect: ServedConnect, tmp_path: Path) -> None:
    connect.call(connect.backend.create_topic("plain", 1, 1))
    _produce_plain(connect, "plain", ["not json"])
    sink = tmp_path / "out.txt"
    connect.create("snk", **{"connector.class": "FileStreamSink", "file": str(sink), "topics": "plain"})
    status = connect.until_state("snk", "FAILED")
    assert "DataException" in status["tasks"][0]["trace"]
    assert lines_in(sink) == []


def test_errors_tolerance_all_skips_what_cannot_be_converted(connect: ServedConnect, tmp_path: Path) -> None:
    connect.call(connect.backend.create_topic("mixed", 1, 1))
    _produce_plain(connect, "mixed", ["not json", '{"schema": {"type": "string"}, "payload": "kept"}', '"x"'])
    sink = tmp_path / "out.txt"
    connect.create(
        "snk",
        **{
            "connector.class": "FileStreamSink",
            "file": str(sink),
            "topics": "mixed",
            "errors.tolerance": "all",
        },
    )
    connect.until(lambda: lines_in(sink) == ["kept"], "the one convertible record in the sink")
    assert connect.state("snk")["tasks"][0]["state"] == "RUNNING"
