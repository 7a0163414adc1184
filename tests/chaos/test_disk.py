"""Database damage as the harness injects it, on a real data dir after a clean stop:
each kind does to `broker-<id>.db` what its name says, and a seed's damage is the same
bytes every time."""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from kafkatui.chaos.disk import PAGE, SQLITE_HEADER, Damage, broker_database, damage
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from tests.conftest import fast_producer


@pytest.fixture(scope="module")
def stopped_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-broker data dir with a replicated topic and some records, cleanly closed."""
    path = tmp_path_factory.mktemp("chaos") / "data"

    async def fill() -> None:
        cluster = await Cluster.open(path, brokers=3, clock=ManualClock(), seed=1)
        await cluster.create_topic("t", 3, 3)
        async with fast_producer(cluster, acks="1") as producer:
            for i in range(300):
                await producer.send("t", f"value-{i}" * 20, partition=i % 3)
        await cluster.settle()
        await cluster.close()

    asyncio.run(fill())
    return path


def copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(source, target)
    return target


def test_the_data_dir_has_no_wal_left_after_a_clean_stop(stopped_data_dir: Path) -> None:
    """So the database file is all there is to damage (and to delete)."""
    assert broker_database(stopped_data_dir, 2).stat().st_size > 2 * PAGE
    assert not list(stopped_data_dir.glob("*-wal"))


def test_delete_empty_halve(stopped_data_dir: Path, tmp_path: Path) -> None:
    size = broker_database(stopped_data_dir, 2).stat().st_size
    deleted = copy(stopped_data_dir, tmp_path / "d")
    assert "deleted broker-2.db" in damage(deleted, 2, Damage.DELETE, random.Random(1))
    assert not broker_database(deleted, 2).exists() and broker_database(deleted, 1).exists()
    emptied = copy(stopped_data_dir, tmp_path / "e")
    damage(emptied, 2, Damage.EMPTY, random.Random(1))
    assert broker_database(emptied, 2).stat().st_size == 0
    halved = copy(stopped_data_dir, tmp_path / "h")
    assert f"from {size} to {size // 2} bytes" in damage(halved, 2, Damage.HALVE, random.Random(1))
    assert broker_database(halved, 2).stat().st_size == size // 2


def test_a_zeroed_header_is_not_a_database_any_more(stopped_data_dir: Path, tmp_path: Path) -> None:
    path = copy(stopped_data_dir, tmp_path)
    damage(path, 3, Damage.ZERO_HEADER, random.Random(1))
    assert broker_database(path, 3).read_bytes()[:SQLITE_HEADER] == bytes(SQLITE_HEADER)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(broker_database(path, 3)).execute("SELECT count(*) FROM batches").fetchone()


def test_scribbles_land_past_the_header_page_and_repeat_per_seed(
    stopped_data_dir: Path, tmp_path: Path
) -> None:
    original = broker_database(stopped_data_dir, 1).read_bytes()
    outcomes = []
    for attempt in range(2):
        path = copy(stopped_data_dir, tmp_path / str(attempt))
        said = damage(path, 1, Damage.SCRIBBLE, random.Random(42))
        outcomes.append((said, broker_database(path, 1).read_bytes()))
    assert outcomes[0] == outcomes[1]
    said, scribbled = outcomes[0]
    assert "scribbled over broker-1.db" in said
    assert scribbled[:PAGE] == original[:PAGE] and scribbled != original
