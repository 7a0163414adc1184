"""`kafkatui connect ...` over the Connect REST API (a real process against a served
worker), and `kafkatui serve` running the worker on --connect-port."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from tests.cli.conftest import CliFn, data_dir, kafkatui, kafkatui_command, subprocess_env
from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines

__all__ = ["data_dir", "kafkatui"]


def test_the_connect_commands(connect: ServedConnect, kafkatui: CliFn, tmp_path: Path) -> None:
    url = ("--connect-url", connect.url)
    assert "FileStreamSourceConnector" in kafkatui("connect", "plugins", *url).ok().stdout
    assert kafkatui("connect", "list", *url).ok().stdout.startswith("no connectors")
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    written = write_lines(source, 0, 20)
    config = tmp_path / "src.json"
    body = {"connector.class": "FileStreamSource", "file": str(source), "topic": "t"}
    config.write_text(json.dumps({"name": "src", "config": body}))
    assert kafkatui("connect", "create", str(config), *url).ok().stdout.strip() == (
        "created connector src (source, 1 task(s))"
    )
    flat = tmp_path / "snk.json"
    flat.write_text(
        json.dumps({"name": "snk", "connector.class": "FileStreamSink", "file": str(sink), "topics": "t"})
    )
    created = kafkatui("connect", "create", str(flat), *url, "--json").ok().json()
    assert created["name"] == "snk" and created["type"] == "sink"
    connect.until(lambda: len(lines_in(sink)) >= 20, "20 lines in the sink")
    assert lines_in(sink) == written
    connect.until_state("src", "RUNNING")
    listed = kafkatui("connect", "list", *url).ok().stdout
    assert "src" in listed and "snk" in listed and "RUNNING" in listed and "1/1" in listed
    status = kafkatui("connect", "status", "src", *url).ok().stdout
    assert f"connector src (source): RUNNING on {connect.worker.config.worker_id}" in status
    assert "task 0: RUNNING" in status
    assert kafkatui("connect", "status", "src", "--json", *url).ok().json()["tasks"][0]["state"] == "RUNNING"

    assert kafkatui("connect", "pause", "src", *url).ok().stdout.strip() == "connector src paused"
    connect.until_state("src", "PAUSED")
    assert kafkatui("connect", "resume", "src", *url).ok().stdout.strip() == "connector src resumed"
    connect.until_state("src", "RUNNING")
    assert kafkatui("connect", "restart", "src", *url).ok().stdout.strip() == "connector src restarted"
    out = kafkatui("connect", "restart", "src", "--include-tasks", *url).ok().stdout.strip()
    assert out == "connector src: restarting the connector, task 0"
    assert (
        kafkatui("connect", "restart", "src", "--task", "0", *url).ok().stdout.strip()
        == "task src-0 restarted"
    )
    connect.until_state("src", "RUNNING")

    size = source.stat().st_size
    connect.until(
        lambda: (
            connect.http.get("/connectors/src/offsets").json()["offsets"][:1]
            and connect.http.get("/connectors/src/offsets").json()["offsets"][0]["offset"]
            == {"position": size}
        ),
        "the source's committed offset",
    )
    offsets = kafkatui("connect", "offsets", "src", *url).ok().stdout
    assert f'{{"filename":"{source}"}}' in offsets and f'{{"position":{size}}}' in offsets
    assert kafkatui("connect", "delete", "snk", *url).ok().stdout.strip() == "connector snk deleted"
    assert connect.http.get("/connectors").json() == ["src"]


def test_connect_errors_are_one_line(connect: ServedConnect, kafkatui: CliFn, tmp_path: Path) -> None:
    url = ("--connect-url", connect.url)
    message = kafkatui("connect", "status", "nope", *url).assert_error(
        "NOT_FOUND", "Connector nope not found"
    )
    assert message.endswith("(HTTP 404)")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "b", "config": {"connector.class": "FileStreamSink", "tasks.max": "0"}})
    )
    message = kafkatui("connect", "create", str(bad), *url).assert_error("BAD_REQUEST", "tasks.max")
    assert "Must configure one of topics or topics.regex" in message
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"name": "u", "connector.class": "com.example.Nope"}))
    kafkatui("connect", "create", str(unknown), *url).assert_error("CONNECT_ERROR", "com.example.Nope")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    kafkatui("connect", "list", "--connect-url", f"http://127.0.0.1:{port}").assert_error(
        "CONNECT_UNAVAILABLE", f"127.0.0.1:{port}", "--connect-url"
    )


def _serve(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--no-schema-registry", "--no-rest-proxy", "--no-ksql", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    said: dict[str, str] = {}
    for line in proc.stdout:
        label, _, value = line.partition(": ")
        said[label] = value.strip()
        if label == ("kafka connect" if "--no-connect" not in args else "bootstrap servers"):
            break
    return proc, said


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out


def test_serve_runs_a_worker_that_keeps_its_connectors(data_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.touch()
    proc, said = _serve(data_dir, "--connect-port", "0")
    try:
        url = said["kafka connect"]
        assert httpx.get(url).json()["version"] == "3.9.0"
        config = {"connector.class": "FileStreamSource", "file": str(source), "topic": "t"}
        assert httpx.post(f"{url}/connectors", json={"name": "kept", "config": config}).status_code == 201
    finally:
        _stop(proc)
    proc, said = _serve(data_dir, "--connect-port", "0")  # the same data dir: connect-configs holds it
    try:
        assert httpx.get(f"{said['kafka connect']}/connectors").json() == ["kept"]
    finally:
        _stop(proc)


def test_serve_refuses_a_busy_connect_port_and_no_connect_runs_none(data_dir: Path, kafkatui: CliFn) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = kafkatui("--memory", "serve", "--brokers", "1", "--port-base", "0", "--no-schema-registry",
                       "--no-rest-proxy", "--connect-port", str(port), timeout=60)  # fmt: skip
    message = run.assert_error("LISTENER_BIND_FAILED", f"127.0.0.1:{port}", "--connect-port")
    assert "Kafka Connect" in message
    proc, said = _serve(data_dir, "--no-connect")
    rest = _stop(proc)
    assert "kafka connect" not in said and "kafka connect" not in rest
    assert "connect-configs" not in kafkatui("topic", "list").ok().stdout
