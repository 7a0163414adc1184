"""What `kafkatui broker check` answers (`EngineControls.check_broker`): a broker's
database, replica by replica. Shared by the engine, which fills it, and the backends
and the CLI, which show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaReport:
    """One partition replica as `broker check` reports it. `status`: ok, damaged,
    missing (assigned here, no log in the database), rebuilding (a new incarnation
    refetching), out-of-sync, offline (the log dir is)."""

    topic: str
    partition: int
    status: str
    detail: str
    batches: int = 0
    first_offset: int = -1
    last_offset: int = -1


@dataclass(frozen=True)
class BrokerCheck:
    """`broker check`'s answer for one broker."""

    broker_id: int
    path: str
    online: bool
    offline_reason: str | None
    directory_id: str  # as the controller has it registered (KIP-858)
    database_directory_id: str | None  # as the database says; None if it cannot be read
    sqlite: tuple[str, ...]  # SQLite's integrity_check messages (empty: "ok")
    unreadable: str | None
    replicas: tuple[ReplicaReport, ...]

    @property
    def damaged(self) -> bool:
        return bool(self.sqlite or self.unreadable or any(r.status == "damaged" for r in self.replicas))
