"""A classic group's stored form: the record Kafka appends to `__consumer_offsets`
(GroupMetadataValue, here a `GroupSnapshot`) and the group rebuilt from it on a new
coordinator (`GroupMetadataManager.onGroupLoaded`). Where the record is written is the
coordinator's (`coordinator.py`, through `on_assignment`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Self

from kafkatui.common.clock import Clock
from kafkatui.common.events import EventBus
from kafkatui.engine.coordinator.group.group_metadata import GroupMetadata
from kafkatui.engine.coordinator.group.member import ClassicGroupMember
from kafkatui.engine.coordinator.group.model import GroupConfig, GroupSnapshot, GroupState, MemberSnapshot


class GroupPersistence(GroupMetadata):
    """`snapshot` and `load`, part of `ClassicGroup`."""

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
        on_assignment: Callable[[Self], Awaitable[None]] | None = None,
    ) -> Self:
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
            member = ClassicGroupMember(
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
