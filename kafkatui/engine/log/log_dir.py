"""A broker's log directory as Kafka knows it: who it belongs to, how it fails, and how
damage in it is found.

- **Identity** (Kafka's `meta.properties`, KIP-858): each broker database records the
  cluster id, the broker id and a directory id made when the database is created. The
  controller records which directory each replica lives on, so a database that is new,
  emptied, restored from elsewhere or from another cluster is seen for what it is: a new
  incarnation of the broker's storage, not the replicas the cluster knew.
- **Failure** (KIP-112's `LogDirFailureChannel`): an I/O error or damage met while using
  the database takes it offline; `LogDirFailure` is what every caller then gets
  (KAFKA_STORAGE_ERROR, which Kafka's clients retry after refreshing metadata).
- **Integrity**: a stored batch is checked against its CRC-32C and the offsets it is
  indexed by whenever it is read, and `check_database` does so for every batch (with
  SQLite's own `integrity_check`) for `kafkatui broker check`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.records import read_header, verify_crc


@dataclass(frozen=True)
class StorageIdentity:
    """What a broker database says it is (Kafka's meta.properties: `cluster.id`,
    `node.id`, `directory.id`)."""

    cluster_id: str
    broker_id: int
    directory_id: str


class LogDirFailure(KafkaError):
    """A broker's database failed (I/O error) or was found damaged: it is offline until
    the broker restarts (an I/O error) or is repaired (damage). KAFKA_STORAGE_ERROR."""

    def __init__(self, path: Path | None, broker_id: int, reason: str, *, damaged: bool) -> None:
        self.path = path
        self.broker_id = broker_id
        self.reason = reason
        self.damaged = damaged
        where = str(path) if path is not None else f"broker {broker_id}'s in-memory database"
        todo = (
            f"`kafkatui broker repair {broker_id}` rebuilds it from the other replicas"
            if damaged
            else "it is opened again when the broker restarts"
        )
        super().__init__(
            ErrorCode.KAFKA_STORAGE_ERROR, f"{where} (broker {broker_id}) is offline: {reason}; {todo}"
        )


class StorageUnavailable(KafkaError):
    """KAFKA_STORAGE_ERROR that retrying in this process cannot cure: a partition whose
    every in-sync replica is on an offline log dir, or a metadata log that cannot be
    written. (Kafka's clients retry storage errors, waiting for another process — a
    restarted broker — to bring the data back; here nothing else would.)"""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.KAFKA_STORAGE_ERROR, message)

    @property
    def retriable(self) -> bool:
        return False


def is_storage_failure(error: BaseException) -> bool:
    """An error of the disk or the file, not of kafkatui: SQLite's own failures (I/O,
    full, read-only, malformed, not a database) and the OS's. Constraint and API misuse
    errors (IntegrityError, ProgrammingError) would be kafkatui's bugs and are not."""
    if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
        return False
    return isinstance(error, (sqlite3.DatabaseError, OSError))


def is_damage(error: BaseException) -> bool:
    """Damage stays until repaired; an I/O error (disk full, read-only, EIO) may pass."""
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        return "malformed" in text or "not a database" in text
    return isinstance(error, sqlite3.DatabaseError)


def stored_batch_problem(data: bytes, base_offset: int, last_offset: int) -> str | None:
    """Why a stored batch cannot be served (None if it is sound): its bytes fail their
    CRC-32C, are cut short, or are not the batch the index says is there."""
    try:
        header = read_header(data)
        if header.size != len(data):
            return f"holds {len(data)} bytes where its header says {header.size}"
        verify_crc(data, header)
    except KafkaError as error:
        return error.message
    if (header.base_offset, header.last_offset) != (base_offset, last_offset):
        return (
            f"is offsets {header.base_offset}..{header.last_offset} where the index says "
            f"{base_offset}..{last_offset}"
        )
    return None


@dataclass
class ReplicaCheck:
    """What `check_database` found in one partition replica's log."""

    topic: str
    partition: int
    batches: int = 0
    first_offset: int = -1
    last_offset: int = -1
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DatabaseCheck:
    """`check_database`'s report: SQLite's verdict, then each replica's."""

    identity: StorageIdentity | None
    sqlite: list[str]  # integrity_check's messages; empty when it says "ok"
    replicas: list[ReplicaCheck]
    unreadable: str | None = None  # the database could not be read at all


async def check_database(db: aiosqlite.Connection) -> DatabaseCheck:
    """Read every batch of every log and check it (`stored_batch_problem`), plus
    offsets running without gaps or overlaps, after SQLite's full `integrity_check`."""
    try:
        async with db.execute("PRAGMA integrity_check(20)") as cursor:
            verdict = [str(row[0]) async for row in cursor]
        identity = await read_identity(db)
        async with db.execute("SELECT log_id, topic, partition, log_start_offset FROM logs") as cursor:
            logs = [tuple(row) async for row in cursor]
    except sqlite3.DatabaseError as error:
        return DatabaseCheck(None, [], [], unreadable=str(error))
    replicas = []
    for log_id, topic, partition, start in sorted(logs, key=lambda row: (row[1], row[2])):
        replicas.append(await _check_log(db, int(log_id), str(topic), int(partition), int(start)))
    return DatabaseCheck(identity, [] if verdict == ["ok"] else verdict, replicas)


async def _check_log(
    db: aiosqlite.Connection, log_id: int, topic: str, partition: int, start: int
) -> ReplicaCheck:
    found = ReplicaCheck(topic, partition)
    expected: int | None = None
    try:
        async with db.execute(
            "SELECT base_offset, last_offset, data FROM batches WHERE log_id = ? ORDER BY last_offset",
            (log_id,),
        ) as cursor:
            async for base, last, data in cursor:
                found.batches += 1
                found.first_offset = base if found.first_offset < 0 else found.first_offset
                found.last_offset = last
                problem = stored_batch_problem(bytes(data), base, last)
                if problem is not None and len(found.problems) < 5:
                    found.problems.append(f"batch at offset {base}: {problem}")
                if expected is not None and base != expected and len(found.problems) < 5:
                    gap = "missing" if base > expected else "overlapping"
                    found.problems.append(f"offsets {min(base, expected)}..{max(base, expected) - 1} {gap}")
                expected = last + 1
    except sqlite3.DatabaseError as error:
        found.problems.append(f"unreadable after {found.batches} batch(es): {error}")
    return found


# --- the identity in the database (its `meta` table) ------------------------------------


async def read_identity(db: aiosqlite.Connection) -> StorageIdentity | None:
    """The database's identity, or None if it has none yet (new, or older than KIP-858)."""
    async with db.execute("SELECT key, value FROM meta") as cursor:
        meta = {str(k): str(v) async for k, v in cursor}
    if not {"cluster.id", "node.id", "directory.id"} <= meta.keys():
        return None
    try:
        return StorageIdentity(meta["cluster.id"], int(meta["node.id"]), meta["directory.id"])
    except ValueError:
        return None  # a node.id that is not a number: damaged, treated as no identity


async def write_identity(db: aiosqlite.Connection, identity: StorageIdentity) -> None:
    rows = [
        ("cluster.id", identity.cluster_id),
        ("node.id", str(identity.broker_id)),
        ("directory.id", identity.directory_id),
    ]
    await db.execute("BEGIN")
    try:
        await db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
