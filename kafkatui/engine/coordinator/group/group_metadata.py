"""One classic group's state machine on its coordinator: states, members, the rebalance.

Kafka's `ClassicGroup` (Java, 3.7+; `GroupMetadata` in Scala up to 3.6) with the parts of
`GroupMetadataManager` every request shares: the group's state and its transitions, its
members (static ones by group.instance.id, KIP-345), the generation, the chosen protocol and
the leader; the join phase (PreparingRebalance: the initial delay, waiting for members to
rejoin, `onCompleteJoin`), the sync phase's bookkeeping (answering the members waiting for
their assignment, DelayedSync), session timeouts, and removing members. The requests that
drive it are in their own modules: JoinGroup in `join.py`, SyncGroup in `sync.py`, OffsetCommit's
checks in `offset_validation.py`, the stored record and reload in `persistence.py`;
`ClassicGroup` (`classic_group.py`) puts them together with Heartbeat and LeaveGroup.

Every timer (initial rebalance delay, rebalance timeout, session timeouts, pending members,
pending syncs) is a deadline on the engine's `Clock`, kept by one task per group, so a group on
a `ManualClock` plays out identically every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Self

from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus, GroupMemberRemoved, GroupStateChanged
from kafkatui.engine.coordinator.deadlines import Deadlines
from kafkatui.engine.coordinator.group.member import ClassicGroupMember, answer
from kafkatui.engine.coordinator.group.model import (
    VALID_PREVIOUS_STATES,
    GroupConfig,
    GroupDescription,
    GroupState,
    JoinGroupMember,
    JoinResult,
    MemberDescription,
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


class GroupMetadata:
    """One classic group's state and the transitions every request shares; the requests
    are `ClassicGroup`'s, the class to use.

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
        on_assignment: Callable[[Self], Awaitable[None]] | None = None,
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
        self._members: dict[str, ClassicGroupMember] = {}
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

    def _join_result(self, member: ClassicGroupMember, *, with_members: bool) -> JoinResult:
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

    def _complete_join_future(self, member: ClassicGroupMember, result: JoinResult) -> None:
        future, member.join_future = member.join_future, None
        answer(future, result)

    def _rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self._members.values()), default=0)

    # --- the sync phase ----------------------------------------------------------------

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
                answer(future, member.assignment)
            else:
                answer(future, error=KafkaError(error))
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

    # --- sessions ------------------------------------------------------------------------

    def _schedule_heartbeat(self, member: ClassicGroupMember, timeout_ms: int | None = None) -> None:
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
            answer(future, error=KafkaError(ErrorCode.NOT_COORDINATOR))
            sync, member.sync_future = member.sync_future, None
            answer(sync, error=KafkaError(ErrorCode.NOT_COORDINATOR))
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

    def _remove_member_and_update_group(self, member: ClassicGroupMember, reason: str) -> None:
        self._remove_member(member, reason)
        if self._state in (GroupState.STABLE, GroupState.COMPLETING_REBALANCE):
            self._maybe_prepare_rebalance()
        elif self._state is GroupState.PREPARING_REBALANCE:
            self._maybe_complete_join()

    def _remove_pending_member_and_update_group(self, member_id: str) -> None:
        self._pending_members.discard(member_id)
        self._timers.cancel(("pending", member_id))
        self._maybe_complete_join()

    def _remove_member(self, member: ClassicGroupMember, reason: str) -> None:
        member_id = member.member_id
        # A JoinGroup still waiting learns to start over (UNKNOWN_MEMBER_ID, as Kafka answers).
        future, member.join_future = member.join_future, None
        answer(future, error=KafkaError(ErrorCode.UNKNOWN_MEMBER_ID))
        sync, member.sync_future = member.sync_future, None
        answer(sync, error=KafkaError(ErrorCode.UNKNOWN_MEMBER_ID))
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
