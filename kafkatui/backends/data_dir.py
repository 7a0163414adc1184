"""Who holds a data dir, asked by a second process before or instead of opening it: the
owner's record (`common/data_dir.py`) as the engine's lock file has it, read without
keeping the lock (`engine/lockfile.data_dir_owner`). Light: a command that only wants
the owner's URLs (`kafkatui connect`, `kafkatui ksql`) does not load the engine."""

from __future__ import annotations

from pathlib import Path

from kafkatui.common.data_dir import DataDirOwner
from kafkatui.engine.lockfile import data_dir_owner as _recorded


def data_dir_owner(data_dir: Path) -> DataDirOwner | None:
    """The live owner of `data_dir` and what it serves, or None when no process holds
    its lock (or there is no such directory)."""
    record = _recorded(data_dir)
    return None if record is None else DataDirOwner.from_record(data_dir, record)
