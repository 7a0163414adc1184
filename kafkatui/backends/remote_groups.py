"""The remote backend's consumer groups: ListGroups, DescribeGroups with the group's
committed offsets and lag, offsets altered and groups deleted through the AdminClient,
and the workbench's own confluent-kafka consumers (`remote_consumers`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka.admin import AdminClient

from kafkatui.backends import remote_admin, remote_members
from kafkatui.backends.base import (
    ConsumerView,
    Feature,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
)
from kafkatui.backends.confluent import coordinator_call, offsets_of, result
from kafkatui.backends.remote_admin import TIMEOUT_S
from kafkatui.backends.remote_consumers import WorkbenchConsumer, as_view, member_consumer
from kafkatui.common.errors import ErrorCode, KafkaError

# confluent-kafka's ConsumerGroupState names → Kafka's (ListGroups / DescribeGroups).
_GROUP_STATES = {
    "PREPARING_REBALANCING": "PreparingRebalance",
    "COMPLETING_REBALANCING": "CompletingRebalance",
    "STABLE": "Stable",
    "DEAD": "Dead",
    "EMPTY": "Empty",
    "UNKNOWN": "Unknown",
}


class RemoteGroups:
    """The consumer-group part of `RemoteBackend`, which sets these attributes and
    provides `refresh`, `describe_topic` and `_unavailable`."""

    bootstrap_servers: str
    _admin: AdminClient
    _consumers: dict[int, WorkbenchConsumer]
    _next_consumer_id: int

    async def groups(self) -> list[tuple[str, str]]:
        listed = await result(self._admin.list_consumer_groups(request_timeout=TIMEOUT_S))
        return sorted((g.group_id, _group_state(g.state)) for g in listed.valid)

    async def describe_group(self, group_id: str) -> GroupView:
        """DescribeGroups, the group's committed offsets (OffsetFetch) and the partitions'
        high watermarks: lag as kafka-consumer-groups.sh shows it."""
        try:
            described = await coordinator_call(
                lambda: self._admin.describe_consumer_groups([group_id], request_timeout=TIMEOUT_S)[group_id]
            )
        except KafkaError as error:
            if error.code is not ErrorCode.INVALID_REQUEST or "is not a consumer group" not in str(error):
                raise
            return await self._describe_other_group(group_id)
        request = [ConsumerGroupTopicPartitions(group_id)]
        offsets = await coordinator_call(
            lambda: self._admin.list_consumer_group_offsets(request, request_timeout=TIMEOUT_S)[group_id]
        )
        committed_tps = offsets.topic_partitions or []
        committed = {k: v for k, v in offsets_of(committed_tps).items() if v >= 0}
        members = []
        for m in described.members:
            owned = tuple(sorted((tp.topic, tp.partition) for tp in (m.assignment.topic_partitions or [])))
            ours = member_consumer(self._consumers, m.member_id)
            view = ours.view() if ours is not None else None
            members.append(GroupMemberView(m.member_id, m.client_id, owned, view, m.group_instance_id))
        present = {m.member_id for m in members}
        outside = tuple(v for v in self.consumers(group_id) if v.member_id not in present)
        owners = {tp: m.member_id for m in members for tp in m.partitions}
        await self.refresh()  # fresh high watermarks for the lag
        partitions = []
        topics = (
            {t for t, _ in committed} | {t for t, _ in owners} | {v.topic for v in self.consumers(group_id)}
        )
        for topic in sorted(topics):
            with contextlib.suppress(KafkaError):  # deleted since
                for p in self.describe_topic(topic).partitions:
                    at = committed.get((topic, p.partition), -1)
                    lag = max(0, p.high_watermark - at) if at >= 0 else -1
                    partitions.append(
                        GroupPartitionView(
                            topic, p.partition, at, p.high_watermark, lag, owners.get((topic, p.partition))
                        )
                    )
        coordinator = described.coordinator.id if described.coordinator is not None else -1
        return GroupView(
            group_id, _group_state(described.state), described.partition_assignor or "", -1,
            None, tuple(members), tuple(partitions), (), outside, coordinator,
        )  # fmt: skip

    async def _describe_other_group(self, group_id: str) -> GroupView:
        """A classic group of another protocol type (Connect's "connect"): its members as
        DescribeGroups gives them; their assignments are that protocol's bytes, left
        undecoded, so no partitions."""
        group, coordinator = await remote_members.describe_classic_group(self.bootstrap_servers, group_id)
        members = tuple(
            GroupMemberView(m.member_id, m.client_id, (), None, m.group_instance_id) for m in group.members
        )
        return GroupView(
            group_id, group.group_state or "Unknown", group.protocol_data or "", -1, None, members, (),
            coordinator=coordinator, protocol_type=group.protocol_type or "",
        )  # fmt: skip

    async def alter_group_offsets(self, group_id: str, offsets: Mapping[tuple[str, int], int]) -> None:
        await remote_admin.alter_group_offsets(self._admin, group_id, offsets)

    async def delete_group(self, group_id: str) -> None:
        await remote_admin.delete_group(self._admin, group_id)

    def consumers(self, group_id: str | None = None) -> list[ConsumerView]:
        return as_view(self._consumers, group_id)

    async def add_consumer(self, group_id: str, topic: str, assignor: str) -> ConsumerView:
        """A confluent-kafka consumer that subscribes to `topic` in `group_id` and polls
        on its own thread."""
        self.describe_topic(topic)  # UNKNOWN_TOPIC_OR_PARTITION before anything starts
        consumer_id = self._next_consumer_id
        consumer = WorkbenchConsumer(consumer_id, self.bootstrap_servers, group_id, topic, assignor)
        self._next_consumer_id += 1
        self._consumers[consumer_id] = consumer
        return consumer.view()

    def _workbench(self, consumer_id: int) -> WorkbenchConsumer:
        consumer = self._consumers.get(consumer_id)
        if consumer is None:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"there is no running workbench consumer {consumer_id}"
            )
        return consumer

    async def crash_consumer(self, consumer_id: int) -> None:
        raise self._unavailable(Feature.CRASH_CONSUMER)

    async def stop_consumer(self, consumer_id: int) -> None:
        await self._consumers.pop(self._workbench(consumer_id).consumer_id).stop()

    async def pause_consumer(self, consumer_id: int) -> bool:
        return self._workbench(consumer_id).pause()


def _group_state(state: Any) -> str:
    return _GROUP_STATES.get(getattr(state, "name", str(state)), str(state))
