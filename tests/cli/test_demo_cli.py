"""`kafkatui demo acks`: the narrated scenario and its JSON counts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kafkatui.cli.main import app

runner = CliRunner()


def test_demo_acks_json_counts_like_kafka() -> None:
    one = json.loads(runner.invoke(app, ["demo", "acks", "--acks", "1", "--seed", "2", "--json"]).stdout)
    every = json.loads(runner.invoke(app, ["demo", "acks", "--acks", "all", "--seed", "2", "--json"]).stdout)
    assert one["acked"] == one["sent"] and one["lost"] > 0
    assert every["acked"] == every["sent"] and every["lost"] == 0
    assert set(one) >= {"acked", "lost", "duplicated", "leader_before", "leader_after"}


def test_demo_acks_narrates() -> None:
    result = runner.invoke(app, ["demo", "acks", "--acks", "1", "--seed", "2"])
    assert result.exit_code == 0
    assert "crashing leader broker" in result.stdout and "LeaderElected" in result.stdout
    assert "Lost acknowledged records:" in result.stdout
    bad = runner.invoke(app, ["demo", "acks", "--acks", "2"])
    assert bad.exit_code == 2


def test_demo_failover_json() -> None:
    result = runner.invoke(app, ["demo", "failover", "--seed", "3", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["lost_below_high_watermark"] == 0 and data["read"] == data["produced"]
    assert any(p["leader_before"] != p["leader_after"] for p in data["partitions"])


def test_demo_rebalance_shows_generations_and_sticky_moves_less() -> None:
    runs = {}
    for assignor in ("range", "sticky"):
        result = CliRunner().invoke(app, ["demo", "rebalance", "--assignor", assignor, "--json"])
        assert result.exit_code == 0, result.output
        runs[assignor] = json.loads(result.stdout)
    for report in runs.values():
        generations = report["generations"]
        assert [len(g["members"]) for g in generations] == [3, 2, 3]
        for g in generations:
            owned = sorted(p for ps in g["members"].values() for p in ps)
            assert owned == list(range(6))  # every partition has exactly one reader
        assert "c2" not in generations[1]["members"] and "c4" in generations[2]["members"]
    moved = {a: sum(len(g["moved"]) for g in r["generations"]) for a, r in runs.items()}
    assert moved["sticky"] < moved["range"]
    again = CliRunner().invoke(app, ["demo", "rebalance", "--assignor", "range", "--json"])
    assert json.loads(again.stdout) == runs["range"]  # deterministic


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demo_delivery_counts_like_the_three_guarantees(seed: int) -> None:
    counts = {}
    for mode in ("at-most-once", "at-least-once", "exactly-once"):
        result = CliRunner().invoke(app, ["demo", "delivery", "--mode", mode, "--seed", str(seed), "--json"])
        assert result.exit_code == 0, result.output
        counts[mode] = json.loads(result.stdout)
        assert counts[mode]["input"] == 20
    assert counts["at-most-once"]["lost"] > 0 and counts["at-most-once"]["duplicated"] == 0
    assert counts["at-least-once"]["lost"] == 0 and counts["at-least-once"]["duplicated"] > 0
    assert counts["exactly-once"]["lost"] == 0 and counts["exactly-once"]["duplicated"] == 0
    assert counts["exactly-once"]["output"] == 20
    again = CliRunner().invoke(
        app, ["demo", "delivery", "--mode", "at-most-once", "--seed", str(seed), "--json"]
    )
    assert json.loads(again.stdout) == counts["at-most-once"]  # deterministic per seed
