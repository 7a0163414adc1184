"""Each broker's copy of the metadata log, and rebuilding `cluster-metadata.db` from them.

In KRaft every controller and broker replicates `__cluster_metadata` (the leader's log,
fetched by the others), so one node's damaged copy is refetched from the rest. Here the
controller's log is `cluster-metadata.db`; beside it each broker keeps its own copy,
`cluster-metadata.broker-N.db` (same schema, same cluster id). A running broker's copy
takes every committed batch right after the controller's (it first catches up on what
it missed while it was stopped, as a follower's fetch would); a stopped broker's copy
stays where it was.

At start-up a `cluster-metadata.db` that is damaged (it cannot be opened or replayed) or
missing while copies exist is rebuilt from the longest copy that replays whole (ties:
the lowest broker id); the damaged file is kept aside, never deleted. A copy behind the
controller's log lacks only what was committed while its broker was down, and the
longest one holds everything committed while any broker ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from kafkatui.engine.log.storage import open_database_created
from kafkatui.engine.metadata.image import METADATA_MIGRATIONS, MetadataDamaged, MetadataImage, MetadataLog

log = logging.getLogger(__name__)

PRIMARY = "cluster-metadata.db"
_COPY = re.compile(r"cluster-metadata\.broker-(\d+)\.db")
Row = tuple[int, int, str, str]  # offset, timestamp, type, payload


def copy_path(data_dir: Path, broker_id: int) -> Path:
    return data_dir / f"cluster-metadata.broker-{broker_id}.db"


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]


@dataclass(frozen=True)
class Rebuilt:
    """What `rebuild` did: which copy replaced the damaged log, and where that went."""

    path: Path
    source: Path
    broker_id: int
    last_offset: int
    reason: str
    kept_as: Path | None  # None: there was no file to keep (it was missing)


class _Copy:
    def __init__(self, broker_id: int, db: aiosqlite.Connection, last_offset: int) -> None:
        self.broker_id = broker_id
        self.db = db
        self.last_offset = last_offset


class MetadataCopies:
    """The brokers' copies of the metadata log, appended after the controller's."""

    def __init__(
        self,
        data_dir: Path,
        cluster_id: str,
        broker_ids: Sequence[int],
        running: Callable[[], Collection[int]],
    ) -> None:
        self._dir = data_dir
        self._cluster_id = cluster_id
        self._broker_ids = list(broker_ids)
        self._running = running
        self._copies: dict[int, _Copy] = {}
        self._failed: set[int] = set()  # a copy whose file failed: left for the next process
        # The catch-up at start-up runs beside the controller's first commits.
        self._lock = asyncio.Lock()

    async def _open(self, broker_id: int, primary: aiosqlite.Connection) -> _Copy | None:
        copy = self._copies.get(broker_id)
        if copy is not None or broker_id in self._failed:
            return copy
        path = copy_path(self._dir, broker_id)
        db = None
        try:
            db, new = await open_database_created(path, METADATA_MIGRATIONS)
            if new:
                await db.execute("INSERT INTO meta VALUES ('cluster.id', ?)", (self._cluster_id,))
            async with db.execute("SELECT value FROM meta WHERE key = 'cluster.id'") as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] != self._cluster_id:
                # Another cluster's file: not ours to write into (nor to rebuild from).
                raise ValueError(f"it belongs to cluster {row[0] if row else '?'}")
            last = await _last_offset(db)
            if last >= 0 and await _row(db, last) != await _row(primary, last):
                # Not a prefix of the controller's log (a log restored from a backup, say):
                # as a follower truncates to its leader's log, start it again.
                await db.execute("DELETE FROM metadata_log")
                last = -1
        except (sqlite3.Error, OSError, RuntimeError, ValueError) as error:
            if db is not None:
                with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                    await db.close()
            self._fail(broker_id, path, error)
            return None
        copy = self._copies[broker_id] = _Copy(broker_id, db, last)
        return copy

    def _fail(self, broker_id: int, path: Path, error: BaseException) -> None:
        self._failed.add(broker_id)
        log.warning("broker %s's copy of the metadata log %s is not kept up: %s", broker_id, path, error)

    async def append(self, primary: aiosqlite.Connection, rows: Sequence[Row]) -> None:
        """Every running broker's copy takes `rows`, after what it missed (read back
        from the controller's log `primary`). A copy that fails is given up on: the
        controller's log and the other copies hold the change."""
        async with self._lock:
            for broker_id in sorted(set(self._running()) & set(self._broker_ids)):
                await self._append_to(broker_id, primary, rows)

    async def _append_to(self, broker_id: int, primary: aiosqlite.Connection, rows: Sequence[Row]) -> None:
        first = rows[0][0] if rows else None
        copy = await self._open(broker_id, primary)
        if copy is None:
            return
        try:
            missed: list[Row] = []
            if first is None or copy.last_offset < first - 1:
                async with primary.execute(
                    "SELECT offset, timestamp, type, payload FROM metadata_log WHERE offset > ? "
                    "AND offset < ? ORDER BY offset",
                    (copy.last_offset, first if first is not None else 1 << 62),
                ) as cursor:
                    missed = [tuple(r) async for r in cursor]  # type: ignore[misc]
            batch = [*missed, *(r for r in rows if r[0] > copy.last_offset)]
            if not batch:
                return
            await copy.db.execute("BEGIN")
            try:
                await copy.db.executemany("INSERT INTO metadata_log VALUES (?, ?, ?, ?)", batch)
                await copy.db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await copy.db.execute("ROLLBACK")
                raise
            copy.last_offset = batch[-1][0]
        except (sqlite3.Error, OSError, ValueError) as error:
            self._copies.pop(broker_id, None)
            with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                await copy.db.close()
            self._fail(broker_id, copy_path(self._dir, broker_id), error)

    async def close(self) -> None:
        for copy in self._copies.values():
            with contextlib.suppress(sqlite3.Error, OSError):
                await copy.db.close()
        self._copies.clear()


