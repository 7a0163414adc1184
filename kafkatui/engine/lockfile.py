"""One owner per data directory: `kafkatui.lock`, held with `flock` by the process that owns
the cluster (Kafka's `.lock` file in each log directory, taken by `LogManager.lockLogDirs`).

The file also says who the owner is (pid, command, and the wire listeners once it serves
them), so a second process can name it, or attach to it as a Kafka client.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

LOCK_FILE = "kafkatui.lock"


class DataDirLockedError(Exception):
    """Another process owns the data directory (Kafka's 'Failed to acquire lock')."""

    name = "DATA_DIR_LOCKED"

    def __init__(self, data_dir: Path, owner: Mapping[str, Any]) -> None:
        self.data_dir = data_dir
        self.owner = dict(owner)
        pid = owner.get("pid", "?")
        command = owner.get("command", "kafkatui")
        listeners = owner.get("listeners")
        serving = f", Kafka clients can use {listeners}" if listeners else ""
        super().__init__(
            f"{data_dir} is in use by pid {pid} ({command}{serving}); stop it or use another --data-dir"
        )


class DataDirLock:
    """An exclusive `flock` on the data dir; released by the OS if the owner dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None
        self.owner: dict[str, Any] | None = None

    def acquire(self, command: str) -> None:
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the cluster's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                owner = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                owner = {}
            handle.close()
            raise DataDirLockedError(self.path.parent, owner) from None
        self._file = handle
        self.record({"pid": os.getpid(), "command": command})

    def record(self, owner: Mapping[str, Any]) -> None:
        """Write what a second process is told about the owner (pid, command, listeners)."""
        if self._file is not None:
            self.owner = dict(owner)
            self._file.seek(0)
            self._file.truncate()
            self._file.write(json.dumps(self.owner))
            self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
