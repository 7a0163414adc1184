"""Distributed Connect across processes: `kafkatui serve` runs the cluster, two
`kafkatui connect worker` processes join one Connect group (one attached to the served
data dir, one over --bootstrap-server) and share a sink's tasks; kill -9 one and, after
session.timeout.ms and scheduled.rebalance.max.delay.ms, its tasks run on the other and
every line still reaches the sink (at least once)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.cli.conftest import data_dir, kafkatui_command, subprocess_env
from tests.ecosystem.connect.conftest import lines_in, write_lines
from tests.ecosystem.connect.test_connect_cli import _serve, _stop

__all__ = ["data_dir"]

WORKER_FLAGS = (
    "--port", "0", "--session-timeout-ms", "6000", "--heartbeat-interval-ms", "300",
    "--scheduled-rebalance-max-delay-ms", "1000",
)  # fmt: skip


def _worker(data_dir: Path, *global_flags: str) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [*kafkatui_command(), *global_flags, "connect", "worker", *WORKER_FLAGS],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().rpartition(": ")[2].strip()
    worker_id = proc.stdout.readline().partition("worker id: ")[2].partition(" ")[0]
    assert url.startswith("http://") and worker_id, (url, worker_id)
    return proc, url, worker_id


def _until(check: Callable[[], Any], what: str, limit_s: float = 60) -> Any:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            got = check()
        except httpx.HTTPError:
            got = None
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _by_worker(url: str, name: str) -> dict[str, int]:
    answer = httpx.get(f"{url}/connectors/{name}/status", timeout=10)
    if answer.status_code != 200:
        return {}
    counts: dict[str, int] = {}
    for task in answer.json()["tasks"]:
        if task["state"] == "RUNNING":
            counts[task["worker_id"]] = counts.get(task["worker_id"], 0) + 1
    return counts


def test_kill_9_a_worker_process_and_its_tasks_move(data_dir: Path, tmp_path: Path) -> None:
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.touch()
    served, said = _serve(data_dir, "--no-connect")
    workers: list[subprocess.Popen[str]] = []
    try:
        a, url_a, id_a = _worker(data_dir, "--data-dir", str(data_dir))
        workers.append(a)
        b, url_b, id_b = _worker(data_dir, "--bootstrap-server", said["bootstrap servers"])
        workers.append(b)
        sink_config = {
            "connector.class": "FileStreamSink",
            "file": str(sink),
            "topics": "lines",
            "tasks.max": "4",
            # KIP-458: the killed worker's sink consumers leave connect-sink after 6 s, not
            # the consumer default's 45 s, before the moved tasks' consumers get partitions
            "consumer.override.session.timeout.ms": "6000",
            "consumer.override.heartbeat.interval.ms": "300",
        }
        source_config = {"connector.class": "FileStreamSource", "file": str(source), "topic": "lines"}
        for name, config in (("sink", sink_config), ("source", source_config)):
            _until(
                lambda name=name, config=config: (
                    httpx.post(
                        f"{url_b}/connectors", json={"name": name, "config": config}, timeout=10
                    ).status_code
                    == 201
                ),
                f"{name} created",
            )
        _until(lambda: _by_worker(url_a, "sink") == {id_a: 2, id_b: 2}, "four sink tasks split 2 + 2")
        first = write_lines(source, 0, 1_000)
        _until(lambda: set(first) <= set(lines_in(sink)), "the first lines in the sink")

        os.kill(b.pid, signal.SIGKILL)  # gone without LeaveGroup
        b.wait(10)
        more = write_lines(source, 1_000, 2_000)
        _until(lambda: _by_worker(url_a, "sink") == {id_a: 4}, "every sink task on the surviving worker")
        _until(lambda: _by_worker(url_a, "source") == {id_a: 1}, "the source task on the surviving worker")
        _until(lambda: set(first + more) <= set(lines_in(sink)), "every line in the sink")

        a.send_signal(signal.SIGINT)  # Ctrl-C: stop the tasks, leave the group
        out, err = a.communicate(timeout=30)
        assert a.returncode == 0, err
        assert "Traceback" not in err
        assert "left the group" in out
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        _stop(served)
