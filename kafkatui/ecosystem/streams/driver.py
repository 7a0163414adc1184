"""TopologyTestDriver: a topology run on a manual clock with no cluster (Kafka's
`org.apache.kafka.streams.TopologyTestDriver`). Every topic has one partition, so each
sub-topology is one task `<subtopology>_0`; what a task writes to a repartition topic is
piped straight back to the sub-topology that reads it, and changelog records are kept
like any other output (`read_output` or `produced(topic)`). A global store's topic is
read by its own task, whose stores every task reaches. `partitions` (topic -> count)
runs the co-partitioning check the runtime runs at start."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

from kafkatui.ecosystem.streams.config import StreamsConfig
from kafkatui.ecosystem.streams.joins_copartition import enforce_copartitioning
from kafkatui.ecosystem.streams.records import Record
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.task import OutRecord, StreamTask
from kafkatui.ecosystem.streams.topology import Topology


class TopologyTestDriver:
    def __init__(
        self, topology: Topology, config: dict[str, Any] | None = None, wall_clock_ms: int = 0,
        partitions: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        settings = {"application.id": "test-driver", "state.dir": "/nonexistent"} | dict(config or {})
        self.config = StreamsConfig.of(settings)
        self.topology = topology
        self.wall_clock_ms = wall_clock_ms
        app = self.config.application_id
        internal = topology.internal_topics | {f"{s}-changelog" for s in topology.stores}

        def resolve(topic: str) -> str:
            return f"{app}-{topic}" if topic in internal else topic

        self.resolve = resolve
        self.global_stores: dict[str, Any] = {}
        if partitions:
            enforce_copartitioning(topology, {t: partitions.get(t, 1) for s in topology.subtopologies()
                                              for t in s.source_topics})  # fmt: skip
        self.tasks: list[StreamTask] = []
        self._readers: dict[str, StreamTask] = {}
        for sub in topology.global_subtopologies() + topology.subtopologies():
            stores = {
                name: topology.stores[name].build(
                    self.config.default_key_serde, self.config.default_value_serde
                )
                for name in sub.stores
            }
            task = StreamTask(
                "global" if sub.is_global else f"{sub.id}_0", sub, topology, application_id=app, partition=0,
                stores=stores,
                default_key_serde=self.config.default_key_serde,
                default_value_serde=self.config.default_value_serde,
                resolve=resolve, wall_clock_ms=lambda: self.wall_clock_ms,
                handler=self.config.deserialization_handler,
            )  # fmt: skip
            self.tasks.append(task)
            if sub.is_global:
                self.global_stores.update(stores)
            task.global_stores = self.global_stores
            for topic in task.sources:
                self._readers[topic] = task
        self._offsets: dict[str, int] = defaultdict(int)
        self._output: dict[str, deque[OutRecord]] = defaultdict(deque)
        self._produced: dict[str, list[OutRecord]] = defaultdict(list)

    # --- input ----------------------------------------------------------------------
    def pipe_raw(
        self, topic: str, key: bytes | None, value: bytes | None, timestamp: int, headers: tuple = ()
    ) -> None:
        task = self._readers.get(topic)
        if task is None:
            raise ValueError(f"Unknown topic: {topic} (the topology reads {sorted(self._readers)})")
        offset = self._offsets[topic]
        self._offsets[topic] += 1
        task.process(topic, 0, offset, timestamp, key, value, headers)
        self._route()

    def _route(self) -> None:
        pending = deque(out for task in self.tasks for out in task.drain())
        while pending:
            out = pending.popleft()
            self._produced[out.topic].append(out)
            reader = self._readers.get(out.topic)
            if reader is not None and out.topic.endswith("-repartition"):
                offset = self._offsets[out.topic]
                self._offsets[out.topic] += 1
                reader.process(out.topic, 0, offset, out.timestamp, out.key, out.value, out.headers)
                pending.extend(reader.drain())
            else:
                self._output[out.topic].append(out)

    def pipe_input(
        self, topic: str, key: Any = None, value: Any = None, timestamp: int | None = None, *,
        key_serde: Serde | None = None, value_serde: Serde | None = None,
    ) -> None:  # fmt: skip
        """One record, written with the given serdes (the application's defaults if none)."""
        ks = key_serde or self.config.default_key_serde
        vs = value_serde or self.config.default_value_serde
        ts = self.wall_clock_ms if timestamp is None else timestamp
        self.pipe_raw(topic, ks.serialize(topic, key), vs.serialize(topic, value), ts)

    def create_input_topic(
        self, topic: str, key_serde: Serde | None = None, value_serde: Serde | None = None
    ) -> TestInputTopic:
        return TestInputTopic(self, topic, key_serde, value_serde)

    # --- output ---------------------------------------------------------------------
    def read_output(
        self, topic: str, key_serde: Serde | None = None, value_serde: Serde | None = None
    ) -> Record | None:
        """The next record written to `topic`, deserialized, or None if there is none."""
        queue = self._output.get(topic)
        if not queue:
            return None
        out = queue.popleft()
        ks = key_serde or self.config.default_key_serde
        vs = value_serde or self.config.default_value_serde
        return Record(
            ks.deserialize(topic, out.key), vs.deserialize(topic, out.value), out.timestamp, out.headers
        )

    def read_all(
        self, topic: str, key_serde: Serde | None = None, value_serde: Serde | None = None
    ) -> list[tuple[Any, Any]]:
        found = []
        while (record := self.read_output(topic, key_serde, value_serde)) is not None:
            found.append((record.key, record.value))
        return found

    def produced(self, topic: str) -> list[OutRecord]:
        """Every record written to `topic` (repartition and changelog topics too), raw."""
        return list(self._produced.get(topic, []))

    # --- time, stores, metrics ------------------------------------------------------
    def advance_wall_clock_time(self, ms: int) -> None:
        self.wall_clock_ms += ms
        for task in self.tasks:
            task.punctuate_wall_clock()
        self._route()

    def get_state_store(self, name: str) -> Any:
        if name in self.global_stores:
            return self.global_stores[name]
        for task in self.tasks:
            if name in task.stores:
                return task.stores[name]
        raise KeyError(f"no store {name!r}: the topology has {sorted(self.topology.stores)}")

    get_key_value_store = get_state_store
    get_window_store = get_state_store

    def metrics(self) -> dict[str, int]:
        return {
            "process-total": sum(t.processed for t in self.tasks),
            "dropped-records-total": sum(t.dropped for t in self.tasks),
        }

    def close(self) -> None:
        for task in self.tasks:
            task.close()


class TestInputTopic:
    """Kafka's TestInputTopic: records with this topic's serdes, timestamps from its
    own clock unless given."""

    __test__ = False  # not a pytest class

    def __init__(
        self, driver: TopologyTestDriver, topic: str, key_serde: Serde | None, value_serde: Serde | None
    ) -> None:
        self.driver, self.topic, self.key_serde, self.value_serde = driver, topic, key_serde, value_serde
        self.time = 0

    def pipe_input(self, key: Any, value: Any, timestamp: int | None = None) -> None:
        ts = self.time if timestamp is None else timestamp
        self.driver.pipe_input(
            self.topic, key, value, ts, key_serde=self.key_serde, value_serde=self.value_serde
        )

    def pipe_key_value_list(self, pairs: list[tuple[Any, Any]], timestamp: int | None = None) -> None:
        for key, value in pairs:
            self.pipe_input(key, value, timestamp)

    def advance_time(self, ms: int) -> None:
        self.time += ms
