"""`kafkatui broker check ID` and `kafkatui broker repair ID` on real data dirs, and what
every command says when it opens a data dir with a broker database lost or damaged:
the file, the broker and what to do, never "a kafkatui bug"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, Run
from tests.wire.conftest import ServedCluster

SETUP = ("topic", "create", "t", "-p", "3", "-r", "3", "-c", "min.insync.replicas=2")


def storage_error(run: Run, *mentions: str) -> str:
    """Exit 1 and, after the start-up warnings, one `error: KAFKA_STORAGE_ERROR: ...` line."""
    assert run.exit_code == 1 and "Traceback" not in run.stderr, str(run)
    *warnings, last = run.stderr.splitlines()
    assert all(w.startswith("warning: ") for w in warnings), str(run)
    assert last.startswith("error: KAFKA_STORAGE_ERROR: "), str(run)
    message = last.removeprefix("error: KAFKA_STORAGE_ERROR: ")
    assert all(m in message for m in mentions) and "bug" not in message, str(run)
    return message


def no_bug(run: Run) -> None:
    assert "kafkatui bug" not in run.stderr and "INTERNAL_ERROR" not in run.stderr, str(run)


def seeded(cli: CliFn, records: int = 300) -> None:
    cli(*SETUP).ok()
    cli("produce", "t", "--count", str(records)).ok()


def consume(cli: CliFn, topic: str = "t") -> Run:
    return cli("consume", topic, "-b", "-f", "json", "-t", "1").ok()


def consumed(run: Run) -> list[str]:
    return sorted(str(r["value"]) for r in run.json_lines())


def spoil_records(path: Path) -> None:
    """Overwrite part of every generated value in place: only batch CRCs notice."""
    data = bytearray(path.read_bytes())
    at = data.find(b'"pad"')
    assert at >= 0
    while at >= 0:
        data[at : at + 5] = b"XXXXX"
        at = data.find(b'"pad"', at)
    path.write_bytes(bytes(data))


def test_check_of_a_sound_broker(cli: CliFn) -> None:
    seeded(cli)
    run = cli("broker", "check", "2").ok()
    assert "log dir online" in run.stdout and "SQLite integrity: ok" in run.stdout
    assert run.stdout.count(" ok ") >= 3 or run.stdout.count("ok") >= 4
    found = cli("broker", "check", "2", "--json").ok().json()
    assert found["log_dir_online"] and not found["damaged"]
    assert [(r["topic"], r["partition"], r["status"]) for r in found["replicas"]] == [
        ("t", 0, "ok"), ("t", 1, "ok"), ("t", 2, "ok"),
    ]  # fmt: skip
    assert found["directory_id"] == found["database_directory_id"]
    assert sum(r["batches"] for r in found["replicas"]) > 0


def test_a_damaged_database_is_reported_and_repaired(cli: CliFn, data_dir: Path) -> None:
    seeded(cli)
    before = consumed(consume(cli))
    db = data_dir / "broker-2.db"
    spoil_records(db)
    checked = cli("broker", "check", "2", "--json")
    storage_error(checked, str(db), "damaged", "kafkatui broker repair 2")
    found = checked.json()
    assert found["damaged"] and any("CRC" in r["detail"] for r in found["replicas"])
    # Every command says so when it opens the data dir, and the records are still there.
    read = consume(cli)
    assert "warning: broker 2's database" in read.stderr and str(db) in read.stderr
    assert "kafkatui broker repair 2" in read.stderr
    no_bug(read)
    assert consumed(read) == before
    repaired = cli("broker", "repair", "2", "--json").ok().json()
    assert repaired["broker_id"] == 2 and sorted(repaired["rebuilt"]) == ["t-0", "t-1", "t-2"]
    assert repaired["catching_up"] == []
    after = cli("broker", "check", "2", "--json").ok()
    assert not after.json()["damaged"] and "warning" not in after.stderr
    assert all(r["status"] == "ok" for r in after.json()["replicas"])
    assert consumed(consume(cli)) == before


def test_a_broker_database_that_is_not_sqlite_leaves_that_broker_offline(cli: CliFn, data_dir: Path) -> None:
    seeded(cli)
    db = data_dir / "broker-2.db"
    db.write_bytes(b"this is not SQLite at all, just text\n" * 100)
    listed = cli("broker", "list", "--json").ok()
    assert f"broker 2's database {db} is offline" in listed.stderr
    no_bug(listed)
    views = {b["broker_id"]: b for b in listed.json()}
    assert views[2]["running"] and "not a database" in views[2]["log_dir_offline"]
    assert views[1]["log_dir_offline"] is None
    assert "running · log dir offline" in cli("broker", "list").ok().stdout
    described = cli("topic", "describe", "t").ok()
    assert all(
        p["leader"] != 2 and 2 not in p["isr"]
        for p in cli("topic", "describe", "t", "--json").ok().json()["partitions"]
    )
    assert described.stdout
    assert len(consume(cli).json_lines()) == 300
    storage_error(cli("broker", "check", "2"), str(db))
    cli("broker", "repair", "2").ok()
    assert cli("broker", "check", "2").ok()


def test_a_lost_database_is_a_new_incarnation(cli: CliFn, data_dir: Path) -> None:
    seeded(cli)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"broker-2.db{suffix}").unlink(missing_ok=True)
    run = consume(cli)
    assert "new incarnation" in run.stderr and "broker 2" in run.stderr
    assert len(run.json_lines()) == 300


def test_repair_refuses_to_drop_the_only_in_sync_copy(cli: CliFn) -> None:
    cli("topic", "create", "solo", "-p", "1", "-r", "1").ok()
    cli("produce", "solo", "--count", "5").ok()
    leader = cli("topic", "describe", "solo", "--json").ok().json()["partitions"][0]["leader"]
    cli("broker", "repair", str(leader)).assert_error("ELIGIBLE_LEADERS_NOT_AVAILABLE", "solo-0", "--force")
    assert len(consume(cli, "solo").json_lines()) == 5


@pytest.fixture(scope="module")
def served() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("command", ["check", "repair"])
def test_over_the_wire_it_says_why_not(cli: CliFn, served: ServedCluster, command: str) -> None:
    run = cli("broker", command, "2", opts=["--bootstrap-server", served.bootstrap], data_dir=None)
    message = run.assert_error("FEATURE_UNAVAILABLE", "needs kafkatui's own cluster")
    assert message.startswith("checking or repairing a broker's database")
