"""The backend over kafkatui's own engine, running in the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from kafkatui.backends.base import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    AbortedRange,
    BatchView,
    BrokerState,
    BrokerView,
    EngineControls,
    Feature,
    FeatureUnavailable,
    IdempotenceView,
    Listeners,
    LogLayout,
    LogRecordView,
    ProduceRequest,
    ProduceTrace,
    SegmentView,
    StableOffsets,
    TraceStep,
    no_auto_create,
)
from kafkatui.backends.embedded_controls import EmbeddedControls
from kafkatui.backends.embedded_groups import EmbeddedGroups, WorkbenchConsumer
from kafkatui.backends.embedded_members import EmbeddedMembers
from kafkatui.backends.embedded_transactions import EmbeddedTransactions, WorkbenchTransaction
from kafkatui.backends.trace import partition_step, send_step, serialize_step
from kafkatui.common.acl import AclBinding, AclBindingFilter, AclOperation, ResourceType
from kafkatui.common.admin import ConfigEntry, LinkState, TopicDescription
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import Clock
from kafkatui.common.connections import ConnectedClient, ListenerView
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import LogDirFailed, LogDirNewIncarnation
from kafkatui.common.scram import UserScramDeletion, UserScramUpsertion
from kafkatui.engine.clients.assignors import ASSIGNORS
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.controller.scram import ScramDeletion, ScramUpsertion
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC
from kafkatui.engine.coordinator.transaction.coordinator import TRANSACTION_STATE_TOPIC
from kafkatui.engine.metadata.authorizer import Authorizer, AuthorizerConfig
from kafkatui.engine.metadata.scram import CODE_OF, salted_password
from kafkatui.engine.server.config import BrokerDefaults


def log_dir_notice(event: LogDirFailed | LogDirNewIncarnation) -> str:
    """One line for a broker database that went offline or was replaced: which file,
    which broker, and what to do."""
    b = event.broker_id
    if isinstance(event, LogDirNewIncarnation):
        return (
            f"broker {b}'s database {event.path}: {event.reason}. Broker {b} starts as a new incarnation: "
            f"it leads none of its {event.partitions} partition(s) and refetches them from their leaders, "
            "rejoining each ISR when caught up"
        )
    todo = (
        f"`kafkatui broker check {b}` shows what is damaged, `kafkatui broker repair {b}` rebuilds it "
        "from the other replicas"
        if event.damaged
        else f"it is opened again when broker {b} restarts (`kafkatui broker stop {b}`, then start)"
    )
    return (
        f"broker {b}'s database {event.path} is offline: {event.reason}. The cluster runs without it "
        f"(its partitions are led by in-sync replicas elsewhere); {todo}"
    )


class EmbeddedBackend(EmbeddedGroups, EmbeddedMembers, EmbeddedTransactions):
    """A cluster inside this process; the TUI's default backend."""

    supports_faults = True
    assignors = ASSIGNORS
    faults_unsupported_reason = ""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.bus = cluster.bus
        self.clock = cluster.clock
        self._producers: dict[tuple[str, bool, str], Producer] = {}
        # What each (acks, enable.idempotence as asked, compression.type) resolved to, so
        # a send does not build and check a ProducerConfig again.
        self._asked: dict[tuple[str, bool | None, str], Producer] = {}
        self._disk: dict[int, int] = {}
        self._consumers: dict[int, WorkbenchConsumer] = {}
        self._transactions: dict[str, WorkbenchTransaction] = {}
        self._last_idempotent: Producer | None = None
        self._listeners: Listeners | None = None
        # For the person at the workbench (or the command line) when it opens: first
        # any broker database found offline or replaced at start-up.
        self.notices: list[str] = [log_dir_notice(e) for e in cluster.log_dir_events]
        self.connect: str | None = None  # a Connect cluster of the user's own (--connect-url)
        if cluster.metadata_rebuilt is not None:  # cluster-metadata.db rebuilt from a broker's copy
            self.notices.insert(0, cluster.metadata_rebuilt.message)
        self._controls = EmbeddedControls(cluster)
        self._next_consumer_id = 1

    @classmethod
    async def open(
        cls,
        data_dir: Path | str | None = None,
        *,
        brokers: int | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
        broker_configs: Mapping[str, str | int | bool] | None = None,
        command: str = "kafkatui",
    ) -> EmbeddedBackend:
        """kafkatui's own cluster in `data_dir` (None: in memory), and this backend over
        it: where a lesson, a CLI command and `kafkatui serve` start. `broker_configs`
        are server.properties settings by Kafka's names (`broker.session.timeout.ms`),
        over Kafka's defaults (INVALID_CONFIG for an unknown name or a bad value); a
        `seed` with a ManualClock makes an in-memory cluster play out the same every
        time. `command` is what the data dir's lock file says holds it."""
        defaults = BrokerDefaults.from_properties(broker_configs) if broker_configs else None
        cluster = await Cluster.open(
            data_dir, brokers=brokers, clock=clock, seed=seed, defaults=defaults, command=command
        )
        return cls(cluster)

    @property
    def data_dir(self) -> Path | None:
        """Where the cluster lives; None in memory."""
        return self.cluster.data_dir

    @property
    def description(self) -> str:
        where = str(self.cluster.data_dir) if self.cluster.data_dir else "in memory"
        return f"embedded cluster · {len(self.cluster.brokers)} brokers · {where}"

    def unavailable(self, feature: Feature) -> str | None:
        # It owns the brokers: everything is possible, unless faults are switched off.
        if feature in (Feature.STOP_BROKER, Feature.NETWORK) and not self.supports_faults:
            return self.faults_unsupported_reason
        return None

    def engine_controls(self, feature: Feature) -> EngineControls:
        reason = self.unavailable(feature)
        if reason is not None:
            raise FeatureUnavailable(reason)
        return self._controls

    def brokers(self) -> list[BrokerView]:
        led: dict[int, int] = {}
        hosted: dict[int, int] = {}
        for topic in self.cluster.metadata.topics.values():
            for p in topic.partitions:
                led[p.leader] = led.get(p.leader, 0) + 1
                for b in p.replicas:
                    hosted[b] = hosted.get(b, 0) + 1
        controller = self.cluster.controller_id
        views = []
        for b in self.cluster.brokers.values():
            state = BrokerState(self.cluster.broker_state(b.broker_id))
            views.append(
                BrokerView(
                    b.broker_id,
                    b.running,
                    b.broker_id == controller,
                    led.get(b.broker_id, 0),
                    hosted.get(b.broker_id, 0),
                    self._disk.get(b.broker_id, 0),
                    state,
                    self._session_remaining_ms(b.broker_id, state, controller),
                    self._log_dir_offline(b.broker_id),
                )
            )
        return views

    def _log_dir_offline(self, broker_id: int) -> str | None:
        registration = self.cluster.metadata.brokers.get(broker_id)
        return registration.offline_reason if registration is not None else None

    def _session_remaining_ms(self, broker_id: int, state: BrokerState, controller: int) -> int | None:
        """Only while the controller is not hearing from the broker: a healthy broker's
        session restarts with every heartbeat, so its countdown would mean nothing."""
        silent = state is BrokerState.CRASHED or (
            state is BrokerState.RUNNING
            and controller not in (-1, broker_id)
            and not self.cluster.network.reachable(broker_id, controller)
        )
        return self.cluster.quorum.session_remaining_ms(broker_id) if silent else None

    async def broker_configs(self, broker_id: int) -> list[ConfigEntry]:
        return self.cluster.broker_configs(broker_id)

    @property
    def cluster_id(self) -> str:
        return self.cluster.metadata.cluster_id

    @property
    def controller_id(self) -> int:
        return self.cluster.controller_id

    @property
    def broker_session_timeout_ms(self) -> int:
        return self.cluster.defaults.broker_session_timeout_ms

    async def refresh_disk_usage(self) -> None:
        self._disk = await self.cluster.broker_disk_usage()

    def topic_names(self, include_internal: bool = False) -> list[str]:
        return self.cluster.topic_names(include_internal=include_internal)

    def describe_topic(self, name: str) -> TopicDescription:
        return self.cluster.describe_topic(name)

    def topic_configs(self, name: str) -> list[ConfigEntry]:
        return self.cluster.topic(name).config.entries()

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> None:
        await self.cluster.create_topic(
            name, partitions, replication_factor, configs, validate_only=validate_only
        )

    async def auto_create_topic(self, name: str) -> bool:
        if name in self.cluster.metadata.topics:
            return False
        if name in (OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC):  # as the wire's Metadata answers
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic '{name}' does not exist (its coordinator creates it when first needed)",
            )
        if not self.cluster.defaults.auto_create_topics_enable:
            raise no_auto_create(name, "for this cluster")
        try:
            await self.cluster.create_topic(name)
        except KafkaError as error:
            if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:  # created meanwhile
                raise
            return False
        return True

    async def delete_topic(self, name: str) -> None:
        await self.cluster.delete_topic(name)

    async def create_partitions(self, name: str, count: int) -> None:
        await self.cluster.create_partitions(name, count)

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> None:
        await self.cluster.alter_topic_configs(name, changes)

    async def read_log(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
        out: list[LogRecordView] = []
        for batch in await self.cluster.read_log(topic, partition, offset, limit):
            h = batch.header
            view = BatchView(
                h.base_offset,
                h.last_offset,
                h.records_count,
                h.size,
                h.crc,
                h.partition_leader_epoch,
                h.producer_id,
                h.producer_epoch,
                h.base_sequence,
                h.is_transactional,
                h.is_control,
                h.compression.name.lower(),
                h.timestamp_type.config_name,
                h.max_timestamp,
            )
            for r in batch.records:
                if r.offset >= offset:
                    out.append(
                        LogRecordView(partition, r.offset, r.timestamp, r.key, r.value, r.headers, view)
                    )
                    if len(out) >= limit:
                        return out
        return out

    async def log_layout(self, topic: str) -> dict[int, LogLayout]:
        layout = {}
        compacted = "compact" in self.cluster.topic(topic).config.cleanup_policy
        for p in self.cluster.describe_topic(topic).partitions:
            if p.leader < 0:
                continue
            segments, ratio, first_dirty = await self.cluster.log_segments(topic, p.partition)
            views = tuple(SegmentView(s.base_offset, s.last_offset, s.batches, s.size) for s in segments)
            layout[p.partition] = LogLayout(
                views, first_dirty if compacted else None, compacted, ratio if compacted else None
            )
        return layout

    def stable_offsets(self, topic: str) -> dict[int, StableOffsets]:
        out = {}
        for p in self.cluster.describe_topic(topic).partitions:
            if p.leader < 0 or not self.cluster.brokers[p.leader].running:
                continue
            lso, ongoing, aborted = self.cluster.stable_offsets(topic, p.partition)
            out[p.partition] = StableOffsets(
                lso,
                tuple(sorted(ongoing.items())),
                tuple(AbortedRange(a.producer_id, a.first_offset, a.last_offset) for a in aborted),
            )
        return out

    async def list_offsets(self, topic: str, partitions: Sequence[int], timestamp: int) -> dict[int, int]:
        found = {}
        for p in partitions:
            leader = self.cluster.leader(topic, p)
            if timestamp in (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP):
                found[p] = leader.list_offset(topic, p, timestamp)
            else:
                found[p] = await leader.offset_for_timestamp(topic, p, timestamp)
        return found

    async def delete_records(self, topic: str, partition: int, offset: int) -> int:
        return await self.cluster.delete_records(topic, partition, offset)

    async def elect_leaders(
        self, election_type: str, partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], KafkaError | None]:
        results = await self.cluster.elect_leaders(election_type, partitions)
        if partitions is not None:
            return results
        return {
            tp: error
            for tp, error in results.items()
            if error is None or error.code is not ErrorCode.ELECTION_NOT_NEEDED
        }

    # The data dir's metadata log itself, as kafka-acls.sh's --authorizer-properties once
    # wrote to ZooKeeper without a broker: a served cluster enforces them with --authorizer.
    async def create_acls(self, bindings: Sequence[AclBinding]) -> list[KafkaError | None]:
        return await self.cluster.quorum.through_active(self.cluster.controller.acls.create_acls)(bindings)

    async def describe_acls(self, filter_: AclBindingFilter) -> list[AclBinding]:
        return sorted(b for b in self.cluster.metadata.acl_bindings if filter_.matches(b))

    async def delete_acls(self, filters: Sequence[AclBindingFilter]) -> list[list[AclBinding]]:
        deleted = await self.cluster.quorum.through_active(self.cluster.controller.acls.delete_acls)(filters)
        for d in deleted:
            if d.error is not None:
                raise d.error
        return [list(d.deleted) for d in deleted]

    async def check_acls(
        self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType, name: str
    ) -> tuple[bool, str]:
        acls = self.cluster.metadata.acl_bindings
        decision = Authorizer(AuthorizerConfig(), acls).authorize(
            principal, host, operation, resource_type, name
        )
        return decision.allowed, decision.describe()

    async def describe_user_scram_credentials(self) -> dict[str, dict[str, int]]:
        return {
            user: {m: c.iterations for m, c in sorted(mechanisms.items())}
            for user, mechanisms in sorted(self.cluster.metadata.scram.items())
        }

    async def alter_user_scram_credentials(
        self, upsertions: Sequence[UserScramUpsertion], deletions: Sequence[UserScramDeletion] = ()
    ) -> dict[str, KafkaError | None]:
        salted = []
        for u in upsertions:
            salt = secrets.token_bytes(32)  # as the AdminClient salts it (ScramFormatter)
            known = u.mechanism in CODE_OF and u.iterations > 0
            hashed = salted_password(u.mechanism, u.password, salt, u.iterations) if known else b""
            salted.append(ScramUpsertion(u.user, CODE_OF.get(u.mechanism, -1), u.iterations, salt, hashed))
        alter = self.cluster.quorum.through_active(self.cluster.controller.scram.alter_credentials)
        return await alter([ScramDeletion(d.user, CODE_OF.get(d.mechanism, -1)) for d in deletions], salted)

    async def elect_preferred_leaders(self) -> int:
        results = await self.elect_leaders("preferred")
        return sum(1 for error in results.values() if error is None)

    def links(self) -> list[LinkState]:
        return self.cluster.network.links()

    def _producer(self, acks: str, idempotent: bool | None = None, compression: str = "none") -> Producer:
        """One producer per (acks, whether it is idempotent, compression.type): asking for
        idempotence with acks other than all is Kafka's INVALID_CONFIG; None takes
        Kafka's default."""
        producer = self._asked.get((acks, idempotent, compression))
        if producer is None:
            config = ProducerConfig(
                acks=acks, linger_ms=0, enable_idempotence=idempotent, compression_type=compression
            )
            key = (acks, config.idempotent, compression)
            producer = self._producers.get(key)
            if producer is None:
                producer = self._producers[key] = Producer(self.cluster, config)
            self._asked[(acks, idempotent, compression)] = producer
        return producer

    def idempotence(self, topic: str | None, transactional_id: str | None = None) -> IdempotenceView:
        if transactional_id is not None:
            txn = self._transactions.get(transactional_id)
            producer = txn.producer if txn is not None else None
        else:
            producer = self._last_idempotent
        pid, epoch, sequences = -1, -1, ()
        if producer is not None:
            pid, epoch = producer.producer_id, producer.producer_epoch
            sequences = tuple(
                sorted((p, seq) for (t, p), seq in producer.next_sequences().items() if t == topic)
            )
        return IdempotenceView(
            pid, epoch, sequences, self.cluster.duplicates_dropped, self.cluster.network.pending_ack_drops()
        )

    async def produce(self, request: ProduceRequest) -> ProduceTrace:
        """Send one record and report each step of the producer path."""
        started = self.clock.now_ms()
        topic = self.cluster.topic(request.topic)
        n = len(topic.partitions)
        key = request.key.encode() if request.key is not None else None
        value = request.value.encode() if isinstance(request.value, str) else request.value
        txn = None
        if request.transactional_id is not None:
            txn = self._transactions.get(request.transactional_id)
            if txn is None:
                raise KafkaError(
                    ErrorCode.INVALID_TXN_STATE,
                    f"transactional.id {request.transactional_id!r} has no open transaction: begin one first",
                )
            producer = txn.producer
        else:
            producer = self._producer(request.acks, request.idempotent, request.compression)
            if producer.idempotent:
                self._last_idempotent = producer  # the one the idempotence view shows
        steps = [
            send_step(request, producer.config, producer.idempotent),
            serialize_step(key, value, request.value_serializer),
        ]
        meta = await producer.send_and_wait(
            request.topic,
            value,
            key=key,
            headers=list(request.headers),
            partition=request.partition,
        )
        if txn is not None:
            txn.records += 1
        steps.append(partition_step(key, request.partition, meta.partition, n))
        leader = topic.partitions[meta.partition].leader
        where = f"offset {meta.offset}" if meta.offset >= 0 else "no offset returned (acks=0)"
        steps.append(TraceStep("write", f"leader broker {leader}, partition {meta.partition}, {where}"))
        return ProduceTrace(
            request.topic,
            meta.partition,
            meta.offset,
            leader,
            float(self.clock.now_ms() - started),
            tuple(steps),
            key=key,
            acks=request.acks,
            idempotent=producer.idempotent,
        )

    # --- clients ---------------------------------------------------------------------

    def producer(self, config: ProducerConfig) -> Producer:
        return Producer(self.cluster, config)

    def consumer(self, config: ConsumerConfig) -> Consumer:
        return Consumer(self.cluster, config)

    # --- listeners (hosted above, by kafkatui.serve) -------------------------------

    def attach_listeners(self, listeners: Listeners) -> None:
        """The listeners serving this cluster (`serve.ServiceHost`): the workbench shows
        them, and `close()` closes them before the cluster."""
        self._listeners = listeners

    def connected_clients(self) -> list[ConnectedClient]:
        return [] if self._listeners is None else self._listeners.clients()

    def listeners(self) -> list[ListenerView]:
        return [] if self._listeners is None else self._listeners.listeners()

    def listener_status(self) -> str | None:
        return None if self._listeners is None else self._listeners.status()

    def schema_registry_url(self) -> str | None:
        return None if self._listeners is None else self._listeners.registry_url

    def rest_proxy_url(self) -> str | None:
        return None if self._listeners is None else self._listeners.rest_url

    def connect_url(self) -> str | None:
        if self.connect is not None:
            return self.connect
        return None if self._listeners is None else self._listeners.connect_url

    def ksql_url(self) -> str | None:
        return None if self._listeners is None else self._listeners.ksql_url

    async def close(self, timeout: float = 5.0) -> None:
        """Give in-flight records `timeout` seconds (of real time: quitting is a person
        waiting) to be acknowledged, fail the rest, then close the cluster."""
        if self._listeners is not None:
            await self._listeners.close()
            self._listeners = None
        await self._close_consumers()
        producers = [*self._producers.values(), *(t.producer for t in self._transactions.values())]
        for producer in producers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(producer.flush(), timeout)
            producer.abort()
        await self.cluster.close()
