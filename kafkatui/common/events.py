"""Typed engine events and the bus that carries them.

Every state change in the engine is published as one of these frozen dataclasses, per
batch rather than per record, so the TUI, the CLI's narration and tests observe the
cluster without reaching into its internals.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from kafkatui.common.acl import AclBinding


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened in the cluster at `timestamp_ms` (cluster clock)."""

    timestamp_ms: int


@dataclass(frozen=True, kw_only=True)
class BrokerStarted(Event):
    broker_id: int


@dataclass(frozen=True, kw_only=True)
class BrokerStopped(Event):
    broker_id: int
    crashed: bool = False


@dataclass(frozen=True, kw_only=True)
class BrokerFenced(Event):
    """The controller took a broker out of service: it shut down, or missed heartbeats
    for `broker.session.timeout.ms` (`reason` says which)."""

    broker_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class BrokerUnfenced(Event):
    """A fenced broker is back in service (restarted, or heartbeating again)."""

    broker_id: int


@dataclass(frozen=True, kw_only=True)
class LogDirFailed(Event):
    """A broker's database (its log dir) went offline (KIP-112): an I/O error, or damage
    found on open, at the startup check or in a batch read (CRC-32C). Its replicas
    leave the ISRs and its leaderships move. `damaged`: it stays offline until
    `kafkatui broker repair`; else until the broker restarts."""

    broker_id: int
    path: str
    reason: str
    damaged: bool = False


@dataclass(frozen=True, kw_only=True)
class LogDirNewIncarnation(Event):
    """A broker came back with another database than the one its replicas were in (new,
    missing, emptied, from another cluster or broker: KIP-858's directory ids): it leads
    none of its partitions and refetches each from its leader, rejoining the ISR when
    caught up (`partitions` are those it rebuilds)."""

    broker_id: int
    path: str
    reason: str
    directory_id: str
    partitions: int = 0


@dataclass(frozen=True, kw_only=True)
class MetadataLogRebuilt(Event):
    """`cluster-metadata.db` was damaged or missing at start-up and was rebuilt from the
    longest copy of the metadata log that replays whole (KRaft refetches a node's
    `__cluster_metadata` from the others); the damaged file is `kept_as` ("" if none)."""

    path: str
    source: str
    broker_id: int
    reason: str
    last_offset: int
    kept_as: str = ""

    @property
    def message(self) -> str:
        """One line for the workbench and the CLI's start-up warnings."""
        kept = f"; the damaged file is kept as {self.kept_as}" if self.kept_as else ""
        return (
            f"{self.path} {self.reason}: rebuilt from broker {self.broker_id}'s copy of the metadata "
            f"log ({self.source}, up to offset {self.last_offset}){kept}"
        )


@dataclass(frozen=True, kw_only=True)
class ControllerElected(Event):
    """A broker took the controller role (KRaft's quorum leader); -1 while none holds it."""

    controller_id: int
    epoch: int
    previous: int = -1


@dataclass(frozen=True, kw_only=True)
class LinkChanged(Event):
    """The simulated network between two brokers changed (latency, loss, cut)."""

    a: int
    b: int
    latency_ms: int
    loss: float
    cut: bool


@dataclass(frozen=True, kw_only=True)
class TopicCreated(Event):
    topic: str
    topic_id: str
    partitions: int
    replication_factor: int


@dataclass(frozen=True, kw_only=True)
class TopicDeleted(Event):
    topic: str
    topic_id: str


@dataclass(frozen=True, kw_only=True)
class PartitionsCreated(Event):
    topic: str
    old_count: int
    new_count: int


@dataclass(frozen=True, kw_only=True)
class TopicConfigChanged(Event):
    topic: str
    changes: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, kw_only=True)
class LeaderElected(Event):
    topic: str
    partition: int
    leader: int
    leader_epoch: int


@dataclass(frozen=True, kw_only=True)
class IsrShrunk(Event):
    """Replicas left a partition's in-sync set (their broker was fenced, or they lag)."""

    topic: str
    partition: int
    isr: tuple[int, ...]
    removed: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class IsrExpanded(Event):
    """A follower caught up with the leader's high watermark and rejoined the ISR."""

    topic: str
    partition: int
    isr: tuple[int, ...]
    added: int


@dataclass(frozen=True, kw_only=True)
class RecordAppended(Event):
    """A batch was appended to a partition replica's log."""

    broker_id: int
    topic: str
    partition: int
    base_offset: int
    last_offset: int
    record_count: int
    size_bytes: int
    producer_id: int = -1


@dataclass(frozen=True, kw_only=True)
class HighWatermarkAdvanced(Event):
    topic: str
    partition: int
    high_watermark: int


@dataclass(frozen=True, kw_only=True)
class ProduceRejected(Event):
    """A partition leader refused a batch (the error is Kafka's name for why)."""

    broker_id: int
    topic: str
    partition: int
    error: str
    message: str


@dataclass(frozen=True, kw_only=True)
class DuplicateBatchDropped(Event):
    """A partition leader recognised a retried batch of an idempotent producer (its
    sequence range is one of the producer's last five, KIP-98) and did not append it
    again; the producer was answered with the offsets of the first append."""

    broker_id: int
    topic: str
    partition: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    last_sequence: int
    base_offset: int
    last_offset: int


