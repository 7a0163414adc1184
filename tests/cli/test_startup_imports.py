"""Parsing the command line and printing --help load neither the engine nor the
backends: those load when a command runs (timings: bench/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "kafkatui.engine",
    "kafkatui.backends",
    "kafkatui.wire",
    "kafkatui.tui",
    "textual",
    "confluent_kafka",
    "kio",
)

SCRIPT = """
import json, sys
{body}
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(body: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(body=body)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def test_importing_the_cli_loads_no_engine() -> None:
    modules = modules_after("import kafkatui.cli.main")
    assert "kafkatui.cli.main" in modules
    assert heavy(modules) == []


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--version"]])
def test_root_help_loads_no_command(argv: list[str]) -> None:
    body = (
        "from kafkatui.cli.main import app\n"
        "try:\n"
        f"    app({argv!r}, prog_name='kafkatui')\n"
        "except SystemExit:\n"
        "    pass"
    )
    modules = modules_after(body)
    assert heavy(modules) == []
    assert not [
        m
        for m in modules
        if m.startswith("kafkatui.cli.") and m not in ("kafkatui.cli.main", "kafkatui.cli.root")
    ]


def test_context_and_output_load_no_engine() -> None:
    """What every command module shares is light too, so a command that does not need the
    engine (a remote one) need not pay for it."""
    assert heavy(modules_after("import kafkatui.cli.context, kafkatui.cli.output")) == []
