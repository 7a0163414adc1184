"""JoinGroup on a classic group: Kafka's `GroupMetadataManager.classicGroupJoin` and the
paths it takes (`GroupCoordinator.handleJoinGroup` in Scala): a new dynamic member
(MEMBER_ID_REQUIRED first, KIP-394), a new or returning static member (KIP-345), and an
existing member in each state. The join phase those requests start or complete is the
state machine's (`group_metadata.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import GroupMemberJoined, GroupMemberRemoved
from kafkatui.engine.coordinator.group.group_metadata import GroupMetadata
from kafkatui.engine.coordinator.group.member import ClassicGroupMember, answer
from kafkatui.engine.coordinator.group.model import (
    NEW_MEMBER_JOIN_TIMEOUT_MS,
    UNKNOWN_MEMBER_ID,
    GroupState,
    JoinResult,
    MemberIdRequired,
)


@dataclass(frozen=True)
class _JoinRequest:
    """A JoinGroup request's fields, as `join` was called."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    session_timeout_ms: int
    rebalance_timeout_ms: int
    require_known_member_id: bool


class JoinGroupSteps(GroupMetadata):
    """JoinGroup's steps, part of `ClassicGroup`."""

    async def join(
        self,
        member_id: str,
        *,
        group_instance_id: str | None = None,
        client_id: str,
        client_host: str,
        protocol_type: str,
        protocols: Sequence[tuple[str, bytes]],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        require_known_member_id: bool = True,
    ) -> JoinResult:
        """JoinGroup; waits until the join phase completes. A new dynamic member first gets
        `MemberIdRequired` (v4+, KIP-394) and rejoins with the id it carries."""
        self._check_loaded()
        request = _JoinRequest(
            member_id=member_id,
            group_instance_id=group_instance_id,
            client_id=client_id,
            client_host=client_host,
            protocol_type=protocol_type,
            protocols=tuple((name, bytes(meta)) for name, meta in protocols),
            session_timeout_ms=session_timeout_ms,
            rebalance_timeout_ms=rebalance_timeout_ms,
            require_known_member_id=require_known_member_id,
        )
        future: asyncio.Future[JoinResult] = asyncio.get_running_loop().create_future()
        self._handle_join(request, future)
        return await future

    def _handle_join(self, req: _JoinRequest, future: asyncio.Future[JoinResult]) -> None:
        cfg = self.config
        if not cfg.group_min_session_timeout_ms <= req.session_timeout_ms <= cfg.group_max_session_timeout_ms:
            raise KafkaError(ErrorCode.INVALID_SESSION_TIMEOUT)
        try:
            if not self._accept_joining_member(req.member_id):
                self._remove_member_quietly(req.member_id)
                raise KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED)
            if self._state is GroupState.DEAD:
                # Deleted (or being moved): the client looks for the coordinator again.
                raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
            if not self._supports_protocols(req.protocol_type, [name for name, _ in req.protocols]):
                raise KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
            if req.member_id == UNKNOWN_MEMBER_ID:
                self._join_new_member(req, future)
            else:
                self._join_existing_member(req, future)
        finally:
            # GroupCoordinator.handleJoinGroup: "attempt to complete JoinGroup".
            self._maybe_complete_join()

    def _accept_joining_member(self, member_id: str) -> bool:
        """GroupCoordinator.acceptJoiningMember: room for this member under group.max.size?"""
        max_size = self.config.group_max_size
        member = self._members.get(member_id)
        if self._state in (GroupState.EMPTY, GroupState.DEAD):
            return True
        if self._state is GroupState.PREPARING_REBALANCE:
            # Counting members that rejoined (not the group size) also sheds members beyond a
            # lowered limit: the last ones to rejoin are turned away.
            awaiting = sum(1 for m in self._members.values() if m.join_future is not None)
            return (member is not None and member.join_future is not None) or awaiting < max_size
        return member is not None or len(self._members) < max_size

    def _join_new_member(self, req: _JoinRequest, future: asyncio.Future[JoinResult]) -> None:
        new_id = self._generate_member_id(req.group_instance_id or req.client_id)
        if req.group_instance_id is not None:
            old_id = self._static_members.get(req.group_instance_id)
            if old_id is not None:
                self._update_static_member(req, old_id, new_id, future)
            else:
                self._add_member_and_rebalance(req, new_id, future)
        elif req.require_known_member_id:
            # Registered as pending; it expires unless the client is back within its session.
            self._pending_members.add(new_id)
            self._timers.schedule(
                ("pending", new_id), req.session_timeout_ms, partial(self._expire_pending_member, new_id)
            )
            raise MemberIdRequired(new_id)
        else:
            self._add_member_and_rebalance(req, new_id, future)

    def _join_existing_member(self, req: _JoinRequest, future: asyncio.Future[JoinResult]) -> None:
        if req.member_id in self._pending_members:
            if req.group_instance_id is not None:
                # Kafka throws IllegalStateException here: pending members are never static.
                raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "a pending member cannot be static")
            self._add_member_and_rebalance(req, req.member_id, future)
            return
        self._validate_member(req.member_id, req.group_instance_id)
        member = self._members[req.member_id]
        state = self._state
        if state is GroupState.PREPARING_REBALANCE:
            self._update_member_and_rebalance(member, req, future)
        elif state is GroupState.COMPLETING_REBALANCE:
            if member.protocols == req.protocols:
                # It missed the join response: the current generation again.
                future.set_result(self._join_result(member, with_members=member.member_id == self._leader_id))
            else:
                self._update_member_and_rebalance(member, req, future)
        elif state is GroupState.STABLE:
            if member.member_id == self._leader_id or member.protocols != req.protocols:
                # A leader's JoinGroup forces a rebalance: that is how it reacts to changes
                # that leave member metadata alone (e.g. a topic's partition count).
                self._update_member_and_rebalance(member, req, future)
            else:
                future.set_result(self._join_result(member, with_members=False))
        else:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)  # Empty: reset and rejoin

    def _add_member_and_rebalance(
        self, req: _JoinRequest, member_id: str, future: asyncio.Future[JoinResult]
    ) -> None:
        member = ClassicGroupMember(
            member_id=member_id,
            group_instance_id=req.group_instance_id,
            client_id=req.client_id,
            client_host=req.client_host,
            rebalance_timeout_ms=req.rebalance_timeout_ms,
            session_timeout_ms=req.session_timeout_ms,
            protocol_type=req.protocol_type,
            protocols=req.protocols,
            is_new=True,
        )
        # A member arriving during the initial delay extends it (InitialDelayedJoin).
        if self._state is GroupState.PREPARING_REBALANCE and self._previous_state is GroupState.EMPTY:
            self._new_member_added = True
        if not self._members:
            self._protocol_type = member.protocol_type
        if self._leader_id is None:
            self._leader_id = member_id
        if member.group_instance_id is not None:
            self._static_members[member.group_instance_id] = member_id
        self._members[member_id] = member
        member.join_future = future
        self._pending_members.discard(member_id)
        self._timers.cancel(("pending", member_id))
        self._publish(
            GroupMemberJoined,
            group_id=self.group_id,
            member_id=member_id,
            group_instance_id=member.group_instance_id,
        )
        # It cannot heartbeat before its JoinGroup is answered; a generous timeout instead.
        self._schedule_heartbeat(member, NEW_MEMBER_JOIN_TIMEOUT_MS)
        self._maybe_prepare_rebalance()

    def _update_member_and_rebalance(
        self, member: ClassicGroupMember, req: _JoinRequest, future: asyncio.Future[JoinResult]
    ) -> None:
        self._update_member(member, req.protocols, req.rebalance_timeout_ms, req.session_timeout_ms, future)
        self._maybe_prepare_rebalance()

    def _update_member(
        self,
        member: ClassicGroupMember,
        protocols: tuple[tuple[str, bytes], ...],
        rebalance_timeout_ms: int,
        session_timeout_ms: int,
        future: asyncio.Future[JoinResult] | None,
    ) -> None:
        member.protocols = protocols
        member.rebalance_timeout_ms = rebalance_timeout_ms
        member.session_timeout_ms = session_timeout_ms
        if member.join_future is not None and member.join_future is not future:
            # The client asked again; its earlier JoinGroup will not be answered otherwise.
            answer(member.join_future, error=KafkaError(ErrorCode.REBALANCE_IN_PROGRESS))
        member.join_future = future

    def _update_static_member(
        self, req: _JoinRequest, old_id: str, new_id: str, future: asyncio.Future[JoinResult]
    ) -> None:
        """A known group.instance.id with an unknown member id (KIP-345): the new id replaces
        the old one, keeping its assignment; the old id is fenced."""
        assert req.group_instance_id is not None
        member = self._replace_static_member(req.group_instance_id, old_id, new_id)
        self._schedule_heartbeat(member)
        undo = (member.protocols, member.rebalance_timeout_ms, member.session_timeout_ms)
        self._update_member(member, req.protocols, req.rebalance_timeout_ms, req.session_timeout_ms, future)
        if self._state is GroupState.STABLE:
            if self._protocol_name == self._select_protocol():
                # Nothing the assignment depends on changed: persist the new id and answer
                # with the current generation, without a rebalance.
                self._spawn(self._persist_static_member(req.group_instance_id, old_id, new_id, undo))
            else:
                self._maybe_prepare_rebalance()
        elif self._state is GroupState.COMPLETING_REBALANCE:
            # The leader may be assigning to the old id right now: assign again.
            self._prepare_rebalance()
        # PreparingRebalance: it simply waits for the join phase like everyone else.

    async def _persist_static_member(
        self, instance_id: str, old_id: str, new_id: str, undo: tuple[tuple[tuple[str, bytes], ...], int, int]
    ) -> None:
        generation = self._generation_id
        error = await self._store()
        member = self._members.get(new_id)
        if (
            member is None
            or member.join_future is None
            or self._state is not GroupState.STABLE
            or self._generation_id != generation
        ):
            return  # the group moved on; the member waits in that rebalance instead
        if error is not None:
            # Kafka reverts to the old member id, which stays the one the log knows.
            future = member.join_future
            member.join_future = None
            self._update_member(member, undo[0], undo[1], undo[2], None)
            old = self._replace_static_member(instance_id, new_id, old_id, reason="not persisted")
            self._schedule_heartbeat(old)
            answer(future, error=KafkaError(error))
            return
        # JoinGroup v9+: a static leader learns it leads but must not assign (skip_assignment),
        # since a Stable group would not hand out a new assignment anyway.
        is_leader = new_id == self._leader_id
        result = self._join_result(member, with_members=is_leader)
        if is_leader:
            result = replace(result, skip_assignment=True)
        self._complete_join_future(member, result)

    def _replace_static_member(
        self, instance_id: str, old_id: str, new_id: str, reason: str = "fenced"
    ) -> ClassicGroupMember:
        old = self._members[old_id]
        # Whoever still waits under the old id is a zombie of the same instance: fence it.
        answer(old.join_future, error=KafkaError(ErrorCode.FENCED_INSTANCE_ID))
        answer(old.sync_future, error=KafkaError(ErrorCode.FENCED_INSTANCE_ID))
        new = ClassicGroupMember(
            member_id=new_id,
            group_instance_id=old.group_instance_id,
            client_id=old.client_id,
            client_host=old.client_host,
            rebalance_timeout_ms=old.rebalance_timeout_ms,
            session_timeout_ms=old.session_timeout_ms,
            protocol_type=old.protocol_type,
            protocols=old.protocols,
            assignment=old.assignment,
        )
        # Same place in the member order (leader fallback, member lists).
        self._members = {
            (new_id if k == old_id else k): (new if k == old_id else m) for k, m in self._members.items()
        }
        if self._leader_id == old_id:
            self._leader_id = new_id
        self._static_members[instance_id] = new_id
        if old_id in self._pending_sync:
            self._pending_sync.discard(old_id)
            self._pending_sync.add(new_id)
        self._timers.cancel(("heartbeat", old_id))
        self._publish(GroupMemberRemoved, group_id=self.group_id, member_id=old_id, reason=reason)
        self._publish(
            GroupMemberJoined, group_id=self.group_id, member_id=new_id, group_instance_id=instance_id
        )
        return new

    def _expire_pending_member(self, member_id: str) -> None:
        if member_id in self._pending_members:
            self._remove_pending_member_and_update_group(member_id)

    def _remove_member_quietly(self, member_id: str) -> None:
        """Turned away by group.max.size (Kafka's bare `group.remove`)."""
        member = self._members.get(member_id)
        if member is not None:
            self._remove_member(member, "group max size")
        self._pending_members.discard(member_id)
        self._timers.cancel(("pending", member_id))
