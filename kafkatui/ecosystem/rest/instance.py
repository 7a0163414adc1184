"""One v2 consumer instance (Confluent's `KafkaConsumerState`): a real consumer of the
backend (`ConsumerClient`) in the instance's group, driven by HTTP requests.

Differences from Confluent, on purpose: a commit without offsets commits what reads
have *returned* (Confluent commits the consumer's position, which includes records it
fetched but kept back for `max_bytes`), and auto commit (auto.commit.enable) is done
here, every auto.commit.interval.ms at a read and at close, for the same reason.

A read's poll may outlive the read: a poll that is joining the group waits for the
other members to rejoin, and they rejoin in their own requests (Kafka's consumer polls
the join forward the same way). So the poll is a task; a read that runs out of time
leaves it going, and the next request takes its records."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kafkatui.backends.base import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, Backend, ConsumerClient
from kafkatui.common.clients import ConsumerConfig, ConsumerRecord, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.decode import RecordDecoder, Undecodable
from kafkatui.ecosystem.rest.formats import EmbeddedFormat

log = logging.getLogger("kafkatui.ecosystem.rest")

AUTO_COMMIT_INTERVAL_MS = 5_000  # Kafka's auto.commit.interval.ms default
_EXCLUSIVE = "Subscription to topics, partitions and pattern are mutually exclusive"  # Kafka's words


@dataclass(frozen=True)
class InstanceConfig:
    """What `POST /consumers/{group}` sets (CreateConsumerInstanceRequest)."""

    name: str
    format: EmbeddedFormat
    consumer: ConsumerConfig
    fetch_min_bytes: int | None = None  # the read returns once it has more than this
    request_timeout_ms: int | None = None  # consumer.request.timeout.ms of this instance
    auto_commit: bool = True  # auto.commit.enable (Kafka's enable.auto.commit, on by default)


class ConsumerInstance:
    def __init__(
        self, backend: Backend, group: str, config: InstanceConfig, decoder: RecordDecoder, now_ms: int
    ) -> None:
        self.backend = backend
        self.group = group
        self.config = config
        self.decoder = decoder
        self.last_used_ms = now_ms
        self.lock = asyncio.Lock()  # one request at a time, as KafkaConsumerState is synchronized
        self._client: ConsumerClient | None = None
        self._topics: tuple[str, ...] = ()  # subscribed to (a pattern's matches)
        self._pattern: re.Pattern[str] | None = None
        self._assigned_by_hand = False
        self._buffer: deque[ConsumerRecord] = deque()  # fetched, not yet returned
        self._returned: dict[TopicPartition, int] = {}  # next offset after what reads returned
        self._last_commit_ms = now_ms
        self._polling: asyncio.Future[list[ConsumerRecord]] | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def format(self) -> EmbeddedFormat:
        return self.config.format

    # --- the consumer -----------------------------------------------------------------

    def _client_or_new(self) -> ConsumerClient:
        if self._client is None:
            self._client = self.backend.consumer(self.config.consumer)
            self._client.on_assignment = self._assigned
        return self._client

    def _assigned(self, partitions: list[TopicPartition]) -> None:
        """A rebalance moved partitions: forget what is held for those now elsewhere."""
        kept = set(partitions)
        self._buffer = deque(r for r in self._buffer if (r.topic, r.partition) in kept)
        self._returned = {tp: at for tp, at in self._returned.items() if tp in kept}

    async def _settle(self) -> None:
        """Before changing the consumer: let a poll still going finish (its records are
        kept, so a seek or a commit after it sees where it got to)."""
        if self._polling is not None:
            polling, self._polling = self._polling, None
            with contextlib.suppress(KafkaError):
                self._buffer.extend(await polling)

    async def _drop_client(self) -> None:
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError, KafkaError):
                await self._polling
            self._polling = None
        client, self._client = self._client, None
        self._topics, self._pattern, self._assigned_by_hand = (), None, False
        self._buffer.clear()
        self._returned.clear()
        if client is not None:
            with contextlib.suppress(KafkaError):
                await client.close()  # LeaveGroup

    # --- subscription and assignment --------------------------------------------------

    async def subscribe(self, topics: list[str] | None, pattern: str | None) -> None:
        if self._assigned_by_hand:
            raise errors.illegal_state(_EXCLUSIVE)
        await self._settle()
        if topics is not None:
            self._pattern = None
            self._subscribe(tuple(sorted(set(topics))))
            return
        assert pattern is not None
        try:
            self._pattern = re.compile(pattern)
        except re.error as error:
            raise errors.unprocessable(f"topic_pattern {pattern!r} is not a valid pattern: {error}") from None
        self._topics = ()
        self._match_pattern()

    def _subscribe(self, topics: tuple[str, ...]) -> None:
        try:
            self._client_or_new().subscribe(topics)
        except KafkaError as error:
            if error.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
                raise errors.topic_not_found() from None
            raise errors.from_kafka(error) from None
        self._topics = topics

    def _match_pattern(self) -> None:
        """Subscribe to the topics the pattern matches now (Kafka's consumer checks again
        at each metadata refresh; this one at each read)."""
        if self._pattern is None:
            return
        matched = tuple(t for t in self.backend.topic_names() if self._pattern.fullmatch(t))
        if matched and matched != self._topics:
            self._subscribe(matched)

    def subscription(self) -> list[str]:
        return list(self._topics)

    async def unsubscribe(self) -> None:
        await self._drop_client()

    async def assign(self, partitions: list[TopicPartition]) -> None:
        if self._topics or self._pattern is not None:
            raise errors.illegal_state(_EXCLUSIVE)
        if not partitions:
            await self._drop_client()  # assign([]) is unsubscribe() in Kafka's consumer
            return
        for tp in partitions:
            self._check_partition(tp)
        await self._settle()
        self._client_or_new().assign(partitions)
        self._assigned_by_hand = True
        self._assigned(partitions)

    def _check_partition(self, tp: TopicPartition) -> None:
        try:
            count = len(self.backend.describe_topic(tp.topic).partitions)
        except KafkaError:
            raise errors.topic_not_found() from None
        if not 0 <= tp.partition < count:
            raise errors.partition_not_found()

    def assignment(self) -> list[TopicPartition]:
        return [] if self._client is None else sorted(self._client.assignment())

    # --- positions --------------------------------------------------------------------

    def _assigned_now(self, tps: Iterable[TopicPartition]) -> None:
        assigned = set(self.assignment())
        for tp in tps:
            if tp not in assigned:
                raise errors.illegal_state(f"No current assignment for partition {tp}")

    async def seek(self, offsets: dict[TopicPartition, int]) -> None:
        await self._settle()
        self._assigned_now(offsets)
        assert self._client is not None
        for tp, offset in offsets.items():
            try:
                self._client.seek(tp, offset)
            except KafkaError as error:
                raise errors.illegal_state(error.message) from None
            self._buffer = deque(r for r in self._buffer if (r.topic, r.partition) != tp)

    async def seek_to(self, tps: list[TopicPartition], timestamp: int) -> None:
        """Seek to the log start (EARLIEST_TIMESTAMP), the end (LATEST_TIMESTAMP) or the
        first record at or after an epoch-ms timestamp (partitions without one stay)."""
        await self._settle()
        self._assigned_now(tps)
        by_topic: dict[str, list[int]] = {}
        for tp in tps:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        offsets: dict[TopicPartition, int] = {}
        for topic, partitions in by_topic.items():
            try:
                found = await self.backend.list_offsets(topic, partitions, timestamp)
            except KafkaError as error:
                raise errors.from_kafka(error) from None
            offsets.update({TopicPartition(topic, p): o for p, o in found.items() if o >= 0})
        await self.seek(offsets)

    async def seek_to_beginning(self, tps: list[TopicPartition]) -> None:
        await self.seek_to(tps, EARLIEST_TIMESTAMP)

    async def seek_to_end(self, tps: list[TopicPartition]) -> None:
        await self.seek_to(tps, LATEST_TIMESTAMP)

    # --- offsets ----------------------------------------------------------------------

    async def commit(
        self, offsets: dict[TopicPartition, int] | None, now_ms: int, *, settle: bool = True
    ) -> None:
        """commitSync: the given offsets (the next offset to read), else what reads returned."""
        if settle:
            await self._settle()
        wanted = dict(self._returned) if offsets is None else offsets
        self._last_commit_ms = now_ms
        if not wanted:
            return
        try:
            await self._client_or_new().commit(wanted)
        except KafkaError as error:
            raise errors.from_kafka(error) from None

    async def committed(self, tps: list[TopicPartition]) -> list[dict[str, Any]]:
        """The group's committed offsets (OffsetFetch, through the group's description)."""
        try:
            group = await self.backend.describe_group(self.group)
        except KafkaError as error:
            raise errors.from_kafka(error) from None
        found = {(p.topic, p.partition): p.committed for p in group.partitions if p.committed >= 0}
        return [
            {"topic": tp.topic, "partition": tp.partition, "offset": found[tp], "metadata": ""}
            for tp in tps
            if tp in found
        ]

    async def _auto_commit(self, now_ms: int, *, due_only: bool = True) -> None:
        """With auto.commit.enable, commit what reads returned once
        auto.commit.interval.ms has passed (`due_only`), or now (closing)."""
        if not self.config.auto_commit or not self._returned:
            return
        if due_only and now_ms - self._last_commit_ms < AUTO_COMMIT_INTERVAL_MS:
            return
        try:
            await self.commit(None, now_ms, settle=False)
        except errors.RestError as error:  # as Kafka's async auto commit: logged, retried later
            log.warning("auto commit of REST consumer %s/%s failed: %s", self.group, self.name, error)

    # --- reading ----------------------------------------------------------------------

    async def read(self, wait_ms: int, max_bytes: int, now_ms: Callable[[], int]) -> list[dict[str, Any]]:
        """Records for `wait_ms` at most (KafkaConsumerReadTask): until more than
        fetch.min.bytes are in hand, or the next record would pass `max_bytes` (that
        one stays for the next read). Like Kafka's poll, it first auto-commits what
        earlier reads returned, when due."""
        self._match_pattern()
        if self._client is None:
            raise errors.illegal_state("Consumer is not subscribed to any topics or assigned any partitions")
        client = self._client
        await self._auto_commit(now_ms())
        deadline = now_ms() + wait_ms
        min_bytes = self.config.fetch_min_bytes
        out: list[dict[str, Any]] = []
        size = 0
        while True:
            while self._buffer:
                record = self._buffer[0]
                try:
                    converted, record_size = await self.decoder(record)
                except Undecodable as error:
                    if out:
                        return out  # these first; the next read meets the bad record
                    raise errors.serialization(str(error)) from None
                if size + record_size >= max_bytes:
                    return out
                out.append(converted)
                self._buffer.popleft()
                self._returned[TopicPartition(record.topic, record.partition)] = record.offset + 1
                size += record_size
                if min_bytes is not None and min_bytes >= 0 and size > min_bytes:
                    return out
            remaining = deadline - now_ms()
            if remaining <= 0:
                break
            if self._polling is None:
                self._polling = asyncio.ensure_future(client.poll(remaining))
            done, _ = await asyncio.wait({self._polling}, timeout=remaining / 1000)
            if not done:
                break
            polling, self._polling = self._polling, None
            try:
                polled = polling.result()  # it may have rebalanced: `_assigned` ran
            except KafkaError as error:
                if out:
                    return out
                raise errors.from_kafka(error) from None
            self._buffer.extend(polled)
        return out

    async def close(self, now_ms: int) -> None:
        """DELETE or expiry: commit what was read (with auto commit), then LeaveGroup."""
        if self._client is not None:
            await self._auto_commit(now_ms, due_only=False)
        await self._drop_client()
