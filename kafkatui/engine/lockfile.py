"""One owner per data directory: `kafkatui.lock`, held with `flock` by the process that owns
the cluster (Kafka's `.lock` file in each log directory, taken by `LogManager.lockLogDirs`).

The file also says who the owner is (pid, command, and the wire listeners, the Schema
Registry's URL, the REST Proxy's, Connect's and ksqlDB's once it serves them), so a second process can name
it, or attach to it as a Kafka client, a Schema Registry client and a REST client. Before
taking it, `check_data_dir` refuses a directory kafkatui cannot or must not use.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from kafkatui.common.data_dir import CONNECT, KSQL, LISTENERS, REST_PROXY, SCHEMA_REGISTRY, DataDirLockedError
from kafkatui.common.errors import ErrorCode, KafkaError

LOCK_FILE = "kafkatui.lock"
METADATA_FILE = "cluster-metadata.db"
# The record's keys and the error a second opener gets are common/data_dir.py's: the
# backends read the record too, for the CLI, which imports nothing of the engine.
__all__ = [
    "CONNECT",
    "KSQL",
    "LISTENERS",
    "LOCK_FILE",
    "METADATA_FILE",
    "REST_PROXY",
    "SCHEMA_REGISTRY",
    "DataDirLock",
    "DataDirLockedError",
    "check_data_dir",
    "data_dir_owner",
    "storage_error",
]


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

    def advertise(self, service: str, address: str | None) -> None:
        """Record where the owner serves `service` (LISTENERS, SCHEMA_REGISTRY, REST_PROXY,
        CONNECT, KSQL), keeping what it recorded of the others; None: it no longer serves it."""
        if self.owner is not None:
            owner = {k: v for k, v in self.owner.items() if k != service}
            self.record(owner if address is None else {**owner, service: address})

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def data_dir_owner(data_dir: Path) -> dict[str, Any] | None:
    """What the live owner of `data_dir` recorded in its lock file, or None when no
    process holds the lock (a file left by one that died says nothing). Only looks: the
    lock is held for an instant at most, never kept."""
    try:
        handle = open(data_dir / LOCK_FILE)  # noqa: SIM115 - closed below
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                owner = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                return {}
            return owner if isinstance(owner, dict) else {}
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def storage_error(message: str) -> KafkaError:
    return KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, message)


# What kafkatui keeps in a data dir (SQLite adds -wal and -shm files next to a database).
# The brokers' copies of the metadata log and a damaged one kept aside
# (engine/metadata/replicas.py) are kafkatui's too, and so are what `kafkatui certs create`
# writes (wire/security/) and the users file older versions kept, imported into the
# metadata log once and renamed *.imported (engine/metadata/scram.py).
_OWN_FILES = re.compile(
    r"(cluster-metadata|broker-\d+|cluster-metadata\.broker-\d+)\.db(-wal|-shm|-journal)?"
    r"|cluster-metadata\.db\.damaged-\d+(-wal|-shm)?|kafkatui\.lock|certs|scram-credentials\.json(\.imported)?"
)
_METADATA_COPY = re.compile(r"cluster-metadata\.broker-\d+\.db")
_SQLITE_HEADER = b"SQLite format 3\x00"


def check_data_dir(path: Path) -> None:
    """Create the data dir, or refuse it naming the path, as Kafka refuses a log dir it
    cannot use at start-up ("Failed to create or validate data directory"): a file, a
    directory that cannot be made, someone else's directory (its files would get our
    databases beside them), or a database that is not SQLite (damaged, or not ours)."""
    if path.exists() and not path.is_dir():
        raise storage_error(f"the data dir {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        entries = sorted(entry.name for entry in path.iterdir())
    except OSError as error:
        raise storage_error(f"cannot create or read the data dir {path}: {error.strerror}") from None
    foreign = [name for name in entries if not _OWN_FILES.fullmatch(name)]
    if foreign and METADATA_FILE not in entries:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise storage_error(
            f"{path} is not a kafkatui data dir: it holds {', '.join(foreign[:3])}{more} and no "
            f"{METADATA_FILE}; use an empty or new directory"
        )
    # A broker's database that is damaged or not SQLite does not stop the cluster: that
    # broker starts with its log dir offline (KIP-112). Without the metadata log nothing
    # can start, so it is refused here, naming it.
    if METADATA_FILE in entries:
        try:
            with (path / METADATA_FILE).open("rb") as file:
                header = file.read(len(_SQLITE_HEADER))
        except OSError as error:
            raise storage_error(f"cannot read {path / METADATA_FILE}: {error.strerror}") from None
        copies = any(_METADATA_COPY.fullmatch(name) for name in entries)
        # With the brokers' copies it is rebuilt from them when the cluster opens.
        if header and header != _SQLITE_HEADER and not copies:  # an empty file is a new database
            raise storage_error(
                f"{path / METADATA_FILE} is not a SQLite database (damaged, or not kafkatui's): the "
                f"cluster's topics, partitions and configs are in it, so no broker starts. Restore it "
                f"from a backup, or move {path} aside and start a new cluster"
            )
