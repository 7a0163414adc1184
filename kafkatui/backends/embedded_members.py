"""Raw classic-group membership over the engine's group coordinator, in process: what a
Kafka client's AbstractCoordinator does for a protocol other than the consumer's (Connect's
WorkerCoordinator uses protocol type "connect")."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kafkatui.backends.base import GroupJoin
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.engine.coordinator.group.model import MemberIdRequired

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

# A coordinator that moves or is loading: find it again and retry (retry.backoff.ms).
_RETRY = (
    ErrorCode.NOT_COORDINATOR,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
)
_HEARTBEAT_ANSWERS = (
    ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.UNKNOWN_MEMBER_ID,
    ErrorCode.ILLEGAL_GENERATION,
    ErrorCode.FENCED_INSTANCE_ID,
)


class EmbeddedGroupMember:
    def __init__(
        self,
        cluster: Cluster,
        group_id: str,
        protocol_type: str,
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        client_id: str = "connect",
    ) -> None:
        self._cluster = cluster
        self.group_id = group_id
        self.protocol_type = protocol_type
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.client_id = client_id
        self.member_id = ""
        self.generation_id = -1

    async def join(self, protocols: Sequence[tuple[str, bytes]]) -> GroupJoin:
        while True:
            try:
                joined = await self._cluster.join_group(
                    self.group_id, self.member_id, group_instance_id=None, client_id=self.client_id,
                    client_host="/127.0.0.1", protocol_type=self.protocol_type, protocols=list(protocols),
                    session_timeout_ms=self.session_timeout_ms,
                    rebalance_timeout_ms=self.rebalance_timeout_ms,
                )  # fmt: skip
            except MemberIdRequired as required:  # KIP-394: join again with the id given
                self.member_id = required.member_id
                continue
            except KafkaError as error:
                if error.code in (ErrorCode.UNKNOWN_MEMBER_ID,):
                    self.member_id = ""
                elif error.code not in _RETRY and error.code is not ErrorCode.REBALANCE_IN_PROGRESS:
                    raise
                await self._cluster.clock.sleep(0.1)
                continue
            self.member_id, self.generation_id = joined.member_id, joined.generation_id
            return GroupJoin(
                joined.generation_id,
                joined.member_id,
                joined.leader_id,
                joined.protocol_name or "",
                tuple((m.member_id, bytes(m.metadata)) for m in joined.members),
            )

    async def sync(self, assignments: Mapping[str, bytes] | None) -> bytes:
        data = await self._cluster.sync_group(
            self.group_id, self.member_id, self.generation_id, group_instance_id=None,
            assignments=None if assignments is None else dict(assignments),
        )  # fmt: skip
        return bytes(data)

    async def heartbeat(self) -> ErrorCode | None:
        try:
            await self._cluster.heartbeat(
                self.group_id, self.member_id, self.generation_id, group_instance_id=None
            )
        except KafkaError as error:
            if error.code in _HEARTBEAT_ANSWERS:
                if error.code is not ErrorCode.REBALANCE_IN_PROGRESS:
                    self.member_id, self.generation_id = "", -1
                return error.code
            if error.code in _RETRY:
                return None
            raise
        return None

    async def commit_offsets(self, offsets: Mapping[tuple[str, int], int]) -> None:
        await self._cluster.commit_offsets(
            self.group_id, {tp: OffsetAndMetadata(o) for tp, o in offsets.items()},
            generation_id=self.generation_id, member_id=self.member_id,
        )  # fmt: skip

    async def assignments(self) -> dict[str, tuple[str, bytes]]:
        described = await self._cluster.describe_group(self.group_id)
        members = () if described is None else described.members
        return {m.member_id: (m.client_id, bytes(m.assignment)) for m in members}

    async def leave(self) -> None:
        if self.member_id:
            with contextlib.suppress(KafkaError):
                await self._cluster.leave_group(self.group_id, [(self.member_id, None)])
        self.member_id, self.generation_id = "", -1


class EmbeddedMembers:
    """The `group_member` part of `EmbeddedBackend`."""

    cluster: Cluster

    def group_member(
        self, group_id: str, protocol_type: str, session_timeout_ms: int, rebalance_timeout_ms: int,
        client_id: str | None = None,
    ) -> EmbeddedGroupMember:  # fmt: skip
        return EmbeddedGroupMember(
            self.cluster, group_id, protocol_type, session_timeout_ms, rebalance_timeout_ms,
            client_id or "connect",
        )  # fmt: skip
