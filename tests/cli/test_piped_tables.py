"""A table piped into another program (`kafkatui topic describe sales | cat`) keeps whole
headers and cells: Rich fitted it into 80 columns, `Part… Lead… Repl…`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env

DESCRIBE_HEADERS = (
    "Partition", "Leader", "Replicas", "Isr", "LogStart", "LogEnd", "HighWatermark", "Size", "Segments",
    "DirtyRatio",
)  # fmt: skip


def piped(data_dir: Path, *args: str, columns: str | None) -> str:
    """stdout of a real `kafkatui` whose stdout is a pipe, told the terminal has
    `columns` columns (or not told at all)."""
    env = subprocess_env(data_dir)
    env.pop("COLUMNS")
    if columns is not None:
        env["COLUMNS"] = columns
    proc = subprocess.run(
        [*kafkatui_command(), "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("columns", [None, "40"], ids=["no COLUMNS", "COLUMNS=40"])
def test_piped_tables_keep_whole_headers(kafkatui: CliFn, data_dir: Path, columns: str | None) -> None:
    kafkatui("topic", "create", "sales-with-a-rather-long-name", "--partitions", "3").ok()
    kafkatui("produce", "sales-with-a-rather-long-name", "--count", "30").ok()
    kafkatui("consume", "sales-with-a-rather-long-name", "-b", "-n", "30", "-g", "billing").ok()

    describe = piped(data_dir, "topic", "describe", "sales-with-a-rather-long-name", columns=columns)
    header = next(line for line in describe.splitlines() if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == list(DESCRIBE_HEADERS), describe

    listed = piped(data_dir, "topic", "list", columns=columns)
    assert "sales-with-a-rather-long-name" in listed
    lag = piped(data_dir, "group", "describe", "billing", columns=columns)
    for text in ("Current offset", "Log end offset", "Lag", "sales-with-a-rather-long-name"):
        assert text in lag, lag
    for output in (describe, listed, lag):
        assert "…" not in output, output
