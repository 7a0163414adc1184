"""A closed stdout (`kafkatui … | head`) ends every command quietly, as Unix tools do:
status 141 (128 + SIGPIPE), no traceback, no "Exception ignored" at exit, no hang.

Each test runs the real console script with its stdout on a pipe, reads the first line
and closes the pipe while the command still has output to write."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env
from tests.cli.test_serve_cli import start_serve

EXIT_BROKEN_PIPE = 141
# Only a guard against the hang this file is about; a healthy run takes a second or two.
HANG_S = 120


def first_line_then_close(data_dir: Path, *args: str, stdin: bytes | None = None) -> tuple[str, int, str]:
    """Run `kafkatui ARGS`, read one line of its stdout, close the pipe; return that line,
    the exit status and stderr. The line must come while the command still runs: output
    is written as it happens, not at exit."""
    proc = subprocess.Popen(
        [*kafkatui_command(), *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(data_dir),
    )
    assert proc.stdout is not None and proc.stderr is not None
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)  # fits in the pipe's buffer: never blocks
        proc.stdin.close()
        proc.stdin = None  # so communicate() leaves it alone
    first = proc.stdout.readline().decode()
    assert proc.poll() is None, f"the first line came only at exit ({proc.returncode})"
    proc.stdout.close()
    try:
        _, stderr = proc.communicate(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        raise AssertionError(f"still running {HANG_S} s after its stdout closed: {stderr.decode()}") from None
    return first, proc.returncode, stderr.decode()


def assert_quiet_exit(status: int, stderr: str, *allowed: str) -> None:
    assert status == EXIT_BROKEN_PIPE, stderr
    unexpected = [line for line in stderr.splitlines() if not any(a in line for a in allowed)]
    assert unexpected == [], stderr  # no traceback, no "Exception ignored", no error line


def test_a_demo_piped_into_head_exits(data_dir: Path) -> None:
    # --pace keeps the story writing after the reader has gone (at full speed it could
    # fit in the pipe's buffer before head closes it); the rest is told unheard, fast.
    first, status, stderr = first_line_then_close(
        data_dir, "--memory", "demo", "acks", "--acks", "1", "--seed", "1", "--pace", "0.5"
    )
    assert first.startswith("t=   0 ms  leader is broker 1")
    assert_quiet_exit(status, stderr)


def test_consume_piped_into_head_exits(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "clicks", "--partitions", "2").ok()
    kafkatui("produce", "clicks", "--count", "3000").ok()  # ~400 kB of output: more than a pipe holds
    for fmt in ("text", "json"):  # the JSON lines are plain print()s, not Rich
        first, status, stderr = first_line_then_close(
            data_dir, "--data-dir", str(data_dir), "consume", "clicks", "--from-beginning", "-f", fmt
        )
        assert "seq" in first
        assert_quiet_exit(status, stderr)


def test_produce_piped_into_head_exits(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "lines").ok()
    lines = b"".join(b"line %d\n" % i for i in range(3000))  # one report line each
    first, status, stderr = first_line_then_close(
        data_dir, "--data-dir", str(data_dir), "produce", "lines", stdin=lines
    )
    assert first.startswith("produced to lines partition 0 at offset 0")
    assert_quiet_exit(status, stderr)


def test_consume_over_the_wire_piped_into_head_exits(data_dir: Path, kafkatui: CliFn) -> None:
    proc, _ = start_serve(data_dir, "--port-base", "0")
    try:
        kafkatui("topic", "create", "clicks").ok()
        kafkatui("produce", "clicks", "--count", "3000").ok()
        first, status, stderr = first_line_then_close(
            data_dir, "--data-dir", str(data_dir), "consume", "clicks", "--from-beginning"
        )
        assert "seq" in first
        assert_quiet_exit(status, stderr, "attached to the kafkatui process")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
