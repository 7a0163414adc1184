"""Committed offsets in `__consumer_offsets`, kept by each group's coordinator.

Kafka's `GroupMetadataManager` in miniature. A group's coordinator is the leader of
partition `abs(groupId.hashCode()) % offsets.topic.num.partitions` of the internal,
compacted topic `__consumer_offsets`; an offset commit is a record appended there with
acks=all (`offsets.commit.required.acks=-1`), keyed by (group, topic, partition), and
the coordinator answers fetches from a cache. When a broker becomes the leader of an
offsets partition it loads the cache by replaying the partition (the latest record per
key wins, a null value deletes); until then requests get COORDINATOR_LOAD_IN_PROGRESS,
and a broker that stopped leading answers NOT_COORDINATOR, so clients look again.

Keys and values use Kafka's own binary schemas (OffsetCommitKey v1, OffsetCommitValue
v3, GroupMetadataKey v2), so the topic reads as it would in Kafka.

Offsets sent to a transaction (TxnOffsetCommit, KIP-98/KIP-447) are appended at once as
a *transactional* batch with the producer's id and epoch; they are pending for that
producer in the group until the COMMIT or ABORT marker the transaction coordinator
writes to this partition (AddOffsetsToTxn added it to the transaction) materializes or
drops them (Kafka's `GroupMetadata.completePendingTxnOffsetCommit`). Replay resolves them
the same way, by producer id; ones still open at the end stay pending, which OffsetFetch
with require_stable answers with UNSTABLE_OFFSET_COMMIT.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.kafka_types import (
    read_bytes,
    read_nullable_string,
    read_string,
    write_bytes,
    write_nullable_string,
    write_string,
)
from kafkatui.engine.coordinator.group.classic_group import ClassicGroup
from kafkatui.engine.coordinator.group.model import GroupConfig, GroupSnapshot, GroupState, MemberSnapshot
from kafkatui.engine.coordinator.runtime import (
    CoordinatorHost,
    CoordinatorPartition,
    PartitionedCoordinator,
    replay_batches,
)
from kafkatui.engine.log.records import CONTROL_COMMIT, Record, RecordBatch, encode_batch

if TYPE_CHECKING:
    from kafkatui.common.clock import Clock
    from kafkatui.common.events import EventBus

OFFSETS_TOPIC = "__consumer_offsets"
# The topic's configs when it is created (Kafka's GroupCoordinator.offsetsTopicConfigs).
OFFSETS_TOPIC_CONFIGS = {
    "cleanup.policy": "compact",
    "compression.type": "producer",
    "segment.bytes": "104857600",
}

TopicPartition = tuple[str, int]
GroupTopicPartition = tuple[str, TopicPartition]
# A transaction's offset commits: (group, partition) -> (offset of the batch holding the
# record, the offset committed) (Kafka's `CommitRecordMetadataAndOffset`).
PendingOffsets = dict[GroupTopicPartition, tuple[int, "OffsetAndMetadata"]]


@dataclass(frozen=True)
class OffsetAndMetadata:
    """A committed offset: the next record the group will read, with the client's note."""

    offset: int
    leader_epoch: int = -1
    metadata: str = ""
    commit_timestamp: int = -1


# --- Kafka's record schemas ------------------------------------------------------------


def offset_key(group_id: str, topic: str, partition: int) -> bytes:
    """OffsetCommitKey (version 1): group, topic, partition."""
    return struct.pack(">h", 1) + write_string(group_id) + write_string(topic) + struct.pack(">i", partition)


def offset_value(value: OffsetAndMetadata) -> bytes:
    """OffsetCommitValue (version 3): offset, leader epoch, metadata, commit timestamp."""
    return (
        struct.pack(">hqi", 3, value.offset, value.leader_epoch)
        + write_string(value.metadata)
        + struct.pack(">q", value.commit_timestamp)
    )


def group_key(group_id: str) -> bytes:
    """GroupMetadataKey (version 2): group."""
    return struct.pack(">h", 2) + write_string(group_id)


class KeyType(Enum):
    OFFSET = "offset"
    GROUP = "group"


