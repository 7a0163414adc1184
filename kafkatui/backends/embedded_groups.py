"""The embedded backend's consumer groups: the groups the coordinators know, and the
workbench's own consumers (engine `Consumer`s with an application poll loop each) that
the Groups panel starts, pauses, crashes and stops.

A crash stops the member's heartbeats without a LeaveGroup, as `kill -9` would, so the
coordinator notices only when session.timeout.ms passes; a pause stops polling while
heartbeats go on, so the member stays in the group and its lag grows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

from kafkatui.backends.base import (
    ConsumerStatus,
    ConsumerView,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
)
from kafkatui.backends.embedded_controls import stop_heartbeats
from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients import group_admin
from kafkatui.engine.clients.assignors import ASSIGNORS
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.membership import decode_assignment
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC, OffsetAndMetadata

# Shorter than Kafka's 45 s / 5 min so a crash or a pause shows within a lesson's attention span.
CONSUMER_SESSION_TIMEOUT_MS = 10_000
CONSUMER_MAX_POLL_INTERVAL_MS = 30_000
POLL_TIMEOUT_MS = 500


@dataclass
class WorkbenchConsumer:
    """A consumer the workbench runs: the engine Consumer and its application loop."""

    consumer_id: int
    group_id: str
    topic: str
    assignor: str
    consumer: Consumer
    task: asyncio.Task[None] | None = None
    status: ConsumerStatus = ConsumerStatus.POLLING
    error: str = ""

    def view(self) -> ConsumerView:
        m = self.consumer.membership
        member_id = m.member_id if m is not None else ""
        joined = m is not None and bool(m.member_id) and not m.needs_join
        return ConsumerView(
            self.consumer_id,
            self.consumer.config.client_id,
            self.group_id,
            self.topic,
            self.assignor,
            self.status,
            member_id,
            m.generation_id if m is not None else -1,
            joined,
            tuple(sorted(tuple(tp) for tp in self.consumer.assignment())),  # type: ignore[misc]
            self.error,
            m.phase if m is not None else "joining",
            tuple(sorted((tp.topic, tp.partition, at) for tp, at in self.consumer.known_positions().items())),
        )


class EmbeddedGroups:
    """The consumer-group part of `EmbeddedBackend` (which sets these attributes)."""

    cluster: Cluster
    clock: Clock
    _consumers: dict[int, WorkbenchConsumer]
    _next_consumer_id: int

    async def groups(self) -> list[tuple[str, str]]:
        known = set(await group_admin.list_groups(self.cluster))
        known.update(wc.group_id for wc in self._consumers.values())
        listed = []
        for group_id in sorted(known):
            described = await self.cluster.describe_group(group_id)
            listed.append((group_id, described.state.value if described is not None else "Empty"))
        return listed

    def consumers(self, group_id: str | None = None) -> list[ConsumerView]:
        return [wc.view() for wc in self._consumers.values() if group_id is None or wc.group_id == group_id]

    async def describe_group(self, group_id: str) -> GroupView:
        described = await self.cluster.describe_group(group_id)
        ours = {
            wc.consumer.membership.member_id: wc
            for wc in self._consumers.values()
            if wc.group_id == group_id
            and wc.consumer.membership is not None
            and wc.consumer.membership.member_id
        }
        members: list[GroupMemberView] = []
        for m in described.members if described is not None else ():
            wc = ours.get(m.member_id)
            if wc is not None:
                view = wc.view()
                members.append(
                    GroupMemberView(m.member_id, m.client_id, view.partitions, view, m.group_instance_id)
                )
            else:
                consumer = described is not None and described.protocol_type in ("consumer", "")
                owned = decode_assignment(m.assignment) if m.assignment and consumer else []
                parts = tuple(sorted((t, p) for t, p in owned))
                members.append(GroupMemberView(m.member_id, m.client_id, parts, None, m.group_instance_id))
        present = {m.member_id for m in members}
        # A crashed consumer the coordinator has dropped is gone for good.
        for cid, wc in list(self._consumers.items()):
            m = wc.consumer.membership
            if wc.status is ConsumerStatus.CRASHED and (m is None or m.member_id not in present):
                del self._consumers[cid]
        owners = {tp: m.member_id for m in members for tp in m.partitions}
        rows = {(r.topic, r.partition): r for r in await group_admin.describe_group(self.cluster, group_id)}
        topics = {t for t, _ in rows} | {t for t, _ in owners}
        topics |= {wc.topic for wc in self._consumers.values() if wc.group_id == group_id}
        partitions: list[GroupPartitionView] = []
        for topic in sorted(topics):
            try:
                described_topic = self.cluster.describe_topic(topic)
            except KafkaError:
                continue  # deleted since
            for p in described_topic.partitions:
                row = rows.get((topic, p.partition))
                committed = row.committed if row is not None else -1
                lag = max(0, p.high_watermark - committed) if committed >= 0 else -1
                partitions.append(
                    GroupPartitionView(
                        topic, p.partition, committed, p.high_watermark, lag, owners.get((topic, p.partition))
                    )
                )
        crashed = tuple(
            wc.view()
            for wc in self._consumers.values()
            if wc.group_id == group_id and wc.status is ConsumerStatus.CRASHED
        )
        outside = tuple(
            wc.view()
            for wc in self._consumers.values()
            if wc.group_id == group_id
            and wc.status is not ConsumerStatus.CRASHED
            and wc.view().member_id not in present
        )
        coordinator = -1
        if OFFSETS_TOPIC in self.cluster.metadata.topics:  # FindCoordinator would create it
            with contextlib.suppress(KafkaError):
                coordinator = await self.cluster.find_coordinator(group_id)
        if described is None:
            return GroupView(
                group_id, "Dead", "", -1, None, (), tuple(partitions), crashed, outside, coordinator
            )
        return GroupView(
            group_id,
            described.state.value,
            described.protocol,
            described.generation_id,
            described.leader_id,
            tuple(members),
            tuple(partitions),
            crashed,
            outside,
            coordinator,
            described.protocol_type,
        )

    async def alter_group_offsets(self, group_id: str, offsets: Mapping[tuple[str, int], int]) -> None:
        await self.cluster.commit_offsets(group_id, {tp: OffsetAndMetadata(o) for tp, o in offsets.items()})

    async def delete_group(self, group_id: str) -> None:
        await self.cluster.delete_group(group_id)

    async def add_consumer(self, group_id: str, topic: str, assignor: str) -> ConsumerView:
        if assignor not in ASSIGNORS:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {assignor} for configuration partition.assignment.strategy: "
                f"one of {', '.join(ASSIGNORS)}",
            )
        if not group_id.strip():
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "a consumer group needs a non-empty group.id")
        consumer_id = self._next_consumer_id
        config = ConsumerConfig(
            group_id=group_id, client_id=f"consumer-{consumer_id}", auto_offset_reset="earliest",
            partition_assignment_strategy=(assignor,), session_timeout_ms=CONSUMER_SESSION_TIMEOUT_MS,
            max_poll_interval_ms=CONSUMER_MAX_POLL_INTERVAL_MS,
        )  # fmt: skip
        consumer = Consumer(self.cluster, config)
        consumer.subscribe([topic])  # raises UNKNOWN_TOPIC_OR_PARTITION before anything starts
        self._next_consumer_id += 1
        wc = WorkbenchConsumer(consumer_id, group_id, topic, assignor, consumer)
        wc.task = asyncio.ensure_future(self._poll_loop(wc))
        self._consumers[consumer_id] = wc
        return wc.view()

    async def _poll_loop(self, wc: WorkbenchConsumer) -> None:
        """The application's loop: poll, again and again (records are dropped: the point
        is the group and its offsets). Paused, it skips polling; heartbeats go on."""
        sleep = self.clock.sleep
        while True:
            if wc.status is ConsumerStatus.PAUSED:
                await sleep(POLL_TIMEOUT_MS / 1000)
                continue
            try:
                await wc.consumer.poll(POLL_TIMEOUT_MS)
                wc.error = ""
            except KafkaError as error:
                wc.error = f"{error.name}: {error.message}"
                await sleep(1.0)  # retry.backoff, generously
            await asyncio.sleep(0)  # a poll that returns at once must not starve the loop

    def _workbench(self, consumer_id: int) -> WorkbenchConsumer:
        wc = self._consumers.get(consumer_id)
        if wc is None or wc.status is ConsumerStatus.CRASHED:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"there is no running workbench consumer {consumer_id}"
            )
        return wc

    async def crash_consumer(self, consumer_id: int) -> None:
        wc = self._workbench(consumer_id)
        await _cancel(wc.task)
        membership = wc.consumer.membership
        if membership is not None:
            await stop_heartbeats(membership)  # no LeaveGroup: as kill -9
        wc.status = ConsumerStatus.CRASHED
        if membership is None or not membership.member_id:
            del self._consumers[consumer_id]  # never joined: nothing for the coordinator to notice

    async def stop_consumer(self, consumer_id: int) -> None:
        wc = self._workbench(consumer_id)
        await _cancel(wc.task)
        del self._consumers[consumer_id]
        await wc.consumer.close()

    async def pause_consumer(self, consumer_id: int) -> bool:
        wc = self._workbench(consumer_id)
        paused = wc.status is ConsumerStatus.POLLING
        wc.status = ConsumerStatus.PAUSED if paused else ConsumerStatus.POLLING
        return paused

    async def _close_consumers(self) -> None:
        """Stop every workbench consumer's loop and heartbeats, without a LeaveGroup:
        the cluster closes next, so there is no coordinator left to tell."""
        for wc in list(self._consumers.values()):
            await _cancel(wc.task)
            if wc.consumer.membership is not None:
                await stop_heartbeats(wc.consumer.membership)
        self._consumers.clear()


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, KafkaError):
            await task
