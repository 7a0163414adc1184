"""`kafkatui produce` reads stdin as bytes: text (UTF-8 lines, checked), raw or whole; a bad
line sends nothing (or, for a stdin still open, says what was sent); the same bytes reach
the log through the engine and over the wire.

Real processes and pipes: the console script with bytes on its stdin, read back with
`kafkatui consume -f json` (values that are not UTF-8 come back base64)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, Run, _clean, kafkatui_command, subprocess_env
from tests.wire.conftest import ServedCluster


def produce_bytes(data_dir: Path, *args: str | bytes, stdin: bytes, opts: tuple[str, ...] = ()) -> Run:
    """`kafkatui [opts] produce ARGS` with `stdin` on a pipe, as `printf … | kafkatui …`."""
    argv = [*opts, "produce", *args] if opts else ["--data-dir", str(data_dir), "produce", *args]
    proc = subprocess.run(
        [*kafkatui_command(), *argv],
        input=stdin,
        capture_output=True,
        env=subprocess_env(data_dir),
        timeout=60,
    )
    shown = [a if isinstance(a, str) else repr(a) for a in argv]
    return Run(
        shown, proc.returncode, _clean(proc.stdout.decode()), _clean(proc.stderr.decode(errors="replace"))
    )


def stored(kafkatui: CliFn, topic: str, *opts: str) -> list[tuple[bytes | None, bytes]]:
    """Every record of `topic` as (key, value) bytes, in partition then offset order."""
    read = kafkatui(*opts, "consume", topic, "--from-beginning", "--timeout", "2", "-f", "json").ok()
    out = []
    for r in sorted(read.json_lines(), key=lambda r: (r["partition"], r["offset"])):
        key, value = r["key"], r["value"]
        k = None if key is None else base64.b64decode(key) if "key_encoding" in r else key.encode()
        v = base64.b64decode(value) if "value_encoding" in r else value.encode()
        out.append((k, v))
    return out


BAD = b"ok\n\xff\xfe bad\n"


@pytest.mark.parametrize("args", [("--key", "k"), ("--key-separator", ":")])
def test_a_line_that_is_not_utf8_sends_nothing(
    data_dir: Path, kafkatui: CliFn, args: tuple[str, str]
) -> None:
    kafkatui("topic", "create", "sales").ok()
    run = produce_bytes(data_dir, "sales", *args, stdin=BAD)
    message = run.assert_error(
        "INVALID_RECORD", "stdin line 2 is not UTF-8", "nothing was produced", "--input raw"
    )
    assert "byte 0xff at column 1" in message and run.stdout == ""
    assert stored(kafkatui, "sales") == []  # "ok" was not sent ahead of the bad line


def test_raw_input_sends_the_bytes_as_they_are(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "sales").ok()
    produce_bytes(data_dir, "sales", "--key", "k", "--input", "raw", stdin=BAD + b"crlf\r\n").ok()
    assert stored(kafkatui, "sales") == [(b"k", b"ok"), (b"k", b"\xff\xfe bad"), (b"k", b"crlf\r")]
    produce_bytes(data_dir, "sales", "-K", ":", "-i", "raw", stdin=b"\xe9:\x00\x01\n").ok()
    assert stored(kafkatui, "sales")[-1] == (b"\xe9", b"\x00\x01")  # the key split off as bytes too


def test_whole_input_is_one_record_and_keys_from_argv_are_bytes(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "files").ok()
    image = bytes(range(256)) * 3  # newlines, NULs, everything
    produced = produce_bytes(
        data_dir, "files", "--input", "whole", "--key", b"\xe9t\xe9", "--json", stdin=image
    )
    assert produced.ok().json()["key_encoding"] == "base64"
    assert stored(kafkatui, "files") == [(b"\xe9t\xe9", image)]
    produce_bytes(data_dir, "files", "--input", "whole", "-K", ":", stdin=b"x").assert_usage_error("whole")
    produce_bytes(data_dir, "files", "--input", "raw", "--value", "v", stdin=b"").assert_usage_error(
        "--input"
    )


def test_text_lines_still_work_as_before(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "sales").ok()
    run = produce_bytes(data_dir, "sales", "-K", ":", stdin="a:é\r\n\nb:2\nno key".encode()).ok()
    assert run.stdout.count("produced to sales partition 0") == 3  # the empty line is skipped
    assert stored(kafkatui, "sales") == [(b"a", "é".encode()), (b"b", b"2"), (None, b"no key")]


def test_a_stdin_left_open_is_sent_as_it_comes_and_an_error_says_what_was_sent(
    data_dir: Path, kafkatui: CliFn
) -> None:
    kafkatui("topic", "create", "stream").ok()
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "produce", "stream", "--transactional-id", "t"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(data_dir),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"first\n")
        proc.stdin.flush()
        # Sent while stdin is still open: its report line arrives before any end of input.
        assert proc.stdout.readline().decode().startswith("produced to stream partition 0 at offset 0")
        proc.stdin.write(b"second\n\xc3(\nthird\n")
        proc.stdin.close()
        proc.stdin = None  # so communicate() leaves it alone
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert "stdin is still open: producing its records as they come" in stderr.decode()
    error = stderr.decode().splitlines()[-1]
    assert error.startswith("error: INVALID_RECORD: stdin line 3 is not UTF-8")
    assert "the 2 record(s) before it were produced, nothing from line 3 on" in error
    assert "transaction is aborted" in error
    assert stdout.decode().count("produced to stream") == 1  # "second"; "third" never sent
    # The transaction was aborted: a read_committed reader sees none of it.
    committed = kafkatui("consume", "stream", "-b", "-t", "2", "--isolation-level", "read_committed")
    assert committed.ok().stdout == ""
    assert [v for _, v in stored(kafkatui, "stream")] == [b"first", b"second"]  # in the log, aborted


def test_the_same_bytes_over_the_wire(data_dir: Path, kafkatui: CliFn) -> None:
    served = ServedCluster()
    try:
        over = ("--bootstrap-server", served.bootstrap)
        kafkatui(*over, "topic", "create", "sales").ok()
        produce_bytes(data_dir, "sales", "--key", "k", "-i", "raw", stdin=BAD, opts=over).ok()
        image = bytes(range(256))
        produce_bytes(data_dir, "sales", "--input", "whole", "--key", b"\xe9", stdin=image, opts=over).ok()
        assert stored(kafkatui, "sales", *over) == [(b"k", b"ok"), (b"k", b"\xff\xfe bad"), (b"\xe9", image)]
        run = produce_bytes(data_dir, "sales", "--key", "k", stdin=BAD, opts=over)
        run.assert_error("INVALID_RECORD", "stdin line 2", "nothing was produced")
        assert len(stored(kafkatui, "sales", *over)) == 3
    finally:
        served.close()


def test_json_reports_keys_like_consume(cli: CliFn) -> None:
    cli("topic", "create", "t").ok()
    lines = cli("produce", "t", "-K", ":", "--json", input="a:1\nb:2\n").ok().json_lines()
    assert [r["key"] for r in lines] == ["a", "b"] and all("key_encoding" not in r for r in lines)
