"""Fixtures for the CLI tests: a private data dir per test, and two ways to run `kafkatui`.

`cli(...)` runs the Typer app in this process with CliRunner (fast); `kafkatui(...)` runs the
installed console script as a real process (for persistence between processes and the data-dir
lock). Both point `--data-dir` and `$KAFKATUI_DATA_DIR` at the test's tmp_path, so no test ever
touches the user's real data dir.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kafkatui.cli.main import app

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Wide enough that Rich never truncates help text or tables.
TERMINAL_ENV = {"COLUMNS": "200", "LINES": "50"}
# Variables that would make Rich or the CLI behave differently from a plain pipe.
UNSET_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "KAFKATUI_DEBUG", "NO_COLOR")


def kafkatui_command() -> list[str]:
    """The console script next to this interpreter, or the same entry point through `-c`."""
    script = Path(sys.executable).parent / "kafkatui"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("kafkatui")
    if found and Path(found).parent == Path(sys.executable).parent:
        return [found]
    return [sys.executable, "-c", "from kafkatui.cli.main import run; run()"]


@dataclass
class Run:
    """What a user sees of one command: exit code, stdout, stderr (ANSI codes removed)."""

    args: Sequence[str]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None  # an exception that escaped the app (CliRunner only)

    def __str__(self) -> str:
        text = f"$ kafkatui {' '.join(self.args)}\n-> exit {self.exit_code}\n"
        text += f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        if self.exception is not None:
            text += "--- escaped exception ---\n" + "".join(traceback.format_exception(self.exception))
        return text

    def ok(self) -> Run:
        """Assert the command succeeded; return self for chaining."""
        assert self.exit_code == 0 and self.exception is None, str(self)
        assert "Traceback" not in self.stdout + self.stderr, str(self)
        return self

    def json(self) -> Any:
        """stdout as exactly one JSON document."""
        lines = self.stdout.splitlines()
        assert len(lines) == 1, str(self)
        return json.loads(lines[0])

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines()]

    def assert_error(self, name: str, *mentions: str) -> str:
        """A Kafka error as users should get it: exit != 0, one `error: NAME: ...` line on
        stderr, no traceback. Returns the message after the name."""
        assert self.exit_code != 0, str(self)
        assert self.exception is None, str(self)
        assert "Traceback" not in self.stdout + self.stderr, str(self)
        lines = self.stderr.splitlines()
        assert len(lines) == 1, str(self)
        assert lines[0].startswith(f"error: {name}: "), str(self)
        message = lines[0].removeprefix(f"error: {name}: ")
        for text in mentions:
            assert text in message, str(self)
        return message

    def assert_usage_error(self, *mentions: str) -> None:
        """A command-line mistake: exit code 2 and one line, `error: USAGE: <what> (see
        kafkatui <command> --help)`, like every other error; no traceback."""
        assert self.exit_code == 2, str(self)
        message = self.assert_error("USAGE", *mentions)
        assert re.search(r"\(see kafkatui( [a-z-]+)* --help\)$", message), str(self)


def _clean(text: str | None) -> str:
    return ANSI.sub("", text or "")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's data dir (not created yet), also set as $KAFKATUI_DATA_DIR."""
    path = tmp_path / "data"
    monkeypatch.setenv("KAFKATUI_DATA_DIR", str(path))
    for name in UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    return path


CliFn = Callable[..., Run]


@pytest.fixture
def cli(data_dir: Path) -> CliFn:
    """`cli("topic", "create", "sales")` runs `kafkatui --data-dir <data_dir> topic create sales`
    in this process. `opts=[...]` adds more global options; `data_dir=None` leaves it out."""
    runner = CliRunner()
    default_dir = data_dir

    def invoke(
        *args: str,
        input: str | bytes | None = None,
        opts: Sequence[str] = (),
        data_dir: Path | None = default_dir,
    ) -> Run:
        argv = [*(["--data-dir", str(data_dir)] if data_dir is not None else []), *opts, *args]
        result = runner.invoke(app, argv, input=input, env=TERMINAL_ENV)
        escaped = None if isinstance(result.exception, SystemExit | None) else result.exception
        return Run(argv, result.exit_code, _clean(result.stdout), _clean(result.stderr), escaped)

    return invoke


def subprocess_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV}
    env.update(TERMINAL_ENV, KAFKATUI_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def kafkatui(data_dir: Path) -> CliFn:
    """`kafkatui("topic", "list")` runs the real console script in a new process on data_dir."""
    command = kafkatui_command()
    env = subprocess_env(data_dir)

    def run(*args: str, input: str | None = None, timeout: float = 30) -> Run:
        argv = ["--data-dir", str(data_dir), *args]
        proc = subprocess.run(
            [*command, *argv],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL if input is None else None,
        )
        return Run(argv, proc.returncode, _clean(proc.stdout), _clean(proc.stderr))

    return run
