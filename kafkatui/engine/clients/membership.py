"""The consumer's side of a group: Kafka's `ConsumerCoordinator`.

A subscribed consumer finds its group's coordinator, joins (JoinGroup, answering
MEMBER_ID_REQUIRED once), and if it is the leader runs the assignor over every member's
subscription; SyncGroup hands each member its partitions. A heartbeat every
`heartbeat.interval.ms` keeps the session; REBALANCE_IN_PROGRESS means rejoin, and
UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION mean this member was dropped (its session or
`max.poll.interval.ms` expired) and must join afresh.

Eager protocol (range, roundrobin, sticky): a member commits (with auto commit) and
gives up all its partitions before rejoining. Cooperative protocol (KIP-429, when every
configured assignor is cooperative-sticky): members keep reading what they own while
rejoining; the leader's assignment holds back partitions that change owner; their old
owner revokes just those and rejoins at once, and the follow-up rebalance hands them to
the new owner — a partition is never read by two members at the same time.

Subscriptions and assignments travel as Kafka's ConsumerProtocolSubscription (v2) and
ConsumerProtocolAssignment (v0) bytes, so a real client could share the group.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.kafka_types import read_string, write_string
from kafkatui.engine.clients.assignors import Subscription, assign, protocol_type
from kafkatui.engine.coordinator.group.model import MemberIdRequired

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

TopicPartition = tuple[str, int]
_REJOIN = (ErrorCode.REBALANCE_IN_PROGRESS,)
_RESET = (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID)
_FIND_AGAIN = (
    ErrorCode.NOT_COORDINATOR,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
)


def _partitions(owned: Sequence[TopicPartition]) -> bytes:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(owned):
        by_topic.setdefault(topic, []).append(partition)
    out = [struct.pack(">i", len(by_topic))]
    for topic, partitions in by_topic.items():
        out += [write_string(topic), struct.pack(f">i{len(partitions)}i", len(partitions), *partitions)]
    return b"".join(out)


def _read_partitions(data: bytes, pos: int) -> tuple[list[TopicPartition], int]:
    (count,) = struct.unpack_from(">i", data, pos)
    pos += 4
    out = []
    for _ in range(count):
        topic, pos = read_string(data, pos)
        (n,) = struct.unpack_from(">i", data, pos)
        out += [(topic, p) for p in struct.unpack_from(f">{n}i", data, pos + 4)]
        pos += 4 + 4 * n
    return out, pos


def encode_subscription(
    topics: Sequence[str], owned: Sequence[TopicPartition] = (), generation: int = -1
) -> bytes:
    """ConsumerProtocolSubscription v2: topics, user data (null), owned partitions and the
    generation they were owned in (what sticky assignors keep to)."""
    body = struct.pack(">hi", 2, len(topics)) + b"".join(write_string(t) for t in sorted(topics))
    return body + struct.pack(">i", -1) + _partitions(owned) + struct.pack(">i", generation)


def decode_subscription(data: bytes) -> tuple[list[str], list[TopicPartition], int]:
    (version, count) = struct.unpack_from(">hi", data, 0)
    pos, topics = 6, []
    for _ in range(count):
        topic, pos = read_string(data, pos)
        topics.append(topic)
    (user_data,) = struct.unpack_from(">i", data, pos)
    pos += 4 + max(user_data, 0)
    owned: list[TopicPartition] = []
    generation = -1
    if version >= 1 and pos < len(data):
        owned, pos = _read_partitions(data, pos)
    if version >= 2 and pos + 4 <= len(data):
        (generation,) = struct.unpack_from(">i", data, pos)
    return topics, owned, generation


def encode_assignment(partitions: Sequence[TopicPartition]) -> bytes:
    """ConsumerProtocolAssignment v0: assigned partitions, user data (null)."""
    return struct.pack(">h", 0) + _partitions(partitions) + struct.pack(">i", -1)


def decode_assignment(data: bytes) -> list[TopicPartition]:
    if not data:
        return []  # a member the leader left out
    partitions, _ = _read_partitions(data, 2)
    return partitions


class GroupMembership:
    """One consumer's membership of one group."""

    def __init__(
        self,
        cluster: Cluster,
        group_id: str,
        *,
        client_id: str,
        assignors: Sequence[str],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        heartbeat_interval_ms: int,
        group_instance_id: str | None = None,
        on_revoke: Callable[[list[TopicPartition]], Awaitable[None]] | None = None,
    ) -> None:
        if not assignors:
            raise KafkaError(ErrorCode.INVALID_CONFIG, "partition.assignment.strategy is empty")
        # Kafka's ConsumerCoordinator uses the highest protocol all its assignors support.
        self.cooperative = all(protocol_type(name) == "COOPERATIVE" for name in assignors)
        self._cluster = cluster
        self.group_id = group_id
        self.client_id = client_id
        self.group_instance_id = group_instance_id
        self._assignors = list(assignors)
        self._session_timeout_ms = session_timeout_ms
        self._rebalance_timeout_ms = rebalance_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._on_revoke = on_revoke
        self.topics: list[str] = []
        self.member_id = ""
        self.generation_id = -1
        self.assignment: list[TopicPartition] = []
        self._owned: tuple[list[TopicPartition], int] = ([], -1)  # last assignment, its generation
        self.leader = False
        self._needs_join = True
        # Where the member is in a rebalance, for people watching: "revoking" (giving
        # partitions up), "joining" (JoinGroup sent, waiting for the others), "syncing"
        # (SyncGroup sent, waiting for the leader's assignment), "stable"; "rejoining"
        # (a heartbeat answered that a rebalance started), "left" (max.poll.interval.ms).
        self.phase = "joining"
        self._heartbeats: asyncio.Task[None] | None = None
        self.last_poll_ms = cluster.clock.now_ms()
        self.poll_timeouts = 0  # times max.poll.interval.ms expired and this member left

    def subscribe(self, topics: Sequence[str]) -> None:
        if sorted(topics) != sorted(self.topics):
            self.topics = sorted(topics)
            self._needs_join = True

    @property
    def needs_join(self) -> bool:
        return self._needs_join

    async def ensure_active(self) -> bool:
        """Join and sync if needed; True if the assignment changed (a new generation)."""
        if not self._needs_join:
            return False
        if self.assignment:
            self._owned = (list(self.assignment), self.generation_id)
        if not self.cooperative and self.assignment:
            self.phase = "revoking"
            if self._on_revoke is not None:
                await self._on_revoke(list(self.assignment))  # eager: give everything up first
            self.assignment = []
        owned = list(self.assignment)
        await self._join_and_sync()
        self._needs_join = False
        revoked = [tp for tp in owned if tp not in self.assignment]
        if self.cooperative and revoked:
            # KIP-429: give up only what moves, then rejoin so its new owner gets it.
            self.phase = "revoking"
            if self._on_revoke is not None:
                await self._on_revoke(revoked)
            self._needs_join = True
        self.phase = "joining" if self._needs_join else "stable"
        if self._heartbeats is None or self._heartbeats.done():
            self._heartbeats = asyncio.ensure_future(self._heartbeat_loop())
        return True

    async def _join_and_sync(self) -> None:
        request = dict(
            group_instance_id=self.group_instance_id, client_id=self.client_id, client_host="/127.0.0.1",
            protocol_type="consumer",
            protocols=[(name, encode_subscription(self.topics, *self._owned)) for name in self._assignors],
            session_timeout_ms=self._session_timeout_ms, rebalance_timeout_ms=self._rebalance_timeout_ms,
        )  # fmt: skip
        while True:
            try:
                self.phase = "joining"
                joined = await self._cluster.join_group(self.group_id, self.member_id, **request)
                self.phase = "syncing"
                self.member_id, self.generation_id = joined.member_id, joined.generation_id
                self.leader = joined.is_leader
                assignments = None
                if joined.is_leader and not joined.skip_assignment:
                    assignments = self._assign(joined.protocol_name or self._assignors[0], joined.members)
                data = await self._cluster.sync_group(
                    self.group_id, self.member_id, self.generation_id,
                    group_instance_id=self.group_instance_id, assignments=assignments,
                )  # fmt: skip
                self.assignment = decode_assignment(data)
                return
            except MemberIdRequired as required:
                self.member_id = required.member_id
            except KafkaError as error:
                if error.code in _RESET:
                    self.member_id, self.generation_id = "", -1
                elif error.code not in _REJOIN and error.code not in _FIND_AGAIN:
                    raise
                await self._cluster.clock.sleep(0.1)  # retry.backoff.ms

    def _assign(self, protocol: str, members: Sequence[object]) -> dict[str, bytes]:
        subscriptions = []
        for member in members:
            topics, owned, generation = decode_subscription(member.metadata)  # type: ignore[attr-defined]
            subscriptions.append(
                Subscription(
                    member.member_id, tuple(topics), tuple(owned), generation, member.group_instance_id
                )  # type: ignore[attr-defined]
            )
        topics = {t for s in subscriptions for t in s.topics}
        partitions = {
            t: len(self._cluster.topic(t).partitions) for t in topics if t in self._cluster.metadata.topics
        }
        result = assign(protocol, partitions, subscriptions)
        return {member_id: encode_assignment(tps) for member_id, tps in result.items()}

    def polled(self) -> None:
        self.last_poll_ms = self._cluster.clock.now_ms()

    async def _heartbeat_loop(self) -> None:
        while True:
            await self._cluster.clock.sleep(self._heartbeat_interval_ms / 1000)
            if self._needs_join or not self.member_id:
                continue
            if self._cluster.clock.now_ms() - self.last_poll_ms > self._rebalance_timeout_ms:
                # Kafka's heartbeat thread: the application stopped polling for longer
                # than max.poll.interval.ms, so this member leaves and its partitions move.
                self.poll_timeouts += 1
                with contextlib.suppress(KafkaError):
                    await self._cluster.leave_group(self.group_id, [(self.member_id, self.group_instance_id)])
                self.member_id, self.generation_id = "", -1
                self._needs_join = True
                self.phase = "left"  # until the application polls again
                continue
            try:
                await self._cluster.heartbeat(
                    self.group_id,
                    self.member_id,
                    self.generation_id,
                    group_instance_id=self.group_instance_id,
                )
            except KafkaError as error:
                if error.code in _RESET:
                    self.member_id, self.generation_id = "", -1
                self._needs_join = True  # the next poll rejoins
                self.phase = "rejoining"

    async def leave(self) -> None:
        """Close: stop heartbeating and, for a dynamic member, LeaveGroup at once."""
        if self._heartbeats is not None:
            self._heartbeats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeats
        if self.member_id and self.group_instance_id is None:
            with contextlib.suppress(KafkaError):
                await self._cluster.leave_group(self.group_id, [(self.member_id, None)])
        self.member_id, self.generation_id, self.assignment = "", -1, []
