"""`kafkatui serve` runs the Schema Registry beside the brokers (a real process, real
clients); a busy registry port is one clear line naming the port and the flag."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from tests.cli.conftest import CliFn, data_dir, kafkatui, kafkatui_command, subprocess_env

__all__ = ["data_dir", "kafkatui"]


def test_serve_prints_the_registry_url_and_it_answers(data_dir: Path) -> None:
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--schema-registry-port", "0", "--no-rest-proxy", "--no-connect", "--no-ksql"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            if line.startswith("schema registry: "):
                url = line.removeprefix("schema registry: ").strip()
                break
        assert url is not None and url.startswith("http://127.0.0.1:")
        client = SchemaRegistryClient({"url": url})
        assert client.register_schema("greetings-value", Schema('"string"')) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_a_busy_registry_port_is_one_clear_error(kafkatui: CliFn) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = kafkatui("--memory", "serve", "--brokers", "1", "--port-base", "0",
                       "--schema-registry-port", str(port), "--no-connect", "--no-ksql",
                       timeout=60)  # fmt: skip
    message = run.assert_error("LISTENER_BIND_FAILED", f"127.0.0.1:{port}", "--schema-registry-port")
    assert "Schema Registry" in message


def test_no_schema_registry(kafkatui: CliFn, data_dir: Path) -> None:
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--no-schema-registry", "--no-rest-proxy", "--no-connect", "--no-ksql"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("bootstrap servers: "):
            break
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert not any("schema registry" in line for line in [*lines, *out.splitlines()])
