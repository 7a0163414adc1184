"""A task: one sub-topology's nodes for one input partition (Kafka's StreamTask, id
`<subtopology>_<partition>`). It deserializes a record at its source node, pushes it
through the processors (`ProcessorContext.forward`), serializes what reaches a sink
into `collector`, and tracks stream time: the largest timestamp it has seen, which
drives stream-time punctuation and windows (Kafka's PartitionGroup.streamTime).

What the task writes (sinks, and each logged store's changelog on the task's
partition) waits in `collector` for the runtime's producer or the test driver."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafkatui.ecosystem.streams.processor import Processor, PunctuationType
from kafkatui.ecosystem.streams.records import Record, RecordMetadata
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError
from kafkatui.ecosystem.streams.stores import KeyValueStore
from kafkatui.ecosystem.streams.topology import ProcessorNode, SinkNode, SourceNode, Subtopology, Topology

log = logging.getLogger(__name__)

# default.deserialization.exception.handler: Kafka's two built-in handlers.
LOG_AND_CONTINUE = "logAndContinue"
LOG_AND_FAIL = "logAndFail"
HANDLERS = {
    "logAndContinue": LOG_AND_CONTINUE,
    "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler": LOG_AND_CONTINUE,
    "logAndFail": LOG_AND_FAIL,
    "org.apache.kafka.streams.errors.LogAndFailExceptionHandler": LOG_AND_FAIL,
}


def store_topic(sub: Subtopology, store: str, resolve: Callable[[str], str]) -> str:
    """The topic a store's serdes are called with: its changelog, or for a global store
    the topic it is read from (which is its changelog in Kafka)."""
    if sub.is_global:
        return resolve(sorted(sub.source_topics)[0])
    return resolve(f"{store}-changelog")


class StreamsError(Exception):
    """Kafka's StreamsException: the application cannot go on."""


