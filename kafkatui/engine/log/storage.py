"""Each broker's SQLite database: partition logs stored as RecordBatch blobs.

One row per batch, like a Kafka segment file with its offset index: the encoded batch
as a blob plus the header fields an index needs. A batch is one row, so it is written
in one transaction and a crash either keeps the whole batch or none of it.

Databases run in WAL mode with `synchronous=NORMAL`: a committed append survives the
process being killed (`kill -9`); only an operating-system crash could lose the last
commits, as with Kafka's default of leaving fsync to the OS (`database.py` opens it and
wraps each call; what segments and the cleaner ask of it is `segment_store.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from kafkatui.engine.log.database import MEMORY, counted, guarded, open_database_created
from kafkatui.engine.log.in_flight import InFlight
from kafkatui.engine.log.log_dir import (
    DatabaseCheck,
    LogDirFailure,
    StorageIdentity,
    check_database,
    is_damage,
    is_storage_failure,
    read_identity,
    stored_batch_problem,
    write_identity,
)
from kafkatui.engine.log.producer_state import NUM_BATCHES_TO_RETAIN, ProducerBatch
from kafkatui.engine.log.records import BatchHeader
from kafkatui.engine.log.segment_store import SegmentStore, batch_row
from kafkatui.engine.log.time_index import TimeIndex

_BROKER_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE logs (
        log_id INTEGER PRIMARY KEY,
        topic_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition INTEGER NOT NULL,
        log_start_offset INTEGER NOT NULL DEFAULT 0,
        high_watermark INTEGER NOT NULL DEFAULT 0,
        UNIQUE (topic_id, partition)
    );
    CREATE TABLE batches (
        log_id INTEGER NOT NULL REFERENCES logs(log_id) ON DELETE CASCADE,
        base_offset INTEGER NOT NULL,
        last_offset INTEGER NOT NULL,
        max_timestamp INTEGER NOT NULL,
        producer_id INTEGER NOT NULL,
        producer_epoch INTEGER NOT NULL,
        base_sequence INTEGER NOT NULL,
        attributes INTEGER NOT NULL,
        leader_epoch INTEGER NOT NULL,
        record_count INTEGER NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE UNIQUE INDEX batches_by_offset ON batches (log_id, last_offset);
    """,
    # Segments (issue 8): where closed segments start, so cleaning a segment (which
    # shrinks its batches) never moves a boundary; and the log cleaner's checkpoint,
    # the first offset not yet cleaned (Kafka's cleaner-offset-checkpoint file).
    """
    CREATE TABLE segments (
        log_id INTEGER NOT NULL REFERENCES logs(log_id) ON DELETE CASCADE,
        base_offset INTEGER NOT NULL,
        PRIMARY KEY (log_id, base_offset)
    );
    ALTER TABLE logs ADD COLUMN cleaner_checkpoint INTEGER NOT NULL DEFAULT 0;
    """,
    # Producer state is rebuilt from the batches of idempotent producers (KIP-98): this
    # index covers that query, so a rebuild never reads the batch rows; being partial it
    # leaves plain batches (producer id -1) out.
    """
    CREATE INDEX batches_by_producer ON batches (
        log_id, producer_id, last_offset, producer_epoch, base_sequence, base_offset, attributes
    ) WHERE producer_id >= 0;
    """,
    # Storage identity (KIP-858): Kafka's meta.properties, `cluster.id`, `node.id` and
    # `directory.id`, written when the database is first used by a broker.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)

# Batches at the end of each log checked against their CRC when a broker opens its
# database (Kafka re-reads the segments after its recovery point after an unclean stop).
STARTUP_CHECKED_BATCHES = 8


@dataclass
class LogState:
    """Where a partition replica's log stands when it is opened."""

    log_id: int
    topic_id: str
    topic: str
    partition: int
    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """A batch as read back: its header fields and the exact bytes."""

    base_offset: int
    last_offset: int
    data: bytes


