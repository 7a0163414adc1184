"""What a cluster is made of, wired together, and how to find things in it; `Cluster`
(`cluster.py`) is the facade built on it, with the parts in `coordinator_apis.py`,
`faults.py` and `scenario.py`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import random
import uuid
from pathlib import Path

from kafkatui.common.admin import LinkState
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus, LinkChanged, LogDirFailed, LogDirNewIncarnation
from kafkatui.engine.controller.controller import Controller
from kafkatui.engine.controller.quorum import ControllerQuorum
from kafkatui.engine.lockfile import DataDirLock
from kafkatui.engine.log.cleaner import LogHousekeeping
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.log_dir import LogDirFailure, StorageIdentity, StorageUnavailable
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.metadata.image import MetadataImage, MetadataLog, TopicInfo
from kafkatui.engine.server.broker import Broker
from kafkatui.engine.server.network import Network

_NOT_REPAIRED = " (found earlier; not repaired)"


def kafka_uuid(rng: random.Random | None = None) -> str:
    """A Kafka `Uuid` in its text form (22 characters of URL-safe base64): random, or
    drawn from `rng` (an in-memory cluster's seed)."""
    bits = uuid.uuid4() if rng is None else uuid.UUID(int=rng.getrandbits(128), version=4)
    return base64.urlsafe_b64encode(bits.bytes).rstrip(b"=").decode()


class ClusterCore:
    """A small Kafka cluster's parts: N brokers with their own SQLite databases, the
    controller and its quorum, the network between brokers, the log housekeeping, the
    data dir's lock, one clock, RNG and event bus."""

    def __init__(
        self,
        data_dir: Path | None,
        clock: Clock,
        rng: random.Random,
        bus: EventBus,
        controller: Controller,
        metadata_log: MetadataLog,
        lock: DataDirLock | None,
        network: Network | None = None,
        ids: random.Random | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.rng = rng
        self.bus = bus
        self.controller = controller
        self._metadata_log = metadata_log
        self._lock = lock
        self.brokers: dict[int, Broker] = {}
        self.defaults = controller.defaults
        self.network = network or Network(random.Random())
        self.network.on_change = self._link_changed
        # Directory ids (KIP-858) must differ from every earlier one of this data dir, so
        # on disk they are random; in memory they follow the seed, like topic ids.
        self._ids = ids
        # Every LogDirFailed / LogDirNewIncarnation so far, those of the start-up too
        # (published before anyone could subscribe): the workbench shows them on opening.
        self.log_dir_events: list[LogDirFailed | LogDirNewIncarnation] = []
        self.quorum = ControllerQuorum(controller, self.brokers, self.network, clock, bus, self.defaults)
        self.errors: list[BaseException] = []
        self.quorum.on_error = self.errors.append
        self._txn_timeouts: asyncio.Task[None] | None = None
        self.housekeeping = LogHousekeeping(
            self.brokers, self._topic_config, clock, bus,
            cleaner_backoff_ms=self.defaults.log_cleaner_backoff_ms,
            retention_check_interval_ms=self.defaults.log_retention_check_interval_ms,
        )  # fmt: skip
        # Topic admin and ElectLeaders are the controller's own requests, which it answers
        # only while the quorum has an active controller (NOT_CONTROLLER otherwise).
        self.create_topic = self.quorum.through_active(controller.create_topic)
        self.delete_topic = self.quorum.through_active(controller.delete_topic)
        self.create_partitions = self.quorum.through_active(controller.create_partitions)
        self.alter_topic_configs = self.quorum.through_active(controller.alter_topic_configs)
        self.elect_leaders = self.quorum.through_active(controller.elect_leaders)

    def _topic_config(self, name: str) -> TopicConfig | None:
        info = self.metadata.topics.get(name)
        return None if info is None else info.config

    def _link_changed(self, link: LinkState) -> None:
        self.bus.publish(
            LinkChanged(
                timestamp_ms=self.clock.now_ms(), a=link.a, b=link.b, latency_ms=link.latency_ms,
                loss=link.loss, cut=link.cut,
            )
        )  # fmt: skip

    # --- log dirs: each broker's database (KIP-858 identity, KIP-112 failures) -------------

    def new_uuid(self) -> str:
        return kafka_uuid(self._ids)

    def database_path(self, broker_id: int) -> Path | None:
        return self.data_dir / f"broker-{broker_id}.db" if self.data_dir else None

    def _where(self, broker_id: int) -> str:
        path = self.database_path(broker_id)
        return str(path) if path is not None else f"broker {broker_id}'s in-memory database"

    async def _open_storage(self, broker_id: int) -> BrokerStorage:
        """Open and check a broker's database; one that fails comes back offline."""
        return await BrokerStorage.open(self.database_path(broker_id), broker_id)

    def _new_incarnation_reason(self, broker: Broker) -> str | None:
        """Why the broker's database is not the one its replicas were in (KIP-858), or
        None when it is (or when nothing was ever recorded for it to differ from)."""
        storage, broker_id = broker.storage, broker.broker_id
        registered = self.metadata.brokers.get(broker_id)
        known = registered.directory_id if registered is not None else ""
        hosts = any(broker_id in p.replicas for t in self.metadata.topics.values() for p in t.partitions)
        identity = storage.identity
        if identity is None:
            if storage.created and (known or hosts):
                return "its database is new (the file was missing or empty)"
            if known:
                return "its database has no directory id"
            return None  # a new broker, or a database from before directory ids
        if identity.cluster_id != self.metadata.cluster_id:
            return f"its database belongs to cluster {identity.cluster_id}, not {self.metadata.cluster_id}"
        if identity.broker_id != broker_id:
            return f"its database is broker {identity.broker_id}'s"
        if known and identity.directory_id != known:
            return f"its database is directory {identity.directory_id}, its replicas were in {known}"
        return None

    async def _register_log_dir(self, broker: Broker) -> None:
        """Tell the controller which directory a (re)starting broker has: the same one
        (its replicas carry on), a new incarnation (they rebuild from their leaders), or
        an offline one (its replicas are out, with the reason)."""
        storage, broker_id = broker.storage, broker.broker_id
        registered = self.metadata.brokers.get(broker_id)
        why_new = None if storage.offline else self._new_incarnation_reason(broker)
        identity = storage.identity
        if identity is not None and (
            identity.cluster_id != self.metadata.cluster_id or identity.broker_id != broker_id
        ):
            # Another cluster's or broker's logs: their leader epochs mean nothing here,
            # so no truncation could make them a copy of ours. Kept aside, never deleted.
            kept = await self._set_aside(broker, identity)
            why_new = f"{why_new}; it was kept aside as {kept}" if kept else why_new
            storage, identity = broker.storage, None
        if not storage.offline and (
            identity is None
            or identity.cluster_id != self.metadata.cluster_id
            or identity.broker_id != broker_id
        ):
            identity = StorageIdentity(self.metadata.cluster_id, broker_id, self.new_uuid())
            with contextlib.suppress(LogDirFailure):  # offline now: registered as such below
                await storage.stamp(identity)
        directory_id = identity.directory_id if identity else (registered.directory_id if registered else "")
        offline: tuple[str, bool] | None = None
        if storage.failure is not None:
            offline = (storage.failure.reason, storage.failure.damaged)
            why_new = None
        elif (
            why_new is None
            and registered is not None
            and registered.damaged
            and registered.directory_id == directory_id
        ):
            # Damage found in an earlier run stays until the broker is repaired.
            earlier = str(registered.offline_reason)
            offline = (earlier if earlier.endswith(_NOT_REPAIRED) else earlier + _NOT_REPAIRED, True)
        unchanged = (
            registered is not None
            and why_new is None
            and directory_id
            and registered.directory_id == directory_id
            and (registered.offline_reason, registered.damaged) == (offline or (None, False))
        )
        if not unchanged:
            await self.controller.register_log_dir(
                broker_id, directory_id, new_incarnation=why_new is not None, offline=offline
            )
        now = self.clock.now_ms()
        if offline is not None:  # said at every start while it lasts
            self._log_dir_event(
                LogDirFailed(
                    timestamp_ms=now, broker_id=broker_id, path=self._where(broker_id), reason=offline[0],
                    damaged=offline[1],
                )
            )  # fmt: skip
        if why_new is not None:
            rebuilt = sum(
                broker_id in p.replicas for t in self.metadata.topics.values() for p in t.partitions
            )
            self._log_dir_event(
                LogDirNewIncarnation(
                    timestamp_ms=now, broker_id=broker_id, path=self._where(broker_id), reason=why_new,
                    directory_id=directory_id, partitions=rebuilt,
                )
            )  # fmt: skip

    async def _set_aside(self, broker: Broker, identity: StorageIdentity) -> str | None:
        """Move a foreign database out of the way and give the broker a new one; returns
        the name it was kept under (None in memory, where it is simply replaced)."""
        await broker.storage.close()
        path = self.database_path(broker.broker_id)
        kept = None
        if path is not None:
            kept = f"{path.name}.from-cluster-{identity.cluster_id}-broker-{identity.broker_id}"
            for suffix in ("-wal", "-shm", ""):
                source = path.with_name(path.name + suffix)
                if source.exists():
                    source.rename(path.with_name(kept + suffix))
        broker.use_storage(await self._open_storage(broker.broker_id))
        return kept

    def _log_dir_event(self, event: LogDirFailed | LogDirNewIncarnation) -> None:
        self.log_dir_events.append(event)
        self.bus.publish(event)

    async def _report_log_dir_failure(self, broker_id: int, failure: LogDirFailure) -> None:
        """A running broker's database failed (KIP-112): announce it, and the controller
        moves leadership off it."""
        self._log_dir_event(
            LogDirFailed(
                timestamp_ms=self.clock.now_ms(), broker_id=broker_id, path=self._where(broker_id),
                reason=failure.reason, damaged=failure.damaged,
            )
        )  # fmt: skip
        try:
            await self.controller.fail_log_dir(broker_id, failure.reason, damaged=failure.damaged)
        except Exception as error:  # the metadata log's own disk too: `leader()` says so
            if self._metadata_log.failure is None:
                self.errors.append(error)

    # --- metadata --------------------------------------------------------------------

    @property
    def metadata(self) -> MetadataImage:
        return self.controller.image

    def topic(self, name: str) -> TopicInfo:
        """The topic's metadata, or UNKNOWN_TOPIC_OR_PARTITION."""
        return self.controller.topic(name)

    def topic_names(self, *, include_internal: bool = False) -> list[str]:
        return sorted(n for n, t in self.metadata.topics.items() if include_internal or not t.is_internal)

    def leader(self, topic: str, partition: int) -> Broker:
        """The broker leading a partition (as clients find it through Metadata)."""
        info = self.topic(topic)
        if not 0 <= partition < len(info.partitions):
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic '{topic}' has no partition {partition} "
                f"(it has {len(info.partitions)}: 0..{len(info.partitions) - 1})",
            )
        p = info.partitions[partition]
        if self._metadata_log.failure is not None:
            raise StorageUnavailable(
                f"the metadata log cannot be written ({self._metadata_log.failure}): the controller cannot "
                "move leaders or change anything; free the disk and restart kafkatui"
            )
        registrations = self.metadata.brokers
        failed = [b for b in p.isr if b in registrations and not registrations[b].dir_online]
        if p.leader == -1 and p.isr and len(failed) == len(p.isr):
            reasons = "; ".join(f"{self._where(b)}: {registrations[b].offline_reason}" for b in failed)
            raise StorageUnavailable(
                f"{topic}-{partition} is offline: the log dir of its last in-sync replica (broker "
                f"{', '.join(map(str, failed))}) is offline ({reasons})"
            )
        if p.leader == -1:
            if p.isr:
                waiting = f"waiting for broker {', '.join(map(str, p.isr))}, its last in-sync replica"
            elif p.eligible_leader_replicas:  # KIP-966: any of them may lead, with every record
                brokers = ", ".join(map(str, p.eligible_leader_replicas))
                waiting = f"waiting for broker {brokers}, an eligible leader replica"
            else:
                waiting = "no replica has all its records any more"
            raise KafkaError(
                ErrorCode.LEADER_NOT_AVAILABLE,
                f"{topic}-{partition} is offline ({waiting}); unclean.leader.election.enable=true or an "
                "unclean election lets an out-of-sync replica lead, losing what it lacks",
            )
        leader = p.leader
        if leader not in self.brokers:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, f"{topic}-{partition} has no leader right now")
        return self.brokers[leader]

    def _broker(self, broker_id: int) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            raise KafkaError(
                ErrorCode.BROKER_NOT_AVAILABLE,
                f"there is no broker {broker_id} (brokers: {', '.join(map(str, sorted(self.brokers)))})",
            )
        return broker

    @property
    def controller_id(self) -> int:
        """The broker holding the active controller role, or -1 during an election."""
        return self.quorum.active
