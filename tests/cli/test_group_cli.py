"""`kafkatui group list|describe|reset-offsets|delete`, between processes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kafkatui.cli.main import app

runner = CliRunner()


def run(data: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--data-dir", str(data), "--seed", "4", *args], input=stdin)


def test_reset_describe_list_and_delete(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "2").exit_code == 0
    lines = "".join(f"k{i}:v{i}\n" for i in range(10))
    assert run(tmp_path, "produce", "sales", "--key-separator", ":", stdin=lines).exit_code == 0
    assert json.loads(run(tmp_path, "group", "list", "--json").stdout) == []

    dry = run(tmp_path, "group", "reset-offsets", "billing", "--topic", "sales", "--to-latest", "--json")
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    assert plan["executed"] is False and all(p["old"] == -1 for p in plan["partitions"])
    assert json.loads(run(tmp_path, "group", "list", "--json").stdout) == []  # a dry run commits nothing

    done = run(
        tmp_path, "group", "reset-offsets", "billing", "--topic", "sales", "--to-earliest", "--execute"
    )
    assert done.exit_code == 0 and "Committed 2 offset(s)" in done.output
    shifted = run(
        tmp_path, "group", "reset-offsets", "billing", "--topic", "sales:1", "--shift-by", "2", "--execute"
    )
    assert shifted.exit_code == 0, shifted.output
    assert json.loads(run(tmp_path, "group", "list", "--json").stdout) == ["billing"]

    desc = json.loads(run(tmp_path, "group", "describe", "billing", "--json").stdout)
    rows = {p["partition"]: p for p in desc["partitions"]}
    ends = {
        p["partition"]: p["high_watermark"]
        for p in json.loads(run(tmp_path, "topic", "describe", "sales", "--json").stdout)["partitions"]
    }
    assert rows[0]["committed_offset"] == 0 and rows[0]["lag"] == ends[0]
    assert (
        rows[1]["committed_offset"] == min(2, ends[1])
        and rows[1]["lag"] == ends[1] - rows[1]["committed_offset"]
    )
    assert desc["total_lag"] == sum(r["lag"] for r in rows.values())

    far_back = run(
        tmp_path,
        "group",
        "reset-offsets",
        "billing",
        "--topic",
        "sales",
        "--to-datetime",
        "2001-01-01T00:00:00+00:00",
        "--json",
    )
    assert [p["new"] for p in json.loads(far_back.stdout)["partitions"]] == [0, 0]
    future = run(
        tmp_path,
        "group",
        "reset-offsets",
        "billing",
        "--topic",
        "sales",
        "--to-datetime",
        "2999-01-01T00:00:00",
        "--json",
    )
    assert [p["new"] for p in json.loads(future.stdout)["partitions"]] == [ends[0], ends[1]]

    assert run(tmp_path, "group", "delete", "billing").exit_code == 0
    gone = run(tmp_path, "group", "delete", "billing")
    assert gone.exit_code == 1 and "GROUP_ID_NOT_FOUND" in gone.output


def test_reset_errors_are_clear(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "2").exit_code == 0
    none = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales")
    assert none.exit_code == 2 and "exactly one" in none.output
    two = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales", "--to-latest", "--to-earliest")
    assert two.exit_code == 2
    shift = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales", "--shift-by", "1")
    assert shift.exit_code == 1 and "no committed offset on sales-0" in shift.output
    bad_partition = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales:7", "--to-latest")
    assert bad_partition.exit_code == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in bad_partition.output
    bad_syntax = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales:x", "--to-latest")
    assert bad_syntax.exit_code == 2 and "partitions are numbers" in bad_syntax.output
    bad_time = run(tmp_path, "group", "reset-offsets", "g", "--topic", "sales", "--to-datetime", "yesterday")
    assert bad_time.exit_code == 2 and "ISO date-time" in bad_time.output
    unknown = run(tmp_path, "group", "reset-offsets", "g", "--topic", "nope", "--to-latest")
    assert unknown.exit_code == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in unknown.output


def test_consume_with_a_group_resumes_and_shrinks_the_lag(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "1").exit_code == 0
    lines = "".join(f"v{i}\n" for i in range(6))
    assert run(tmp_path, "produce", "sales", stdin=lines).exit_code == 0
    first = run(
        tmp_path, "consume", "sales", "--group", "g", "-b", "--max", "4", "--timeout", "0.2", "-f", "json"
    )
    assert first.exit_code == 0, first.output
    assert [json.loads(line)["offset"] for line in first.stdout.splitlines()] == [0, 1, 2, 3]
    assert json.loads(run(tmp_path, "group", "describe", "g", "--json").stdout)["total_lag"] == 2
    rest = run(tmp_path, "consume", "sales", "--group", "g", "--timeout", "0.2", "-f", "json")
    assert [json.loads(line)["offset"] for line in rest.stdout.splitlines()] == [4, 5]
    assert json.loads(run(tmp_path, "group", "describe", "g", "--json").stdout)["total_lag"] == 0


def test_describing_an_unknown_group_is_an_error(tmp_path: Path) -> None:
    result = run(tmp_path, "group", "describe", "nobody")
    assert result.exit_code == 1 and "GROUP_ID_NOT_FOUND" in result.output


def test_group_list_with_state(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "1").exit_code == 0
    assert (
        run(
            tmp_path, "group", "reset-offsets", "g", "--topic", "sales", "--to-earliest", "--execute"
        ).exit_code
        == 0
    )
    listed = run(tmp_path, "group", "list", "--state", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [{"group": "g", "state": "Empty", "members": 0}]
    assert "Empty" in run(tmp_path, "group", "list", "--state").output
