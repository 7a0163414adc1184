"""One consumer group's membership, broker side: Kafka's classic group protocol (pre-KIP-848).

Models Kafka's `GroupCoordinator` with `GroupMetadata`/`MemberMetadata` (Scala, up to 3.6) and
their successors `GroupMetadataManager` with `ClassicGroup`/`ClassicGroupMember` (Java, 3.7+),
for ONE group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups and DeleteGroups,
with Kafka's states, delays and error codes. Storage stays outside: the coordinator passes an
`on_assignment` hook that persists `snapshot()` wherever Kafka appends the group's metadata
record to `__consumer_offsets`, and rebuilds a group after a failover with `ClassicGroup.load`.

Every timer (initial rebalance delay, rebalance timeout, session timeouts, pending members,
pending syncs) is a deadline on the engine's `Clock`, kept by one task per group, so a group on
a `ManualClock` plays out identically every time.

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

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    EventBus,
    GroupMemberJoined,
    GroupMemberRemoved,
    GroupRebalanceCompleted,
    GroupStateChanged,
)
from kafkatui.engine.coordinator.deadlines import Deadlines
from kafkatui.engine.coordinator.group.model import (
    NEW_MEMBER_JOIN_TIMEOUT_MS,
    UNKNOWN_MEMBER_ID,
    VALID_PREVIOUS_STATES,
    GroupConfig,
    GroupDescription,
    GroupSnapshot,
    GroupState,
    JoinGroupMember,
    JoinResult,
    LeaveResult,
    MemberDescription,
    MemberIdRequired,
    MemberSnapshot,
    member_id_generator,
)

# How Kafka turns a failed append of the group's metadata record into the error SyncGroup
# answers (GroupMetadataManager.storeGroup); anything else is passed on unchanged.
_STORE_ERRORS = {
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_ENOUGH_REPLICAS: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_LEADER_OR_FOLLOWER: ErrorCode.NOT_COORDINATOR,
    ErrorCode.KAFKA_STORAGE_ERROR: ErrorCode.NOT_COORDINATOR,
    ErrorCode.REQUEST_TIMED_OUT: ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.MESSAGE_TOO_LARGE: ErrorCode.UNKNOWN_SERVER_ERROR,
    ErrorCode.RECORD_LIST_TOO_LARGE: ErrorCode.UNKNOWN_SERVER_ERROR,
    ErrorCode.INVALID_FETCH_SIZE: ErrorCode.UNKNOWN_SERVER_ERROR,
}


# --- internals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JoinRequest:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    session_timeout_ms: int
    rebalance_timeout_ms: int
    require_known_member_id: bool


@dataclass(eq=False)
class _Member:
    """Kafka's `ClassicGroupMember`; a member awaits join/sync while it has a future there."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    is_new: bool = False
    join_future: asyncio.Future[JoinResult] | None = None
    sync_future: asyncio.Future[bytes] | None = None

    @property
    def protocol_names(self) -> list[str]:
        return [name for name, _ in self.protocols]

    def metadata(self, protocol: str | None) -> bytes:
        return next((meta for name, meta in self.protocols if name == protocol), b"")

    def vote(self, candidates: set[str]) -> str:
        # The member's first preference that every member supports.
        return next(name for name in self.protocol_names if name in candidates)


def _answer(future: asyncio.Future[Any] | None, result: Any = None, error: KafkaError | None = None) -> None:
    if future is None or future.done():
        return  # nobody waits (the client gave up)
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


# --- the group ---------------------------------------------------------------------------------


