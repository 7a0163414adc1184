"""Connect's state lives in Kafka, in its own formats, so a worker restarted on the same
cluster (or, in the next slice, another worker of the group) reads it back:

- `config.storage.topic` (connect-configs, 1 partition: one total order of changes):
  `connector-<name>` {"properties": {...}}, `task-<name>-<n>` {"properties": {...}},
  `commit-<name>` {"tasks": n} (the task configs before it are the connector's now),
  `target-state-<name>` {"state": ..., "state.v2": ...}; a null value deletes.
- `offset.storage.topic` (connect-offsets): key `["<connector>", {partition}]`, value the
  source offset, both JSON as Kafka's JsonConverter with schemas.enable=false writes them.
- `status.storage.topic` (connect-status): `status-connector-<name>`,
  `status-task-<name>-<n>` {"state", "trace", "worker_id", "generation"}, and
  `status-topic-<topic>:connector-<name>` for a connector's active topics (KIP-558).

`KafkaLog` is Kafka's KafkaBasedLog: a producer, and a consumer of every partition that
applies records in order; `read_to_end` reads up to the end offsets ListOffsets gave at
the call (readToEnd), so a write followed by it is applied like every other worker's."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.common.clients import ConsumerConfig, ConsumerRecord, ProducerConfig, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.connect.api import ConnectException

log = logging.getLogger("kafkatui.ecosystem.connect")

REPLICATION_FACTOR = 3  # *.storage.replication.factor, capped by the brokers there are


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def loads(raw: bytes | None) -> Any:
    return None if raw is None else json.loads(raw)


class KafkaLog:
    def __init__(
        self,
        backend: Backend,
        topic: str,
        partitions: int,
        apply: Callable[[ConsumerRecord], None],
        *,
        read_committed: bool = False,
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.partitions = partitions
        self._apply = apply
        # Exactly-once source tasks write connect-offsets in transactions: the worker
        # reads it read_committed then (KIP-618), so an aborted offset never counts.
        self.read_committed = read_committed
        self._producer: Any = None
        self._consumer: Any = None
        self._next: dict[int, int] = {}

    async def start(self) -> None:
        await self._ensure_topic()
        self.partitions = len(self.backend.describe_topic(self.topic).partitions)
        self._producer = self.backend.producer(ProducerConfig(acks="all", linger_ms=0))
        self._consumer = self.backend.consumer(
            ConsumerConfig(
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                fetch_max_wait_ms=50,
                isolation_level="read_committed" if self.read_committed else "read_uncommitted",
            )
        )
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        self._consumer.assign(tps)
        starts = await self.backend.list_offsets(self.topic, range(self.partitions), -2)
        for p in range(self.partitions):
            self._next[p] = starts.get(p, 0)
            self._consumer.seek(tps[p], self._next[p])
        await self.read_to_end()

    async def _ensure_topic(self) -> None:
        brokers = max(1, len(self.backend.brokers()))
        try:
            await self.backend.create_topic(
                self.topic, self.partitions, min(REPLICATION_FACTOR, brokers), {"cleanup.policy": "compact"}
            )
        except KafkaError as error:
            if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:
                raise
            policy = self.backend.describe_topic(self.topic).configs.get("cleanup.policy", "compact")
            if policy != "compact":
                # Kafka's worker refuses such a topic (TopicAdmin.verifyTopicCleanupPolicyOnlyCompact)
                raise KafkaError(
                    ErrorCode.INVALID_CONFIG,
                    f"Topic '{self.topic}' supplied via the config is required to have "
                    f"'cleanup.policy=compact' to guarantee consistency and durability of connector state, "
                    f"but found '{policy}'",
                ) from None

    async def send(self, key: str, value: Any, *, wait: bool = True) -> None:
        raw = None if value is None else dumps(value)
        if wait:
            await self._producer.send_and_wait(self.topic, raw, key=key.encode())
        else:
            await self._producer.send(self.topic, raw, key=key.encode())

    async def send_raw(self, key: bytes, value: bytes | None) -> None:
        await self._producer.send(self.topic, value, key=key)

    async def flush(self) -> None:
        await self._producer.flush()

    async def read_to_end(self) -> None:
        ends = await self.backend.list_offsets(self.topic, range(self.partitions), LATEST_TIMESTAMP)
        idle = 0
        while any(self._next[p] < ends.get(p, 0) for p in range(self.partitions)):
            records = await self._consumer.poll(200)
            # Transaction markers take offsets no record has, and an open transaction's
            # records wait behind the last stable offset: under read_committed nothing
            # more after two empty polls is the stable end (endOffsets under
            # read_committed, which the Backend's ListOffsets does not give). Without it
            # a marker or a record the consumer skipped can leave `_next` short of the
            # end too, and on a manual clock poll() does not wait: a bound either way,
            # or this loop spins (it did, under the workbench's tests).
            idle = 0 if records else idle + 1
            if idle >= (2 if self.read_committed else 25):
                return
            for record in records:
                self._next[record.partition] = record.offset + 1
                try:
                    self._apply(record)
                except Exception:  # one bad record never stops the worker
                    log.exception(
                        "%s-%d offset %d could not be applied", self.topic, record.partition, record.offset
                    )

    async def close(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    await client.close()
                except Exception as error:  # a cluster going away as the worker stops
                    log.debug("closing a %s client: %s", self.topic, error)
        self._consumer = self._producer = None


# --- connect-configs --------------------------------------------------------------------


class PrivilegedWriteException(ConnectException):
    """Kafka's PrivilegedWriteException: the leader's transactional write to the config
    topic failed (fenced by a newer leader, or the cluster refused it)."""


async def _close_quietly(client: Any) -> None:
    try:
        await client.close()
    except Exception as error:
        log.debug("closing the config topic's transactional producer: %s", error)


class TargetState:
    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"  # KIP-875


@dataclass
class ClusterConfigState:
    """What connect-configs says now (ClusterConfigState)."""

    connectors: dict[str, dict[str, str]] = field(default_factory=dict)
    target_states: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # committed task configs
    pending: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)  # before their commit
    offset: int = -1
    # KIP-618: the task count of the last fencing round per connector, and the
    # connectors whose task configs were committed since theirs (pendingFencing).
    task_counts: dict[str, int] = field(default_factory=dict)
    pending_fencing: set[str] = field(default_factory=set)
    # The connector config as it was when its task configs were last committed (Kafka
    # 3.9's AppliedConnectorConfig, KAFKA-9228), and how many task-config commits each
    # connector has had: every commit is a new set of tasks, restarted where they run.
    applied: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, int] = field(default_factory=dict)
    # KIP-745: restart requests read since the worker started, not yet acted on.
    restarts: list[tuple[str, bool, bool]] = field(default_factory=list)
    live: bool = False  # the log was read to its end once: older requests are history


TASK_COUNT_PREFIX = "tasks-fencing-"  # KafkaConfigBackingStore.TASK_COUNT_RECORD_PREFIX
RESTART_PREFIX = "restart-connector-"  # KafkaConfigBackingStore.RESTART_PREFIX


class ConfigStore:
    """connect-configs. With exactly-once source support enabled (KIP-618, Kafka's
    `usesFencableWriter`), connector configs, task configs, their commits and task-count
    records are written only by the leader, each change in one transaction of its
    producer `connect-cluster-<group.id>` (DistributedConfig.transactionalProducerId):
    a worker that becomes leader claims the id (InitProducerId), which fences a zombie
    leader, whose next commit fails (PRODUCER_FENCED) instead of landing; the topic is
    then read read_committed. Target states and restart requests, which Kafka lets any
    worker write, stay plain writes."""

    def __init__(self, backend: Backend, topic: str, *, transactional_id: str | None = None) -> None:
        self.state = ClusterConfigState()
        self.backend = backend
        self.transactional_id = transactional_id  # set: the fencable writer is used
        self.log = KafkaLog(backend, topic, 1, self._apply, read_committed=transactional_id is not None)
        self._fencable: Any = None  # the leader's transactional producer, once claimed
        self.transactions = 0  # committed by this worker's fencable writer

    @property
    def uses_fencable_writer(self) -> bool:
        return self.transactional_id is not None

    @property
    def has_write_privileges(self) -> bool:
        return self._fencable is not None

    async def claim_write_privileges(self) -> None:
        """KafkaConfigBackingStore.claimWritePrivileges: the transactional producer, its
        InitProducerId fencing any other worker holding the id (a former leader)."""
        if not self.uses_fencable_writer or self._fencable is not None:
            return
        producer = self.backend.producer(
            ProducerConfig(acks="all", linger_ms=0, transactional_id=self.transactional_id)
        )
        try:
            await producer.init_transactions()
        except BaseException:
            await _close_quietly(producer)
            raise
        self._fencable = producer

    async def relinquish_write_privileges(self) -> None:
        producer, self._fencable = self._fencable, None
        if producer is not None:
            await _close_quietly(producer)

    async def _send_privileged(self, records: list[tuple[str, Any]]) -> None:
        """KafkaConfigBackingStore.sendPrivileged: plain sends without exactly-once
        support; with it, one transaction of the leader's producer, or an error (and the
        privileges given up: a fenced leader is no leader)."""
        if not self.uses_fencable_writer:
            for key, value in records:
                await self.log.send(key, value)
            return
        producer = self._fencable
        if producer is None:
            raise ConnectException("Cannot produce to config topic without claiming write privileges first")
        try:
            producer.begin_transaction()
            for key, value in records:
                await producer.send(self.log.topic, None if value is None else dumps(value), key=key.encode())
            await producer.commit_transaction()
        except Exception as error:
            log.warning("Failed to perform fencable send to config topic: %s", error)
            await self.relinquish_write_privileges()
            raise PrivilegedWriteException("Failed to perform fencable send to config topic") from error
        self.transactions += 1

    def _apply(self, record: ConsumerRecord) -> None:
        key = (record.key or b"").decode()
        value = loads(record.value)
        s = self.state
        s.offset = record.offset
        if key.startswith("connector-"):
            name = key[len("connector-") :]
            if value is None:
                s.connectors.pop(name, None)
                s.target_states.pop(name, None)
                s.tasks.pop(name, None)
                s.pending.pop(name, None)
                s.applied.pop(name, None)
                s.pending_fencing.discard(name)
            else:
                s.connectors[name] = dict(value["properties"])
                s.target_states.setdefault(name, TargetState.STARTED)
        elif key.startswith("target-state-"):
            name = key[len("target-state-") :]
            if value is None:
                s.target_states.pop(name, None)
            else:
                s.target_states[name] = value.get("state.v2", value.get("state", TargetState.STARTED))
        elif key.startswith("task-") and value is not None:
            name, _, number = key[len("task-") :].rpartition("-")
            s.pending.setdefault(name, {})[int(number)] = dict(value["properties"])
        elif key.startswith(RESTART_PREFIX) and value is not None:
            if s.live:
                name = key[len(RESTART_PREFIX) :]
                s.restarts.append((name, bool(value.get("include-tasks")), bool(value.get("only-failed"))))
        elif key.startswith(TASK_COUNT_PREFIX) and value is not None:
            name = key[len(TASK_COUNT_PREFIX) :]
            s.task_counts[name] = int(value["task-count"])
            s.pending_fencing.discard(name)
        elif key.startswith("commit-") and value is not None:
            name = key[len("commit-") :]
            pending = s.pending.pop(name, {})
            count = int(value["tasks"])
            if all(n in pending for n in range(count)):
                s.tasks[name] = [pending[n] for n in range(count)]
                s.applied[name] = dict(s.connectors.get(name, {}))
                s.commits[name] = s.commits.get(name, 0) + 1
                s.pending_fencing.add(name)
            else:  # Kafka's inconsistent-connector case: wait for a complete set
                log.warning("connect-configs: commit of %d tasks for %s without all of them", count, name)

    async def put_connector(self, name: str, props: dict[str, str]) -> None:
        await self._send_privileged([(f"connector-{name}", {"properties": props})])
        await self.log.read_to_end()

    async def remove_connector(self, name: str) -> None:
        await self._send_privileged([(f"connector-{name}", None), (f"target-state-{name}", None)])
        await self.log.read_to_end()

    async def put_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        records: list[tuple[str, Any]] = [
            (f"task-{name}-{number}", {"properties": props}) for number, props in enumerate(configs)
        ]
        await self._send_privileged([*records, (f"commit-{name}", {"tasks": len(configs)})])
        await self.log.read_to_end()

    async def start(self) -> None:
        await self.log.start()
        self.state.live = True

    async def put_restart_request(self, name: str, include_tasks: bool, only_failed: bool) -> None:
        """KafkaConfigBackingStore.putRestartRequest: every worker reads it and restarts
        what it runs of the connector."""
        await self.log.send(
            f"{RESTART_PREFIX}{name}", {"include-tasks": include_tasks, "only-failed": only_failed}
        )
        await self.log.read_to_end()

    async def put_task_count(self, name: str, count: int) -> None:
        """The end of a fencing round (KafkaConfigBackingStore.putTaskCountRecord)."""
        await self._send_privileged([(f"{TASK_COUNT_PREFIX}{name}", {"task-count": count})])
        await self.log.read_to_end()

    async def put_target_state(self, name: str, state: str) -> None:
        # Workers older than KIP-875 read "state" only: STOPPED is PAUSED to them.
        legacy = TargetState.PAUSED if state == TargetState.STOPPED else state
        await self.log.send(f"target-state-{name}", {"state": legacy, "state.v2": state})
        await self.log.read_to_end()


# --- connect-offsets --------------------------------------------------------------------


class OffsetStore:
    """Source offsets by (connector, partition), from connect-offsets."""

    def __init__(
        self, backend: Backend, topic: str, partitions: int, *, read_committed: bool = False
    ) -> None:
        self.offsets: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self.log = KafkaLog(backend, topic, partitions, self._apply, read_committed=read_committed)

    @staticmethod
    def key(connector: str, partition: dict[str, Any]) -> bytes:
        return dumps([connector, partition])

    def _apply(self, record: ConsumerRecord) -> None:
        key = loads(record.key)
        if not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], str)):
            log.warning("connect-offsets: a key that is not [connector, partition]: %r", record.key)
            return
        index = (key[0], json.dumps(key[1], sort_keys=True))
        value = loads(record.value)
        if value is None:
            self.offsets.pop(index, None)
        else:
            self.offsets[index] = (key[1], value)

    def get(self, connector: str, partition: dict[str, Any]) -> dict[str, Any] | None:
        found = self.offsets.get((connector, json.dumps(partition, sort_keys=True)))
        return None if found is None else found[1]

    def of(self, connector: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(p, o) for (c, _), (p, o) in self.offsets.items() if c == connector and o is not None]

    async def put(self, connector: str, offsets: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Write one record per source partition and wait for them all (a flush)."""
        for partition, offset in offsets.values():
            await self.log.send_raw(self.key(connector, partition), dumps(offset))
        await self.log.flush()
        self.remember(connector, offsets)

    def remember(self, connector: str, offsets: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Offsets this worker wrote (and flushed or committed): no need to read them back."""
        for partition, offset in offsets.values():
            self.offsets[(connector, json.dumps(partition, sort_keys=True))] = (partition, offset)


# --- connect-status ---------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    state: str  # UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING, STOPPED
    worker_id: str
    trace: str | None = None
    generation: int = 0

    def value(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "trace": self.trace,
            "worker_id": self.worker_id,
            "generation": self.generation,
        }


class StatusStore:
    def __init__(self, backend: Backend, topic: str, partitions: int) -> None:
        self.connectors: dict[str, Status] = {}
        self.tasks: dict[tuple[str, int], Status] = {}
        self.topics: dict[str, dict[str, dict[str, Any]]] = {}  # connector → topic → record
        self.log = KafkaLog(backend, topic, partitions, self._apply)

    def _apply(self, record: ConsumerRecord) -> None:
        key = (record.key or b"").decode()
        value = loads(record.value)
        if key.startswith("status-connector-"):
            name = key[len("status-connector-") :]
            if value is None:
                self.connectors.pop(name, None)
            else:
                self.connectors[name] = Status(
                    value["state"], value["worker_id"], value.get("trace"), value.get("generation", 0)
                )
        elif key.startswith("status-task-"):
            name, _, number = key[len("status-task-") :].rpartition("-")
            if value is None:
                self.tasks.pop((name, int(number)), None)
            else:
                self.tasks[(name, int(number))] = Status(
                    value["state"], value["worker_id"], value.get("trace"), value.get("generation", 0)
                )
        elif key.startswith("status-topic-"):
            topic, _, connector = key[len("status-topic-") :].partition(":connector-")
            if value is None:
                self.topics.get(connector, {}).pop(topic, None)
            else:
                self.topics.setdefault(connector, {})[topic] = value

    async def put_connector(self, name: str, status: Status) -> None:
        self.connectors[name] = status
        await self.log.send(f"status-connector-{name}", status.value(), wait=False)

    async def put_task(self, name: str, task: int, status: Status) -> None:
        self.tasks[(name, task)] = status
        await self.log.send(f"status-task-{name}-{task}", status.value(), wait=False)

    async def put_topic(self, connector: str, topic: str, task: int, now_ms: int) -> None:
        if topic in self.topics.get(connector, {}):
            return
        value = {"topic": {"name": topic, "connector": connector, "task": task, "discoverTimestamp": now_ms}}
        self.topics.setdefault(connector, {})[topic] = value
        await self.log.send(f"status-topic-{topic}:connector-{connector}", value, wait=False)

    async def delete_connector(self, name: str, tasks: int) -> None:
        self.connectors.pop(name, None)
        await self.log.send(f"status-connector-{name}", None, wait=False)
        for n in [t for (c, t) in self.tasks if c == name]:
            self.tasks.pop((name, n), None)
            await self.log.send(f"status-task-{name}-{n}", None, wait=False)
        for topic in list(self.topics.pop(name, {})):
            await self.log.send(f"status-topic-{topic}:connector-{name}", None, wait=False)
