"""`kafkatui connect standalone worker.properties connector.properties connector.json`, as
connect-standalone.sh: connectors from Java-properties and JSON files, offsets in
offset.storage.file.filename (a FileStreamSource stopped and started again resumes where
it stopped: the sink holds each line once), the REST API, no connect-configs or
connect-status topic; a missing or invalid file is one error line naming file and line."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx

from tests.cli.conftest import data_dir, kafkatui_command, subprocess_env
from tests.ecosystem.connect.conftest import lines_in, write_lines
from tests.ecosystem.connect.test_distributed_processes import _until

__all__ = ["data_dir"]

STRING = "org.apache.kafka.connect.storage.StringConverter"


def _command(data_dir: Path, *args: str) -> list[str]:
    return [*kafkatui_command(), "--data-dir", str(data_dir), *args]


def _start(data_dir: Path, *files: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        _command(data_dir, "connect", "standalone", *map(str, files)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("kafka connect standalone: "), (first, proc.stderr and proc.stderr.read())
    assert proc.stdout.readline().startswith("offsets: ")
    for path in files[1:]:
        assert proc.stdout.readline().endswith(f"({path.name}): created\n")
    return proc, first.rpartition(": ")[2].strip()


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out


def _files(tmp_path: Path) -> tuple[Path, Path, Path, Path, Path]:
    source, sink, offsets = tmp_path / "in.txt", tmp_path / "out.txt", tmp_path / "connect.offsets"
    worker = tmp_path / "worker.properties"
    worker.write_text(
        "# as connect-standalone.properties\n"
        f"offset.storage.file.filename={offsets}\n"
        "offset.flush.interval.ms = 200\n"
        f"key.converter: {STRING}\n"
        "value.converter \\\n"
        f"    {STRING}\n"
        "rest.port=0\n"
    )
    src = tmp_path / "source.properties"
    src.write_text(f"name=src\nconnector.class=FileStreamSource\nfile={source}\ntopic=lines\n")
    snk = tmp_path / "sink.json"
    snk.write_text(
        json.dumps(
            {
                "name": "snk",
                "config": {"connector.class": "FileStreamSink", "file": str(sink), "topics": "lines"},
            }
        )
    )
    return worker, src, snk, source, sink


def test_standalone_runs_files_and_resumes_from_its_offsets_file(data_dir: Path, tmp_path: Path) -> None:
    worker, src, snk, source, sink = _files(tmp_path)
    first = write_lines(source, 0, 500)
    proc, url = _start(data_dir, worker, src, snk)
    try:
        assert sorted(httpx.get(f"{url}/connectors", timeout=10).json()) == ["snk", "src"]
        status = httpx.get(f"{url}/connectors/src/status", timeout=10).json()
        assert status["tasks"][0]["worker_id"] == url.removeprefix("http://")
        _until(lambda: lines_in(sink) == first, "the first lines in the sink")
        _until(
            lambda: (
                httpx.get(f"{url}/connectors/src/offsets", timeout=10).json()["offsets"]
                == [{"partition": {"filename": str(source)}, "offset": {"position": source.stat().st_size}}]
            ),
            "the committed offset",
        )
    finally:
        out = _stop(proc)
    assert "offsets saved" in out
    saved = json.loads((tmp_path / "connect.offsets").read_text())
    assert [json.loads(k) for k, _ in saved["offsets"]] == [["src", {"filename": str(source)}]]

    more = write_lines(source, 500, 800)
    proc, url = _start(data_dir, worker, src, snk)
    try:
        _until(lambda: len(lines_in(sink)) >= 800, "the new lines in the sink")
        assert lines_in(sink) == first + more  # resumed: no line read twice
    finally:
        _stop(proc)
    topics = subprocess.run(
        _command(data_dir, "topic", "list", "--json"),
        capture_output=True,
        text=True,
        env=subprocess_env(data_dir),
    )
    names = {t["name"] for t in json.loads(topics.stdout)}
    assert "lines" in names and not names & {"connect-configs", "connect-offsets", "connect-status"}, names


def _error(data_dir: Path, *args: Path) -> str:
    done = subprocess.run(
        _command(data_dir, "connect", "standalone", *map(str, args)),
        capture_output=True, text=True, env=subprocess_env(data_dir), timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_bad_files_are_one_error_line_naming_file_and_line(data_dir: Path, tmp_path: Path) -> None:
    worker, src, _, _, _ = _files(tmp_path)
    missing = tmp_path / "nope.properties"
    assert _error(data_dir, missing, src).startswith(f"error: INVALID_CONFIG: {missing}: cannot read it")
    no_offsets = tmp_path / "w2.properties"
    no_offsets.write_text("rest.port=0\n")
    assert _error(data_dir, no_offsets, src) == (
        f"error: INVALID_CONFIG: {no_offsets}: Missing required configuration "
        '"offset.storage.file.filename" which has no default value.'
    )
    bad_port = tmp_path / "w3.properties"
    bad_port.write_text(f"offset.storage.file.filename={tmp_path / 'o'}\n\nrest.port=eighty\n")
    assert _error(data_dir, bad_port, src) == (
        f"error: INVALID_CONFIG: {bad_port}:3: Invalid value eighty for configuration rest.port: "
        "Not a number of type INT"
    )
    escaped = tmp_path / "bad.properties"
    escaped.write_text("name=x\nconnector.class=FileStreamSource\nfile=C:\\users\\me\n")
    assert (
        _error(data_dir, worker, escaped)
        == f"error: INVALID_CONFIG: {escaped}:3: Malformed \\uxxxx encoding."
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n "config": {"connector.class": }}')
    assert _error(data_dir, worker, broken).startswith(f"error: INVALID_CONFIG: {broken}:2: not valid JSON")
    unnamed = tmp_path / "unnamed.properties"
    unnamed.write_text("connector.class=FileStreamSource\n")
    assert "Connector name configuration must be set" in _error(data_dir, worker, unnamed)
    invalid = tmp_path / "invalid.properties"
    invalid.write_text("name=x\nconnector.class=FileStreamSource\ntopic=lines\nbatch.size=0\n")
    line = _error(data_dir, worker, invalid)
    assert line.startswith(f"error: INVALID_CONFIG: {invalid}: ") and "batch.size" in line, line
