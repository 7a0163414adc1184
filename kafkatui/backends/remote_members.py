"""Raw classic-group membership over the wire, for the RemoteBackend: FindCoordinator
(10, key type GROUP), JoinGroup (11 v5), SyncGroup (14 v3), Heartbeat (12 v3) and
LeaveGroup (13 v3), framed with `kio` (`kio_frames.py`) as Kafka's AbstractCoordinator
sends them. librdkafka has no call for a group of another protocol type (Connect's
"connect"), so this speaks them itself, PLAINTEXT, one connection per request."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from kio.static.constants import EntityType

from kafkatui.backends.base import GroupJoin
from kafkatui.backends.kio_frames import ask, kio_entity
from kafkatui.common.errors import ErrorCode, KafkaError

OFFSET_COMMIT = (8, 8)
FIND_COORDINATOR = (10, 3)
JOIN_GROUP = (11, 5)  # v4+: MEMBER_ID_REQUIRED (KIP-394); v5: group.instance.id
HEARTBEAT = (12, 3)
LEAVE_GROUP = (13, 3)
SYNC_GROUP = (14, 3)
DESCRIBE_GROUPS = (15, 5)
COORDINATOR_TYPE_GROUP = 0
CLIENT_ID = "kafkatui-connect"
TIMEOUT_S = 10.0
_FIND_AGAIN = (
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


def _code(value: Any) -> ErrorCode:
    return ErrorCode(int(getattr(value, "value", value)))


class RemoteGroupMember:
    def __init__(
        self,
        bootstrap: str,
        group_id: str,
        protocol_type: str,
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        client_id: str = CLIENT_ID,
    ) -> None:
        self.client_id = client_id
        self._bootstrap = [b.strip() for b in bootstrap.split(",") if b.strip()]
        self.group_id = group_id
        self.protocol_type = protocol_type
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.member_id = ""
        self.generation_id = -1
        self._coordinator: str | None = None
        self.coordinator_id = -1

    async def _find(self) -> str:
        if self._coordinator is None:
            last: KafkaError | None = None
            for address in self._bootstrap:
                try:
                    answer = await ask(
                        address,
                        FIND_COORDINATOR,
                        CLIENT_ID,
                        TIMEOUT_S,
                        key=self.group_id,
                        key_type=COORDINATOR_TYPE_GROUP,
                    )
                except KafkaError as error:
                    last = error
                    continue
                if _code(answer.error_code) is not ErrorCode.NONE:
                    last = KafkaError(_code(answer.error_code), answer.error_message or "")
                    continue
                self._coordinator = f"{answer.host}:{answer.port}"
                self.coordinator_id = int(answer.node_id)
                break
            if self._coordinator is None:
                raise last or KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        return self._coordinator

    async def _call(self, api: tuple[int, int], timeout_s: float = TIMEOUT_S, **fields: Any) -> Any:
        """At the group's coordinator, finding it again if it moved."""
        while True:
            address = await self._find()
            try:
                answer = await ask(address, api, self.client_id, timeout_s, **fields)
            except KafkaError:
                self._coordinator = None
                raise
            if _code(answer.error_code) in _FIND_AGAIN:
                self._coordinator = None
                await asyncio.sleep(0.1)  # retry.backoff.ms
                continue
            return answer

    async def join(self, protocols: Sequence[tuple[str, bytes]]) -> GroupJoin:
        protocol_cls = kio_entity(JOIN_GROUP, EntityType.request, "JoinGroupRequestProtocol")
        offered = tuple(protocol_cls(name=name, metadata=meta) for name, meta in protocols)
        while True:
            answer = await self._call(
                JOIN_GROUP, self.rebalance_timeout_ms / 1000 + TIMEOUT_S, group_id=self.group_id,
                session_timeout=datetime.timedelta(milliseconds=self.session_timeout_ms),
                rebalance_timeout=datetime.timedelta(milliseconds=self.rebalance_timeout_ms),
                member_id=self.member_id, group_instance_id=None, protocol_type=self.protocol_type,
                protocols=offered,
            )  # fmt: skip
            code = _code(answer.error_code)
            if code is ErrorCode.MEMBER_ID_REQUIRED:  # KIP-394: join again with the id given
                self.member_id = answer.member_id
                continue
            if code is ErrorCode.UNKNOWN_MEMBER_ID:
                self.member_id = ""
                continue
            if code is ErrorCode.REBALANCE_IN_PROGRESS:
                await asyncio.sleep(0.1)
                continue
            if code is not ErrorCode.NONE:
                raise KafkaError(code, f"JoinGroup of {self.group_id}")
            self.member_id, self.generation_id = answer.member_id, int(answer.generation_id)
            return GroupJoin(
                int(answer.generation_id),
                answer.member_id,
                answer.leader,
                answer.protocol_name or "",
                tuple((m.member_id, bytes(m.metadata)) for m in answer.members),
            )

    async def sync(self, assignments: Mapping[str, bytes] | None) -> bytes:
        item = kio_entity(SYNC_GROUP, EntityType.request, "SyncGroupRequestAssignment")
        answer = await self._call(
            SYNC_GROUP, self.rebalance_timeout_ms / 1000 + TIMEOUT_S, group_id=self.group_id,
            generation_id=self.generation_id, member_id=self.member_id, group_instance_id=None,
            assignments=tuple(item(member_id=m, assignment=a) for m, a in (assignments or {}).items()),
        )  # fmt: skip
        code = _code(answer.error_code)
        if code is not ErrorCode.NONE:
            if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
                self.member_id, self.generation_id = "", -1
            raise KafkaError(code, f"SyncGroup of {self.group_id}")
        return bytes(answer.assignment)

    async def heartbeat(self) -> ErrorCode | None:
        try:
            answer = await self._call(
                HEARTBEAT, group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
                group_instance_id=None,
            )  # fmt: skip
        except KafkaError:
            return None  # the network: the session decides, as a client's heartbeat thread
        code = _code(answer.error_code)
        if code in _HEARTBEAT_ANSWERS:
            if code is not ErrorCode.REBALANCE_IN_PROGRESS:
                self.member_id, self.generation_id = "", -1
            return code
        if code is not ErrorCode.NONE:
            raise KafkaError(code, f"Heartbeat of {self.group_id}")
        return None

    async def commit_offsets(self, offsets: Mapping[tuple[str, int], int]) -> None:
        topic_cls = kio_entity(OFFSET_COMMIT, EntityType.request, "OffsetCommitRequestTopic")
        partition_cls = kio_entity(OFFSET_COMMIT, EntityType.request, "OffsetCommitRequestPartition")
        by_topic: dict[str, list[tuple[int, int]]] = {}
        for (topic, partition), offset in sorted(offsets.items()):
            by_topic.setdefault(topic, []).append((partition, offset))
        topics = tuple(
            topic_cls(
                name=topic,
                partitions=tuple(
                    partition_cls(
                        partition_index=p,
                        committed_offset=o,
                        committed_leader_epoch=-1,
                        committed_metadata="",
                    )
                    for p, o in parts
                ),
            )
            for topic, parts in by_topic.items()
        )
        while True:  # OffsetCommit answers per partition, so not through `_call`
            address = await self._find()
            answer = await ask(
                address, OFFSET_COMMIT, self.client_id, TIMEOUT_S, group_id=self.group_id,
                generation_id_or_member_epoch=self.generation_id, member_id=self.member_id,
                group_instance_id=None, topics=topics,
            )  # fmt: skip
            codes = {_code(p.error_code) for t in answer.topics for p in t.partitions} - {ErrorCode.NONE}
            if codes & set(_FIND_AGAIN):
                self._coordinator = None
                await asyncio.sleep(0.1)  # retry.backoff.ms
                continue
            if codes:
                raise KafkaError(min(codes, key=int), f"OffsetCommit of {self.group_id}")
            return

    async def assignments(self) -> dict[str, tuple[str, bytes]]:
        try:
            group, _ = await describe_classic_group(",".join(self._bootstrap), self.group_id)
        except KafkaError as error:
            if error.code is ErrorCode.GROUP_ID_NOT_FOUND:
                return {}
            raise
        return {m.member_id: (m.client_id, bytes(m.member_assignment)) for m in group.members}

    async def leave(self) -> None:
        if self.member_id:
            identity = kio_entity(LEAVE_GROUP, EntityType.request, "MemberIdentity")
            with contextlib.suppress(KafkaError):  # gone anyway after session.timeout.ms
                await self._call(
                    LEAVE_GROUP, group_id=self.group_id,
                    members=(identity(member_id=self.member_id, group_instance_id=None),),
                )  # fmt: skip
        self.member_id, self.generation_id = "", -1