def parse_key(key: bytes) -> tuple[KeyType, str, TopicPartition | None]:
    """(kind, group, topic-partition or None) of a `__consumer_offsets` key."""
    (version,) = struct.unpack_from(">h", key, 0)
    group, pos = read_string(key, 2)
    if version in (0, 1):
        topic, pos = read_string(key, pos)
        (partition,) = struct.unpack_from(">i", key, pos)
        return KeyType.OFFSET, group, (topic, partition)
    if version == 2:
        return KeyType.GROUP, group, None
    raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unknown __consumer_offsets key version {version}")


def group_value(snapshot: GroupSnapshot) -> bytes:
    """GroupMetadataValue (version 3): protocol type, generation, protocol, leader, state
    timestamp, and each member with its subscription and assignment."""
    out = [
        struct.pack(">h", 3),
        write_string(snapshot.protocol_type or ""),
        struct.pack(">i", snapshot.generation_id),
        write_nullable_string(snapshot.protocol_name),
        write_nullable_string(snapshot.leader_id),
        struct.pack(">qi", snapshot.current_state_timestamp_ms, len(snapshot.members)),
    ]
    for m in snapshot.members:
        out += [
            write_string(m.member_id), write_nullable_string(m.group_instance_id), write_string(m.client_id),
            write_string(m.client_host), struct.pack(">ii", m.rebalance_timeout_ms, m.session_timeout_ms),
            write_bytes(m.subscription), write_bytes(m.assignment),
        ]  # fmt: skip
    return b"".join(out)


def parse_group_value(group_id: str, value: bytes) -> GroupSnapshot:
    (version,) = struct.unpack_from(">h", value, 0)
    if version != 3:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unsupported GroupMetadataValue version {version}")
    protocol_type, pos = read_string(value, 2)
    (generation,) = struct.unpack_from(">i", value, pos)
    protocol, pos = read_nullable_string(value, pos + 4)
    leader, pos = read_nullable_string(value, pos)
    timestamp, count = struct.unpack_from(">qi", value, pos)
    pos += 12
    members = []
    for _ in range(count):
        member_id, pos = read_string(value, pos)
        instance_id, pos = read_nullable_string(value, pos)
        client_id, pos = read_string(value, pos)
        client_host, pos = read_string(value, pos)
        rebalance_timeout, session_timeout = struct.unpack_from(">ii", value, pos)
        subscription, pos = read_bytes(value, pos + 8)
        assignment, pos = read_bytes(value, pos)
        members.append(
            MemberSnapshot(
                member_id, instance_id, client_id, client_host, rebalance_timeout, session_timeout,
                subscription, assignment,
            )
        )  # fmt: skip
    return GroupSnapshot(
        group_id, protocol_type or None, generation, protocol, leader, timestamp, tuple(members)
    )


def parse_offset_value(value: bytes) -> OffsetAndMetadata:
    (version,) = struct.unpack_from(">h", value, 0)
    if version != 3:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unsupported OffsetCommitValue version {version}")
    offset, leader_epoch = struct.unpack_from(">qi", value, 2)
    metadata, pos = read_string(value, 14)
    (timestamp,) = struct.unpack_from(">q", value, pos)
    return OffsetAndMetadata(offset, leader_epoch, metadata, timestamp)


# --- the coordinator ---------------------------------------------------------------------


def is_commit_marker(batch: RecordBatch) -> bool:
    """A control batch's record key is (version, ControlRecordType): COMMIT or ABORT."""
    key = batch.records[0].key if batch.records else None
    return key is not None and len(key) >= 4 and struct.unpack_from(">h", key, 2)[0] == CONTROL_COMMIT


def complete_pending(
    offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]],
    committed_at: dict[GroupTopicPartition, int],
    pending: PendingOffsets,
) -> None:
    """A transaction committed: its offsets become the groups' committed offsets,
    except where a commit appended later already holds the partition
    (`completePendingTxnOffsetCommit`: `olderThan` compares the batches' offsets)."""
    for (group, tp), (at, value) in pending.items():
        if committed_at.get((group, tp), -1) < at:
            offsets.setdefault(group, {})[tp] = value
            committed_at[(group, tp)] = at


