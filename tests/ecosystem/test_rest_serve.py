"""`kafkatui serve` runs the REST Proxy beside the brokers (a real process): it prints the
URL, plain curl produces and consumes through it, a busy port is one clear line naming
the port and the flag, `--no-rest-proxy` runs none."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, data_dir, kafkatui, kafkatui_command, subprocess_env

__all__ = ["data_dir", "kafkatui"]


def _serve(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start `kafkatui serve`; the lines it prints before its status, by label."""
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--schema-registry-port", "0", "--group-initial-rebalance-delay-ms", "0", "--no-connect",
         "--no-ksql", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    said: dict[str, str] = {}
    for line in proc.stdout:
        label, _, value = line.partition(": ")
        said[label] = value.strip()
        if label == ("rest proxy" if "--no-rest-proxy" not in args else "schema registry"):
            break
    return proc, said


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return out


def _curl(*args: str) -> tuple[int, str]:
    run = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], capture_output=True, text=True,
                         timeout=30, check=True)  # fmt: skip
    body, _, status = run.stdout.rpartition("\n")
    return int(status), body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_produces_and_consumes_through_kafkatui_serve(data_dir: Path) -> None:
    proc, said = _serve(data_dir, "--rest-port", "0")
    try:
        url = said["rest proxy"]
        assert url.startswith("http://127.0.0.1:")
        v2, js = "Content-Type: application/vnd.kafka.v2+json", "application/vnd.kafka.json.v2+json"
        status, body = _curl(
            "-X",
            "POST",
            "-H",
            f"Content-Type: {js}",
            "--data",
            '{"records":[{"key":"k","value":{"hello":"curl"}}]}',
            f"{url}/topics/hello",
        )
        assert status == 200 and json.loads(body)["offsets"][0]["offset"] == 0, body
        status, body = _curl(
            "-X",
            "POST",
            "-H",
            v2,
            "--data",
            '{"name":"me","format":"json","auto.offset.reset":"earliest"}',
            f"{url}/consumers/cli",
        )
        assert status == 200 and json.loads(body)["base_uri"] == f"{url}/consumers/cli/instances/me", body
        base = f"{url}/consumers/cli/instances/me"
        status, _ = _curl("-X", "POST", "-H", v2, "--data", '{"topics":["hello"]}', f"{base}/subscription")
        assert status == 204
        records: list = []
        deadline = time.monotonic() + 30
        while not records and time.monotonic() < deadline:
            status, body = _curl("-H", f"Accept: {js}", f"{base}/records?timeout=500")
            assert status == 200, body
            records = json.loads(body)
        assert [(r["key"], r["value"]) for r in records] == [("k", {"hello": "curl"})]
        assert _curl("-X", "POST", "-H", v2, f"{base}/offsets")[0] == 200
        assert _curl("-X", "DELETE", base)[0] == 204
        assert json.loads(_curl("-X", "DELETE", base)[1])["error_code"] == 40403
    finally:
        out = _stop(proc)
    assert "kafkatui: stopped" in out


def test_a_busy_rest_port_is_one_clear_error(kafkatui: CliFn) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = kafkatui("--memory", "serve", "--brokers", "1", "--port-base", "0",
                       "--schema-registry-port", "0", "--rest-port", str(port), "--no-connect", "--no-ksql",
                       timeout=60)  # fmt: skip
    message = run.assert_error("LISTENER_BIND_FAILED", f"127.0.0.1:{port}", "--rest-port")
    assert "REST Proxy" in message


def test_no_rest_proxy(data_dir: Path) -> None:
    proc, said = _serve(data_dir, "--no-rest-proxy")
    out = _stop(proc)
    assert "rest proxy" not in said and "rest proxy" not in out


def test_serve_help_names_the_rest_options(kafkatui: CliFn) -> None:
    flat = " ".join(kafkatui("serve", "--help").ok().stdout.split())
    assert "--rest-port" in flat and "--no-rest-proxy" in flat and "REST Proxy" in flat
    workbench = " ".join(kafkatui("--help").ok().stdout.split())
    assert "--rest-port" in workbench and "--no-rest-proxy" in workbench
