"""`kafkatui chaos run`: the table of runs, JSON for scripts, exit code 1 and the replay
command when a run breaks a promise, progress on a terminal, one-line errors."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from kafkatui.chaos import run as chaos_run
from kafkatui.chaos.history import ReadBack
from kafkatui.engine.cluster import Cluster
from tests.cli.conftest import CliFn

QUICK = ["--faults", "crash,network,controller", "--steps", "6"]


@pytest.fixture
def losing_partition_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """The healed cluster's log comes back without partition 0: what a broker that lost
    its database and led the partition anyway would show (issue 17). Every run then
    breaks acked-durable, whatever the engine does."""
    read_back = chaos_run.read_back

    async def without_partition_0(cluster: Cluster) -> ReadBack:
        readback = await read_back(cluster)
        readback.records = [r for r in readback.records if r.partition != 0]
        return readback

    monkeypatch.setattr(chaos_run, "read_back", without_partition_0)


def test_a_table_of_runs(cli: CliFn) -> None:
    out = cli("chaos", "run", "--seed", "3", "--runs", "3", *QUICK, data_dir=None).ok().stdout
    assert re.search(r"Seed.*Faults injected.*Records acked.*Violations", out), out
    rows = [line for line in out.splitlines() if re.match(r"^│ \d+ ", line)]
    assert [row.split()[1] for row in rows] == ["3", "4", "5"], out
    assert all(row.rstrip(" │").endswith("none") for row in rows), out  # no violations
    assert re.search(
        r"^3 runs, \d+ faults injected, \d+ records acknowledged .*, 0 runs broke a promise$", out, re.M
    )


def test_json_for_scripts_is_the_same_for_the_same_seed(cli: CliFn) -> None:
    first = cli("chaos", "run", "--seed", "7", "--runs", "2", *QUICK, "--json", data_dir=None).ok().json()
    again = cli("chaos", "run", "--seed", "7", "--runs", "2", *QUICK, "--json", data_dir=None).ok().json()
    assert first == again
    assert first["faults"] == ["controller", "crash", "network"] and first["steps"] == 6
    assert [r["seed"] for r in first["runs"]] == [7, 8]
    assert first["totals"]["runs"] == 2 and first["totals"]["runs_with_violations"] == 0
    assert all(r["violations"] == [] and "replay" not in r for r in first["runs"])
    faults = [f for r in first["runs"] for f in r["faults"]]
    assert faults and all({"at_ms", "kind", "what"} == set(f) for f in faults)


@pytest.mark.usefixtures("losing_partition_0")
def test_a_broken_promise_exits_1_and_says_how_to_replay_it(cli: CliFn) -> None:
    result = cli("chaos", "run", "--seed", "11", "--runs", "2", *QUICK, data_dir=None)
    assert result.exit_code == 1
    message = result.assert_error("CHAOS_VIOLATION", "2 of 2 runs broke a Kafka promise")
    replay = "kafkatui chaos run --seed 11 --runs 1 --faults controller,crash,network --steps 6"
    assert message.endswith(f"replay the first with: {replay}")
    assert "acked-durable" in result.stdout and f"replay: {replay}" in result.stdout
    assert re.search(r"^  acked-durable: \d+ of \d+ acked records lost: ", result.stdout, re.M), result.stdout
    # The replay command plays that run again, exactly.
    both = cli("chaos", "run", "--seed", "11", "--runs", "2", *QUICK, "--json", data_dir=None)
    assert both.exit_code == 1
    again = cli(*replay.split()[1:], "--json", data_dir=None)
    assert again.exit_code == 1
    assert again.json()["runs"] == both.json()["runs"][:1]
    assert both.json()["runs"][0]["replay"] == replay


def test_only_runs_that_broke_a_promise_are_listed_when_there_are_many(
    cli: CliFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kafkatui.cli.chaos.MAX_ROWS", 1)
    out = cli("chaos", "run", "--seed", "3", "--runs", "2", *QUICK, data_dir=None).ok().stdout
    assert "(2 runs that kept every promise not listed; --json lists every run)" in out
    assert "Seed" not in out


def test_progress_on_a_terminal(cli: CliFn, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr("kafkatui.cli.chaos.err_console", terminal)
    cli("chaos", "run", "--seed", "3", "--runs", "2", *QUICK, data_dir=None).ok()
    assert "2/2" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())


def test_an_unknown_fault_family_is_a_usage_error(cli: CliFn) -> None:
    cli("chaos", "run", "--faults", "crash,meteor", data_dir=None).assert_usage_error(
        "meteor is not a fault family", "crash, stop, network, controller, restart, disk"
    )


def test_chaos_needs_kafkatuis_own_clusters(cli: CliFn) -> None:
    result = cli("chaos", "run", opts=["--bootstrap-server", "localhost:9"], data_dir=None)
    result.assert_error("FEATURE_UNAVAILABLE", "kafkatui chaos run needs kafkatui's own cluster")


def test_help_says_what_is_checked_and_how_to_replay(cli: CliFn) -> None:
    text = " ".join(cli("chaos", "run", "--help", data_dir=None).ok().stdout.split())
    assert (
        "every record acknowledged with acks=all (min.insync.replicas=2) is in the log at its offset" in text
    )
    assert "kafkatui chaos run --seed S --runs 1" in text and "Exit code 1" in text
