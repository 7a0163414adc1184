"""The backend over any Kafka (a `kafkatui serve`, another workbench, Apache Kafka,
tansu…) through confluent-kafka: what a client can ask a cluster over the wire.

Screens ask synchronous questions (topic names, a description, the brokers); a client
learns those from Metadata, ListOffsets and DescribeConfigs, so the backend keeps a
snapshot, refreshed after every admin call and, while `watch()`ing, every second. Each
refresh is compared with the last and the differences are published on the backend's
own `EventBus` as the engine's events (topic created, leader elected, ISR shrunk, high
watermark advanced…), so the panels follow a remote cluster as they follow the engine:
a `kafkatui produce` in another terminal shows up within a second.

What only the brokers' owner can do (faults, the log cleaner: `engine_controls`) raises
`FeatureUnavailable` with one line saying so; segments are not a client's to see.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import IsolationLevel
from confluent_kafka import TopicPartition as CKTopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigResource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)
from confluent_kafka.admin import ConfigEntry as CKConfigEntry

from kafkatui.backends import remote_acls, remote_admin, remote_scram, remote_txn_admin
from kafkatui.backends.base import (
    BrokerState,
    BrokerView,
    EngineControls,
    Feature,
    FeatureUnavailable,
    IdempotenceView,
    LogLayout,
    LogRecordView,
    ProduceRequest,
    ProduceTrace,
    StableOffsets,
    TraceStep,
    TransactionView,
    no_auto_create,
)
from kafkatui.backends.confluent import (
    RemoteConsumer,
    RemoteProducer,
    call,
    client_conf,
    kafka_error,
    refused_everywhere,
    result,
)
from kafkatui.backends.remote_admin import TIMEOUT_S
from kafkatui.backends.remote_consumers import ASSIGNORS as REMOTE_ASSIGNORS
from kafkatui.backends.remote_consumers import WorkbenchConsumer
from kafkatui.backends.remote_groups import RemoteGroups
from kafkatui.backends.remote_log import LogReader
from kafkatui.backends.remote_members import RemoteMembers
from kafkatui.backends.remote_partitions import EligibleLeaderReplicas
from kafkatui.backends.remote_snapshot import ClusterSnapshot, events_between
from kafkatui.backends.remote_transactions import RemoteTransaction
from kafkatui.backends.trace import partition_step, send_step, serialize_step
from kafkatui.common.acl import AclBinding, AclBindingFilter, AclOperation
from kafkatui.common.acl import ResourceType as AclResourceType
from kafkatui.common.admin import (
    ConfigEntry,
    LinkState,
    PartitionDescription,
    ReplicaSnapshot,
    TopicDescription,
    TransactionDescription,
    TransactionListing,
)
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import RealClock
from kafkatui.common.connections import ConnectedClient, ListenerView
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    EventBus,
)
from kafkatui.common.scram import UserScramDeletion, UserScramUpsertion
from kafkatui.engine.metadata.authorizer import Authorizer, AuthorizerConfig

REFRESH_INTERVAL_S = 1.0
# Kafka's broker.session.timeout.ms default: what a client can assume of a broker it
# cannot ask.
KAFKA_BROKER_SESSION_TIMEOUT_MS = 9_000

_Offsets = dict[tuple[str, int], tuple[int, int]]  # (topic, partition) → (offset, leader epoch)


class RemoteBackend(RemoteGroups, RemoteMembers):
    """A Kafka cluster reached over the wire with confluent-kafka (librdkafka).

    Differs from `EmbeddedBackend`: a partition's log end offset is shown as its high
    watermark and followers' positions are not known (clients only see the HW); broker
    disk usage is unknown (0); each record read back is shown as its own batch (a client
    gets records, not the batch headers: CRC, producer id and sequence read as unknown).
    """

    supports_faults = False
    assignors = REMOTE_ASSIGNORS

    def __init__(self, bootstrap_servers: str, *, attached_to: str | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.faults_unsupported_reason = "over the wire, the brokers are not kafkatui's own to stop"
        self._attached_to = attached_to  # "the kafkatui process 1234 (it owns DATA_DIR)"
        self.clock = RealClock()
        self.bus = EventBus()
        self.notices: list[str] = []
        # The owner's Schema Registry, when attached to a kafkatui process that runs one.
        self.schema_registry: str | None = None
        self.rest_proxy: str | None = None  # and its REST Proxy
        self.connect: str | None = None  # a Connect worker's REST API, when one is given
        self.ksql: str | None = None  # a ksqlDB server's REST API, when one is given
        self._admin = AdminClient(client_conf(bootstrap_servers))
        self._snapshot = ClusterSnapshot()
        self._cluster_id = ""
        self._elr = EligibleLeaderReplicas(TIMEOUT_S)  # KIP-966, when the brokers speak key 75
        self._refresh_lock = asyncio.Lock()
        self._log = LogReader(bootstrap_servers)
        self._producers: dict[tuple[str, bool, str], RemoteProducer] = {}
        self._consumers: dict[int, WorkbenchConsumer] = {}
        self._transactions: dict[str, RemoteTransaction] = {}
        self._next_consumer_id = 1
        self._watch: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, bootstrap_servers: str, *, attached_to: str | None = None) -> RemoteBackend:
        """Reach the cluster (a clear NETWORK_EXCEPTION if nothing answers) and read it."""
        if await refused_everywhere(bootstrap_servers):
            raise KafkaError(
                ErrorCode.NETWORK_EXCEPTION,
                f"cannot reach a Kafka broker at {bootstrap_servers}: connection refused",
            )
        backend = cls(bootstrap_servers, attached_to=attached_to)
        try:
            await call(backend._admin.list_topics, timeout=TIMEOUT_S)
        except KafkaError as error:
            raise KafkaError(
                ErrorCode.NETWORK_EXCEPTION,
                f"cannot reach a Kafka broker at {bootstrap_servers}: {error.message}",
            ) from None
        await backend.refresh()
        return backend

    def watch(self, interval: float = REFRESH_INTERVAL_S) -> None:
        """Re-read the cluster every `interval` seconds and publish what changed."""
        if self._watch is None:
            self._watch = asyncio.ensure_future(self._watch_loop(interval))

    async def _watch_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(KafkaError):  # a broker away for a moment: try again
                await self.refresh()

    @property
    def description(self) -> str:
        where = self._attached_to or f"Kafka at {self.bootstrap_servers}"
        return f"{where} · {len(self._snapshot.brokers)} brokers · over the wire (confluent-kafka)"

    def unavailable(self, feature: Feature) -> str | None:
        if self._attached_to is None:
            where = self.bootstrap_servers
            return f"{feature.value} needs kafkatui's own cluster (not available when attached to {where})"
        # The cluster is kafkatui's, but another process owns it: say who, and how to get it.
        return (
            f"{feature.value} needs kafkatui's own cluster, and {self._attached_to} owns it (attached "
            f"to it at {self.bootstrap_servers}): do it there, or stop that process first"
        )

    def _unavailable(self, feature: Feature) -> FeatureUnavailable:
        return FeatureUnavailable(self.unavailable(feature) or feature.value)

    def engine_controls(self, feature: Feature) -> EngineControls:
        raise self._unavailable(feature)

    # --- reading the cluster -----------------------------------------------------------

    async def refresh(self) -> None:
        """Read metadata, every partition's log start and high watermark, and topic
        configs; publish the differences from the last read as events."""
        async with self._refresh_lock:
            metadata = await call(self._admin.list_topics, timeout=TIMEOUT_S)
            self._cluster_id = str(metadata.cluster_id or "")
            names = sorted(n for n, t in metadata.topics.items() if t.error is None)
            user = [n for n in names if not n.startswith("__")]
            tps = [CKTopicPartition(n, p) for n in user for p in metadata.topics[n].partitions]
            earliest, latest, stable = await self._offsets(tps)
            configs = await self._configs(user)
            topics = {}
            for name in names:
                t = metadata.topics[name]
                partitions = []
                for pid in sorted(t.partitions):
                    pm = t.partitions[pid]
                    start = earliest[(name, pid)][0] if (name, pid) in earliest else 0
                    hw, epoch = latest.get((name, pid), (0, -1))
                    isr = tuple(pm.isrs)
                    partitions.append(
                        PartitionDescription(
                            pid, pm.leader, epoch, tuple(pm.replicas), isr, start, hw, hw, 0,
                            tuple(ReplicaSnapshot(b, start, hw, hw, 0) for b in isr),
                        )
                    )  # fmt: skip
                overrides = {e.name: e.value or "" for e in configs.get(name, ()) if not e.is_default}
                rf = len(partitions[0].replicas) if partitions else 0
                topics[name] = TopicDescription(name, "", rf, tuple(partitions), overrides)
            addresses = {b.id: f"{b.host}:{b.port}" for b in metadata.brokers.values()}
            topics = await self._elr.fill(addresses, topics)
            new = ClusterSnapshot(
                addresses,
                metadata.controller_id,
                topics,
                configs,
                {tp: offset for tp, (offset, _) in stable.items()},
            )
            old, self._snapshot = self._snapshot, new
            for event in events_between(old, new, self.clock.now_ms()):
                self.bus.publish(event)

    async def _offsets(self, tps: list[CKTopicPartition]) -> tuple[_Offsets, _Offsets, _Offsets]:
        """ListOffsets earliest, latest, and latest under read_committed: the log start,
        the high watermark and the last stable offset, each with the leader epoch of the
        answer (Metadata through librdkafka lacks it)."""
        if not tps:
            return {}, {}, {}
        out: list[_Offsets] = []
        for spec, isolation in (
            (OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED),
            (OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED),
            (OffsetSpec.latest(), IsolationLevel.READ_COMMITTED),
        ):
            futures = self._admin.list_offsets(
                {tp: spec for tp in tps}, isolation_level=isolation, request_timeout=TIMEOUT_S
            )
            found: _Offsets = {}
            for tp, future in futures.items():
                with contextlib.suppress(KafkaError):  # a partition without a leader
                    answer = await result(future)
                    epoch = answer.leader_epoch
                    found[(tp.topic, tp.partition)] = (answer.offset, epoch if epoch is not None else -1)
            out.append(found)
        return out[0], out[1], out[2]

    async def _configs(self, names: list[str]) -> dict[str, list[ConfigEntry]]:
        if not names:
            return {}
        futures = self._admin.describe_configs(
            [ConfigResource(ResourceType.TOPIC, n) for n in names], request_timeout=TIMEOUT_S
        )
        configs: dict[str, list[ConfigEntry]] = {}
        for resource, future in futures.items():
            with contextlib.suppress(KafkaError):
                entries = await result(future)
                configs[resource.name] = sorted(
                    (remote_admin.config_entry(e) for e in entries.values()), key=lambda e: e.name
                )
        return configs

    @property
    def cluster_id(self) -> str:
        return self._cluster_id

    @property
    def controller_id(self) -> int:
        return self._snapshot.controller

    @property
    def broker_session_timeout_ms(self) -> int:
        return KAFKA_BROKER_SESSION_TIMEOUT_MS

    def brokers(self) -> list[BrokerView]:
        led: dict[int, int] = {}
        hosted: dict[int, int] = {}
        for topic in self._snapshot.topics.values():
            for p in topic.partitions:
                led[p.leader] = led.get(p.leader, 0) + 1
                for b in p.replicas:
                    hosted[b] = hosted.get(b, 0) + 1
        # Metadata lists live brokers only: one that is down is simply not there.
        return [
            BrokerView(
                b,
                True,
                b == self._snapshot.controller,
                led.get(b, 0),
                hosted.get(b, 0),
                0,
                BrokerState.RUNNING,
            )
            for b in sorted(self._snapshot.brokers)
        ]

    async def broker_configs(self, broker_id: int) -> list[ConfigEntry]:
        if broker_id not in self._snapshot.brokers:  # librdkafka would wait for it to appear
            known = ", ".join(map(str, sorted(self._snapshot.brokers)))
            raise KafkaError(
                ErrorCode.BROKER_NOT_AVAILABLE,
                f"there is no broker {broker_id} in the cluster's metadata (brokers: {known})",
            )
        return await remote_admin.broker_configs(self._admin, broker_id)

    async def refresh_disk_usage(self) -> None:
        await self.refresh()  # the Cluster panel's periodic reload: keep the snapshot fresh

    def topic_names(self, include_internal: bool = False) -> list[str]:
        return sorted(n for n in self._snapshot.topics if include_internal or not n.startswith("__"))

    def describe_topic(self, name: str) -> TopicDescription:
        described = self._snapshot.topics.get(name)
        if described is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic '{name}' does not exist")
        return described

    def topic_configs(self, name: str) -> list[ConfigEntry]:
        self.describe_topic(name)
        return list(self._snapshot.configs.get(name, ()))

    # --- admin -------------------------------------------------------------------------

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> None:
        new = NewTopic(
            name,
            num_partitions=partitions if partitions is not None else -1,
            replication_factor=replication_factor if replication_factor is not None else -1,
            config=dict(configs or {}),
        )
        futures = self._admin.create_topics([new], validate_only=validate_only, request_timeout=TIMEOUT_S)
        await result(futures[name])
        if not validate_only:
            await self._refresh_until(lambda: name in self._snapshot.topics)

    async def auto_create_topic(self, name: str) -> bool:
        if name in self._snapshot.topics:
            return False
        # librdkafka asks Metadata for this one topic with allow_auto_topic_creation=true,
        # as its producer does before a first send: the brokers' setting decides.
        metadata = await call(self._admin.list_topics, topic=name, timeout=TIMEOUT_S)
        found = metadata.topics.get(name)
        error = None if found is None else found.error
        code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if found is None else error and error.code()
        if code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
            if await self._broker_config("auto.create.topics.enable") == "false":
                raise no_auto_create(name, f"on the brokers at {self.bootstrap_servers}")
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic '{name}' does not exist and the brokers at {self.bootstrap_servers} did not "
                f"create it (their auto.create.topics.enable decides): create it with "
                f"`kafkatui topic create {name}`",
            )
        # Kafka answers the Metadata that created a topic with LEADER_NOT_AVAILABLE.
        if error is not None and code != ErrorCode.LEADER_NOT_AVAILABLE:
            raise kafka_error(error)
        await self._refresh_until(lambda: name in self._snapshot.topics)
        return True

    async def _broker_config(self, name: str) -> str | None:
        """A setting of the first broker (DescribeConfigs), None if it will not say."""
        broker = min(self._snapshot.brokers, default=None)
        if broker is None:
            return None
        resource = ConfigResource(ResourceType.BROKER, str(broker))
        with contextlib.suppress(KafkaError):
            futures = self._admin.describe_configs([resource], request_timeout=TIMEOUT_S)
            entry = (await result(futures[resource])).get(name)
            return None if entry is None else entry.value
        return None

    async def delete_topic(self, name: str) -> None:
        await result(self._admin.delete_topics([name], request_timeout=TIMEOUT_S)[name])
        await self._refresh_until(lambda: name not in self._snapshot.topics)

    async def create_partitions(self, name: str, count: int) -> None:
        futures = self._admin.create_partitions([NewPartitions(name, count)], request_timeout=TIMEOUT_S)
        await result(futures[name])
        await self._refresh_until(lambda: len(self.describe_topic(name).partitions) == count)

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> None:
        entries = [
            CKConfigEntry(
                key,
                value if value is not None else "",
                incremental_operation=AlterConfigOpType.SET
                if value is not None
                else AlterConfigOpType.DELETE,
            )
            for key, value in changes.items()
        ]
        resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
        futures = self._admin.incremental_alter_configs([resource], request_timeout=TIMEOUT_S)
        for future in futures.values():
            await result(future)
        await self.refresh()

    async def _refresh_until(self, done: Any, attempts: int = 20) -> None:
        """Metadata reaches every broker a moment after the controller answers."""
        for _ in range(attempts):
            await self.refresh()
            with contextlib.suppress(KafkaError):
                if done():
                    return
            await asyncio.sleep(0.1)

    async def create_acls(self, bindings: Sequence[AclBinding]) -> list[KafkaError | None]:
        return await remote_acls.create_acls(self._admin, bindings)

    async def describe_acls(self, filter_: AclBindingFilter) -> list[AclBinding]:
        return await remote_acls.describe_acls(self.bootstrap_servers, filter_)

    async def delete_acls(self, filters: Sequence[AclBindingFilter]) -> list[list[AclBinding]]:
        return await remote_acls.delete_acls(self._admin, filters)

    async def check_acls(
        self, principal: str, host: str, operation: AclOperation, resource_type: AclResourceType, name: str
    ) -> tuple[bool, str]:
        acls = await self.describe_acls(AclBindingFilter())
        decision = Authorizer(AuthorizerConfig(), acls).authorize(
            principal, host, operation, resource_type, name
        )
        return decision.allowed, decision.describe()

    async def describe_user_scram_credentials(self) -> dict[str, dict[str, int]]:
        return await remote_scram.describe(self._admin)

    async def alter_user_scram_credentials(
        self, upsertions: Sequence[UserScramUpsertion], deletions: Sequence[UserScramDeletion] = ()
    ) -> dict[str, KafkaError | None]:
        return await remote_scram.alter(self._admin, upsertions, deletions)

    async def delete_records(self, topic: str, partition: int, offset: int) -> int:
        low = await remote_admin.delete_records(self._admin, topic, partition, offset)
        await self.refresh()
        return low

    async def elect_leaders(
        self, election_type: str, partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], KafkaError | None]:
        # A broker without ElectLeaders (KIP-460) fails the whole call.
        results = await remote_admin.elect_leaders(self._admin, election_type, partitions)
        elected = [tp for tp, error in results.items() if error is None]

        def shown() -> bool:  # metadata reaches every broker a moment after the controller
            for topic, p in elected:
                described = self.describe_topic(topic).partitions[p]
                wanted = described.replicas[:1] if election_type == "preferred" else described.isr
                if described.leader not in wanted:
                    return False
            return True

        await self._refresh_until(shown)
        return results

    async def elect_preferred_leaders(self) -> int:
        results = await self.elect_leaders("preferred")
        return sum(1 for error in results.values() if error is None)

    async def list_offsets(self, topic: str, partitions: Sequence[int], timestamp: int) -> dict[int, int]:
        return await remote_admin.list_offsets(self._admin, topic, partitions, timestamp)

    # --- the log -------------------------------------------------------------------------

    async def read_log(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
        """Records from `offset` on (at most `limit`, up to the high watermark)."""
        if not any(p.partition == partition for p in self.describe_topic(topic).partitions):
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        return await self._log.read(topic, partition, offset, limit)

    async def log_layout(self, topic: str) -> dict[int, LogLayout]:
        return {}  # segments are the brokers' own business: nothing to draw

    # --- producing ---------------------------------------------------------------------

    def producer(self, config: ProducerConfig) -> RemoteProducer:
        return RemoteProducer(self.bootstrap_servers, config)

    def consumer(self, config: ConsumerConfig) -> RemoteConsumer:
        return RemoteConsumer(
            self.bootstrap_servers, config, lambda topic: len(self.describe_topic(topic).partitions)
        )

    def _producer(self, acks: str, idempotent: bool | None, compression: str = "none") -> RemoteProducer:
        config = ProducerConfig(
            acks=acks, linger_ms=0, enable_idempotence=idempotent, compression_type=compression
        )
        key = (acks, config.idempotent, compression)
        if key not in self._producers:
            self._producers[key] = self.producer(config)
        return self._producers[key]

    async def produce(self, request: ProduceRequest) -> ProduceTrace:
        """Send one record with confluent-kafka; the trace says what a client can know."""
        started = time.monotonic()
        n = len(self.describe_topic(request.topic).partitions)
        key = request.key.encode() if request.key is not None else None
        value = request.value.encode() if isinstance(request.value, str) else request.value
        txn = None
        if request.transactional_id is not None:
            txn = self._transactions.get(request.transactional_id)
            if txn is None:
                txn = RemoteTransaction(request.transactional_id, self.bootstrap_servers)
            producer = txn.sending()
        else:
            producer = self._producer(request.acks, request.idempotent, request.compression)
        steps = [
            send_step(request, producer.config, producer.idempotent, via="confluent-kafka"),
            serialize_step(key, value, request.value_serializer),
        ]
        sending = producer.send_and_wait(
            request.topic, value, key=key, headers=list(request.headers), partition=request.partition
        )
        meta = await (txn.call(sending) if txn is not None else sending)
        if txn is not None:
            txn.sent(meta.topic, meta.partition)
        steps.append(partition_step(key, request.partition, meta.partition, n))
        leader = self.describe_topic(request.topic).partitions[meta.partition].leader
        where = f"offset {meta.offset}" if meta.offset >= 0 else "no offset returned (acks=0)"
        steps.append(TraceStep("write", f"leader broker {leader}, partition {meta.partition}, {where}"))
        return ProduceTrace(
            request.topic,
            meta.partition,
            meta.offset,
            leader,
            (time.monotonic() - started) * 1000,
            tuple(steps),
            key=key,
            acks=request.acks,
            idempotent=producer.idempotent,
        )

    # --- transactions (KIP-98) --------------------------------------------------------

    def _transaction(self, transactional_id: str) -> RemoteTransaction:
        txn = self._transactions.get(transactional_id)
        if txn is None:
            txn = self._transactions[transactional_id] = RemoteTransaction(
                transactional_id, self.bootstrap_servers
            )
        return txn

    def transaction(self, transactional_id: str) -> TransactionView:
        txn = self._transactions.get(transactional_id)
        return (txn or RemoteTransaction(transactional_id, self.bootstrap_servers)).view()

    async def begin_transaction(self, transactional_id: str) -> TransactionView:
        txn = self._transaction(transactional_id)
        await txn.begin()
        return txn.view()

    async def end_transaction(self, transactional_id: str, *, commit: bool) -> TransactionView:
        txn = self._transaction(transactional_id)
        await txn.end(commit=commit)
        return txn.view()

    async def fence_transaction(self, transactional_id: str) -> TransactionView:
        txn = self._transaction(transactional_id)
        await txn.fence()
        return txn.view()

    async def list_transactions(self) -> list[TransactionListing]:
        await self.refresh()  # every broker is asked: the ones there now
        return await remote_txn_admin.list_transactions(self._snapshot.brokers)

    async def describe_transactions(self, transactional_ids: Sequence[str]) -> list[TransactionDescription]:
        return await remote_txn_admin.describe_transactions(self.bootstrap_servers, transactional_ids)

    def stable_offsets(self, topic: str) -> dict[int, StableOffsets]:
        """The last stable offsets (ListOffsets with read_committed); which transactions
        are open or aborted is in Fetch responses, which librdkafka keeps to itself."""
        return {
            p.partition: StableOffsets(
                self._snapshot.stable.get((topic, p.partition), p.high_watermark), (), ()
            )
            for p in self.describe_topic(topic).partitions
        }

    def idempotence(self, topic: str | None, transactional_id: str | None = None) -> IdempotenceView:
        # librdkafka keeps its producer id and sequences to itself; the brokers' counts
        # of dropped duplicates are not in the protocol.
        return IdempotenceView(-1, -1, (), 0, 0)

    def links(self) -> list[LinkState]:
        return []

    def listener_status(self) -> str | None:
        return None  # it listens nowhere: it is a client

    def schema_registry_url(self) -> str | None:
        return self.schema_registry

    def rest_proxy_url(self) -> str | None:
        return self.rest_proxy

    def connect_url(self) -> str | None:
        return self.connect

    def ksql_url(self) -> str | None:
        return self.ksql

    @property
    def attached_to(self) -> str | None:
        """The kafkatui process this backend reached through a data dir it owns, if so."""
        return self._attached_to

    def connected_clients(self) -> list[ConnectedClient]:
        return []  # a client cannot see the others (the owner's Cluster panel lists them)

    def listeners(self) -> list[ListenerView]:
        return []  # a client knows the brokers' addresses, not their listener names or map

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        for consumer in list(self._consumers.values()):
            await consumer.stop()
        self._consumers.clear()
        for txn in self._transactions.values():
            await txn.close()
        self._transactions.clear()
        for producer in self._producers.values():
            producer.abort()
            await producer.close()
        self._producers.clear()
        await self._elr.close()
        await self._log.close()
