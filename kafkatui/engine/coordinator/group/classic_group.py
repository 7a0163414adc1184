"""One consumer group's membership, broker side: Kafka's classic group protocol (pre-KIP-848).

Models Kafka's `GroupCoordinator` with `GroupMetadata`/`MemberMetadata` (Scala, up to 3.6) and
their successors `GroupMetadataManager` with `ClassicGroup`/`ClassicGroupMember` (Java, 3.7+),
for ONE group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups and DeleteGroups,
with Kafka's states, delays and error codes. Storage stays outside: the coordinator passes an
`on_assignment` hook that persists `snapshot()` wherever Kafka appends the group's metadata
record to `__consumer_offsets`, and rebuilds a group after a failover with `ClassicGroup.load`.

Where each part is, as in Kafka's `group-coordinator` module:
- `group_metadata.py`: the state machine (states, members, the join and sync phases, sessions);
- `member.py`: a member (`ClassicGroupMember`);
- `join.py`: JoinGroup, with new, existing and static members;
- `sync.py`: SyncGroup and storing the leader's assignment;
- `offset_validation.py`: the checks an offset commit passes (`validateOffsetCommit`);
- `persistence.py`: the stored record (`snapshot`) and the group rebuilt from it (`load`);
- here: Heartbeat and LeaveGroup, and the class that puts them all together.

Where it differs from Kafka:
- a request whose member is removed, replaced or asked again while it waits is answered
  (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS) rather than left to the
  client's request timeout, so no coroutine hangs;
- when protocols tie in the vote, the one voted for first (in member order) wins, where
  Kafka's pick depends on HashMap order;
- a static member's stored rejoin is not answered if the group rebalanced meanwhile; the
  member then simply takes part in that rebalance.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.join import JoinGroupSteps
from kafkatui.engine.coordinator.group.model import UNKNOWN_MEMBER_ID, GroupState, LeaveResult
from kafkatui.engine.coordinator.group.offset_validation import OffsetCommitValidation
from kafkatui.engine.coordinator.group.persistence import GroupPersistence
from kafkatui.engine.coordinator.group.sync import SyncGroupSteps


class ClassicGroup(JoinGroupSteps, SyncGroupSteps, OffsetCommitValidation, GroupPersistence):
    """One classic consumer group on its coordinator (Kafka's `ClassicGroup` with the
    `GroupMetadataManager` logic for it). Requests raise `KafkaError` with Kafka's codes;
    the constructor and its `on_assignment` hook are `GroupMetadata`'s. Each base adds one
    request's steps to the state machine they share, so callers hold one object.
    """

    # --- Heartbeat -------------------------------------------------------------------

    def heartbeat(self, member_id: str, generation_id: int, *, group_instance_id: str | None = None) -> None:
        """Heartbeat: keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin."""
        self._check_loaded()
        if self._state is GroupState.DEAD:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        self._validate_member(member_id, group_instance_id)
        if generation_id != self._generation_id:
            raise KafkaError(ErrorCode.ILLEGAL_GENERATION)
        if self._state is GroupState.EMPTY:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
        self._schedule_heartbeat(self._members[member_id])
        if self._state is GroupState.PREPARING_REBALANCE:
            raise KafkaError(ErrorCode.REBALANCE_IN_PROGRESS)
        # CompletingRebalance: members may heartbeat between JoinGroup and SyncGroup.

    # --- LeaveGroup ------------------------------------------------------------------

    def leave(self, members: Sequence[tuple[str, str | None]]) -> tuple[LeaveResult, ...]:
        """LeaveGroup (v3+): (member id, group.instance.id) pairs, each answered on its own.
        An empty member id with an instance id is the admin's RemoveMembersFromConsumerGroup.
        Consumers with a group.instance.id do not send LeaveGroup when they close (KIP-345),
        but a static member removed here does trigger a rebalance, as in Kafka."""
        self._check_loaded()
        if self._state is GroupState.DEAD:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        results = []
        for member_id, instance_id in members:
            error = ErrorCode.NONE
            if member_id == UNKNOWN_MEMBER_ID:
                current = self._static_members.get(instance_id) if instance_id is not None else None
                if current is None:
                    error = ErrorCode.UNKNOWN_MEMBER_ID
                else:
                    self._remove_member_and_update_group(self._members[current], "left")
            elif member_id in self._pending_members:
                self._remove_pending_member_and_update_group(member_id)
            else:
                try:
                    self._validate_member(member_id, instance_id)
                except KafkaError as e:
                    error = e.code
                else:
                    self._remove_member_and_update_group(self._members[member_id], "left")
            results.append(LeaveResult(member_id, instance_id, error))
        return tuple(results)
