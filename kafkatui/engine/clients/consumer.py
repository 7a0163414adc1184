"""The consumer client: assign partitions, keep positions, poll records, commit.

Kafka's `KafkaConsumer` with manual assignment: partitions are assigned by hand, each
has a position (the next offset to read), and `poll` fetches from each partition's
leader, never past the high watermark. With a `group.id` the consumer starts from the
group's committed offsets and commits its positions to the group's coordinator
(`commit`, or every `auto.commit.interval.ms` and on close with
`enable.auto.commit`), as KafkaConsumer does with assign() and a group id. A position
with no committed offset, or one outside the log, is reset by `auto.offset.reset`.
(Group membership and rebalances — subscribe() — come with the group coordinator.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kafkatui.common.clients import ConsumerConfig, ConsumerGroupMetadata, ConsumerRecord, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.membership import GroupMembership
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.engine.log.records import (
    decode_consumer_records,
    decode_record_tuples,
    marker_is_commit,
    read_header,
)
from kafkatui.engine.server.requests import (
    EARLIEST,
    LATEST,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    FetchedPartition,
    FetchPartition,
)

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

Deserializer = Callable[[bytes | None], Any]


def _identity(data: bytes | None) -> bytes | None:
    return data


# Fetch errors that mean "ask the metadata again" (Kafka's `FetchCollector`): leadership
# moved, or the leader's log dir went offline (KIP-112).
_METADATA_ERRORS = frozenset(
    {
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.REPLICA_NOT_AVAILABLE,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.OFFSET_NOT_AVAILABLE,
    }
)
_LEADER_MOVE_RETRIES = 20
RETRY_BACKOFF_MS = 100  # Kafka's retry.backoff.ms default


class Consumer:
    """A consumer with manually assigned partitions."""

    def __init__(
        self,
        cluster: Cluster,
        config: ConsumerConfig | None = None,
        *,
        key_deserializer: Deserializer = _identity,
        value_deserializer: Deserializer = _identity,
    ) -> None:
        self._cluster = cluster
        self.config = config or ConsumerConfig()
        self._key_deserializer = key_deserializer
        self._value_deserializer = value_deserializer
        self._positions: dict[TopicPartition, int | None] = {}
        self._buffer: list[ConsumerRecord] = []
        self._moved = False  # a fetch met a moved leader or an offline log dir
        self._not_ready = False  # a partition's leader could not serve it this round
        self._next_auto_commit_ms = cluster.clock.now_ms() + self.config.auto_commit_interval_ms
        self._membership: GroupMembership | None = None
        self.on_assignment: Callable[[list[TopicPartition]], None] | None = None

    # --- assignment and positions ----------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition | tuple[str, int]]) -> None:
        """Replace the assignment; every partition must exist."""
        wanted = [TopicPartition(*tp) for tp in partitions]
        for tp in wanted:
            self._cluster.leader(tp.topic, tp.partition)  # raises if unknown
        self._positions = {tp: self._positions.get(tp) for tp in wanted}
        self._buffer = [r for r in self._buffer if (r.topic, r.partition) in self._positions]

    def assign_topic(self, topic: str) -> list[TopicPartition]:
        """Assign every partition of `topic` (what a one-member group would get)."""
        partitions = [TopicPartition(topic, p) for p in range(len(self._cluster.topic(topic).partitions))]
        self.assign(partitions)
        return partitions

    def assignment(self) -> list[TopicPartition]:
        return list(self._positions)

    def subscribe(self, topics: Iterable[str]) -> None:
        """Join the consumer's group and read the partitions it assigns (rebalancing as
        members come and go); the next `poll` joins. Needs a group.id."""
        group = self._group()
        wanted = sorted(set(topics))
        for topic in wanted:
            self._cluster.topic(topic)  # raises if unknown
        if self._membership is None:
            c = self.config
            self._membership = GroupMembership(
                self._cluster, group, client_id=c.client_id, group_instance_id=c.group_instance_id,
                assignors=c.partition_assignment_strategy, session_timeout_ms=c.session_timeout_ms,
                rebalance_timeout_ms=c.max_poll_interval_ms, heartbeat_interval_ms=c.heartbeat_interval_ms,
                on_revoke=self._revoke,
            )  # fmt: skip
        self._membership.subscribe(wanted)

    @property
    def membership(self) -> GroupMembership | None:
        return self._membership

    async def _revoke(self, partitions: list[tuple[str, int]]) -> None:
        """A rebalance takes partitions away (all of them with the eager protocol, only
        those that move with the cooperative one): commit what was consumed from them
        (with auto commit), then let go."""
        revoked = [TopicPartition(*tp) for tp in partitions if TopicPartition(*tp) in self._positions]
        if self.config.enable_auto_commit:
            offsets = {}
            for tp in revoked:
                if self._positions[tp] is not None:
                    offsets[tp] = await self.position(tp)
            with contextlib.suppress(KafkaError):  # a dropped member cannot commit: fine
                await self.commit(offsets)
        for tp in revoked:
            self._positions.pop(tp, None)
            self._drop_buffered(tp)

    async def _ensure_membership(self) -> None:
        if self._membership is None or not self._membership.needs_join:
            return
        if await self._membership.ensure_active():
            assigned = [TopicPartition(*tp) for tp in self._membership.assignment]
            self._positions = {tp: self._positions.get(tp) for tp in assigned}  # kept ones keep their place
            self._buffer = [r for r in self._buffer if (r.topic, r.partition) in self._positions]
            if self.on_assignment is not None:
                self.on_assignment(assigned)

    def seek(self, tp: TopicPartition | tuple[str, int], offset: int) -> None:
        """Set the next offset to read; it is checked against the log on the next fetch."""
        tp = self._assigned(tp)
        if offset < 0:
            raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, f"seek offset must be >= 0, not {offset}")
        self._positions[tp] = offset
        self._drop_buffered(tp)

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        for tp in tps or self.assignment():
            self._positions[self._assigned(tp)] = self._list_offset(tp, EARLIEST)
            self._drop_buffered(tp)

    async def seek_to_end(self, *tps: TopicPartition) -> None:
        for tp in tps or self.assignment():
            self._positions[self._assigned(tp)] = self._list_offset(tp, LATEST)
            self._drop_buffered(tp)

    def known_positions(self) -> dict[TopicPartition, int]:
        """The next offset `poll` returns for each assigned partition whose position is
        known already (no reset, no committed-offset lookup): for watching, not reading."""
        known = {tp: p for tp, p in self._positions.items() if p is not None}
        for record in reversed(self._buffer):  # fetched but not yet returned by poll
            tp = TopicPartition(record.topic, record.partition)
            if tp in known:
                known[tp] = record.offset
        return known

    async def position(self, tp: TopicPartition | tuple[str, int]) -> int:
        """The offset of the next record `poll` will return for `tp`."""
        tp = self._assigned(tp)
        await self._fill_from_committed()
        position = self._positions[tp]
        if position is None:
            position = self._reset(tp)
        buffered = [r.offset for r in self._buffer if (r.topic, r.partition) == tp]
        return buffered[0] if buffered else position

    async def end_offsets(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return {TopicPartition(*tp): self._list_offset(TopicPartition(*tp), LATEST) for tp in tps}

    async def beginning_offsets(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return {TopicPartition(*tp): self._list_offset(TopicPartition(*tp), EARLIEST) for tp in tps}

    def _assigned(self, tp: TopicPartition | tuple[str, int]) -> TopicPartition:
        tp = TopicPartition(*tp)
        if tp not in self._positions:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{tp} is not assigned to this consumer")
        return tp

    def _drop_buffered(self, tp: TopicPartition) -> None:
        self._buffer = [r for r in self._buffer if (r.topic, r.partition) != tp]

    def _list_offset(self, tp: TopicPartition, which: int) -> int:
        isolation = READ_COMMITTED if self.config.isolation_level == "read_committed" else READ_UNCOMMITTED
        return self._cluster.leader(tp.topic, tp.partition).list_offset(
            tp.topic, tp.partition, which, isolation
        )

    def _reset(self, tp: TopicPartition) -> int:
        policy = self.config.auto_offset_reset
        if policy == "none":
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"no valid position for {tp} and auto.offset.reset=none",
            )
        offset = self._list_offset(tp, EARLIEST if policy == "earliest" else LATEST)
        self._positions[tp] = offset
        return offset

    # --- poll ------------------------------------------------------------------------

    # --- committed offsets (with a group.id) -----------------------------------------

    def _group(self) -> str:
        if not self.config.group_id:
            raise KafkaError(
                ErrorCode.INVALID_GROUP_ID, "committing offsets needs a group.id (ConsumerConfig.group_id)"
            )
        return self.config.group_id

    async def _fill_from_committed(self) -> None:
        """Positions not known yet start at the group's committed offset, if any."""
        missing = [tp for tp, position in self._positions.items() if position is None]
        if not missing or not self.config.group_id:
            return
        committed = await self._cluster.fetch_offsets(self.config.group_id, missing)
        for tp in missing:
            if tp in committed and self._positions.get(tp) is None:
                self._positions[tp] = committed[tp].offset

    async def committed(self, tps: Iterable[TopicPartition | tuple[str, int]]) -> dict[TopicPartition, int]:
        """The group's committed offsets for `tps` (partitions without one are left out)."""
        found = await self._cluster.fetch_offsets(self._group(), [TopicPartition(*tp) for tp in tps])
        return {TopicPartition(*tp): value.offset for tp, value in found.items()}

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> dict[TopicPartition, int]:
        """commitSync: the given offsets, or the position (next offset to read) of every
        assigned partition that has one; returns what was committed."""
        group = self._group()
        if offsets is None:
            offsets = {}
            for tp in self._positions:
                position = await self.position(tp) if self._positions[tp] is not None else None
                if position is not None:
                    offsets[tp] = position
        if offsets:
            m = self._membership
            await self._cluster.commit_offsets(
                group,
                {tp: OffsetAndMetadata(o) for tp, o in offsets.items()},
                generation_id=m.generation_id if m is not None and m.member_id else -1,
                member_id=m.member_id if m is not None else "",
                group_instance_id=self.config.group_instance_id if m is not None else None,
            )
        self._next_auto_commit_ms = self._cluster.clock.now_ms() + self.config.auto_commit_interval_ms
        return dict(offsets)

    def group_metadata(self) -> ConsumerGroupMetadata:
        """KafkaConsumer.groupMetadata() (KIP-447): what a transactional producer hands
        the group coordinator with this consumer's offsets, so a zombie of an older
        generation is refused. Needs a group.id (INVALID_GROUP_ID otherwise)."""
        group, m = self._group(), self._membership
        joined = m is not None and bool(m.member_id)
        return ConsumerGroupMetadata(
            group,
            m.generation_id if m is not None and joined else -1,
            m.member_id if m is not None else "",
            self.config.group_instance_id,
        )

    async def _maybe_auto_commit(self) -> None:
        if (
            self.config.group_id
            and self.config.enable_auto_commit
            and self._cluster.clock.now_ms() >= self._next_auto_commit_ms
        ):
            await self.commit()

    # --- poll ------------------------------------------------------------------------

    async def poll(self, timeout_ms: int = 0) -> list[ConsumerRecord]:
        """Up to `max.poll.records` records, waiting up to `timeout_ms` for some to arrive.

        With auto commit, the positions reached by earlier polls are committed first
        once `auto.commit.interval.ms` has passed (at-least-once, as in Kafka)."""
        if self._membership is not None:
            self._membership.polled()
        await self._ensure_membership()
        await self._maybe_auto_commit()
        await self._fill_from_committed()
        if not self._buffer and self._positions:
            await self._fetch(timeout_ms)
        elif not self._positions and self._membership is not None and timeout_ms > 0:
            await self._cluster.clock.sleep(timeout_ms / 1000)  # an idle member: nothing assigned
        records = self._buffer[: self.config.max_poll_records]
        self._buffer = self._buffer[self.config.max_poll_records :]
        return records

    async def _fetch(self, timeout_ms: int) -> None:
        """Fetch from every leader at once until records arrive or `timeout_ms` passes."""
        clock = self._cluster.clock
        deadline = clock.now_ms() + timeout_ms
        isolation_level = (
            READ_COMMITTED if self.config.isolation_level == "read_committed" else READ_UNCOMMITTED
        )
        retries = 0
        while True:
            remaining = deadline - clock.now_ms()
            max_wait = max(0, min(remaining, self.config.fetch_max_wait_ms))
            fetches = [
                asyncio.ensure_future(
                    self._cluster.brokers[broker_id].fetch(
                        requests,
                        max_wait_ms=max_wait,
                        min_bytes=self.config.fetch_min_bytes,
                        isolation_level=isolation_level,
                    )
                )
                for broker_id, requests in self._fetch_requests().items()
            ]
            if not fetches and self._not_ready:
                await clock.sleep(min(max(remaining, 0), RETRY_BACKOFF_MS) / 1000)
                if clock.now_ms() >= deadline:
                    return
                continue
            if not fetches:
                # Every partition went away while an earlier round was awaited (another
                # task reassigned or closed this consumer): nothing to wait for. Without
                # this the loop never awaited again, and on a ManualClock, whose deadline
                # only the blocked loop could bring, it spun forever.
                await asyncio.sleep(0)
                return
            pending = set(fetches)
            was_reset = False
            try:
                while pending and not self._buffer:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        for result in task.result():
                            was_reset |= self._absorb(result)
            finally:
                for task in pending:
                    task.cancel()
            # A position reset by auto.offset.reset is fetched again at once, and so is a
            # partition whose leader moved (a few times: the metadata may lag a moment).
            moved, self._moved = self._moved, False
            retries += moved or was_reset
            if (moved or was_reset) and retries > _LEADER_MOVE_RETRIES:
                # Bounded, as Kafka's poll is by its timeout: a reset that lands out of
                # range again (the log moved under it) must not spin here, least of all
                # on a ManualClock whose deadline never comes.
                return
            if self._buffer or (clock.now_ms() >= deadline and not was_reset and not moved):
                return
            if moved:
                await asyncio.sleep(0)  # let the controller's change land

    def _fetch_requests(self) -> dict[int, list[FetchPartition]]:
        """One fetch request per leader broker, covering the partitions it leads."""
        by_leader: dict[int, list[FetchPartition]] = {}
        self._not_ready = False
        for tp, position in self._positions.items():
            try:
                if position is None:
                    position = self._reset(tp)
                leader = self._cluster.leader(tp.topic, tp.partition)
            except KafkaError as error:
                if not error.code.retriable:
                    raise
                # A leader not serving the partition yet (just elected, its replica
                # still opening): Kafka's ListOffsets/Fetch retry after retry.backoff.ms;
                # this partition sits out the round, the others are fetched.
                self._not_ready = True
                continue
            by_leader.setdefault(leader.broker_id, []).append(
                FetchPartition(tp.topic, tp.partition, position, self.config.max_partition_fetch_bytes)
            )
        return by_leader

    def _absorb(self, result: FetchedPartition) -> bool:
        """Buffer a partition's fetched records; True if its position had to be reset."""
        tp = TopicPartition(result.topic, result.partition)
        if tp not in self._positions:
            return False
        if result.error is not None:
            if result.error.code is ErrorCode.OFFSET_OUT_OF_RANGE:
                self._reset(tp)
                return True
            if result.error.code in _METADATA_ERRORS:
                self._moved = True  # Kafka's fetcher refreshes metadata and fetches again
                return False
            raise result.error
        position = self._positions[tp]
        assert position is not None
        topic, partition = tp
        key_of, value_of = self._key_deserializer, self._value_deserializer
        raw = key_of is _identity and value_of is _identity
        extend = self._buffer.extend
        make = tuple.__new__
        # read_committed: aborted transactions by first offset, and the producers whose
        # aborted transaction the batches are inside (Kafka's `Fetcher` does the same).
        aborted = (
            sorted(result.aborted_transactions, key=lambda a: a[1]) if result.aborted_transactions else []
        )
        aborting: set[int] = set()
        for data in result.batches:
            header = read_header(data)
            if aborted:
                while aborted and aborted[0][1] <= header.last_offset:
                    aborting.add(aborted.pop(0)[0])
            if header.is_control:
                if header.producer_id in aborting and not marker_is_commit(data, header):
                    aborting.discard(header.producer_id)
                position = max(position, header.last_offset + 1)
                continue
            if aborting and header.is_transactional and header.producer_id in aborting:
                position = max(position, header.last_offset + 1)
                continue
            if raw:  # the consumer's hot path: records built by the decoder itself
                extend(decode_consumer_records(data, header, ConsumerRecord, topic, partition, position))
                position = max(position, header.last_offset + 1)
                continue
            timestamp_type = header.timestamp_type
            epoch = header.partition_leader_epoch
            records = decode_record_tuples(data, header)
            if records and records[0][0] < position:
                records = [r for r in records if r[0] >= position]
            # tuple.__new__ skips the NamedTuple's Python-level __new__.
            extend(
                make(
                    ConsumerRecord,
                    (topic, partition, o, ts, timestamp_type, key_of(k), value_of(v), h, epoch),
                )
                for o, ts, k, v, h in records
            )
            position = max(position, header.last_offset + 1)
        self._positions[tp] = position
        return False

    async def close(self) -> None:
        """Close; with auto commit, commit the positions reached first (as Kafka does)."""
        if self.config.group_id and self.config.enable_auto_commit and self._positions:
            with contextlib.suppress(KafkaError):
                await self.commit()
        if self._membership is not None:
            await self._membership.leave()
        self._positions.clear()
        self._buffer.clear()

    async def __aenter__(self) -> Consumer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
