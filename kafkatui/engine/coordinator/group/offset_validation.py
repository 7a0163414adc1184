"""OffsetCommit's checks against a classic group: Kafka's `ClassicGroup.validateOffsetCommit`
as `OffsetMetadataManager` (`GroupCoordinator.doCommitOffsets` in Scala) applies it."""

from __future__ import annotations

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.group_metadata import GroupMetadata
from kafkatui.engine.coordinator.group.model import GroupState


class OffsetCommitValidation(GroupMetadata):
    """OffsetCommit's and TxnOffsetCommit's checks, part of `ClassicGroup`."""

    def validate_offset_commit(
        self,
        member_id: str,
        generation_id: int,
        *,
        group_instance_id: str | None = None,
        transactional: bool = False,
    ) -> None:
        """OffsetCommit's checks (Kafka's `GroupCoordinator.doCommitOffsets`): a commit
        with generation -1 is accepted only while the group is Empty (an admin or a
        consumer with manual assignment); otherwise it must come from a member of the
        current generation, and it counts as a heartbeat. A `transactional` commit
        (TxnOffsetCommit) checks member and generation only if it names them (v3+,
        KIP-447) and whatever the group's state (`ClassicGroup.validateOffsetCommit`)."""
        self._check_loaded()
        if self._state is GroupState.DEAD:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        if generation_id < 0 and self._state is GroupState.EMPTY:
            return
        if transactional:
            if generation_id >= 0 or member_id or group_instance_id is not None:
                self._validate_member(member_id, group_instance_id)
                if generation_id != self._generation_id:
                    raise KafkaError(ErrorCode.ILLEGAL_GENERATION)
            return
        if self._state is GroupState.COMPLETING_REBALANCE:
            raise KafkaError(ErrorCode.REBALANCE_IN_PROGRESS)
        self._validate_member(member_id, group_instance_id)
        if generation_id != self._generation_id:
            raise KafkaError(ErrorCode.ILLEGAL_GENERATION)
        self._schedule_heartbeat(self._members[member_id])