async def _last_offset(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COALESCE(MAX(offset), -1) FROM metadata_log") as cursor:
        (last,) = await cursor.fetchone()  # type: ignore[misc]
    return int(last)


async def _row(db: aiosqlite.Connection, offset: int) -> tuple[object, ...] | None:
    async with db.execute("SELECT * FROM metadata_log WHERE offset = ?", (offset,)) as cursor:
        found = await cursor.fetchone()
    return None if found is None else tuple(found)


def copies_in(data_dir: Path) -> dict[int, Path]:
    """The brokers' copies of the metadata log in a data dir, by broker id."""
    found = {}
    for path in data_dir.glob("cluster-metadata.broker-*.db"):
        match = _COPY.fullmatch(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


async def _replayed(path: Path) -> tuple[str, int] | None:
    """(cluster id, last offset) of a copy that opens and replays whole, else None."""
    try:
        copy = await MetadataLog.open(path, lambda: "")
    except (sqlite3.Error, OSError, RuntimeError):
        return None
    try:
        if not copy.cluster_id:
            return None
        image = await copy.replay()
        return copy.cluster_id, image.offset
    except (sqlite3.Error, MetadataDamaged):
        return None
    finally:
        await copy.close()


async def rebuild(data_dir: Path, reason: str) -> Rebuilt | None:
    """Replace `cluster-metadata.db` by the longest copy that replays whole; None if
    there is none. The file it replaces (and its WAL) is renamed aside first."""
    best: tuple[int, int, Path] | None = None  # (last offset, -broker id, path)
    for broker_id, path in copies_in(data_dir).items():
        found = await _replayed(path)
        if found is not None and found[1] >= 0 and (best is None or (found[1], -broker_id) > best[:2]):
            best = (found[1], -broker_id, path)
    if best is None:
        return None
    last_offset, negative_id, source = best
    primary = data_dir / PRIMARY
    kept_as = None
    if primary.exists():
        n = 1
        while (kept_as := data_dir / f"{PRIMARY}.damaged-{n}").exists():
            n += 1
        for part, aside in zip(_sidecars(primary), _sidecars(kept_as), strict=True):
            if part.exists():
                part.rename(aside)
    else:
        for part in _sidecars(primary)[1:]:  # a WAL without its database is no use
            part.unlink(missing_ok=True)
    shutil.copyfile(source, primary)  # closed after its replay: its WAL is checkpointed in
    return Rebuilt(primary, source, -negative_id, last_offset, reason, kept_as)


async def _open_replayed(path: Path, new_cluster_id: Callable[[], str]) -> tuple[MetadataLog, MetadataImage]:
    metadata_log = await MetadataLog.open(path, new_cluster_id)
    try:
        return metadata_log, await metadata_log.replay()
    except BaseException:
        await metadata_log.close()
        raise


async def open_metadata_log(
    data_dir: Path | None, new_cluster_id: Callable[[], str]
) -> tuple[MetadataLog, MetadataImage, Rebuilt | None]:
    """The controller's metadata log and the image it replays to, rebuilt first from the
    brokers' copies when it is missing (and copies exist) or damaged. A damaged log no
    copy can replace raises what its open or replay raised."""
    if data_dir is None:
        metadata_log = await MetadataLog.open(None, new_cluster_id)
        return metadata_log, await metadata_log.replay(), None
    primary = data_dir / PRIMARY
    rebuilt = None
    if copies_in(data_dir):
        if not primary.exists():
            rebuilt = await rebuild(data_dir, "is missing")
        elif primary.stat().st_size == 0:  # else opened as a new cluster's, with a new id
            rebuilt = await rebuild(data_dir, "is empty")
    try:
        return (*await _open_replayed(primary, new_cluster_id), rebuilt)
    except (sqlite3.DatabaseError, MetadataDamaged) as error:
        # IntegrityError / ProgrammingError would be kafkatui's bugs, not the disk's.
        if rebuilt is not None or isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
            raise
        rebuilt = await rebuild(data_dir, f"is damaged ({error})")
        if rebuilt is None:
            raise
    return (*await _open_replayed(primary, new_cluster_id), rebuilt)
