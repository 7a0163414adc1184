"""--help as a user reads it: flags shown as flags, docstrings reflowed into paragraphs,
and `kafkatui --help` listing each command with the command's own help."""

from __future__ import annotations

import itertools
import re

import pytest
import typer

from kafkatui.cli.main import app
from kafkatui.cli.root import COMMANDS, load
from tests.cli.conftest import CliFn


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group under the root, as argv prefixes."""
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]

    def walk(group: typer.core.TyperGroup, prefix: tuple[str, ...]) -> None:
        ctx = typer.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            paths.append((*prefix, name))
            if isinstance(command, typer.core.TyperGroup):
                walk(command, (*prefix, name))

    walk(root, ())  # type: ignore[arg-type]
    return paths


PATHS = command_paths()


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "root")
def test_no_flag_shows_a_value(cli: CliFn, path: tuple[str, ...]) -> None:
    """Typer 0.29's Rich help printed `--memory <bool>`, `-h, --help <bool>`."""
    text = cli(*path, "--help", data_dir=None).ok().stdout
    assert "<bool>" not in text, text
    assert re.search(r"^  -h, --help +Show this message and exit\.$", text, re.M), text


def test_flags_stand_alone_and_options_name_their_value(cli: CliFn) -> None:
    text = cli("consume", "--help", data_dir=None).ok().stdout
    assert re.search(r"^  -b, --from-beginning +Start at the oldest", text, re.M), text
    assert re.search(r"^  -p, --partition <int> +Read only this partition\.", text, re.M), text
    root = cli("--help", data_dir=None).ok().stdout
    assert re.search(r"^  --memory +A throwaway in-memory cluster", root, re.M), root


def _paragraphs(text: str) -> list[list[str]]:
    """The description's paragraphs (between the usage line and the first section)."""
    description = text.split("\n\n", 1)[1].split("\nArguments:")[0].split("\nOptions:")[0]
    blocks = [block.splitlines() for block in description.strip("\n").split("\n\n")]
    return [[line.strip() for line in block] for block in blocks if block]


@pytest.mark.parametrize("path", [("consume",), ("topic", "compact"), ("serve",), ()], ids=" ".join)
def test_docstrings_reflow(cli: CliFn, path: tuple[str, ...]) -> None:
    """A paragraph breaks a line only where the next word would not fit: the docstring's
    own line breaks are gone ("…committed\\n offsets…" was the bug)."""
    text = cli(*path, "--help", data_dir=None).ok().stdout
    width = max(len(line) for line in text.splitlines())
    paragraphs = _paragraphs(text)
    assert paragraphs, text
    for lines in paragraphs:
        for line, following in itertools.pairwise(lines):
            if line.endswith(":"):  # a literal block follows (serve's example), kept as written
                break
            assert len("  " + line) + 1 + len(following.split()[0]) > width, f"{line!r} / {following!r}"


def test_consume_help_reads_as_sentences(cli: CliFn) -> None:
    text = " ".join(cli("consume", "--help", data_dir=None).ok().stdout.split())
    assert "reads the partitions the group assigns it from the committed offsets" in text


@pytest.mark.parametrize("name", list(COMMANDS))
def test_root_lists_each_command_with_its_own_help(cli: CliFn, name: str) -> None:
    """`kafkatui --help` lists the commands without importing them: what it says must be
    what the command itself says."""
    command = load(name, COMMANDS[name])
    first = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == first
    listed = " ".join(cli("--help", data_dir=None).ok().stdout.split())
    assert f"{name} {first}" in listed


def test_group_help_lists_whole_sentences(cli: CliFn) -> None:
    """Click cut a subcommand's help to fit one line (`...`); it is wrapped instead."""
    commands = cli("topic", "--help", data_dir=None).ok().stdout.split("\nCommands:\n")[1]
    assert "..." not in commands, commands
    flat = " ".join(commands.split())
    assert "the log start offset (low watermark) moves up on every replica." in flat
