"""Exactly-once source (KIP-618) across processes: `kafkatui serve` runs the cluster and
`kafkatui connect worker --exactly-once-source-support enabled` processes share a
FileStreamSource. The worker running its task is killed with SIGKILL twice: once in the
middle of a transaction (its records are in the log, uncommitted), once between
transactions. A confluent-kafka consumer with isolation.level=read_committed then reads
every line exactly once, in order, while read_uncommitted shows the aborted copies."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from tests.cli.conftest import data_dir, kafkatui_command, subprocess_env
from tests.ecosystem.connect.conftest import write_lines
from tests.ecosystem.connect.test_connect_cli import _serve, _stop
from tests.ecosystem.connect.test_distributed_processes import WORKER_FLAGS, _until

__all__ = ["data_dir"]

STRING = "org.apache.kafka.connect.storage.StringConverter"


def _worker(data_dir: Path, *global_flags: str) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [*kafkatui_command(), *global_flags, "connect", "worker", *WORKER_FLAGS,
         "--exactly-once-source-support", "enabled"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().rpartition(": ")[2].strip()
    worker_id = proc.stdout.readline().partition("worker id: ")[2].partition(" ")[0]
    assert url.startswith("http://") and worker_id, (url, worker_id)
    return proc, url, worker_id


def _values(bootstrap: str, isolation: str) -> list[str]:
    """Every value in `lines` as `isolation` shows it: read until each partition's end
    (enable.partition.eof: the high watermark, or the LSO under read_committed)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": isolation,
        }
    )
    try:
        topic = consumer.list_topics("lines", timeout=10).topics["lines"]
        if topic.error is not None:
            return []
        # assigned, not subscribed: no group join (and its initial rebalance delay)
        consumer.assign([TopicPartition("lines", p, OFFSET_BEGINNING) for p in topic.partitions])
        got: list[str] = []
        at_end: set[int] = set()
        while at_end != set(topic.partitions):
            message = consumer.poll(10)
            assert message is not None, f"no end of partition {set(topic.partitions) - at_end} in 10 s"
            error = message.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                at_end.add(message.partition())
                continue
            at_end.discard(message.partition())
            got.append(message.value().decode())
        return got
    finally:
        consumer.close()


def _task_owner(url: str) -> str | None:
    answer = httpx.get(f"{url}/connectors/src/status", timeout=10)
    if answer.status_code != 200 or not answer.json()["tasks"]:
        return None
    task = answer.json()["tasks"][0]
    return task["worker_id"] if task["state"] == "RUNNING" else None


def test_kill_9_mid_transaction_and_between_transactions_each_line_once(
    data_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.txt"
    source.touch()
    served, said = _serve(data_dir, "--no-connect")
    bootstrap = said["bootstrap servers"]
    workers: dict[str, tuple[subprocess.Popen[str], str]] = {}
    try:
        for flags in (("--data-dir", str(data_dir)), ("--bootstrap-server", bootstrap)):
            proc, url, worker_id = _worker(data_dir, *flags)
            workers[worker_id] = (proc, url)
        url = next(iter(workers.values()))[1]
        config = {
            "connector.class": "FileStreamSource", "file": str(source), "topic": "lines",
            "value.converter": STRING, "exactly.once.support": "required",
            # one long transaction: the worker is killed while it is open
            "transaction.boundary": "interval", "transaction.boundary.interval.ms": "600000",
        }  # fmt: skip
        _until(
            lambda: (
                httpx.post(
                    f"{url}/connectors", json={"name": "src", "config": config}, timeout=10
                ).status_code
                == 201
            ),
            "src created",
        )
        owner = _until(lambda: _task_owner(url), "the source task running")
        first = write_lines(source, 0, 1_000)
        _until(
            lambda: len(_values(bootstrap, "read_uncommitted")) == 1_000, "the lines in an open transaction"
        )
        assert _values(bootstrap, "read_committed") == []

        killed, _ = workers.pop(owner)
        os.kill(killed.pid, signal.SIGKILL)  # mid-transaction
        killed.wait(10)
        url = next(iter(workers.values()))[1]
        _until(lambda: _task_owner(url) in workers, "the task on the surviving worker")
        # Commit after every poll from now on: deleting the connector stops its task, which
        # commits its open transaction; created again, it resumes at the committed offsets.
        _until(lambda: httpx.delete(f"{url}/connectors/src", timeout=10).status_code == 204, "src deleted")
        poll = {**config, "transaction.boundary": "poll"}
        _until(
            lambda: (
                httpx.post(f"{url}/connectors", json={"name": "src", "config": poll}, timeout=10).status_code
                == 201
            ),
            "src created again",
        )
        _until(lambda: _values(bootstrap, "read_committed") == first, "the first lines committed once")

        proc, new_url, worker_id = _worker(data_dir, "--data-dir", str(data_dir))
        workers[worker_id] = (proc, new_url)
        more = write_lines(source, 1_000, 2_000)
        _until(lambda: len(_values(bootstrap, "read_committed")) == 2_000, "the next lines committed")
        owner = _until(lambda: _task_owner(url), "the source task running")
        killed, _ = workers.pop(owner)
        os.kill(killed.pid, signal.SIGKILL)  # between transactions: everything was committed
        killed.wait(10)
        url = next(iter(workers.values()))[1]
        last = write_lines(source, 2_000, 3_000)
        _until(lambda: len(_values(bootstrap, "read_committed")) >= 3_000, "the last lines committed")

        assert _values(bootstrap, "read_committed") == first + more + last
        # The killed transaction's copies are in the log, aborted: at-least-once would show them.
        assert len(_values(bootstrap, "read_uncommitted")) >= 4_000
    finally:
        for proc, _ in workers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        _stop(served)


def test_an_unknown_exactly_once_source_support_is_refused(data_dir: Path) -> None:
    done = subprocess.run(
        [*kafkatui_command(), "connect", "worker", "--exactly-once-source-support", "sometimes"],
        capture_output=True, text=True, env=subprocess_env(data_dir), timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "error: INVALID_CONFIG: Invalid value sometimes for configuration exactly.once.source.support: "
        "String must be one of: disabled, preparing, enabled"
    )
