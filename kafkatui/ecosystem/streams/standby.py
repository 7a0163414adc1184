"""Standby tasks (num.standby.replicas, Kafka's StandbyTask and the standby side of its
StoreChangelogReader): a warm copy of another instance's task state. A standby builds
the task's stores, loads its SQLite file (trusted only with a checkpoint, as an active
task's), then keeps reading the stores' changelog partitions from there and applies
every record, never processing input. At each commit it writes the stores and its
positions (as the checkpoint) into the task's file, so that when the active is lost and
this instance is given the task, the active task starts from the file and restores only
what the standby had not read yet.

One group-less consumer (Kafka's restore consumer) reads every standby's changelog
partitions; the stream thread polls it between input polls."""

from __future__ import annotations

from kafkatui.backends.base import EARLIEST_TIMESTAMP, Backend, ConsumerClient
from kafkatui.common.clients import ConsumerConfig, TopicPartition
from kafkatui.ecosystem.streams.registry_serdes import prefetch_store_record
from kafkatui.ecosystem.streams.state import TaskState
from kafkatui.ecosystem.streams.stores import KeyValueStore


class StandbyTask:
    def __init__(
        self, task_id: str, partition: int, stores: dict[str, KeyValueStore], changelogs: dict[str, str],
        state: TaskState,
    ) -> None:  # fmt: skip
        self.id, self.partition, self.stores, self.state = task_id, partition, stores, state
        self.by_topic = {topic: stores[name] for name, topic in changelogs.items()}
        self.positions: dict[tuple[str, int], int] = {}  # changelog partition -> next offset to apply
        self.updated = 0  # changelog records applied (Kafka's standby update-total)
        self.loaded = 0

    async def open(self, backend: Backend) -> None:
        checkpoint = await self.state.open()
        if not all((topic, self.partition) in checkpoint for topic in self.by_topic):
            await self.state.wipe()
            checkpoint = {}
        self.loaded = await self.state.load(self.stores)
        for topic in self.by_topic:
            start = (await backend.list_offsets(topic, [self.partition], EARLIEST_TIMESTAMP)).get(
                self.partition, 0
            )
            self.positions[(topic, self.partition)] = max(checkpoint.get((topic, self.partition), 0), start)

    def apply(self, topic: str, offset: int, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        store = self.by_topic[topic]
        raw_value = None if value is None else bytes(value)
        store.restore(bytes(key), raw_value)
        store.dirty[bytes(key)] = raw_value  # SQLite sees it at the next flush
        self.positions[(topic, self.partition)] = offset + 1
        self.updated += 1

    def offset_sum(self) -> int:
        """SubscriptionInfo's task offset sum: how far this copy has read (KIP-441)."""
        return sum(self.positions.values())

    async def flush(self) -> None:
        await self.state.flush(self.stores, self.positions)

    async def close(self) -> None:
        """Written, then closed: the file is what a promotion or a restart starts from."""
        await self.flush()
        await self.state.close()


class StandbyUpdater:
    """The restore consumer serving every standby of one instance."""

    def __init__(self, backend: Backend, client_id: str, isolation: str) -> None:
        self.backend = backend
        self.client_id, self.isolation = client_id, isolation
        self.tasks: dict[str, StandbyTask] = {}
        self._consumer: ConsumerClient | None = None
        self._owner: dict[tuple[str, int], StandbyTask] = {}

    def _reader(self) -> ConsumerClient:
        if self._consumer is None:
            self._consumer = self.backend.consumer(
                ConsumerConfig(
                    auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50,
                    max_poll_records=10_000, client_id=self.client_id, isolation_level=self.isolation,
                )
            )  # fmt: skip
        return self._consumer

    def set_tasks(self, tasks: dict[str, StandbyTask]) -> None:
        """Read the changelog partitions of exactly these standbys, each from its position."""
        before = set(self._owner)
        self.tasks = tasks
        self._owner = {tp: task for task in tasks.values() for tp in task.positions}
        if set(self._owner) == before:
            return
        reader = self._reader()
        reader.assign([TopicPartition(*tp) for tp in sorted(self._owner)])
        for tp, task in self._owner.items():  # every one: librdkafka's assign starts over
            reader.seek(TopicPartition(*tp), task.positions[tp])

    async def poll(self) -> int:
        """Apply what has arrived; how many records."""
        if not self._owner:
            return 0
        applied = 0
        for r in await self._reader().poll(0):
            task = self._owner.get((r.topic, r.partition))
            if task is not None:
                await prefetch_store_record(task.by_topic[r.topic], r.key, r.value)
                task.apply(r.topic, r.offset, r.key, r.value)
                applied += 1
        return applied

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.close()

    def lag_sums(self) -> dict[str, int]:
        return {task_id: task.offset_sum() for task_id, task in self.tasks.items()}