class BrokerStorage(SegmentStore):
    """The SQLite database of one broker (`broker-<id>.db`), Kafka's log directory.

    Once a call meets an I/O error or damage the database is offline (`failure`): every
    call raises that `LogDirFailure`, and `on_failure` tells the broker once."""

    def __init__(
        self, db: aiosqlite.Connection | None, path: Path | None, broker_id: int = 0, *, created: bool = False
    ) -> None:
        self._connection = db
        self.path = path
        self.broker_id = broker_id
        self.created = created  # the database had no schema when opened (new, missing, emptied)
        self.identity: StorageIdentity | None = None
        self.failure: LogDirFailure | None = None
        self.on_failure: Callable[[LogDirFailure], None] | None = None
        self._names: dict[int, str] = {}  # log id -> "topic-partition", for messages
        self._time_indexes: dict[int, TimeIndex] = {}  # built when first asked (time_index.py)
        # Reads and writes waiting on SQLite's thread: a cluster is only idle at zero.
        self.calls = InFlight()
        # One connection serves every partition of the broker, and a transaction spans
        # several awaits (BEGIN, executemany, COMMIT): another partition's write must not
        # run inside it (it would share its fate on ROLLBACK) or open its own within it.
        self._write_lock = asyncio.Lock()

    @property
    def in_flight(self) -> int:
        """Calls waiting on SQLite's thread (`calls.count`)."""
        return self.calls.count

    def _busy(self) -> InFlight:
        """Count a call waiting on SQLite's thread (see `in_flight`)."""
        return self.calls

    @property
    def _db(self) -> aiosqlite.Connection:
        if self.failure is not None:
            raise self.failure
        assert self._connection is not None
        return self._connection

    @property
    def offline(self) -> bool:
        return self.failure is not None

    @classmethod
    async def open(cls, path: Path | None, broker_id: int = 0) -> BrokerStorage:
        """Open the broker's database (`None` keeps it in memory) and check it: SQLite's
        quick check, and the CRC of the last batches of every log. A database that
        cannot be opened or fails the check comes back offline, its `failure` saying why."""
        try:
            db, created = await open_database_created(
                path if path is not None else MEMORY, _BROKER_MIGRATIONS
            )
        except Exception as error:
            if not is_storage_failure(error):
                raise
            storage = cls(None, path, broker_id)
            storage.fail(str(error), damaged=is_damage(error))
            return storage
        storage = cls(db, path, broker_id, created=created)
        with contextlib.suppress(LogDirFailure):  # it stays offline, `failure` says why
            await storage._startup_check()
        return storage

    @guarded
    async def _startup_check(self) -> None:
        async with self._db.execute("PRAGMA quick_check(5)") as cursor:
            verdict = [str(row[0]) async for row in cursor]
        if verdict != ["ok"]:
            found = " ".join(" ".join(verdict).split())
            raise self.fail(f"SQLite's quick check failed: {found}", damaged=True)
        self.identity = await read_identity(self._db)
        async with self._db.execute("SELECT log_id, topic, partition FROM logs") as cursor:
            logs = [tuple(row) async for row in cursor]
        for log_id, topic, partition in logs:
            async with self._db.execute(
                "SELECT base_offset, last_offset, data FROM batches WHERE log_id = ? "
                "ORDER BY last_offset DESC LIMIT ?",
                (log_id, STARTUP_CHECKED_BATCHES),
            ) as cursor:
                async for base, last, data in cursor:
                    if (problem := stored_batch_problem(bytes(data), base, last)) is not None:
                        raise self.fail(
                            f"{topic}-{partition}: the batch at offset {base} {problem}", damaged=True
                        )

    def fail(self, reason: str, *, damaged: bool) -> LogDirFailure:
        """Take the database offline (the first failure is the one kept) and return the
        error its callers get; the broker hears of it once (`on_failure`)."""
        if self.failure is None:
            self.failure = LogDirFailure(self.path, self.broker_id, reason, damaged=damaged)
            if self.on_failure is not None:
                self.on_failure(self.failure)
        return self.failure

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a failed database may fail to close too
                await connection.close()

    @guarded
    async def stamp(self, identity: StorageIdentity) -> None:
        """Record who this database belongs to (KIP-858's meta.properties)."""
        await write_identity(self._db, identity)
        self.identity = identity

    async def check(self) -> DatabaseCheck:
        """Every batch checked (for `kafkatui broker check`); never takes it offline."""
        if self._connection is None:
            raise self.failure or LogDirFailure(self.path, self.broker_id, "closed", damaged=False)
        with self._busy():
            return await check_database(self._connection)

    def _corrupt(self, log_id: int, base: int, problem: str) -> LogDirFailure:
        name = self._names.get(log_id, f"log {log_id}")
        return self.fail(f"{name}: the batch at offset {base} {problem}", damaged=True)

    @guarded
    @counted
    async def load_logs(self) -> list[LogState]:
        """Every partition replica this broker stores, with its recovered end offset."""
        sql = """
            SELECT l.log_id, l.topic_id, l.topic, l.partition, l.log_start_offset,
                   l.high_watermark,
                   (SELECT MAX(last_offset) FROM batches b WHERE b.log_id = l.log_id),
                   (SELECT COALESCE(SUM(size), 0) FROM batches b WHERE b.log_id = l.log_id)
            FROM logs l ORDER BY l.topic, l.partition
        """
        async with self._db.execute(sql) as cursor:
            rows = await cursor.fetchall()
        states = []
        for log_id, topic_id, topic, partition, start, hw, last, size in rows:
            self._names[log_id] = f"{topic}-{partition}"
            leo = start if last is None else last + 1
            # The checkpointed high watermark can never be ahead of what is on disk.
            states.append(LogState(log_id, topic_id, topic, partition, start, leo, min(hw, leo), size))
        return states

    @guarded
    @counted
    async def create_log(self, topic_id: str, topic: str, partition: int) -> LogState:
        async with self._write_lock:
            cursor = await self._db.execute(
                "INSERT INTO logs (topic_id, topic, partition) VALUES (?, ?, ?)",
                (topic_id, topic, partition),
            )
        log_id = cursor.lastrowid
        await cursor.close()
        assert log_id is not None
        self._names[log_id] = f"{topic}-{partition}"
        return LogState(log_id, topic_id, topic, partition, 0, 0, 0, 0)

    @guarded
    @counted
    async def delete_log(self, log_id: int) -> None:
        async with self._write_lock:
            await self._db.execute("DELETE FROM logs WHERE log_id = ?", (log_id,))
            self._time_indexes.pop(log_id, None)

    @guarded
    async def append(self, log_id: int, batches: Sequence[tuple[BatchHeader, bytes]]) -> None:
        """Write batches in one transaction (all or nothing), each indexed by its leader epoch."""
        with self._busy():
            async with self._write_lock:
                await self._append(log_id, batches)

    async def _append(self, log_id: int, batches: Sequence[tuple[BatchHeader, bytes]]) -> None:
        rows = [batch_row(log_id, h, data) for h, data in batches]
        sql = "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        if len(rows) == 1:
            await self._db.execute(sql, rows[0])
        else:
            await self._db.execute("BEGIN")
            try:
                await self._db.executemany(sql, rows)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        index = self._time_indexes.get(log_id)
        if index is not None:
            for h, _ in batches:
                index.add(h.max_timestamp, h.base_offset)

    @guarded
    async def read(
        self, log_id: int, from_offset: int, upper_offset: int, max_bytes: int
    ) -> list[StoredBatch]:
        with self._busy():
            return await self._read(log_id, from_offset, upper_offset, max_bytes)

    async def _read(
        self, log_id: int, from_offset: int, upper_offset: int, max_bytes: int
    ) -> list[StoredBatch]:
        """Batches holding offsets in [from_offset, upper_offset), whole, up to max_bytes.

        Like Kafka's fetch, the first batch is returned even if it alone exceeds
        max_bytes, so a consumer can always make progress.
        """
        where = "WHERE log_id = ? AND last_offset >= ? AND base_offset < ? ORDER BY last_offset LIMIT ?"
        # The sizes first (the index and each row's leading columns, never a blob's
        # overflow pages), then the data of just the batches that fit: selecting the data
        # of rows the read then drops copied every one of them (aiosqlite fetches 64 rows
        # at a time: ~15 MB for a 32 KiB read of 230 KB batches). At most 512 batches per
        # read, so a huge log is never pulled into memory whole.
        async with self._db.execute(
            f"SELECT size FROM batches {where}", (log_id, from_offset, upper_offset, 512)
        ) as cursor:
            sizes = [size for (size,) in await cursor.fetchall()]
        count = total = 0
        for size in sizes:
            if count and total + size > max_bytes:
                break
            count, total = count + 1, total + size
        if not count:
            return []
        async with self._db.execute(
            f"SELECT base_offset, last_offset, size, data FROM batches {where}",
            (log_id, from_offset, upper_offset, count),
        ) as cursor:
            rows = await cursor.fetchall()
        out: list[StoredBatch] = []
        total = 0
        for base, last, size, data in rows:
            if out and total + size > max_bytes:  # rewritten by the cleaner in between
                break
            # Damage is found, not served: a batch must match its CRC and its index.
            if (problem := stored_batch_problem(data, base, last)) is not None:
                raise self._corrupt(log_id, base, problem)
            out.append(StoredBatch(base, last, data))
            total += size
        return out

    @guarded
    @counted
    async def truncate(self, log_id: int, offset: int) -> int:
        """Remove batches from `offset` on (they start at or after it); returns bytes freed."""
        async with self._write_lock:
            return await self._truncate(log_id, offset)

    async def _truncate(self, log_id: int, offset: int) -> int:
        async with self._db.execute(
            "SELECT COALESCE(SUM(size), 0) FROM batches WHERE log_id = ? AND base_offset >= ?",
            (log_id, offset),
        ) as cursor:
            (freed,) = await cursor.fetchone()  # type: ignore[misc]
        await self._db.execute("DELETE FROM batches WHERE log_id = ? AND base_offset >= ?", (log_id, offset))
        index = self._time_indexes.get(log_id)
        if index is not None:
            index.truncate(offset)
        return int(freed)

    @guarded
    @counted
    async def last_epoch(self, log_id: int) -> int:
        """The leader epoch of the log's last batch (-1 for an empty log)."""
        async with self._db.execute(
            "SELECT leader_epoch FROM batches WHERE log_id = ? ORDER BY last_offset DESC LIMIT 1", (log_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return -1 if row is None else int(row[0])

    @guarded
    @counted
    async def first_offset_after_epoch(self, log_id: int, epoch: int) -> int | None:
        """Where the first batch of a later epoch starts (Kafka's leader-epoch cache lookup)."""
        async with self._db.execute(
            "SELECT MIN(base_offset) FROM batches WHERE log_id = ? AND leader_epoch > ?", (log_id, epoch)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    @guarded
    @counted
    async def first_batch_at_or_after_time(
        self, log_id: int, timestamp: int, upper_offset: int
    ) -> bytes | None:
        """The first batch (by offset, below `upper_offset`) whose max timestamp is at
        least `timestamp`, found through the log's time index (time_index.py)."""
        index = self._time_indexes.get(log_id)
        if index is None:
            index = await self._build_time_index(log_id)
        start = index.lookup(timestamp)
        if start is None or start >= upper_offset:
            return None
        async with self._db.execute(
            "SELECT data, base_offset, last_offset FROM batches WHERE log_id = ? AND last_offset >= ? "
            "AND max_timestamp >= ? AND base_offset < ? ORDER BY last_offset LIMIT 1",
            (log_id, start, timestamp, upper_offset),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        data = bytes(row[0])
        if (problem := stored_batch_problem(data, row[1], row[2])) is not None:
            raise self._corrupt(log_id, row[1], problem)
        return data

    async def _build_time_index(self, log_id: int) -> TimeIndex:
        # Under the write lock, so no append lands between the scan and the index
        # taking over (it would be missing from it).
        async with self._write_lock:
            index = self._time_indexes.get(log_id)
            if index is not None:
                return index
            index = TimeIndex()
            async with self._db.execute(
                "SELECT max_timestamp, base_offset FROM batches WHERE log_id = ? ORDER BY last_offset",
                (log_id,),
            ) as cursor:
                async for max_timestamp, base_offset in cursor:
                    index.add(max_timestamp, base_offset)
            self._time_indexes[log_id] = index
            return index

    @guarded
    @counted
    async def largest_epoch_at_most(self, log_id: int, epoch: int) -> int | None:
        """The largest leader epoch in the log that is not above `epoch`."""
        async with self._db.execute(
            "SELECT MAX(leader_epoch) FROM batches WHERE log_id = ? AND leader_epoch <= ?", (log_id, epoch)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    @guarded
    async def producer_batches(self, log_id: int) -> list[ProducerBatch]:
        """The last batches of each producer id in a log, oldest first: enough to rebuild
        its producer state (Kafka reloads a snapshot and replays the log after it)."""
        with self._busy():
            # The window runs over the covering index; only the newest batches' rows are
            # read for their max timestamp (producer.id.expiration.ms counts from it).
            sql = """
                SELECT n.producer_id, n.producer_epoch, n.base_sequence, n.base_offset, n.last_offset,
                       b.max_timestamp
                FROM (
                    SELECT producer_id, producer_epoch, base_sequence, base_offset, last_offset,
                    ROW_NUMBER() OVER (
                        PARTITION BY producer_id ORDER BY last_offset DESC
                    ) AS newest
                    FROM batches WHERE log_id = ? AND producer_id >= 0 AND (attributes & 32) = 0
                ) AS n
                JOIN batches AS b ON b.log_id = ? AND b.last_offset = n.last_offset
                WHERE n.newest <= ? ORDER BY n.last_offset
            """
            async with self._db.execute(sql, (log_id, log_id, NUM_BATCHES_TO_RETAIN)) as cursor:
                return [ProducerBatch(*row) async for row in cursor]

    @guarded
    async def transaction_batches(self, log_id: int) -> list[tuple[int, int, int, int, bytes | None]]:
        """Transactional batches of a log, oldest first: (producer id, epoch, base offset,
        last offset, the bytes of a control batch else None). What rebuilding the open
        and aborted transactions needs (Kafka reads its `.txnindex` files instead)."""
        with self._busy():
            sql = """
                SELECT producer_id, producer_epoch, base_offset, last_offset,
                       CASE WHEN (attributes & 32) != 0 THEN data ELSE NULL END
                FROM batches WHERE log_id = ? AND producer_id >= 0 AND (attributes & 16) != 0
                ORDER BY last_offset
            """
            async with self._db.execute(sql, (log_id,)) as cursor:
                rows = [tuple(row) async for row in cursor]
            for _, _, base, last, data in rows:
                if data is not None and (problem := stored_batch_problem(data, base, last)) is not None:
                    raise self._corrupt(log_id, base, problem)
            return rows  # type: ignore[return-value]

    @guarded
    async def last_offsets_of_producers(self, log_id: int) -> dict[int, tuple[int, int]]:
        """Each producer id's last data batch and last batch of any kind (by last offset;
        -1 without a data batch): what the log cleaner keeps for the producer state."""
        with self._busy():
            sql = """
                SELECT producer_id,
                       COALESCE(MAX(CASE WHEN (attributes & 32) = 0 THEN last_offset END), -1),
                       MAX(last_offset)
                FROM batches WHERE log_id = ? AND producer_id >= 0 GROUP BY producer_id
            """
            async with self._db.execute(sql, (log_id,)) as cursor:
                return {int(pid): (int(data), int(last)) async for pid, data, last in cursor}

    @guarded
    @counted
    async def checkpoint_high_watermark(self, log_id: int, high_watermark: int) -> None:
        async with self._write_lock:
            await self._db.execute(
                "UPDATE logs SET high_watermark = ? WHERE log_id = ?", (high_watermark, log_id)
            )

    @guarded
    async def file_size(self) -> int:
        """Bytes the database uses (pages in use), as shown for 'bytes on disk'."""
        async with self._db.execute("PRAGMA page_count") as c1:
            (pages,) = await c1.fetchone()  # type: ignore[misc]
        async with self._db.execute("PRAGMA page_size") as c2:
            (page_size,) = await c2.fetchone()  # type: ignore[misc]
        return int(pages) * int(page_size)
