"""The registry's storage is Kafka's own (Confluent's KafkaStore): every change is a
record in the compacted `_schemas` topic, and a reader replays that topic into memory.
A write is done when the reader has applied it, so what a request answers is what a
restarted registry — or a second one on the same cluster — would read back.

It talks to the cluster only through the `Backend` interface (a producer and a
consumer assigned to `_schemas-0`), so it runs on kafkatui's engine and on any Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.records import NOOP, Key, encode_value

log = logging.getLogger("kafkatui.ecosystem.registry")

TOPIC = "_schemas"  # Confluent's kafkastore.topic default
REPLICATION_FACTOR = 3  # kafkastore.topic.replication.factor, capped by the brokers there are
RECORD_LIMIT = 1_000_000  # a record larger than this is refused as SCHEMA_TOO_LARGE (max.message.bytes ~1 MB)
TIMEOUT_S = 30.0  # kafkastore.timeout.ms is 500 ms in Confluent; a workbench cluster may be slow to start

Apply = Callable[[bytes | None, bytes | None, int], None]


class SchemaLog:
    """The `_schemas` topic: `put` appends a record and waits until the reader applied
    it (through `apply(key, value, offset)`); `start` replays the topic first."""

    def __init__(self, backend: Backend, apply: Apply, topic: str = TOPIC) -> None:
        self.backend = backend
        self.topic = topic
        self._apply = apply
        self._producer: Any = None
        self._consumer: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._applied = -1  # offset of the last record applied
        self._progress = asyncio.Condition()
        self._write_lock = asyncio.Lock()  # one writer at a time, as Confluent's leader

    async def start(self) -> None:
        await self._ensure_topic()
        self._producer = self.backend.producer(ProducerConfig(acks="all", linger_ms=0))
        self._consumer = self.backend.consumer(
            ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100)
        )
        self._consumer.assign([(self.topic, 0)])
        self._consumer.seek((self.topic, 0), 0)
        self._reader = asyncio.create_task(self._read(), name="schema-registry-reader")
        await self.sync()

    async def _ensure_topic(self) -> None:
        brokers = max(1, len(self.backend.brokers()))
        try:
            await self.backend.create_topic(
                self.topic, 1, min(REPLICATION_FACTOR, brokers), {"cleanup.policy": "compact"}
            )
        except KafkaError as error:
            if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:
                raise
            policy = self.backend.describe_topic(self.topic).configs.get("cleanup.policy", "compact")
            if "compact" not in policy:
                log.warning(
                    "%s has cleanup.policy=%s: old schemas may be deleted by retention", self.topic, policy
                )

    async def _read(self) -> None:
        while True:
            try:
                records = await self._consumer.poll(500)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a broker restarting: keep the registry up and retry
                log.warning("reading %s failed (%s); retrying", self.topic, error)
                await asyncio.sleep(0.5)
                continue
            if not records:
                continue
            for record in records:
                try:
                    self._apply(record.key, record.value, record.offset)
                except Exception:  # never let one bad record stop the reader
                    log.exception("%s offset %d could not be applied; skipped", self.topic, record.offset)
            async with self._progress:
                self._applied = records[-1].offset
                self._progress.notify_all()

    async def _until(self, offset: int) -> None:
        async with self._progress:
            await asyncio.wait_for(self._progress.wait_for(lambda: self._applied >= offset), TIMEOUT_S)

    async def put(self, key: Key, value: dict[str, Any] | None) -> int:
        """Append one record and wait until the reader applied it; its offset."""
        raw = encode_value(value)
        if raw is not None and len(raw) > RECORD_LIMIT:
            raise errors.schema_too_large(len(raw), RECORD_LIMIT)
        try:
            metadata = await asyncio.wait_for(
                self._producer.send_and_wait(self.topic, raw, key=key.encode(), partition=0), TIMEOUT_S
            )
            await self._until(metadata.offset)
        except TimeoutError:
            raise errors.RegistryError(
                errors.OPERATION_TIMEOUT, f"Write to the Kafka store ({self.topic}) timed out"
            ) from None
        except KafkaError as error:
            if error.code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE):
                raise errors.schema_too_large(len(raw or b""), RECORD_LIMIT) from None
            raise errors.RegistryError(
                errors.STORE_ERROR, f"Error while writing to the Kafka store ({self.topic}): {error}"
            ) from None
        return metadata.offset

    async def sync(self) -> None:
        """Wait until everything in the topic now has been applied (Confluent writes a
        NOOP record and reads up to it, since a consumer cannot ask where the log ends)."""
        await self.put(NOOP, None)

    def lock(self) -> asyncio.Lock:
        return self._write_lock

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
        self._consumer = self._producer = None
