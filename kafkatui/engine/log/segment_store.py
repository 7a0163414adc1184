"""The broker database's part that segments, retention and the log cleaner use
(`cleaner.py`): a log's batch index without the bytes, where closed segments start
(recorded once found, so cleaning never moves a boundary), retention's delete below an
offset, and the cleaner's checkpoint and its swap of cleaned batches (Kafka's
`replaceSegments`), each in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from kafkatui.engine.log.database import guarded
from kafkatui.engine.log.records import BatchHeader


@dataclass(frozen=True, slots=True)
class BatchIndexEntry:
    """A batch's place in the log, without its bytes (for segments and retention)."""

    base_offset: int
    last_offset: int
    size: int
    max_timestamp: int


def batch_row(log_id: int, h: BatchHeader, data: bytes) -> tuple[object, ...]:
    return (
        log_id, h.base_offset, h.last_offset, h.max_timestamp, h.producer_id, h.producer_epoch,
        h.base_sequence, h.attributes, h.partition_leader_epoch, h.records_count, h.size, data,
    )  # fmt: skip


class SegmentStore:
    """`BrokerStorage`'s segment and cleaner part. `BrokerStorage` provides these, and
    `_busy` and `fail` for the `guarded` wrapper."""

    _db: aiosqlite.Connection  # the connection, or the database's failure raised
    _write_lock: asyncio.Lock

    @guarded
    async def batch_index(self, log_id: int, from_offset: int = 0) -> list[BatchIndexEntry]:
        """The log's batches from `from_offset` on, without their bytes."""
        with self._busy():
            async with self._db.execute(
                "SELECT base_offset, last_offset, size, max_timestamp FROM batches "
                "WHERE log_id = ? AND last_offset >= ? ORDER BY last_offset",
                (log_id, from_offset),
            ) as cursor:
                return [BatchIndexEntry(*row) async for row in cursor]

    @guarded
    async def segment_bases(self, log_id: int) -> list[int]:
        with self._busy():
            async with self._db.execute(
                "SELECT base_offset FROM segments WHERE log_id = ? ORDER BY base_offset", (log_id,)
            ) as cursor:
                return [int(row[0]) async for row in cursor]

    @guarded
    async def save_segment_bases(self, log_id: int, bases: Sequence[int]) -> None:
        """Record where closed segments start; boundaries from `bases[0]` on are replaced."""
        with self._busy():
            if not bases:
                return
            async with self._write_lock:
                await self._db.execute("BEGIN")
                try:
                    await self._db.execute(
                        "DELETE FROM segments WHERE log_id = ? AND base_offset >= ?", (log_id, bases[0])
                    )
                    await self._db.executemany(
                        "INSERT INTO segments VALUES (?, ?)", [(log_id, base) for base in bases]
                    )
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._db.execute("ROLLBACK")
                    raise

    @guarded
    async def delete_before(self, log_id: int, offset: int) -> int:
        """Retention: drop the batches below `offset` and move the log start offset there;
        returns the bytes freed."""
        with self._busy():
            async with self._write_lock:
                async with self._db.execute(
                    "SELECT COALESCE(SUM(size), 0) FROM batches WHERE log_id = ? AND last_offset < ?",
                    (log_id, offset),
                ) as cursor:
                    (freed,) = await cursor.fetchone()  # type: ignore[misc]
                await self._db.execute("BEGIN")
                try:
                    await self._db.execute(
                        "DELETE FROM batches WHERE log_id = ? AND last_offset < ?", (log_id, offset)
                    )
                    await self._db.execute(
                        "DELETE FROM segments WHERE log_id = ? AND base_offset < ?", (log_id, offset)
                    )
                    await self._db.execute(
                        "UPDATE logs SET log_start_offset = MAX(log_start_offset, ?) WHERE log_id = ?",
                        (offset, log_id),
                    )
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._db.execute("ROLLBACK")
                    raise
            return int(freed)

    @guarded
    async def cleaner_checkpoint(self, log_id: int) -> int:
        with self._busy():
            async with self._db.execute(
                "SELECT cleaner_checkpoint FROM logs WHERE log_id = ?", (log_id,)
            ) as c:
                row = await c.fetchone()
            return 0 if row is None else int(row[0])

    @guarded
    async def replace_batches(
        self,
        log_id: int,
        first: int,
        end: int,
        batches: Sequence[tuple[BatchHeader, bytes]],
        checkpoint: int,
    ) -> int:
        """The log cleaner's swap (Kafka's `replaceSegments`): the batches in offsets
        [first, end) become `batches` (the same offsets, fewer records), and the cleaner
        checkpoint moves to `checkpoint`, in one transaction. Returns the bytes freed."""
        with self._busy():
            async with self._write_lock:
                async with self._db.execute(
                    "SELECT COALESCE(SUM(size), 0) FROM batches WHERE log_id = ? AND base_offset >= ? "
                    "AND last_offset < ?",
                    (log_id, first, end),
                ) as cursor:
                    (before,) = await cursor.fetchone()  # type: ignore[misc]
                await self._db.execute("BEGIN")
                try:
                    await self._db.execute(
                        "DELETE FROM batches WHERE log_id = ? AND base_offset >= ? AND last_offset < ?",
                        (log_id, first, end),
                    )
                    await self._db.executemany(
                        "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [batch_row(log_id, h, data) for h, data in batches],
                    )
                    await self._db.execute(
                        "UPDATE logs SET cleaner_checkpoint = ? WHERE log_id = ?", (checkpoint, log_id)
                    )
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._db.execute("ROLLBACK")
                    raise
            return int(before) - sum(h.size for h, _ in batches)
