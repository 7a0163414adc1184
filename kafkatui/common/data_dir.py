"""Who owns a data dir: the live kafkatui process holding its lock file, and where it
serves the cluster, as it recorded there.

The engine takes the lock and writes the record (`engine/lockfile.py`, as Kafka's
`LogManager.lockLogDirs` takes a `.lock` per log dir); a second kafkatui process reads it
through the backends (`backends/data_dir.py`) to name the owner or attach to it as a
client. What both sides share is here: the record's keys, its typed form, and the error
a second opener gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

# What the owner serves, as recorded in the lock file: the wire listeners (`host:port,...`),
# the Schema Registry's URL, the REST Proxy's, the Connect worker's REST API and ksqlDB's.
LISTENERS = "listeners"
SCHEMA_REGISTRY = "schema_registry"
REST_PROXY = "rest_proxy"
CONNECT = "connect"
KSQL = "ksql"
Service = Literal["listeners", "schema_registry", "rest_proxy", "connect", "ksql"]


class DataDirLockedError(Exception):
    """Another process owns the data directory (Kafka's 'Failed to acquire lock')."""

    name = "DATA_DIR_LOCKED"

    def __init__(self, data_dir: Path, owner: Mapping[str, Any]) -> None:
        self.data_dir = data_dir
        self.owner = dict(owner)  # the lock file's record, as the owner wrote it
        pid = owner.get("pid", "?")
        command = owner.get("command", "kafkatui")
        listeners = owner.get(LISTENERS)
        serving = f", Kafka clients can use {listeners}" if listeners else ""
        super().__init__(
            f"{data_dir} is in use by pid {pid} ({command}{serving}); stop it or use another --data-dir"
        )


@dataclass(frozen=True)
class DataDirOwner:
    """The live kafkatui process holding a data dir's lock: who it is, and where it
    serves the cluster (None: it does not serve that)."""

    locked: DataDirLockedError  # what to raise when it does not serve what is asked
    data_dir: Path
    name: str  # "the kafkatui process PID"
    listeners: str | None  # the wire listeners, host:port,...
    schema_registry: str | None  # the Schema Registry's URL
    rest_proxy: str | None = None  # the REST Proxy's URL
    connect: str | None = None  # its Connect worker's REST API
    ksql: str | None = None  # its ksqlDB server's REST API

    @classmethod
    def of(cls, locked: DataDirLockedError) -> DataDirOwner:
        record = locked.owner
        return cls(
            locked,
            locked.data_dir,
            f"the kafkatui process {record.get('pid', '?')}",
            *(record.get(key) or None for key in (LISTENERS, SCHEMA_REGISTRY, REST_PROXY, CONNECT, KSQL)),
        )

    @classmethod
    def from_record(cls, data_dir: Path, record: Mapping[str, Any]) -> DataDirOwner:
        return cls.of(DataDirLockedError(data_dir, record))

    def url(self, service: Service) -> str | None:
        """Where it serves `service` (a key of the record: LISTENERS, CONNECT, KSQL …)."""
        return getattr(self, service)  # the fields are named as the record's keys
