"""The global stream thread (Kafka's GlobalStreamThread and GlobalStateManager): each
instance keeps every global store whole, read from all partitions of its source topic
with a consumer outside the group. At start the topics are read to their end offsets
of that moment before any stream task runs (so a join never misses a row that was
there before the application started); then a background task keeps reading, and
every stream task reaches the stores through `StreamTask.global_stores`.

There is no changelog: the source topic is the store's log (Kafka too). *Differs:*
Kafka keeps a RocksDB and a `.checkpoint` per global store so a restart reads only past
it; here the stores live in memory and a restart reads the topics from the start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.common.clients import ConsumerConfig, TopicPartition
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.streams.config import StreamsConfig
from kafkatui.ecosystem.streams.task import StreamsError, StreamTask
from kafkatui.ecosystem.streams.topology import Topology

log = logging.getLogger(__name__)


class GlobalStreamThread:
    def __init__(
        self, topology: Topology, config: StreamsConfig, backend: Backend, isolation: str,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:  # fmt: skip
        self.topology, self.config, self.backend, self.isolation = topology, config, backend, isolation
        self.on_error = on_error
        self.stores: dict[str, Any] = {}
        self.restored = 0  # records read at bootstrap
        self.processed = 0  # records read since
        self.error: BaseException | None = None
        self._tasks: dict[str, StreamTask] = {}  # topic -> the task of its global store
        self._consumer: Any = None
        self._run: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Build the global stores and read their topics to the end (no-op without any)."""
        subs = self.topology.global_subtopologies()
        if not subs:
            return
        config, partitions = self.config, []
        for sub in subs:
            stores = {
                name: self.topology.stores[name].build(config.default_key_serde, config.default_value_serde)
                for name in sub.stores
            }
            self.stores.update(stores)
            task = StreamTask(
                f"global-{sub.id}", sub, self.topology, application_id=config.application_id, partition=-1,
                stores=stores, default_key_serde=config.default_key_serde,
                default_value_serde=config.default_value_serde, resolve=lambda topic: topic,
                wall_clock_ms=self.backend.clock.now_ms, handler=config.deserialization_handler,
            )  # fmt: skip
            for topic in sub.source_topics:
                self._tasks[topic] = task
                try:
                    count = len(self.backend.describe_topic(topic).partitions)
                except KafkaError:
                    raise StreamsError(
                        f"MissingSourceTopicException: the global store's topic {topic} does not exist"
                    ) from None
                partitions += [TopicPartition(topic, p) for p in range(count)]
        self._consumer = self.backend.consumer(
            ConsumerConfig(
                auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50,
                max_poll_records=10_000, client_id=f"{config.application_id}-global-consumer",
                isolation_level=self.isolation,
            )
        )  # fmt: skip
        self._consumer.assign(partitions)
        for tp in partitions:
            self._consumer.seek(tp, 0)
        ends: dict[tuple[str, int], int] = {}
        for topic in self._tasks:
            numbers = [tp.partition for tp in partitions if tp.topic == topic]
            found = await self.backend.list_offsets(topic, numbers, LATEST_TIMESTAMP)
            ends.update({(topic, p): o for p, o in found.items()})
        await self._bootstrap(ends)
        self._run = asyncio.get_running_loop().create_task(self._loop(), name="global stream thread")

    async def _bootstrap(self, ends: dict[tuple[str, int], int]) -> None:
        position = {tp: 0 for tp in ends}
        idle = 0
        # Offsets past the last record can be transaction markers or compacted away: a
        # few empty polls mean nothing more is there below the end offsets.
        while any(position[tp] < end for tp, end in ends.items()) and idle < 3:
            records = await self._consumer.poll(100)
            idle = 0 if records else idle + 1
            for r in records:
                self._apply(r)
                self.restored += 1
                position[(r.topic, r.partition)] = r.offset + 1
        log.info("global stores %s bootstrapped from %d records", sorted(self.stores), self.restored)

    def _apply(self, r: Any) -> None:
        task = self._tasks[r.topic]
        task.process(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers)
        task.drain()  # a global store writes no changelog and forwards to no sink

    async def _loop(self) -> None:
        try:
            while True:
                for r in await self._consumer.poll(100):
                    self._apply(r)
                    self.processed += 1
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.error = error
            log.error("global stream thread of %s died: %s", self.config.application_id, error)
            if self.on_error is not None:  # Kafka: the instance stops, its global stores would go stale
                self.on_error(error)

    async def close(self) -> None:
        if self._run is not None:
            self._run.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._run
            self._run = None
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.close()
            self._consumer = None
        for task in {id(t): t for t in self._tasks.values()}.values():
            task.close()
