"""Faults of a broker's disk that must not lose data (issue 17), each restarting a real
data dir: a database deleted, emptied, from another cluster, damaged by random bytes,
cut short or with its header zeroed, damage met on a read, a full disk, and a damaged
metadata log. 3 brokers, 3 partitions, replication factor 3, min.insync.replicas=2."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import LogDirFailed, LogDirNewIncarnation
from kafkatui.engine.clients.consumer import Consumer, ConsumerConfig
from kafkatui.engine.clients.producer import Producer, ProducerConfig
from kafkatui.engine.cluster import Cluster

TOPIC = "t"


async def produce(cluster: Cluster, count: int, *, one_by_one: bool = False, start: int = 0) -> None:
    """`count` keyed records, acks=all; `one_by_one` waits for each (a batch each)."""
    async with Producer(cluster, ProducerConfig(linger_ms=0)) as producer:
        for i in range(start, start + count):
            if one_by_one:
                await producer.send_and_wait(TOPIC, f"value-{i:05d}", key=f"k{i}")
            else:
                await producer.send(TOPIC, f"value-{i:05d}", key=f"k{i}")


async def new_data_dir(
    path: Path, count: int, *, one_by_one: bool = False, configs: dict | None = None
) -> None:
    async with await Cluster.open(path, brokers=3, clock=ManualClock(), seed=1) as cluster:
        await cluster.create_topic(TOPIC, 3, 3, configs={"min.insync.replicas": "2", **(configs or {})})
        await produce(cluster, count, one_by_one=one_by_one)


async def read_everything(cluster: Cluster) -> list[tuple[int, int, bytes]]:
    """Every record up to the high watermarks: (partition, offset, value)."""
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign_topic(TOPIC)
    await cluster.settle()  # a new leader's high watermark waits for its followers' fetches
    out: list[tuple[int, int, bytes]] = []
    positions = dict.fromkeys(range(3), 0)
    for _ in range(1000):
        described = cluster.describe_topic(TOPIC).partitions
        if all(positions[p.partition] >= p.high_watermark for p in described):
            if all(p.leader >= 0 and p.high_watermark >= p.log_end_offset for p in described):
                break
            # Read up to a high watermark still below the leader's log end (or a partition
            # between leaders): since KIP-966 a new leader's HW moves only on its
            # followers' fetches, which wait on the clock (replica.fetch.wait.max.ms).
            # Move it a tick rather than stop short.
            await cluster.clock.advance(cluster.quorum.tick_ms)
        polled = await consumer.poll(0)
        for r in polled:
            out.append((r.partition, r.offset, r.value))
            positions[r.partition] = r.offset + 1
        if not polled:
            # A partition whose leader moved sits out retry.backoff.ms of the consumer's
            # (cluster) clock before it is fetched again: let that time pass.
            await cluster.clock.advance(cluster.quorum.tick_ms)
        await cluster.settle()
    return out


def values(records: list[tuple[int, int, bytes]]) -> set[bytes]:
    return {v for _, _, v in records}


def expected(count: int, start: int = 0) -> set[bytes]:
    return {f"value-{i:05d}".encode() for i in range(start, start + count)}


async def replica_bytes(cluster: Cluster, broker_id: int, partition: int) -> list[bytes]:
    out, offset = [], 0
    while batches := await cluster.brokers[broker_id].read_replica(TOPIC, partition, offset, 1 << 20):
        out.extend(batches)
        offset = int.from_bytes(batches[-1][:8], "big") + int.from_bytes(batches[-1][23:27], "big") + 1
    return out


async def assert_replicas_identical(cluster: Cluster) -> None:
    for p in range(3):
        copies = [await replica_bytes(cluster, b, p) for b in (1, 2, 3)]
        assert copies[0] == copies[1] == copies[2], f"partition {p} differs between replicas"


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def events(cluster: Cluster, kind: type) -> list:
    return [e for e in cluster.log_dir_events if isinstance(e, kind)]


# --- a lost database: a new incarnation (KIP-858, KIP-966) ------------------------------


@pytest.mark.parametrize("how", ["deleted", "emptied"])
async def test_a_lost_database_rejoins_as_a_follower_and_nothing_is_lost(tmp_path: Path, how: str) -> None:
    """The issue's first row, at its size: 30,000 acknowledged records, broker-2.db
    deleted or emptied after a clean stop. Broker 2 must not lead its partition with an
    empty log (which made the others truncate theirs): it refetches and rejoins."""
    data = tmp_path / "data"
    await new_data_dir(data, 30_000)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        before = {p.partition: p.high_watermark for p in cluster.describe_topic(TOPIC).partitions}
    db = data / "broker-2.db"
    if how == "deleted":
        remove_database(db)
    else:
        db.write_bytes(b"")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        # Before anything replicates: broker 2 leads nothing and is in no ISR.
        described = cluster.describe_topic(TOPIC).partitions
        assert all(p.leader != 2 and 2 not in p.isr for p in described)
        assert all(p.rebuilding == (2,) for p in described)
        (event,) = events(cluster, LogDirNewIncarnation)
        assert event.broker_id == 2 and event.path == str(db) and "new" in event.reason
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        after = cluster.describe_topic(TOPIC).partitions
        assert {p.partition: p.high_watermark for p in after} == before
        assert all(p.rebuilding == () for p in after)
        records = await read_everything(cluster)
        assert len(records) == 30_000 and values(records) == expected(30_000)
        await assert_replicas_identical(cluster)
        # Its new directory is the one the controller now records for its replicas.
        directory = cluster.metadata.brokers[2].directory_id
        assert directory and cluster.brokers[2].storage.identity.directory_id == directory
        assert all(p.directory_of(2) == directory for p in cluster.topic(TOPIC).partitions)


async def test_a_database_lost_while_the_cluster_runs_is_a_new_incarnation(tmp_path: Path) -> None:
    """`lose_database` (the lesson's fault): broker 2 killed, its file deleted, back before
    the controller noticed, when it still leads and is in every ISR. The new file makes it
    a new incarnation: out of every ISR and leadership at once, then rebuilt."""
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        old = cluster.metadata.brokers[2].directory_id
        assert any(p.leader == 2 for p in cluster.describe_topic(TOPIC).partitions)
        with pytest.raises(KafkaError) as error:
            await cluster.lose_database(2)
        assert error.value.code is ErrorCode.INVALID_REQUEST and "is running" in error.value.message
        await cluster.stop_broker(2, crash=True)
        await cluster.lose_database(2)
        storage = cluster.brokers[2].storage  # a new file in its place: no schema, no identity
        assert storage.created and storage.identity is None and storage.path == data / "broker-2.db"
        await cluster.start_broker(2)
        (event,) = events(cluster, LogDirNewIncarnation)
        assert event.broker_id == 2 and "new" in event.reason
        described = cluster.describe_topic(TOPIC).partitions
        assert all(p.leader != 2 and 2 not in p.isr and p.rebuilding == (2,) for p in described)
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        assert cluster.metadata.brokers[2].directory_id not in ("", old)
        assert values(await read_everything(cluster)) == expected(300)
        await assert_replicas_identical(cluster)


async def test_a_database_from_another_cluster_is_a_new_incarnation(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    await new_data_dir(ours, 3000)
    await new_data_dir(theirs, 30)
    shutil.copy(theirs / "broker-2.db", ours / "broker-2.db")
    async with await Cluster.open(ours, clock=ManualClock()) as cluster:
        (event,) = events(cluster, LogDirNewIncarnation)
        assert "belongs to cluster" in event.reason and "kept aside" in event.reason
        assert list(ours.glob("broker-2.db.from-cluster-*"))  # never deleted
        assert all(p.leader != 2 for p in cluster.describe_topic(TOPIC).partitions)
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        assert values(await read_everything(cluster)) == expected(3000)
        await assert_replicas_identical(cluster)
        assert cluster.brokers[2].storage.identity.cluster_id == cluster.metadata.cluster_id


async def test_every_database_records_who_it_is(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 10)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert not cluster.log_dir_events  # the same databases: nothing to say
        ids = {b: cluster.metadata.brokers[b].directory_id for b in (1, 2, 3)}
        assert len(set(ids.values())) == 3 and all(ids.values())
        for b, broker in cluster.brokers.items():
            identity = broker.storage.identity
            assert (identity.cluster_id, identity.broker_id, identity.directory_id) == (
                cluster.metadata.cluster_id, b, ids[b],
            )  # fmt: skip
        for p in cluster.topic(TOPIC).partitions:
            assert p.directories == tuple(ids[b] for b in p.replicas)


async def test_the_last_in_sync_replica_losing_its_database_leaves_the_partition_offline(
    tmp_path: Path,
) -> None:
    """Brokers 1 and 3 stopped, so broker 2 alone is in sync; then broker-2.db is lost.
    With min.insync.replicas=1 the ISR never fell below it, so there are no eligible
    leader replicas (KIP-966; tests/engine/test_eligible_leader_replicas.py has the
    case with them). With unclean.leader.election.enable=false (the default) nothing may
    lead: the partition is offline and says why; an unclean election picks a replica
    that holds data (broker 1 or 3), never the empty new incarnation."""
    data = tmp_path / "data"
    await new_data_dir(data, 300, configs={"min.insync.replicas": "1"})
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        await cluster.stop_broker(1)
        await cluster.stop_broker(3)
        await produce(cluster, 0)
    remove_database(data / "broker-2.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        for p in cluster.describe_topic(TOPIC).partitions:
            assert (p.leader, p.isr) == (-1, ())
        with pytest.raises(KafkaError, match=r"offline .*no replica has all its records") as info:
            cluster.leader(TOPIC, 0)
        assert info.value.code is ErrorCode.LEADER_NOT_AVAILABLE
        await cluster.start_broker(1)
        await cluster.start_broker(3)
        assert all(p.leader == -1 for p in cluster.describe_topic(TOPIC).partitions)
        results = await cluster.elect_leaders("unclean")
        assert all(error is None for error in results.values())
        assert all(p.leader in (1, 3) for p in cluster.describe_topic(TOPIC).partitions)
        await cluster.settle()
        assert values(await read_everything(cluster)) == expected(300)


async def test_with_unclean_election_a_replica_with_data_leads(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 300, configs={"unclean.leader.election.enable": "true"})
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        await cluster.stop_broker(1)
        await cluster.stop_broker(3)
    remove_database(data / "broker-2.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert all(p.leader == -1 for p in cluster.describe_topic(TOPIC).partitions)
        await cluster.start_broker(3)
        assert all(p.leader == 3 for p in cluster.describe_topic(TOPIC).partitions)
        await cluster.settle()
        assert values(await read_everything(cluster)) == expected(300)


# --- damage: found, not served; the log dir goes offline (KIP-112) -----------------------


def random_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    data[at : at + 4096] = random.Random(5).randbytes(4096)
    path.write_bytes(bytes(data))


def cut_to_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def zero_header(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(bytes(100) + data[100:])


@pytest.mark.parametrize("damage", [random_bytes, cut_to_half, zero_header], ids=lambda d: d.__name__)
async def test_a_damaged_database_starts_offline_and_is_repaired(tmp_path: Path, damage) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 3000)
    db = data / "broker-2.db"
    damage(db)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        (failed,) = events(cluster, LogDirFailed)
        assert failed.broker_id == 2 and failed.path == str(db) and failed.damaged
        assert cluster.brokers[2].running  # up, with its log dir offline
        for p in cluster.describe_topic(TOPIC).partitions:
            assert p.leader in (1, 3) and 2 not in p.isr and p.offline_replicas == (2,)
        assert values(await read_everything(cluster)) == expected(3000)
        await produce(cluster, 30, start=3000)  # two in-sync replicas: acks=all still works
        check = await cluster.check_broker(2)
        assert not check.online and check.damaged
        rebuilt = await cluster.repair_broker(2)
        assert sorted(rebuilt) == [(TOPIC, 0), (TOPIC, 1), (TOPIC, 2)]
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        await assert_replicas_identical(cluster)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert not cluster.log_dir_events
        assert values(await read_everything(cluster)) == expected(3030)
        assert all(r.status == "ok" for r in (await cluster.check_broker(2)).replicas)


def spoil_records(path: Path, prefix: bytes) -> None:
    """Overwrite record values in place: pages stay sound, only batch CRCs catch it."""
    data = bytearray(path.read_bytes())
    at = data.find(prefix)
    assert at >= 0
    while at >= 0:
        data[at : at + len(prefix)] = b"X" * len(prefix)
        at = data.find(prefix, at)
    path.write_bytes(bytes(data))


async def test_damage_met_on_a_read_takes_the_log_dir_offline_and_is_never_served(tmp_path: Path) -> None:
    """Damage in an old batch passes the startup check; the first read of it fails its
    CRC, the log dir goes offline, leadership moves, and the reader gets the right
    records from another replica. Found damage stays until repaired, across restarts."""
    data = tmp_path / "data"
    await new_data_dir(data, 600, one_by_one=True)  # a batch per record: damage lies deep
    spoil_records(data / "broker-2.db", b"value-001")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert not cluster.log_dir_events and cluster.describe_topic(TOPIC).partitions[1].leader == 2
        records = await read_everything(cluster)
        assert values(records) == expected(600) and len(records) == 600
        (failed,) = events(cluster, LogDirFailed)
        assert failed.broker_id == 2 and "CRC" in failed.reason and failed.damaged
        for p in cluster.describe_topic(TOPIC).partitions:
            assert p.leader != 2 and 2 not in p.isr
        check = await cluster.check_broker(2)
        damaged = [r for r in check.replicas if r.status == "damaged"]
        assert damaged and all("CRC" in r.detail for r in damaged)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        (failed,) = events(cluster, LogDirFailed)
        assert "not repaired" in failed.reason
        assert all(2 not in p.isr for p in cluster.describe_topic(TOPIC).partitions)
        await cluster.repair_broker(2)
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        await assert_replicas_identical(cluster)


async def test_a_full_disk_takes_the_log_dir_offline_until_the_broker_restarts(tmp_path: Path) -> None:
    """An I/O error (SQLite's 'database or disk is full') while producing: the producer
    retries on the new leader and every acknowledged record is kept; a restart of the
    broker opens its database again and it rejoins."""
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        storage = cluster.brokers[2].storage
        async with storage._db.execute("PRAGMA page_count") as cursor:
            (pages,) = await cursor.fetchone()
        await storage._db.execute(f"PRAGMA max_page_count = {pages}")
        # The producer backs off (retry.backoff.ms) on the cluster's clock: move it.
        sending = asyncio.ensure_future(produce(cluster, 3000, start=300))
        await cluster.advance_until(sending.done)
        await sending
        (failed,) = events(cluster, LogDirFailed)
        assert "full" in failed.reason and not failed.damaged
        assert values(await read_everything(cluster)) == expected(3300)
        await cluster.stop_broker(2)
        await cluster.start_broker(2)
        assert cluster.metadata.brokers[2].dir_online
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        await assert_replicas_identical(cluster)


async def test_random_damage_never_loses_or_serves_wrong_records(tmp_path: Path) -> None:
    """Property-style: garbage of random size at random places in broker-2.db (seeded),
    then a restart: every acknowledged record is read back, exactly, every time."""
    pristine = tmp_path / "pristine"
    await new_data_dir(pristine, 900, one_by_one=True)
    rng = random.Random(17)
    for run in range(8):
        data = tmp_path / f"run{run}"
        shutil.copytree(pristine, data)
        db = data / "broker-2.db"
        raw = bytearray(db.read_bytes())
        for _ in range(rng.randint(1, 4)):
            at, size = rng.randrange(len(raw)), rng.choice([1, 16, 512, 4096])
            raw[at : at + size] = rng.randbytes(size)
        db.write_bytes(bytes(raw[: len(raw)]))
        async with await Cluster.open(data, clock=ManualClock()) as cluster:
            records = await read_everything(cluster)
            assert len(records) == 900 and values(records) == expected(900), f"run {run}"


# --- the metadata log --------------------------------------------------------------------


def flip(path: Path, where: str) -> None:
    raw = bytearray(path.read_bytes())
    at = 0 if where == "header" else len(raw) // 2
    raw[at : at + 64] = bytes(b ^ 0xFF for b in raw[at : at + 64])
    path.write_bytes(bytes(raw))


def copies(data: Path) -> list[Path]:
    """The brokers' copies of the metadata log (KRaft: each node's `__cluster_metadata`)."""
    return sorted(data.glob("cluster-metadata.broker-*.db"))


@pytest.mark.parametrize("where", ["header", "middle"])
async def test_a_damaged_metadata_log_is_rebuilt_from_a_brokers_copy(tmp_path: Path, where: str) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    assert [p.name for p in copies(data)] == [f"cluster-metadata.broker-{b}.db" for b in (1, 2, 3)]
    meta = data / "cluster-metadata.db"
    flip(meta, where)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        rebuilt = cluster.metadata_rebuilt
        assert rebuilt is not None and rebuilt.path == str(meta) and "is damaged" in rebuilt.reason
        assert rebuilt.source.endswith("cluster-metadata.broker-1.db") and rebuilt.broker_id == 1
        assert rebuilt.kept_as.endswith("cluster-metadata.db.damaged-1")
        # The same cluster: no broker's database is taken for another cluster's.
        assert not [e for e in cluster.log_dir_events if isinstance(e, LogDirNewIncarnation)]
        records = await read_everything(cluster)
        assert len(records) == 300 and values(records) == expected(300)
    assert (data / "cluster-metadata.db.damaged-1").exists()  # kept, never deleted
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert cluster.metadata_rebuilt is None  # what was rebuilt is the log from now on


@pytest.mark.parametrize("how", ["missing", "empty"])
async def test_a_missing_metadata_log_is_rebuilt_and_the_cluster_keeps_its_id(
    tmp_path: Path, how: str
) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        cluster_id = cluster.metadata.cluster_id
    for suffix in ("", "-wal", "-shm"):
        (data / f"cluster-metadata.db{suffix}").unlink(missing_ok=True)
    if how == "empty":
        (data / "cluster-metadata.db").write_bytes(b"")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert cluster.metadata_rebuilt is not None and cluster.metadata_rebuilt.reason == f"is {how}"
        assert (cluster.metadata_rebuilt.kept_as == "") == (how == "missing")
        assert cluster.metadata.cluster_id == cluster_id
        assert not [e for e in cluster.log_dir_events if isinstance(e, LogDirNewIncarnation)]
        records = await read_everything(cluster)
        assert len(records) == 300 and values(records) == expected(300)


async def test_the_longest_copy_wins_a_stopped_brokers_copy_lags(tmp_path: Path) -> None:
    """Broker 1 stopped, then a topic created: its copy lacks the topic, so the log is
    rebuilt from broker 2's; broker 1's copy catches up once it runs again."""
    data = tmp_path / "data"
    await new_data_dir(data, 30)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        await cluster.stop_broker(1)
        await cluster.create_topic("late", 1, 2)
    flip(data / "cluster-metadata.db", "middle")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert cluster.metadata_rebuilt is not None and cluster.metadata_rebuilt.broker_id == 2
        assert "late" in cluster.metadata.topics
        offset = cluster.metadata.offset
        await cluster.start_broker(1)
        await cluster.create_topic("later", 1, 1)
    with sqlite3.connect(data / "cluster-metadata.broker-1.db") as db:
        (last,) = db.execute("SELECT MAX(offset) FROM metadata_log").fetchone()
        names = {row[0] for row in db.execute("SELECT payload FROM metadata_log WHERE type = 'TopicRecord'")}
    assert last > offset and any('"late"' in n for n in names) and any('"later"' in n for n in names)


async def test_a_copy_that_is_not_a_prefix_of_the_log_starts_again(tmp_path: Path) -> None:
    """The controller's log restored from an older backup: the copies went further on
    another history, so each is emptied and refetched, as a follower truncates to its
    leader's log, rather than kept with records the log never had."""
    data = tmp_path / "data"
    await new_data_dir(data, 3)
    backup = tmp_path / "backup.db"
    shutil.copyfile(data / "cluster-metadata.db", backup)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        await cluster.create_topic("gone", 1, 1)
    shutil.copyfile(backup, data / "cluster-metadata.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert "gone" not in cluster.metadata.topics and cluster.metadata_rebuilt is None
        await cluster.create_topic("kept", 1, 1)

    def rows(path: Path) -> list[tuple[object, ...]]:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT * FROM metadata_log ORDER BY offset").fetchall()

    log = rows(data / "cluster-metadata.db")
    assert all(rows(copy) == log for copy in copies(data))
    assert not any('"gone"' in row[3] for row in log if isinstance(row[3], str))


@pytest.mark.parametrize("where", ["header", "middle"])
async def test_a_damaged_metadata_log_without_a_whole_copy_is_named_and_nothing_is_touched(
    tmp_path: Path, where: str
) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 30)
    meta = data / "cluster-metadata.db"
    flip(meta, where)
    for copy in copies(data):
        flip(copy, "header")
    brokers = {p.name: p.read_bytes() for p in data.glob("broker-*.db")}
    with pytest.raises(KafkaError) as info:
        await Cluster.open(data, clock=ManualClock())
    error = info.value
    assert error.code is ErrorCode.KAFKA_STORAGE_ERROR
    assert str(meta) in error.message and "Restore" in error.message and "bug" not in error.message
    assert "no broker's copy" in error.message
    assert {p.name: p.read_bytes() for p in data.glob("broker-*.db")} == brokers
    assert meta.exists() and not (data / "cluster-metadata.db.damaged-1").exists()


async def test_a_metadata_record_that_cannot_be_replayed_is_damage(tmp_path: Path) -> None:
    """In the controller's log only: rebuilt from a copy. In every copy too: named."""
    data = tmp_path / "data"
    await new_data_dir(data, 3)

    def spoil(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE metadata_log SET payload = '{\"topic_id\": 7' WHERE type = 'PartitionRecord'")

    spoil(data / "cluster-metadata.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert cluster.metadata_rebuilt is not None
        assert re.search(r"is damaged \(the record at offset \d+", cluster.metadata_rebuilt.reason)
    for path in [data / "cluster-metadata.db", *copies(data)]:
        spoil(path)
    with pytest.raises(KafkaError, match=r"cluster-metadata\.db is damaged .*offset"):
        await Cluster.open(data, clock=ManualClock())
