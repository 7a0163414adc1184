"""The global options work before or after the command (`kafkatui topic create t
--bootstrap-server B`, as Kafka's tools take it), and each command's --help lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import CliFn

BEFORE, AFTER = "before", "after"


def run(cli: CliFn, position: str, command: list[str], options: list[str], **kwargs: object) -> object:
    """`kafkatui <options> <command>` or `kafkatui <command> <options>`."""
    if position == BEFORE:
        return cli(*command, opts=options, **kwargs)  # type: ignore[arg-type]
    return cli(*command, *options, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("position", [BEFORE, AFTER])
def test_data_dir(cli: CliFn, tmp_path: Path, position: str) -> None:
    other = tmp_path / "other"
    for short in ("--data-dir", "-d"):
        assert run(cli, position, ["where"], [short, str(other)], data_dir=None).ok().stdout == f"{other}\n"
    run(cli, position, ["topic", "create", "t"], ["-d", str(other)], data_dir=None).ok()
    assert (other / "cluster-metadata.db").is_file()
    listed = run(cli, position, ["topic", "list", "--json"], ["--data-dir", str(other)], data_dir=None)
    assert [t["name"] for t in listed.ok().json()] == ["t"]


@pytest.mark.parametrize("position", [BEFORE, AFTER])
def test_memory(cli: CliFn, data_dir: Path, position: str) -> None:
    assert run(cli, position, ["where"], ["--memory"]).ok().stdout == "(in memory)\n"
    run(cli, position, ["topic", "create", "t"], ["--memory"]).ok()
    assert not data_dir.exists()


@pytest.mark.parametrize("position", [BEFORE, AFTER])
def test_bootstrap_server(cli: CliFn, data_dir: Path, position: str) -> None:
    # The command goes to the Kafka it was pointed at (nothing listens there), not to the data dir.
    run(cli, position, ["topic", "list"], ["--bootstrap-server", "127.0.0.1:1"]).assert_error(
        "NETWORK_EXCEPTION", "127.0.0.1:1"
    )
    assert not data_dir.exists()


def placement(cli: CliFn, position: str, seed: str) -> list[list[int]]:
    create = ["topic", "create", "wide", "-p", "5", "--json"]
    desc = run(cli, position, create, ["--memory", "--brokers", "5", "--seed", seed]).ok().json()
    return [p["replicas"] for p in desc["partitions"]]


@pytest.mark.parametrize("position", [BEFORE, AFTER])
def test_brokers_and_seed(cli: CliFn, position: str) -> None:
    placed = placement(cli, position, "4")
    assert sorted(r for [r] in placed) == [1, 2, 3, 4, 5]  # five brokers, one replica each
    # The seed decides where the first replica goes: the same seed, the same placement.
    assert placement(cli, BEFORE, "4") == placed == placement(cli, AFTER, "4")
    assert placement(cli, position, "5") != placed


@pytest.mark.parametrize("position", [BEFORE, AFTER])
def test_cluster_name(cli: CliFn, monkeypatch: pytest.MonkeyPatch, position: str) -> None:
    monkeypatch.delenv("KAFKATUI_DATA_DIR")
    where = run(cli, position, ["where"], ["--cluster", "staging"], data_dir=None).ok().stdout
    assert where.rstrip("\n").endswith(str(Path("clusters") / "staging"))


def test_after_the_command_wins(cli: CliFn, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("where", "-d", str(second), data_dir=first).ok().stdout == f"{second}\n"


def test_the_environment_does_not_undo_an_option_before_the_command(cli: CliFn, data_dir: Path) -> None:
    """$KAFKATUI_DATA_DIR is set here; the command's own copy of -d must not re-read it."""
    other = data_dir.parent / "other"
    assert cli("where", data_dir=other).ok().stdout == f"{other}\n"


def test_a_command_s_own_option_wins(cli: CliFn, data_dir: Path) -> None:
    """`demo` keeps its own --seed (the story's) and never opens the data dir's cluster."""
    help_text = cli("demo", "acks", "--help", data_dir=None).ok().stdout
    assert "--data-dir" not in help_text and help_text.count("--seed") == 1
    assert cli("serve", "--help", data_dir=None).ok().stdout.count("--brokers") == 1


@pytest.mark.parametrize(
    "command", ["topic create", "produce", "consume", "group describe", "broker list", "where"]
)
def test_help_lists_the_global_options(cli: CliFn, command: str) -> None:
    text = cli(*command.split(), "--help", data_dir=None).ok().stdout
    for option in ("-d, --data-dir", "--memory", "--brokers", "--cluster", "--seed", "--bootstrap-server"):
        assert option in text, f"`kafkatui {command} --help` does not list {option}\n{text}"
