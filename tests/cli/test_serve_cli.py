"""`kafkatui serve`: the cluster on the wire as a real process, used by a real client."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env

kafka = pytest.importorskip("kafka")
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402


def start_serve(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Run `kafkatui serve` and wait for its bootstrap line (its schema registry and REST
    Proxy on free ports, so tests never depend on 8081 and 8082 being free)."""
    if not {"--schema-registry-port", "--no-schema-registry"} & set(args):
        args = (*args, "--schema-registry-port", "0")
    if not {"--rest-port", "--no-rest-proxy"} & set(args):
        args = (*args, "--rest-port", "0")
    if not {"--connect-port", "--no-connect"} & set(args):
        args = (*args, "--no-connect")
    if not {"--ksql-port", "--no-ksql"} & set(args):
        args = (*args, "--no-ksql")
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=subprocess_env(data_dir),
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap servers: "):
            return proc, line.removeprefix("bootstrap servers: ").strip()
    proc.wait(10)
    raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")


def test_serve_answers_clients_and_sigterm_releases_the_data_dir(data_dir: Path, kafkatui: CliFn) -> None:
    proc, bootstrap = start_serve(
        data_dir, "--brokers", "2", "--port-base", "0", "--group-initial-rebalance-delay-ms", "0"
    )
    try:
        assert len(bootstrap.split(",")) == 2
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        admin.create_topics([NewTopic("greetings", 1, 2)])
        admin.close()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")  # idempotent: InitProducerId
        producer.send("greetings", key=b"en", value=b"hello").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(
            "greetings",
            bootstrap_servers=bootstrap,
            group_id="readers",  # a new group: no 3 s initial rebalance delay with the option
            auto_offset_reset="earliest",
            consumer_timeout_ms=10000,
        )
        record = next(iter(consumer))
        assert (record.key, record.value) == (b"en", b"hello")
        consumer.close()
        # Other commands work over the wire meanwhile (they say so).
        listed = kafkatui("topic", "list").ok()
        assert "greetings" in listed.stdout
        assert f"attached to the kafkatui process {proc.pid} at {bootstrap}" in listed.stderr
        brokers = kafkatui("broker", "list", "--json").ok()
        assert [b["broker_id"] for b in json.loads(brokers.stdout)] == [1, 2]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "kafkatui: stopped" in out and "Traceback" not in err
    # The data dir is free again, and what the client wrote is on disk.
    run = kafkatui("consume", "greetings", "--from-beginning", "--max", "1", "--timeout", "5").ok()
    assert "hello" in run.stdout


def test_a_busy_port_is_one_clear_error(data_dir: Path, kafkatui: CliFn) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = kafkatui("--memory", "serve", "--brokers", "1", "--port-base", str(port), timeout=30)
    run.assert_error("LISTENER_BIND_FAILED", f"127.0.0.1:{port}", "address already in use")


def test_serve_help_explains_the_ports(kafkatui: CliFn) -> None:
    run = kafkatui("serve", "--help").ok()
    flat = " ".join(run.stdout.split())
    assert "--port-base" in flat and "0 picks free ports" in flat and "SIGTERM" in flat
    assert "--group-initial-rebalance-delay-ms" in flat


def test_serve_logs_a_refused_request_as_a_json_line(data_dir: Path) -> None:
    """Under a process manager there is no status line: refusals reach stderr as log
    lines, here JSON (`--log-format json`), with the peer and the reason."""
    proc, bootstrap = start_serve(data_dir, "--brokers", "1", "--port-base", "0", "--log-format", "json")
    try:
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall((200 * 1024 * 1024).to_bytes(4, "big"))  # > socket.request.max.bytes
            assert sock.recv(1) == b""  # closed at once
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    [refused] = [line for line in lines if line.get("reason") == "request too large"]
    assert refused["level"] == "WARNING" and refused["broker"] == 1
    assert refused["peer"].startswith("127.0.0.1:")
    assert "socket.request.max.bytes=104,857,600" in refused["message"]
