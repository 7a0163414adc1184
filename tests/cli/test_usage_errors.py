"""A command-line mistake is one line, `error: USAGE: <what> (see <command> --help)`, with
exit code 2, like every other error (Typer printed the usage and a boxed panel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import CliFn


def test_a_bad_value_is_one_line_with_a_hint(cli: CliFn, data_dir: Path) -> None:
    run = cli("topic", "create", "t", "--partitions", "abc")
    run.assert_usage_error("--partitions", "integer")
    assert run.stderr.rstrip("\n").endswith("(see kafkatui topic create --help)")
    assert "╭" not in run.stderr and "Usage:" not in run.stderr
    assert not data_dir.exists()  # rejected before any cluster is opened


def test_the_console_script_prints_the_same_line(kafkatui: CliFn) -> None:
    run = kafkatui("topic", "create", "t", "--partitions", "abc")
    run.assert_usage_error("--partitions", "(see kafkatui topic create --help)")


@pytest.mark.parametrize(
    ("args", "mentions", "hint"),
    [
        (["--nope"], ["No such option: --nope"], "kafkatui"),
        (["topc"], ["No such command 'topc'", "Did you mean 'topic'?"], "kafkatui"),
        (["--brokers", "x", "topic", "list"], ["--brokers"], "kafkatui"),
        (["topic", "create"], ["Missing argument"], "kafkatui topic create"),
        (["consume", "t", "--format", "xml"], ["--format", "xml"], "kafkatui consume"),
        (["group", "describe", "g", "--bootstrap-server"], ["--bootstrap-server"], "kafkatui group describe"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_usage_errors_name_the_command_to_ask(
    cli: CliFn, args: list[str], mentions: list[str], hint: str
) -> None:
    run = cli(*args)
    run.assert_usage_error(*mentions)
    assert run.stderr.rstrip("\n").endswith(f"(see {hint} --help)"), str(run)


def test_a_mistake_found_while_running_is_one_line_too(cli: CliFn) -> None:
    cli("topic", "create", "sales").ok()
    cli("topic", "alter", "sales").assert_usage_error(
        "nothing to change", "(see kafkatui topic alter --help)"
    )


def test_a_group_without_a_command_still_shows_its_help(cli: CliFn) -> None:
    run = cli("topic", data_dir=None)
    assert "Usage: kafkatui topic" in run.stdout + run.stderr
    assert "create" in run.stdout + run.stderr


def test_error_lines_print_what_they_quote_as_it_is(cli: CliFn) -> None:
    """Rich markup in a message (a bad topic name quoted back) is printed, not applied."""
    cli("topic", "create", "[bold]x").assert_error("INVALID_TOPIC_EXCEPTION", '"[bold]x"')
