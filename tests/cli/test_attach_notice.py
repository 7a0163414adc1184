"""The "attached to the kafkatui process…" notice comes first, before the command's own
output, even when stdout and stderr share one pipe (`2>&1 | less`, a CI log)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env
from tests.cli.test_serve_cli import start_serve


@pytest.mark.parametrize(
    "args",
    [("topic", "list"), ("produce", "notes", "--value", "hi"), ("consume", "notes", "-b", "-n", "1")],
)
def test_the_attach_notice_comes_before_the_output(
    data_dir: Path, kafkatui: CliFn, args: tuple[str, ...]
) -> None:
    proc, bootstrap = start_serve(data_dir, "--port-base", "0")
    try:
        kafkatui("topic", "create", "notes").ok()
        kafkatui("produce", "notes", "--value", "first").ok()
        merged = subprocess.run(
            [*kafkatui_command(), "--data-dir", str(data_dir), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one pipe: the order they were written in
            env=subprocess_env(data_dir),
            timeout=60,
            text=True,
        )
        assert merged.returncode == 0, merged.stdout
        lines = merged.stdout.splitlines()
        assert lines[0] == f"attached to the kafkatui process {proc.pid} at {bootstrap} (it owns {data_dir})"
        assert len(lines) > 1 and not any("attached to" in line for line in lines[1:])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
