"""Checking and repairing a broker's database (its log dir): what `kafkatui broker check`
and `kafkatui broker repair` do, over kafkatui's own cluster only.

Check reads every batch of every replica the broker holds (CRC-32C, offsets, SQLite's
`integrity_check`) and says, per partition replica, what it found and where the replica
stands (in sync, rebuilding as a new incarnation, offline). Repair drops the broker's
database and starts the broker on a new one: a new incarnation (KIP-858), which leads
nothing and refetches every replica from its leader, rejoining each ISR when caught up.
Kafka has no such command: an operator replaces the disk and restarts the broker, which
is what repair does.
"""

from __future__ import annotations

import contextlib
import sqlite3

import aiosqlite

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.log_dirs import BrokerCheck, ReplicaReport
from kafkatui.engine.controller.log_dirs import eligible_brokers, rebuilding
from kafkatui.engine.faults import FaultInjection
from kafkatui.engine.log.log_dir import DatabaseCheck, ReplicaCheck, check_database


class LogDirControls(FaultInjection):
    """`check_broker` and `repair_broker`; part of `Cluster`."""

    async def check_broker(self, broker_id: int) -> BrokerCheck:
        """Read and check every batch of the broker's database (a running cluster keeps
        serving meanwhile; nothing is changed, nothing is taken offline)."""
        broker = self._broker(broker_id)
        found = await self._read_check(broker_id)
        registered = self.metadata.brokers.get(broker_id)
        failure = broker.storage.failure
        offline_reason = failure.reason if failure is not None else None
        if offline_reason is None and registered is not None:
            offline_reason = registered.offline_reason
        logs = {(r.topic, r.partition): r for r in found.replicas}
        reports = []
        for topic in sorted(self.metadata.topics.values(), key=lambda t: t.name):
            for p in topic.partitions:
                if broker_id not in p.replicas:
                    continue
                log = logs.get((topic.name, p.partition))
                reports.append(self._report(topic.name, p.partition, log, found, offline_reason, broker_id))
        return BrokerCheck(
            broker_id,
            self._where(broker_id),
            offline_reason is None,
            offline_reason,
            registered.directory_id if registered is not None else "",
            found.identity.directory_id if found.identity is not None else None,
            tuple(found.sqlite),
            found.unreadable,
            tuple(reports),
        )

    async def _read_check(self, broker_id: int) -> DatabaseCheck:
        storage = self._broker(broker_id).storage
        if not storage.offline:
            return await storage.check()
        path = self.database_path(broker_id)
        if path is None or not path.exists():
            reason = storage.failure.reason if storage.failure else "closed"
            return DatabaseCheck(None, [], [], unreadable=reason)
        try:  # its own read-only connection: the broker's is closed, being offline
            db = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error as error:
            return DatabaseCheck(None, [], [], unreadable=str(error))
        try:
            return await check_database(db)
        finally:
            with contextlib.suppress(sqlite3.Error):
                await db.close()

    def _report(
        self,
        topic: str,
        partition: int,
        log: ReplicaCheck | None,
        found: DatabaseCheck,
        offline_reason: str | None,
        broker_id: int,
    ) -> ReplicaReport:
        p = self.metadata.topics[topic].partitions[partition]
        where = (log.batches, log.first_offset, log.last_offset) if log is not None else (0, -1, -1)
        if log is not None and log.problems:
            return ReplicaReport(topic, partition, "damaged", "; ".join(log.problems), *where)
        if found.unreadable is not None:
            return ReplicaReport(topic, partition, "damaged", f"unreadable: {found.unreadable}", *where)
        if offline_reason is not None:
            return ReplicaReport(
                topic, partition, "offline", f"the log dir is offline: {offline_reason}", *where
            )
        if log is None:
            return ReplicaReport(
                topic, partition, "missing", "assigned here, but the database has no log for it"
            )
        if broker_id in rebuilding(self.metadata, p):
            detail = (
                f"a new incarnation refetching from broker {p.leader}"
                if p.leader >= 0
                else "a new incarnation"
            )
            return ReplicaReport(topic, partition, "rebuilding", detail, *where)
        if broker_id not in p.isr:
            return ReplicaReport(
                topic, partition, "out-of-sync", "readable; catching up with its leader", *where
            )
        role = "leader" if p.leader == broker_id else "in sync"
        return ReplicaReport(topic, partition, "ok", f"every batch matches its CRC ({role})", *where)

    async def repair_broker(self, broker_id: int, *, force: bool = False) -> list[tuple[str, int]]:
        """Drop the broker's database and start it on a new one (a new incarnation): it
        refetches every replica from its leader. Refused, unless `force`, where another
        replica has nothing to rebuild from (the broker holds the partition's only
        in-sync copy, and no eligible leader replica is running): returns the partitions it rebuilds."""
        broker = self._broker(broker_id)
        self.quorum.require_active()
        hosted = [
            (t.name, p)
            for t in self.metadata.topics.values()
            for p in t.partitions
            if broker_id in p.replicas
        ]
        others = eligible_brokers(self.metadata, exclude=broker_id)
        # A live eligible leader replica (KIP-966) holds every committed record too.
        alone = [
            f"{name}-{p.partition}"
            for name, p in hosted
            if not any(b in others for b in (*p.isr, *p.eligible_leader_replicas))
        ]
        if alone and not force:
            shown = ", ".join(alone[:5]) + (f" and {len(alone) - 5} more" if len(alone) > 5 else "")
            raise KafkaError(
                ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
                f"no other in-sync replica to rebuild {shown} from: repairing broker {broker_id} would "
                "lose their records. Start the brokers holding them first, or repair with --force "
                "to accept that",
            )
        if broker.running:
            await self.stop_broker(broker_id)
        await self._drop_database(broker_id)
        await self.start_broker(broker_id)
        return [(name, p.partition) for name, p in hosted]

    async def lose_database(self, broker_id: int) -> None:
        """A fault: a stopped broker's database is gone (deleted, or emptied), as a disk or
        a user can leave it. The broker finds a new, empty one when it starts: a new
        incarnation (`_register_log_dir`), unlike `repair_broker` nothing is checked first."""
        if self._broker(broker_id).running:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST,
                f"broker {broker_id} is running: stop or crash it before its database can be deleted",
            )
        await self._drop_database(broker_id)

    async def _drop_database(self, broker_id: int) -> None:
        broker = self._broker(broker_id)
        await broker.storage.close()
        path = self.database_path(broker_id)
        if path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        broker.use_storage(await self._open_storage(broker_id))
