"""`kafkatui broker list|stop|start`, persisted between processes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kafkatui.cli.main import app

runner = CliRunner()


def run(data: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--data-dir", str(data), "--seed", "4", *args])


def test_stop_moves_leadership_and_is_remembered(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "3", "-r", "3").exit_code == 0
    assert run(tmp_path, "produce", "sales", "--key", "k", "--value", "v").exit_code == 0
    stopped = run(tmp_path, "broker", "stop", "2")
    assert stopped.exit_code == 0, stopped.output
    assert "Broker 2 stopped" in stopped.output
    brokers = json.loads(run(tmp_path, "broker", "list", "--json").stdout)
    assert [(b["broker_id"], b["running"]) for b in brokers] == [(1, True), (2, False), (3, True)]
    desc = json.loads(run(tmp_path, "topic", "describe", "sales", "--json").stdout)
    assert all(p["leader"] != 2 and 2 not in p["isr"] for p in desc["partitions"])
    assert desc["record_count"] == 1
    crash = run(tmp_path, "broker", "stop", "3", "--crash")
    assert crash.exit_code == 0 and "crashed" in crash.output
    assert run(tmp_path, "broker", "start", "2").exit_code == 0
    again = run(tmp_path, "broker", "stop", "3")
    assert again.exit_code == 1
    assert "error: BROKER_NOT_AVAILABLE: broker 3 is already stopped" in again.output
    unknown = run(tmp_path, "broker", "start", "7")
    assert unknown.exit_code == 1 and "no broker 7" in unknown.output


def test_preferred_leader_election_from_the_cli(tmp_path: Path) -> None:
    assert run(tmp_path, "topic", "create", "sales", "-p", "3", "-r", "3").exit_code == 0
    before = json.loads(run(tmp_path, "topic", "describe", "sales", "--json").stdout)
    assert run(tmp_path, "broker", "stop", "2").exit_code == 0
    assert run(tmp_path, "broker", "start", "2").exit_code == 0
    moved = [p for p in before["partitions"] if p["replicas"][0] == 2]
    result = run(tmp_path, "topic", "elect-leaders", "sales", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["partition"] for r in rows if r["error"] is None} == {p["partition"] for p in moved}
    assert {r["error"] for r in rows if r["error"]} <= {"ELECTION_NOT_NEEDED"}
    after = json.loads(run(tmp_path, "topic", "describe", "sales", "--json").stdout)
    assert all(p["leader"] == p["replicas"][0] for p in after["partitions"])
    text = run(tmp_path, "topic", "elect-leaders")
    assert text.exit_code == 0 and "0 partition(s) got a new leader" in text.output
    bad = run(tmp_path, "topic", "elect-leaders", "sales", "--partition", "9")
    assert bad.exit_code == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in bad.output