@dataclass(frozen=True, kw_only=True)
class AckLost(Event):
    """A fault: the leader appended a batch (and replicated it as acks asked), but its
    produce response never reached the producer, which will retry the batch."""

    broker_id: int
    topic: str
    partition: int
    base_offset: int
    last_offset: int


@dataclass(frozen=True, kw_only=True)
class ProducerIdsAllocated(Event):
    """The controller handed a broker a block of producer ids (KIP-730's
    AllocateProducerIds, committed as a ProducerIdsRecord)."""

    broker_id: int
    first_producer_id: int
    last_producer_id: int


@dataclass(frozen=True, kw_only=True)
class GroupStateChanged(Event):
    """A consumer group moved between Kafka's classic group states (`ClassicGroupState`:
    Empty, PreparingRebalance, CompletingRebalance, Stable, Dead)."""

    group_id: str
    old_state: str
    new_state: str
    generation: int


@dataclass(frozen=True, kw_only=True)
class GroupMemberJoined(Event):
    """A member entered a consumer group (a static member replacing its old member id
    enters under its new id)."""

    group_id: str
    member_id: str
    group_instance_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class GroupMemberRemoved(Event):
    """A member left a consumer group; `reason` is "left", "session timeout", "rebalance
    timeout", "fenced" (its group.instance.id rejoined under a new member id), "group max
    size" or "not persisted" (a static rejoin the coordinator could not store)."""

    group_id: str
    member_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class GroupRebalanceCompleted(Event):
    """The leader's assignment is stored and handed out: the group is Stable at `generation`."""

    group_id: str
    generation: int
    leader_id: str
    protocol: str
    members: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LogCleaned(Event):
    """The log cleaner compacted a replica: [first_offset, end_offset) kept only the
    latest record per key (and tombstones younger than delete.retention.ms)."""

    broker_id: int
    topic: str
    partition: int
    first_offset: int
    end_offset: int
    records_before: int
    records_after: int
    bytes_freed: int


@dataclass(frozen=True, kw_only=True)
class LogStartOffsetAdvanced(Event):
    """Retention deleted a replica's oldest segments: its log now starts later."""

    broker_id: int
    topic: str
    partition: int
    log_start_offset: int
    previous: int


@dataclass(frozen=True, kw_only=True)
class RestRequestServed(Event):
    """The REST Proxy answered one HTTP request (any route, v2 or v3): what a teacher
    shows as "HTTP in, Kafka records out". `latency_ms` is wall time from the request
    line to the answer; `records_in` are records the request produced, `records_out`
    records it returned (None where the route moves none or the answer does not say).
    `peer` is the client's host:port, `user_agent` its User-Agent header if sent;
    `group_id`/`instance_id` name the v2 consumer instance the path addresses."""

    method: str
    path: str
    status: int
    latency_ms: float
    peer: str
    user_agent: str | None = None
    records_in: int | None = None
    records_out: int | None = None
    group_id: str | None = None
    instance_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RestConsumerChanged(Event):
    """A REST Proxy consumer instance (Confluent's v2 `/consumers/{group}/instances/
    {name}`) was created, subscribed or assigned, or closed: `closed` says why ("deleted",
    "expired" after consumer.instance.timeout.ms, "shutdown"), None while it lives."""

    group_id: str
    instance_id: str
    format: str
    topics: tuple[str, ...] = ()
    closed: str | None = None


Listener = Callable[[Event], None]


@dataclass(frozen=True, kw_only=True)
class TransactionStateChanged(Event):
    """A transaction coordinator wrote a new state for a `transactional.id` (KIP-98):
    Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit or CompleteAbort."""

    broker_id: int
    transactional_id: str
    producer_id: int
    producer_epoch: int
    state: str
    partitions: tuple[tuple[str, int], ...] = ()
    reason: str = ""


class Subscription:
    """A bounded queue of events; when a slow reader falls behind, the oldest are dropped."""

    def __init__(self, bus: EventBus, types: tuple[type[Event], ...], maxsize: int) -> None:
        self._bus = bus
        self._types = types
        self._queue: deque[Event] = deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self.dropped = 0

    def _offer(self, event: Event) -> None:
        if self._types and not isinstance(event, self._types):
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def drain(self) -> list[Event]:
        """Everything queued now, without waiting."""
        events = list(self._queue)
        self._queue.clear()
        self._ready.clear()
        return events

    async def get(self) -> Event:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        self._bus._subscriptions.discard(self)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.get()


class EventBus:
    """Publish/subscribe for engine events. Publishing never blocks the engine."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Listener] = []

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            subscription._offer(event)
        for listener in list(self._listeners):
            listener(event)

    def subscribe(self, *types: type[Event], maxsize: int = 10_000) -> Subscription:
        """A queue of future events, optionally only of the given types."""
        subscription = Subscription(self, types, maxsize)
        self._subscriptions.add(subscription)
        return subscription

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` synchronously for every event; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)


@dataclass(frozen=True, kw_only=True)
class AclsCreated(Event):
    """The controller committed new ACLs (CreateAcls, as AccessControlEntryRecords,
    KIP-801); `bindings` are only those not already present."""

    bindings: tuple[AclBinding, ...]


@dataclass(frozen=True, kw_only=True)
class AclsDeleted(Event):
    """The controller removed ACLs (DeleteAcls, as RemoveAccessControlEntryRecords);
    `bindings` are each removed ACL once, however many filters matched it."""

    bindings: tuple[AclBinding, ...]