class RemoteMembers:
    """The `group_member` part of `RemoteBackend`."""

    bootstrap_servers: str

    def group_member(
        self, group_id: str, protocol_type: str, session_timeout_ms: int, rebalance_timeout_ms: int,
        client_id: str | None = None,
    ) -> RemoteGroupMember:  # fmt: skip
        return RemoteGroupMember(
            self.bootstrap_servers, group_id, protocol_type, session_timeout_ms, rebalance_timeout_ms,
            client_id or CLIENT_ID,
        )  # fmt: skip


async def describe_classic_group(bootstrap: str, group_id: str) -> tuple[Any, int]:
    """DescribeGroups at the group's coordinator, for a group librdkafka will not
    describe (its DescribeConsumerGroups refuses another protocol type, such as
    Connect's): the described group and its coordinator's broker id."""
    finder = RemoteGroupMember(bootstrap, group_id, "", 0, 0)
    for _ in range(20):
        address = await finder._find()
        answer = await ask(
            address,
            DESCRIBE_GROUPS,
            CLIENT_ID,
            TIMEOUT_S,
            groups=(group_id,),
            include_authorized_operations=False,
        )
        group = answer.groups[0]
        code = _code(group.error_code)
        if code in _FIND_AGAIN:
            finder._coordinator = None
            await asyncio.sleep(0.1)  # retry.backoff.ms
            continue
        if code is not ErrorCode.NONE:
            raise KafkaError(code, f"DescribeGroups of {group_id}")
        return group, finder.coordinator_id
    raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"no coordinator answered for group {group_id}")