class ClassicGroup:
    """One classic consumer group on its coordinator (Kafka's `ClassicGroup` with the
    `GroupMetadataManager` logic for it). Requests raise `KafkaError` with Kafka's codes.

    `on_assignment(group)` runs wherever Kafka appends the group's metadata record before
    answering: the leader's SyncGroup, a static member rejoining a Stable group, and the
    group becoming Empty. It should persist `group.snapshot()`; a `KafkaError` it raises
    fails those requests as Kafka's failed append does. Needs a running event loop.
    """

    def __init__(
        self,
        group_id: str,
        clock: Clock,
        bus: EventBus,
        config: GroupConfig | None = None,
        *,
        member_ids: Callable[[str], str] | None = None,
        on_assignment: Callable[[ClassicGroup], Awaitable[None]] | None = None,
    ) -> None:
        if not group_id:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID)
        self.group_id = group_id
        self.config = config or GroupConfig()
        self._clock = clock
        self._bus = bus
        # Kafka uses random UUIDs; seeding by time as well keeps a reloaded group from
        # handing out the ids its previous incarnation did.
        self._member_ids = member_ids or member_id_generator(f"{group_id}@{clock.now_ms()}")
        self._on_assignment = on_assignment
        self._state = GroupState.EMPTY
        self._previous_state = GroupState.DEAD
        self._state_timestamp_ms = clock.now_ms()
        self._generation_id = 0
        self._protocol_type: str | None = None
        self._protocol_name: str | None = None
        self._leader_id: str | None = None
        self._members: dict[str, _Member] = {}
        self._static_members: dict[str, str] = {}  # group.instance.id -> member id
        self._pending_members: set[str] = set()  # given an id by MEMBER_ID_REQUIRED, not yet back
        self._pending_sync: set[str] = set()  # joined this generation, not yet synced
        self._new_member_added = False
        self._initial_join = False  # the join phase is the initial delay (InitialDelayedJoin)
        self._timers = Deadlines(clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._unloaded = False

    # --- read side -------------------------------------------------------------------

    @property
    def state(self) -> GroupState:
        return self._state

    @property
    def generation_id(self) -> int:
        return self._generation_id

    @property
    def leader_id(self) -> str | None:
        return self._leader_id

    @property
    def protocol_type(self) -> str | None:
        return self._protocol_type

    @property
    def protocol_name(self) -> str | None:
        return self._protocol_name

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(self._members)

    def session_deadline_ms(self, member_id: str) -> int | None:
        """When the member's session expires unless it is heard from (None: no timer runs,
        e.g. while it waits in a rebalance)."""
        return self._timers.deadline(("heartbeat", member_id))

    def describe(self) -> GroupDescription:
        """DescribeGroups: metadata, assignments and the protocol only while Stable."""
        self._check_loaded()
        stable = self._state is GroupState.STABLE
        return GroupDescription(
            group_id=self.group_id,
            state=self._state,
            protocol_type=self._protocol_type or "",
            protocol=(self._protocol_name or "") if stable else "",
            generation_id=self._generation_id,
            leader_id=self._leader_id,
            members=tuple(
                MemberDescription(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    metadata=m.metadata(self._protocol_name) if stable else b"",
                    assignment=m.assignment if stable else b"",
                )
                for m in self._members.values()
            ),
        )

    def snapshot(self) -> GroupSnapshot:
        """The group's metadata record as Kafka writes it. Kafka writes it only when the
        group is Empty, while the leader's assignment is stored, or when a static member is
        replaced; a group that has never chosen a protocol records no members."""
        members = ()
        if self._protocol_name is not None:
            members = tuple(
                MemberSnapshot(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    rebalance_timeout_ms=m.rebalance_timeout_ms,
                    session_timeout_ms=m.session_timeout_ms,
                    subscription=m.metadata(self._protocol_name),
                    assignment=m.assignment,
                )
                for m in self._members.values()
            )
        return GroupSnapshot(
            group_id=self.group_id,
            protocol_type=self._protocol_type,
            generation_id=self._generation_id,
            protocol_name=self._protocol_name,
            leader_id=self._leader_id if members else None,
            current_state_timestamp_ms=self._state_timestamp_ms,
            members=members,
        )

    @classmethod
    def load(
        cls,
        snapshot: GroupSnapshot,
        clock: Clock,
        bus: EventBus,
        config: GroupConfig | None = None,
        *,
        member_ids: Callable[[str], str] | None = None,
        on_assignment: Callable[[ClassicGroup], Awaitable[None]] | None = None,
    ) -> ClassicGroup:
        """Rebuild a group on a new coordinator (Kafka's `onGroupLoaded`): Stable with its
        members, or Empty; every member's session starts afresh, and a group larger than
        group.max.size rebalances so the extra members are turned away."""
        if snapshot.members and snapshot.protocol_name is None:
            raise ValueError("a group snapshot with members needs its protocol name")
        group = cls(snapshot.group_id, clock, bus, config, member_ids=member_ids, on_assignment=on_assignment)
        group._generation_id = snapshot.generation_id
        group._protocol_type = snapshot.protocol_type
        group._protocol_name = snapshot.protocol_name
        group._state_timestamp_ms = snapshot.current_state_timestamp_ms
        for m in snapshot.members:
            member = _Member(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout_ms=m.rebalance_timeout_ms,
                session_timeout_ms=m.session_timeout_ms,
                protocol_type=snapshot.protocol_type or "",
                protocols=((snapshot.protocol_name or "", m.subscription),),
                assignment=m.assignment,
            )
            group._members[member.member_id] = member
            if member.group_instance_id is not None:
                group._static_members[member.group_instance_id] = member.member_id
        if group._members:
            group._state = GroupState.STABLE
            leader = snapshot.leader_id
            group._leader_id = leader if leader in group._members else next(iter(group._members))
            for member in group._members.values():
                group._schedule_heartbeat(member)
            if len(group._members) > group.config.group_max_size:
                group._prepare_rebalance()
        return group

    # --- JoinGroup -------------------------------------------------------------------

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
        member = _Member(
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
        self, member: _Member, req: _JoinRequest, future: asyncio.Future[JoinResult]
    ) -> None:
        self._update_member(member, req.protocols, req.rebalance_timeout_ms, req.session_timeout_ms, future)
        self._maybe_prepare_rebalance()

    def _update_member(
        self,
        member: _Member,
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
            _answer(member.join_future, error=KafkaError(ErrorCode.REBALANCE_IN_PROGRESS))
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
            _answer(future, error=KafkaError(error))
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
    ) -> _Member:
        old = self._members[old_id]
        # Whoever still waits under the old id is a zombie of the same instance: fence it.
        _answer(old.join_future, error=KafkaError(ErrorCode.FENCED_INSTANCE_ID))
        _answer(old.sync_future, error=KafkaError(ErrorCode.FENCED_INSTANCE_ID))
        new = _Member(
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

    # --- the join phase --------------------------------------------------------------

    def _maybe_prepare_rebalance(self) -> None:
        if self._state in VALID_PREVIOUS_STATES[GroupState.PREPARING_REBALANCE]:
            self._prepare_rebalance()

    def _prepare_rebalance(self) -> None:
        if self._state is GroupState.COMPLETING_REBALANCE:
            # Followers waiting for the leader's assignment must rejoin instead.
            self._reset_and_propagate_assignment_error(ErrorCode.REBALANCE_IN_PROGRESS)
        self._clear_pending_sync()
        initial = self._state is GroupState.EMPTY
        if initial:
            # A new group waits for more members before its first generation.
            delay = self.config.group_initial_rebalance_delay_ms
            remaining = max(self._rebalance_timeout_ms() - delay, 0)
            self._timers.schedule("join", delay, partial(self._initial_join_expired, delay, remaining))
        else:
            self._timers.schedule("join", self._rebalance_timeout_ms(), self._complete_join)
        self._initial_join = initial
        self._transition(GroupState.PREPARING_REBALANCE)
        self._maybe_complete_join()

    def _initial_join_expired(self, delay_ms: int, remaining_ms: int) -> None:
        """InitialDelayedJoin.onComplete: wait another delay while members keep arriving,
        never beyond the rebalance timeout."""
        if self._new_member_added and remaining_ms != 0:
            self._new_member_added = False
            next_delay = min(self.config.group_initial_rebalance_delay_ms, remaining_ms)
            next_remaining = max(remaining_ms - delay_ms, 0)
            self._timers.schedule(
                "join", next_delay, partial(self._initial_join_expired, next_delay, next_remaining)
            )
        else:
            self._complete_join()

    def _has_all_members_joined(self) -> bool:
        return not self._pending_members and all(m.join_future is not None for m in self._members.values())

    def _maybe_complete_join(self) -> None:
        # The initial delay is never cut short (InitialDelayedJoin.tryComplete is false).
        if (
            self._state is GroupState.PREPARING_REBALANCE
            and not self._initial_join
            and self._has_all_members_joined()
        ):
            self._complete_join()

    def _complete_join(self) -> None:
        """GroupCoordinator.onCompleteJoin: the rebalance timeout passed or everyone rejoined."""
        self._timers.cancel("join")
        self._initial_join = False
        if self._state is not GroupState.PREPARING_REBALANCE:
            return
        # Dynamic members that did not rejoin in time are gone; static ones stay until their
        # session times out (KIP-345).
        for member in [
            m for m in self._members.values() if m.join_future is None and m.group_instance_id is None
        ]:
            self._remove_member(member, "rebalance timeout")
        if not self._maybe_elect_new_joined_leader() and self._members:
            # Only static members that did not rejoin are left: wait for their sessions.
            self._timers.schedule("join", self._rebalance_timeout_ms(), self._complete_join)
            return
        self._generation_id += 1
        if not self._members:
            self._protocol_name = None
            self._transition(GroupState.EMPTY)
            self._pending_sync.clear()
            # Kafka writes the empty group and only logs a failure: no member depends on it.
            self._spawn(self._store_quietly())
            return
        self._protocol_name = self._select_protocol()
        self._transition(GroupState.COMPLETING_REBALANCE)
        self._pending_sync.clear()
        for member in self._members.values():
            self._complete_join_future(
                member, self._join_result(member, with_members=member.member_id == self._leader_id)
            )
            self._schedule_heartbeat(member)
            member.is_new = False
            self._pending_sync.add(member.member_id)
        # Members that never send SyncGroup are removed after the rebalance timeout (DelayedSync).
        self._timers.schedule(
            "sync", self._rebalance_timeout_ms(), partial(self._pending_sync_expired, self._generation_id)
        )

    def _maybe_elect_new_joined_leader(self) -> bool:
        if self._leader_id is None:
            return False
        if self._members[self._leader_id].join_future is not None:
            return True
        for member in self._members.values():
            if member.join_future is not None:
                self._leader_id = member.member_id
                return True
        return False

    def _select_protocol(self) -> str:
        """Each member votes for its first preference among the protocols all support; the
        most votes win (ClassicGroup.selectProtocol)."""
        candidates = set.intersection(*(set(m.protocol_names) for m in self._members.values()))
        votes: dict[str, int] = {}
        for member in self._members.values():
            choice = member.vote(candidates)
            votes[choice] = votes.get(choice, 0) + 1
        return max(votes, key=lambda name: votes[name])

    def _supports_protocols(self, protocol_type: str, names: Sequence[str]) -> bool:
        if self._state is GroupState.EMPTY:
            return bool(protocol_type) and bool(names)
        return protocol_type == self._protocol_type and any(
            all(name in m.protocol_names for m in self._members.values()) for name in names
        )

    def _join_result(self, member: _Member, *, with_members: bool) -> JoinResult:
        return JoinResult(
            member_id=member.member_id,
            generation_id=self._generation_id,
            protocol_type=self._protocol_type,
            protocol_name=self._protocol_name,
            leader_id=self._leader_id or "",
            members=self._member_list() if with_members else (),
        )

    def _member_list(self) -> tuple[JoinGroupMember, ...]:
        return tuple(
            JoinGroupMember(m.member_id, m.group_instance_id, m.metadata(self._protocol_name))
            for m in self._members.values()
        )

    def _complete_join_future(self, member: _Member, result: JoinResult) -> None:
        future, member.join_future = member.join_future, None
        _answer(future, result)

    def _rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self._members.values()), default=0)

    # --- SyncGroup -------------------------------------------------------------------

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
            _answer(member.sync_future, error=KafkaError(ErrorCode.REBALANCE_IN_PROGRESS))
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

    def _reset_and_propagate_assignment_error(self, error: ErrorCode) -> None:
        for member in self._members.values():
            member.assignment = b""
        self._propagate_assignment(error)

    def _propagate_assignment(self, error: ErrorCode | None) -> None:
        for member in self._members.values():
            future, member.sync_future = member.sync_future, None
            if future is None:
                continue
            if error is None:
                _answer(future, member.assignment)
            else:
                _answer(future, error=KafkaError(error))
            # A session that ran out while the member waited was ignored: start it afresh.
            self._schedule_heartbeat(member)

    async def _store(self) -> ErrorCode | None:
        """Run the persistence hook; the error SyncGroup would answer if it failed."""
        if self._on_assignment is None:
            return None
        try:
            await self._on_assignment(self)
        except KafkaError as error:
            return _STORE_ERRORS.get(error.code, error.code)
        except Exception:
            return ErrorCode.UNKNOWN_SERVER_ERROR
        return None

    async def _store_quietly(self) -> None:
        await self._store()

    def _remove_pending_sync_member(self, member_id: str) -> None:
        self._pending_sync.discard(member_id)
        if not self._pending_sync:
            self._timers.cancel("sync")

    def _clear_pending_sync(self) -> None:
        self._pending_sync.clear()
        self._timers.cancel("sync")

    def _pending_sync_expired(self, generation: int) -> None:
        """GroupCoordinator.onExpirePendingSync: members that joined but never synced."""
        if generation != self._generation_id or self._state not in (
            GroupState.COMPLETING_REBALANCE,
            GroupState.STABLE,
        ):
            return
        if not self._pending_sync:
            return
        for member_id in [m for m in self._members if m in self._pending_sync]:
            self._remove_member(self._members[member_id], "rebalance timeout")
        self._prepare_rebalance()

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

    def _schedule_heartbeat(self, member: _Member, timeout_ms: int | None = None) -> None:
        delay = member.session_timeout_ms if timeout_ms is None else timeout_ms
        self._timers.schedule(
            ("heartbeat", member.member_id), delay, partial(self._heartbeat_expired, member.member_id)
        )

    def _heartbeat_expired(self, member_id: str) -> None:
        member = self._members.get(member_id)
        if member is None or self._state is GroupState.DEAD:
            return
        # A member waiting in a rebalance is not expected to heartbeat; a new member is
        # still bound by its join timeout (ClassicGroupMember.hasSatisfiedHeartbeat).
        if not member.is_new and (member.join_future is not None or member.sync_future is not None):
            return
        self._remove_member_and_update_group(member, "session timeout")

    def _expire_pending_member(self, member_id: str) -> None:
        if member_id in self._pending_members:
            self._remove_pending_member_and_update_group(member_id)

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

    # --- DeleteGroups, unloading -----------------------------------------------------

    def delete(self) -> None:
        """DeleteGroups: only an Empty group; it becomes Dead and answers nothing more."""
        self._check_loaded()
        if self._state is GroupState.DEAD:
            raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND)
        if self._state is not GroupState.EMPTY:
            raise KafkaError(ErrorCode.NON_EMPTY_GROUP)
        self._transition(GroupState.DEAD)
        self._pending_members.clear()
        self._timers.close()

    def close(self) -> None:
        """Unload the group (Kafka's `onGroupUnloaded`, e.g. its coordinator moved): it turns
        Dead, waiting requests get NOT_COORDINATOR, timers and stores stop, and every later
        request gets NOT_COORDINATOR."""
        if self._unloaded:
            return
        if self._state is not GroupState.DEAD:
            self._transition(GroupState.DEAD)
        for member in self._members.values():
            future, member.join_future = member.join_future, None
            _answer(future, error=KafkaError(ErrorCode.NOT_COORDINATOR))
            sync, member.sync_future = member.sync_future, None
            _answer(sync, error=KafkaError(ErrorCode.NOT_COORDINATOR))
        self._unloaded = True
        self._timers.close()
        for task in self._tasks:
            task.cancel()

    # --- members ---------------------------------------------------------------------

    def _validate_member(self, member_id: str, group_instance_id: str | None) -> None:
        """ClassicGroup.validateMember: the instance id maps to this member id; it exists."""
        if group_instance_id is not None:
            current = self._static_members.get(group_instance_id)
            if current is None:
                raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)
            if current != member_id:
                raise KafkaError(ErrorCode.FENCED_INSTANCE_ID)
        if member_id not in self._members:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID)

    def _remove_member_and_update_group(self, member: _Member, reason: str) -> None:
        self._remove_member(member, reason)
        if self._state in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE):
            self._maybe_prepare_rebalance()
        elif self._state is GroupState.PREPARING_REBALANCE:
            self._maybe_complete_join()

    def _remove_pending_member_and_update_group(self, member_id: str) -> None:
        self._pending_members.discard(member_id)
        self._timers.cancel(("pending", member_id))
        self._maybe_complete_join()

    def _remove_member_quietly(self, member_id: str) -> None:
        """Turned away by group.max.size (Kafka's bare `group.remove`)."""
        member = self._members.get(member_id)
        if member is not None:
            self._remove_member(member, "group max size")
        self._pending_members.discard(member_id)
        self._timers.cancel(("pending", member_id))

    def _remove_member(self, member: _Member, reason: str) -> None:
        member_id = member.member_id
        # A JoinGroup still waiting learns to start over (UNKNOWN_MEMBER_ID, as Kafka answers).
        future, member.join_future = member.join_future, None
        _answer(future, error=KafkaError(ErrorCode.UNKNOWN_MEMBER_ID))
        sync, member.sync_future = member.sync_future, None
        _answer(sync, error=KafkaError(ErrorCode.UNKNOWN_MEMBER_ID))
        del self._members[member_id]
        if (
            member.group_instance_id is not None
            and self._static_members.get(member.group_instance_id) == member_id
        ):
            del self._static_members[member.group_instance_id]
        if self._leader_id == member_id:
            self._leader_id = next(iter(self._members), None)
        self._pending_members.discard(member_id)
        self._remove_pending_sync_member(member_id)
        self._timers.cancel(("heartbeat", member_id))
        self._publish(GroupMemberRemoved, group_id=self.group_id, member_id=member_id, reason=reason)

    def _generate_member_id(self, prefix: str) -> str:
        while True:
            member_id = self._member_ids(prefix)
            if member_id not in self._members and member_id not in self._pending_members:
                return member_id

    # --- plumbing --------------------------------------------------------------------

    def _check_loaded(self) -> None:
        if self._unloaded:
            raise KafkaError(ErrorCode.NOT_COORDINATOR)

    def _transition(self, state: GroupState) -> None:
        if self._state not in VALID_PREVIOUS_STATES[state]:
            # Kafka's IllegalStateException: a bug here, never a client's doing.
            raise RuntimeError(
                f"Group {self.group_id} should be in one of "
                f"{sorted(s.value for s in VALID_PREVIOUS_STATES[state])} before moving to {state.value}; "
                f"it is {self._state.value}"
            )
        old = self._state
        self._previous_state, self._state = old, state
        self._state_timestamp_ms = self._clock.now_ms()
        self._publish(
            GroupStateChanged,
            group_id=self.group_id,
            old_state=old.value,
            new_state=state.value,
            generation=self._generation_id,
        )

    def _publish(self, event_type: type, **fields: Any) -> None:
        self._bus.publish(event_type(timestamp_ms=self._clock.now_ms(), **fields))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
