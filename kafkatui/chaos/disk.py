"""Damage to a broker's database between a clean stop and a restart: what a user's disk
(or a user) can do to a data dir, issue 17's table.

Each broker keeps its partition replicas in `<data-dir>/broker-<id>.db` (one SQLite
database, Kafka's log dir). Kafka's answer to a log dir that is gone or damaged: a
broker whose directory lost its identity is a new incarnation that must not lead what
it used to hold (KIP-858 directory ids, KIP-966 eligible leader replicas); a directory
that fails I/O or integrity checks goes offline and leadership moves (KIP-112); either
way the other replicas still have every acknowledged record.
"""

from __future__ import annotations

import enum
import random
from pathlib import Path


class Damage(enum.StrEnum):
    DELETE = "db-delete"  # the file (and its WAL) removed
    EMPTY = "db-empty"  # cut to 0 bytes
    SCRIBBLE = "db-scribble"  # random bytes written over a few places past the header page
    HALVE = "db-halve"  # cut to half its size
    ZERO_HEADER = "db-zero-header"  # the 100-byte SQLite header overwritten with zeros


SQLITE_HEADER = 100
PAGE = 4096  # SQLite's default page size: scribbles spare page 1 (the schema) to hit data


def broker_database(data_dir: Path, broker_id: int) -> Path:
    """Where a broker keeps its logs (`engine/cluster.py` names it so)."""
    return data_dir / f"broker-{broker_id}.db"


def damage(data_dir: Path, broker_id: int, kind: Damage, rng: random.Random) -> str:
    """Damage broker `broker_id`'s database (the cluster must be closed); returns what was
    done, in words."""
    path = broker_database(data_dir, broker_id)
    size = path.stat().st_size if path.exists() else 0
    if kind is Damage.DELETE:
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return f"deleted {path.name} ({size} bytes)"
    if kind is Damage.EMPTY:
        path.write_bytes(b"")
        return f"emptied {path.name} ({size} bytes)"
    if kind is Damage.HALVE:
        with path.open("r+b") as file:
            file.truncate(size // 2)
        return f"cut {path.name} from {size} to {size // 2} bytes"
    if kind is Damage.ZERO_HEADER:
        with path.open("r+b") as file:
            file.write(bytes(SQLITE_HEADER))
        return f"zeroed the header of {path.name}"
    # SCRIBBLE: a few runs of random bytes somewhere in the data pages.
    places = []
    with path.open("r+b") as file:
        for _ in range(3):
            start = (
                rng.randrange(PAGE, size)
                if size > PAGE
                else rng.randrange(SQLITE_HEADER, max(size, SQLITE_HEADER + 1))
            )
            length = rng.randint(16, 256)
            file.seek(start)
            file.write(rng.randbytes(length))
            places.append(f"{length}@{start}")
    return f"scribbled over {path.name} ({size} bytes): {', '.join(places)}"
