"""A task's local state on disk: one SQLite file per task,
`<state.dir>/<application.id>/<task id>/state.db` (where Kafka keeps a RocksDB per store
and a `.checkpoint` file). The stores' entries as bytes and the checkpoint — per
changelog partition, the next offset the file already reflects — are written in one
SQLite transaction at each commit, so the two never disagree: a restart loads the file,
then restores only the changelog past the checkpoint. Without a checkpoint the file is
not trusted and the changelog is read from its start (Kafka wipes such a store too)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import aiosqlite

from kafkatui.ecosystem.streams.registry_serdes import prefetch_store_record
from kafkatui.ecosystem.streams.stores import KeyValueStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (store TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                    PRIMARY KEY (store, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint (topic TEXT NOT NULL, partition INTEGER NOT NULL,
                                       next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition));
"""


class TaskState:
    def __init__(self, state_dir: Path, application_id: str, task_id: str) -> None:
        self.path = state_dir / application_id / task_id / "state.db"
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> dict[tuple[str, int], int]:
        """Open (or create) the file; answers the checkpoint."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.executescript(SCHEMA)
        await self._db.commit()
        async with self._db.execute("SELECT topic, partition, next_offset FROM checkpoint") as rows:
            return {(t, p): o async for t, p, o in rows}

    async def load(self, stores: dict[str, KeyValueStore]) -> int:
        assert self._db is not None
        loaded = 0
        async with self._db.execute("SELECT store, key, value FROM entries") as rows:
            async for store, key, value in rows:
                if store in stores:
                    await prefetch_store_record(stores[store], key, value)  # registry serdes' schemas
                    stores[store].restore(bytes(key), bytes(value))
                    loaded += 1
        return loaded

    async def wipe(self) -> None:
        assert self._db is not None
        await self._db.execute("DELETE FROM entries")
        await self._db.execute("DELETE FROM checkpoint")
        await self._db.commit()

    async def flush(self, stores: dict[str, KeyValueStore], checkpoint: dict[tuple[str, int], int]) -> None:
        """The stores' changes since the last flush, and the checkpoint, as one transaction."""
        assert self._db is not None
        puts, deletes = [], []
        for store in stores.values():
            for key, value in store.dirty.items():
                if value is None:
                    deletes.append((store.name, key))
                else:
                    puts.append((store.name, key, value))
            store.dirty = {}
        await self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", puts)
        await self._db.executemany("DELETE FROM entries WHERE store = ? AND key = ?", deletes)
        await self._db.executemany(
            "INSERT OR REPLACE INTO checkpoint VALUES (?, ?, ?)",
            [(t, p, o) for (t, p), o in checkpoint.items()],
        )
        await self._db.commit()

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()


def process_id(state_dir: Path, application_id: str) -> str:
    """The instance's process id, kept in `<state.dir>/<application.id>/kafka-streams-process-metadata`
    as Kafka has done since 3.4 (KAFKA-10716): a restart on the same state directory is
    the same process to the group's assignor and to the transaction coordinator."""
    path = state_dir / application_id / "kafka-streams-process-metadata"
    try:
        found = json.loads(path.read_text())["processId"]
        return str(uuid.UUID(found))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    made = str(uuid.uuid4())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"processId": made}))
    return made