@dataclass
class _Partition(CoordinatorPartition):
    """One `__consumer_offsets` partition this broker leads: its groups and offsets."""

    offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]] = field(default_factory=dict)
    groups: dict[str, ClassicGroup] = field(default_factory=dict)
    # Where each committed offset's record is (the offset of its batch).
    committed_at: dict[GroupTopicPartition, int] = field(default_factory=dict)
    # Transactional offset commits by producer id, until the transaction's marker.
    pending_txn: dict[int, PendingOffsets] = field(default_factory=dict)


class GroupCoordinator(PartitionedCoordinator[_Partition]):
    """One broker's group coordinator: membership (`ClassicGroup`) and committed offsets
    of the groups whose `__consumer_offsets` partition it leads."""

    TOPIC = OFFSETS_TOPIC
    KEY_NAME = "group"
    EMPTY_KEY = (ErrorCode.INVALID_GROUP_ID, "the group id is empty")

    def __init__(
        self, broker: CoordinatorHost, clock: Clock, bus: EventBus, config: GroupConfig | None = None
    ) -> None:
        super().__init__(broker)
        self._clock = clock
        self._bus = bus
        self.config = config or GroupConfig()

    # --- leadership ----------------------------------------------------------------

    def _new_partition(self, leader_epoch: int) -> _Partition:
        return _Partition(leader_epoch)

    def _unload(self, state: _Partition) -> None:
        super()._unload(state)
        for group in state.groups.values():
            group.close()  # waiting requests get NOT_COORDINATOR

    async def _load(self, partition: int, state: _Partition) -> None:
        """Replay a partition into the cache (Kafka's `loadGroupsAndOffsets`): the latest
        record per key wins, a null value deletes; a transaction's offsets wait for its
        marker (by producer id), and those still waiting at the end stay pending."""
        offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]] = {}
        snapshots: dict[str, GroupSnapshot] = {}
        committed_at: dict[GroupTopicPartition, int] = {}
        pending: dict[int, PendingOffsets] = {}
        async for batch in replay_batches(self._broker, OFFSETS_TOPIC, partition):
            header = batch.header
            if header.is_control:
                done = pending.pop(header.producer_id, {})
                if is_commit_marker(batch):
                    complete_pending(offsets, committed_at, done)
                continue
            if header.is_transactional:
                self._replay_pending(pending.setdefault(header.producer_id, {}), header.base_offset, batch)
                continue
            for record in batch.records:
                self._replay(offsets, snapshots, committed_at, header.base_offset, record.key, record.value)
        if self._partitions.get(partition) is not state:
            return  # no longer ours
        state.offsets = offsets
        state.committed_at = committed_at
        state.pending_txn = {pid: p for pid, p in pending.items() if p}
        state.groups = {
            group_id: ClassicGroup.load(
                snapshot, self._clock, self._bus, self.config, on_assignment=self._store
            )
            for group_id, snapshot in snapshots.items()
        }
        state.loaded = True

    @staticmethod
    def _replay_pending(pending: PendingOffsets, at: int, batch: RecordBatch) -> None:
        for record in batch.records:
            if record.key is None:
                continue
            kind, group, tp = parse_key(record.key)
            if kind is KeyType.OFFSET and tp is not None:
                if record.value is None:
                    pending.pop((group, tp), None)
                else:
                    pending[(group, tp)] = (at, parse_offset_value(record.value))

    @staticmethod
    def _replay(
        offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]],
        snapshots: dict[str, GroupSnapshot],
        committed_at: dict[GroupTopicPartition, int],
        at: int,
        key: bytes | None,
        value: bytes | None,
    ) -> None:
        if key is None:
            return
        kind, group, tp = parse_key(key)
        if kind is KeyType.GROUP:
            if value is None:
                snapshots.pop(group, None)
            else:
                snapshots[group] = parse_group_value(group, value)
        elif tp is not None:
            if value is None:
                offsets.get(group, {}).pop(tp, None)
                committed_at.pop((group, tp), None)
                if group in offsets and not offsets[group]:
                    del offsets[group]
            else:
                offsets.setdefault(group, {})[tp] = parse_offset_value(value)
                committed_at[(group, tp)] = at

    async def _append(self, partition: int, records: list[Record]) -> int:
        """Append one batch; returns its base offset."""
        # offsets.commit.required.acks=-1: a commit is acknowledged once the ISR has it.
        result = await self._broker.produce(OFFSETS_TOPIC, partition, encode_batch(records), acks=-1)
        return result.base_offset

    # --- membership ----------------------------------------------------------------

    def group(self, group_id: str, *, create: bool = False) -> ClassicGroup:
        """The group's state machine (JoinGroup creates it; other requests need it)."""
        _, state = self._state(group_id)
        group = state.groups.get(group_id)
        if group is None or group.state is GroupState.DEAD:
            if not create:
                raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"group '{group_id}' does not exist")
            group = ClassicGroup(group_id, self._clock, self._bus, self.config, on_assignment=self._store)
            state.groups[group_id] = group
        return group

    def validate_txn_offset_commit(
        self, group_id: str, member_id: str, generation_id: int, group_instance_id: str | None
    ) -> None:
        """TxnOffsetCommit's group checks (Kafka's `validateTransactionalOffsetCommit`):
        an unknown group accepts only generation -1; a known one checks the member and
        generation if the request names them (v3+)."""
        _, state = self._state(group_id)
        group = state.groups.get(group_id)
        if group is None or group.state is GroupState.DEAD:
            if generation_id >= 0:
                raise KafkaError(ErrorCode.ILLEGAL_GENERATION, f"group '{group_id}' has no generation")
            return
        group.validate_offset_commit(
            member_id, generation_id, group_instance_id=group_instance_id, transactional=True
        )

    def describe(self, group_id: str) -> ClassicGroup | None:
        _, state = self._state(group_id)
        return state.groups.get(group_id)

    async def _store(self, group: ClassicGroup) -> None:
        """Persist a group's metadata before answering (Kafka's `storeGroup`)."""
        partition, _ = self._state(group.group_id)
        record = Record(0, self._clock.now_ms(), group_key(group.group_id), group_value(group.snapshot()), ())
        await self._append(partition, [record])

    # --- offsets -------------------------------------------------------------------

    async def commit(
        self,
        group_id: str,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        now_ms: int,
        *,
        generation_id: int = -1,
        member_id: str = "",
        group_instance_id: str | None = None,
    ) -> None:
        """OffsetCommit: check the committer against the group (a stale member gets
        ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID), append the offsets to the group's
        partition (acks=all), then cache them. All or nothing: one batch."""
        partition, state = self._state(group_id)
        group = state.groups.get(group_id)
        if group is not None:
            group.validate_offset_commit(member_id, generation_id, group_instance_id=group_instance_id)
        elif generation_id >= 0:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, f"group '{group_id}' has no member {member_id!r}")
        if not offsets:
            return
        stamped = _stamped(offsets, now_ms)
        at = await self._append(partition, _offset_records(group_id, stamped, now_ms))
        state.offsets.setdefault(group_id, {}).update(stamped)
        for tp in stamped:
            state.committed_at[(group_id, tp)] = at

    async def commit_transactional(
        self,
        group_id: str,
        producer_id: int,
        producer_epoch: int,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        now_ms: int,
    ) -> None:
        """TxnOffsetCommit (after the caller's group and transaction checks): append the
        offsets as a transactional batch of the producer (acks=all; the log refuses a
        fenced epoch), pending until the transaction's marker reaches this partition
        (Kafka's `GroupMetadataManager.storeOffsets` with a producer id)."""
        partition, state = self._state(group_id)
        if not offsets:
            return
        stamped = _stamped(offsets, now_ms)
        # Kafka's coordinator writes base sequence 0: its batches skip sequence checks.
        data = encode_batch(
            _offset_records(group_id, stamped, now_ms), producer_id=producer_id,
            producer_epoch=producer_epoch, base_sequence=0, is_transactional=True,
        )  # fmt: skip
        result = await self._broker.produce(OFFSETS_TOPIC, partition, data, acks=-1, from_coordinator=True)
        pending = state.pending_txn.setdefault(producer_id, {})
        for tp, value in stamped.items():
            pending[(group_id, tp)] = (result.base_offset, value)

    async def complete_txn_offsets(self, partition: int, producer_id: int, commit: bool) -> None:
        """A COMMIT/ABORT marker of the producer was appended to this partition (which this
        broker leads): its pending offsets become committed, or are dropped."""
        state = self._partitions.get(partition)
        if state is None:
            return  # no longer the leader: the next one replays the marker
        if not state.loaded:
            if state.loading is None:
                return  # the load, when it comes, replays the marker
            await asyncio.wait({state.loading})  # it may or may not have read the marker
            if not state.loaded or self._partitions.get(partition) is not state:
                return
        done = state.pending_txn.pop(producer_id, {})
        if commit:
            complete_pending(state.offsets, state.committed_at, done)

    def pending_txn_partitions(self, group_id: str) -> set[TopicPartition]:
        """The group's partitions with offsets in an open transaction (KIP-447: what
        OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for)."""
        return {
            tp
            for state in self._partitions.values()
            if state.loaded
            for pending in state.pending_txn.values()
            for group, tp in pending
            if group == group_id
        }

    def fetch(
        self, group_id: str, partitions: Sequence[TopicPartition] | None = None
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """OffsetFetch: the group's committed offsets (all of them when `partitions` is
        None; partitions without a commit are left out)."""
        _, state = self._state(group_id)
        committed = state.offsets.get(group_id, {})
        if partitions is None:
            return dict(sorted(committed.items()))
        return {tp: committed[tp] for tp in partitions if tp in committed}

    def groups(self) -> list[str]:
        """Groups (with members, committed offsets, or offsets pending in a transaction,
        which Kafka's TxnOffsetCommit creates the group for) in the partitions loaded here."""
        found: set[str] = set()
        for s in self._partitions.values():
            if s.loaded:
                found.update(s.offsets)
                found.update(g for pending in s.pending_txn.values() for g, _ in pending)
                found.update(g for g, group in s.groups.items() if group.state is not GroupState.DEAD)
        return sorted(found)

    async def delete(self, group_id: str, now_ms: int) -> int:
        """DeleteGroups: only an Empty group (else NON_EMPTY_GROUP). Tombstones its
        metadata and offsets; returns how many committed offsets it had."""
        partition, state = self._state(group_id)
        group = state.groups.get(group_id)
        if group is not None and group.state not in (GroupState.EMPTY, GroupState.DEAD):
            raise KafkaError(
                ErrorCode.NON_EMPTY_GROUP, f"group '{group_id}' has active members (state {group.state})"
            )
        committed = state.offsets.get(group_id, {})
        if not committed and group is None:
            raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"group '{group_id}' does not exist")
        records = [
            Record(i, now_ms, offset_key(group_id, tp[0], tp[1]), None, ())
            for i, tp in enumerate(sorted(committed))
        ]
        if group is not None:
            records.append(Record(len(records), now_ms, group_key(group_id), None, ()))
        await self._append(partition, records)
        state.offsets.pop(group_id, None)
        for tp in committed:
            state.committed_at.pop((group_id, tp), None)
        if group is not None:
            if group.state is not GroupState.DEAD:
                group.delete()
            group.close()
            del state.groups[group_id]
        return len(committed)


def _stamped(
    offsets: Mapping[TopicPartition, OffsetAndMetadata], now_ms: int
) -> dict[TopicPartition, OffsetAndMetadata]:
    """The offsets with the commit timestamp set (now, where the client left it -1)."""
    return {
        tp: value
        if value.commit_timestamp >= 0
        else OffsetAndMetadata(value.offset, value.leader_epoch, value.metadata, now_ms)
        for tp, value in offsets.items()
    }


def _offset_records(
    group_id: str, offsets: Mapping[TopicPartition, OffsetAndMetadata], now_ms: int
) -> list[Record]:
    return [
        Record(i, now_ms, offset_key(group_id, tp[0], tp[1]), offset_value(value), ())
        for i, (tp, value) in enumerate(sorted(offsets.items()))
    ]
