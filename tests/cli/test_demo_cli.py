"""`kafkatui demo …`: the narrated scenarios, their JSON counts, their pace."""

from __future__ import annotations

import asyncio
import json
import selectors

import pytest
from typer.testing import CliRunner

from kafkatui.cli import demo as demo_cli
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


def test_demo_failover_lost_disk_json_counts_nothing_lost() -> None:
    args = ["demo", "failover", "--scenario", "lost-disk", "--seed", "2", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["read_back"] == data["acknowledged"] == data["produced"] and data["lost"] == 0
    assert data["records_after_restart"] == 0 and data["records_refetched"] == data["produced"]
    assert not data["led_while_rebuilding"] and not data["in_isr_while_rebuilding"]
    assert json.loads(runner.invoke(app, args).stdout) == data  # deterministic


PORTUGUESE = {"LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None, "LANG": "pt_BR.UTF-8"}


def test_demo_failover_is_told_in_the_locales_language() -> None:
    lost_disk = runner.invoke(app, ["demo", "failover", "--scenario", "lost-disk"], env=PORTUGUESE)
    assert lost_disk.exit_code == 0, lost_disk.output
    assert "é uma nova encarnação do broker" in lost_disk.stdout
    assert lost_disk.stdout.splitlines()[-1] == "lidos de volta: 60 dos 60 registros confirmados; perdidos: 0"
    asked = runner.invoke(
        app, ["demo", "failover", "--scenario", "lost-disk", "--language", "en"], env=PORTUGUESE
    )
    assert "this is a new incarnation of broker" in asked.stdout
    crash = runner.invoke(app, ["demo", "failover", "--seed", "3", "--language", "pt"])
    assert crash.exit_code == 0, crash.output
    assert "o controller isolou (fenced) o broker" in crash.stdout and "o ISR agora é" in crash.stdout
    assert "registros abaixo do high watermark de antes da queda que se perderam: 0" in crash.stdout
    english = runner.invoke(app, ["demo", "failover", "--seed", "3", "--language", "en", "--json"])
    portuguese = runner.invoke(app, ["demo", "failover", "--seed", "3", "--language", "pt", "--json"])
    assert json.loads(portuguese.stdout) == json.loads(english.stdout)  # only the words change


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


class _WaitRecorder(selectors.DefaultSelector):
    """The event loop's selector, noting every wait that a timer bounds (wall time)."""

    timed_waits: list[float] = []

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0:
            self.timed_waits.append(timeout)
        return super().select(timeout)


class _RecordingPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.SelectorEventLoop(_WaitRecorder())


@pytest.mark.parametrize("demo", [["acks", "--acks", "all"], ["idempotence"], ["rebalance"]])
def test_demos_never_wait_on_the_wall_clock(demo: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The story runs on a ManualClock: between steps it waits for the cluster to be idle
    (SQLite's threads answering), never for a timer, so it runs as fast as the machine
    goes. (Cluster.settle slept 2 ms per check: 9-12 s of a 1 s demo.)"""
    monkeypatch.setattr(_WaitRecorder, "timed_waits", [])
    asyncio.set_event_loop_policy(_RecordingPolicy())
    try:
        result = runner.invoke(app, ["demo", *demo])
        control = asyncio.run(asyncio.sleep(0.001))  # the recorder does see a timer
    finally:
        asyncio.set_event_loop_policy(None)
    assert result.exit_code == 0, result.output
    assert control is None and _WaitRecorder.timed_waits.pop() > 0
    assert _WaitRecorder.timed_waits == []


def test_pace_waits_after_each_line_and_tells_the_same_story(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = runner.invoke(app, ["demo", "acks", "--acks", "1", "--seed", "2"])
    waits: list[float] = []
    monkeypatch.setattr(demo_cli.time, "sleep", waits.append)
    paced = runner.invoke(app, ["demo", "acks", "--acks", "1", "--seed", "2", "--pace", "1.5"])
    assert paced.exit_code == 0 and paced.stdout == fast.stdout
    story = [line for line in paced.stdout.splitlines() if line.startswith("t=")]
    assert waits == [1.5] * len(story)  # after each line of the story, not after the summary
    assert runner.invoke(app, ["demo", "acks", "--pace", "-1"]).exit_code == 2