@dataclass(slots=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    timestamp: int
    partition: int | None = None
    headers: tuple = ()


@dataclass(slots=True)
class Skipped:
    """A record the source could not deserialize, which log-and-continue skipped."""

    topic: str
    partition: int
    offset: int
    error: str


@dataclass
class _Punctuation:
    interval: int
    type: PunctuationType
    punctuator: Callable[[int], None]
    node: _Node
    next: int
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass(eq=False)
class _Node:
    name: str
    children: list[_Node] = field(default_factory=list)
    processor: Processor | None = None
    sink: SinkNode | None = None
    source: SourceNode | None = None


class StreamTask:
    def __init__(
        self,
        task_id: str,
        sub: Subtopology,
        topology: Topology,
        *,
        application_id: str,
        partition: int,
        stores: dict[str, KeyValueStore],
        default_key_serde: Serde,
        default_value_serde: Serde,
        resolve: Callable[[str], str],
        wall_clock_ms: Callable[[], int],
        handler: str = LOG_AND_FAIL,
    ) -> None:
        if handler not in HANDLERS:
            raise StreamsError(
                f"unknown default.deserialization.exception.handler {handler!r}: logAndContinue or logAndFail"
            )
        self.id, self.application_id, self.partition = task_id, application_id, partition
        self.handler = HANDLERS[handler]
        self.stores = stores
        self.global_stores: dict[str, KeyValueStore] = {}  # every instance's global stores (global_thread.py)
        self.key_serde, self.value_serde = default_key_serde, default_value_serde
        self.wall_clock_ms = wall_clock_ms
        self.collector: list[OutRecord] = []
        self.stream_time = -1
        self.processed = 0
        self.dropped = 0  # Kafka's dropped-records-total: unreadable, late, null keys
        self.skipped: list[Skipped] = []
        self._punctuations: list[_Punctuation] = []
        self._timestamp = 0
        self._where: tuple[str, int, int] | None = None  # the record being processed
        self.context = TaskContext(self)
        for store in stores.values():
            changelog = resolve(f"{store.name}-changelog")
            store.topic = store_topic(sub, store.name, resolve)
            store.attach(self._changelog_sink(changelog))
        nodes = {name: _Node(name) for name in sub.nodes}
        self.sources: dict[str, _Node] = {}
        for name in sub.nodes:
            node, spec = nodes[name], topology.nodes[name]
            node.children = [nodes[c] for c in topology.children(name) if c in nodes]
            if isinstance(spec, SourceNode):
                node.source = spec
                for topic in spec.topics:
                    self.sources[resolve(topic)] = node
            elif isinstance(spec, SinkNode):
                node.sink = spec
                self._sink_topic = resolve
            elif isinstance(spec, ProcessorNode):
                node.processor = spec.supplier()
        self._resolve = resolve
        self._nodes = nodes
        for name in sub.nodes:
            node = nodes[name]
            if node.processor is not None:
                self.context._current = node
                node.processor.init(self.context)
        self.context._current = None

    def _changelog_sink(self, topic: str) -> Callable[[bytes, bytes | None], None]:
        def send(key: bytes, value: bytes | None) -> None:
            self.collector.append(OutRecord(topic, key, value, self._timestamp, self.partition))

        return send

    # --- processing -----------------------------------------------------------------
    def process(
        self, topic: str, partition: int, offset: int, timestamp: int, key: bytes | None, value: bytes | None,
        headers: tuple = (),
    ) -> None:  # fmt: skip
        source = self.sources[topic]
        spec = source.source
        assert spec is not None
        try:
            k = (spec.key_serde or self.key_serde).deserialize(topic, key)
            v = (spec.value_serde or self.value_serde).deserialize(topic, value)
        except Exception as error:  # any serde's failure is the handler's to judge
            self._unreadable(topic, partition, offset, error)
            return
        if timestamp < 0:  # Kafka skips a record with an invalid timestamp (and counts it)
            self.dropped += 1
            return
        if timestamp > self.stream_time:
            self.stream_time = timestamp
        self._timestamp = timestamp
        self._where = (topic, partition, offset)
        self.processed += 1
        self.context._current = source
        try:
            self.context.forward(Record(k, v, timestamp, tuple(headers or ())))
        finally:
            self.context._current = None
        if self._punctuations:
            self.punctuate(PunctuationType.STREAM_TIME, self.stream_time)

    def _unreadable(self, topic: str, partition: int, offset: int, error: Exception) -> None:
        where = f"taskId: {self.id}, topic: {topic}, partition: {partition}, offset: {offset}"
        if self.handler == LOG_AND_FAIL:
            raise StreamsError(
                f"Deserialization exception handler is set to fail upon a deserialization error ({where}: "
                f"{error}). If you would rather have the streaming pipeline continue after a deserialization "
                "error, please set the default.deserialization.exception.handler appropriately."
            ) from error
        log.warning("Exception caught during Deserialization, %s: %s", where, error)
        self.dropped += 1
        self.skipped.append(Skipped(topic, partition, offset, str(error)))

    def sink(self, node: _Node, record: Record) -> None:
        spec = node.sink
        assert spec is not None
        topic = self._resolve(spec.topic)
        try:
            key = (spec.key_serde or self.key_serde).serialize(topic, record.key)
            value = (spec.value_serde or self.value_serde).serialize(topic, record.value)
        except SerializationError as error:
            raise StreamsError(
                f"Error encountered sending record to topic {topic} for task {self.id} due to: {error}"
            ) from error
        self.collector.append(OutRecord(topic, key, value, record.timestamp, None, record.headers))

    # --- punctuation ------------------------------------------------------------------
    def schedule(
        self, interval: int, type: PunctuationType, punctuator: Callable[[int], None]
    ) -> _Punctuation:
        if interval < 1:
            raise ValueError("The minimum supported scheduling interval is 1 millisecond.")
        node = self.context._current
        assert node is not None, "schedule() is called from a processor's init or process"
        # Kafka: stream time punctuates from 0 as soon as there is data; wall clock from now.
        first = interval if type is PunctuationType.STREAM_TIME else self.wall_clock_ms() + interval
        if type is PunctuationType.STREAM_TIME and self.stream_time >= 0:
            first = self.stream_time + interval
        punctuation = _Punctuation(interval, type, punctuator, node, first)
        self._punctuations.append(punctuation)
        return punctuation

    def punctuate(self, type: PunctuationType, now: int) -> int:
        """Run the punctuators of `type` that are due at `now`; how many ran."""
        ran = 0
        for p in self._punctuations:
            if p.cancelled or p.type is not type or now < p.next:
                continue
            p.next += p.interval * ((now - p.next) // p.interval + 1)
            previous, self.context._current = self.context._current, p.node
            self._timestamp, self._where = now, None
            try:
                p.punctuator(now)
            finally:
                self.context._current = previous
            ran += 1
        self._punctuations = [p for p in self._punctuations if not p.cancelled]
        return ran

    def punctuate_wall_clock(self) -> int:
        return self.punctuate(PunctuationType.WALL_CLOCK_TIME, self.wall_clock_ms())

    def drain(self) -> list[OutRecord]:
        out, self.collector = self.collector, []
        return out

    def close(self) -> None:
        for node in self._nodes.values():
            if node.processor is not None:
                node.processor.close()


class TaskContext:
    """The `ProcessorContext` a task's processors get (one per task; `_current` is the
    node being run, as Kafka's ProcessorContextImpl.currentNode)."""

    def __init__(self, task: StreamTask) -> None:
        self._task = task
        self._current: _Node | None = None

    @property
    def application_id(self) -> str:
        return self._task.application_id

    @property
    def task_id(self) -> str:
        return self._task.id

    def forward(self, record: Record, child: str | None = None) -> None:
        node = self._current
        assert node is not None, "forward() is called from process() or a punctuator"
        task = self._task
        for target in node.children:
            if child is not None and target.name != child:
                continue
            if target.sink is not None:
                task.sink(target, record)
                continue
            self._current = target
            try:
                target.processor.process(record)  # type: ignore[union-attr]
            finally:
                self._current = node

    def schedule(self, interval_ms: int, type: PunctuationType, punctuator: Callable[[int], None]) -> Any:
        return self._task.schedule(interval_ms, type, punctuator)

    def get_state_store(self, name: str) -> Any:
        try:
            return self._task.stores.get(name) or self._task.global_stores[name]
        except KeyError:
            raise StreamsError(
                f"Processor has no access to StateStore {name}: connect it in the topology"
            ) from None

    def record_metadata(self) -> RecordMetadata | None:
        where = self._task._where
        return None if where is None else RecordMetadata(*where)

    def current_stream_time_ms(self) -> int:
        return self._task.stream_time

    def current_system_time_ms(self) -> int:
        return self._task.wall_clock_ms()

    def drop(self) -> None:
        """A DSL operator skipped the record (null key, late): Kafka's dropped-records."""
        self._task.dropped += 1

    def commit(self) -> None:
        """Asking for a commit: the runtime commits at its next chance (every
        commit.interval.ms anyway)."""
        self._task.commit_requested = True
