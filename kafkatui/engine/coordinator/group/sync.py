"""SyncGroup on a classic group: Kafka's `GroupMetadataManager.classicGroupSync`
(`GroupCoordinator.handleSyncGroup` in Scala). The leader's assignment is stored with the
group's metadata record before anyone gets theirs; followers wait for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import GroupRebalanceCompleted
from kafkatui.engine.coordinator.group.group_metadata import GroupMetadata
from kafkatui.engine.coordinator.group.member import answer
from kafkatui.engine.coordinator.group.model import GroupState


class SyncGroupSteps(GroupMetadata):
    """SyncGroup's steps, part of `ClassicGroup`."""

    async def sync(
        self,
        member_id: str,
        generation_id: int,
        *,
        group_instance_id: str | None = None,
        protocol_type: str | None = None,
        protocol_name: str | None = None,
        assignments: Mapping[str, bytes] | None = None,
    ) -> bytes:
        """SyncGroup: the member's assignment. The leader's carries everyone's; followers
        wait for it. `protocol_type`/`protocol_name` are checked when given (v5+, KIP-559)."""
        self._check_loaded()
        if self._state is GroupState.DEAD:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        self._validate_member(member_id, group_instance_id)
        if generation_id != self._generation_id:
            raise KafkaError(ErrorCode.ILLEGAL_GENERATION)
        if (protocol_type is not None and protocol_type != self._protocol_type) or (
            protocol_name is not None and protocol_name != self._protocol_name
        ):
            raise KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        if self._state is GroupState.PREPARING_REBALANCE:
            raise KafkaError(ErrorCode.REBALANCE_IN_PROGRESS)
        member = self._members[member_id]
        if self._state is GroupState.STABLE:
            self._remove_pending_sync_member(member_id)
            self._schedule_heartbeat(member)
            return member.assignment
        # CompletingRebalance: wait for the leader's assignment to be stored.
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if member.sync_future is not None:
            answer(member.sync_future, error=KafkaError(ErrorCode.REBALANCE_IN_PROGRESS))
        member.sync_future = future
        self._remove_pending_sync_member(member_id)
        if member_id == self._leader_id:
            given = assignments or {}
            # Members the leader left out get an empty assignment; unknown ids are ignored.
            for m in self._members.values():
                m.assignment = bytes(given.get(m.member_id, b""))
            self._spawn(self._store_assignment(self._generation_id))
        return await future

    async def _store_assignment(self, generation: int) -> None:
        error = await self._store()
        # Another member may have joined meanwhile: only the same generation, still waiting
        # for its assignment, may use this result.
        if self._state is not GroupState.COMPLETING_REBALANCE or generation != self._generation_id:
            return
        if error is not None:
            self._reset_and_propagate_assignment_error(error)
            self._maybe_prepare_rebalance()
            return
        self._propagate_assignment(None)
        self._transition(GroupState.STABLE)
        self._publish(
            GroupRebalanceCompleted,
            group_id=self.group_id,
            generation=self._generation_id,
            leader_id=self._leader_id or "",
            protocol=self._protocol_name or "",
            members=tuple(self._members),
        )
