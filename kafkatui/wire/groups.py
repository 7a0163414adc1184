"""FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14):
the classic consumer-group protocol, answered by the engine's group coordinator.

A group's requests must reach its coordinator (the leader of its `__consumer_offsets`
partition); any other broker answers NOT_COORDINATOR, as in Kafka, so clients follow
FindCoordinator. FindCoordinator also finds transaction coordinators (key type 1,
KIP-98): the leader of the id's `__transaction_state` partition, created on first use.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.model import MemberIdRequired
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, millis, nested, response_class

FIND_COORDINATOR = 10
JOIN_GROUP = 11
HEARTBEAT = 12
LEAVE_GROUP = 13
SYNC_GROUP = 14
GROUP_KEY, TRANSACTION_KEY = 0, 1  # FindCoordinator's CoordinatorType


async def check_coordinator(ctx: RequestContext, group_id: str) -> None:
    """NOT_COORDINATOR unless this broker coordinates the group."""
    coordinator = await ctx.cluster.find_coordinator(group_id)
    if coordinator != ctx.broker_id:
        raise KafkaError(
            ErrorCode.NOT_COORDINATOR,
            f"broker {ctx.broker_id} is not the coordinator of group '{group_id}' (broker {coordinator} is)",
        )


def _known_group(error: KafkaError) -> KafkaError:
    """Kafka answers requests for a group it does not know with UNKNOWN_MEMBER_ID."""
    if error.code is ErrorCode.GROUP_ID_NOT_FOUND:
        return KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, error.message)
    return error


async def find_coordinator(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(FIND_COORDINATOR, ctx.version)
    keys = list(request.coordinator_keys) if ctx.version >= 4 else [request.key]
    key_type = getattr(request, "key_type", 0)
    answers = []
    for key in keys:
        try:
            if key_type == GROUP_KEY:
                auth.check_group(ctx, AclOperation.DESCRIBE, key)
                node = await ctx.cluster.find_coordinator(key)
            elif key_type == TRANSACTION_KEY:
                auth.check_transactional_id(ctx, AclOperation.DESCRIBE, key)
                node = await ctx.cluster.find_transaction_coordinator(key)
            else:  # Kafka's CoordinatorType.forId refuses it (share groups, KIP-932, are not here)
                raise KafkaError(ErrorCode.INVALID_REQUEST, f"unknown coordinator key type {key_type}")
            host, port = ctx.server.addresses[node]
            answers.append(
                {
                    "key": key,
                    "node_id": node,
                    "host": host,
                    "port": port,
                    "error_code": ErrorCode.NONE,
                    "error_message": None,
                }
            )
        except KafkaError as error:
            answers.append(
                {
                    "key": key,
                    "node_id": -1,
                    "host": "",
                    "port": -1,
                    "error_code": error,
                    "error_message": error.message,
                }
            )
    if ctx.version >= 4:
        coordinator = nested(cls, "Coordinator")
        return build(cls, throttle_time=0, coordinators=tuple(build(coordinator, **a) for a in answers))
    return build(cls, throttle_time=0, **answers[0])


def _join_failed(cls: type, ctx: RequestContext, error: KafkaError, member_id: str) -> Any:
    return build(
        cls, throttle_time=0, error_code=error, generation_id=-1, protocol_type=None,
        protocol_name=None if ctx.version >= 7 else "", leader="", member_id=member_id, members=(),
    )  # fmt: skip


async def join_group(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(JOIN_GROUP, ctx.version)
    member_cls = nested(cls, "JoinGroupResponseMember")
    session_ms = millis(request.session_timeout)
    try:
        auth.check_group(ctx, AclOperation.READ, request.group_id)
        await check_coordinator(ctx, request.group_id)
        result = await ctx.cluster.join_group(
            request.group_id,
            request.member_id,
            group_instance_id=getattr(request, "group_instance_id", None),
            client_id=ctx.request.client_id or "",
            client_host=ctx.client_host,
            protocol_type=request.protocol_type,
            protocols=[(p.name, p.metadata) for p in request.protocols],
            session_timeout_ms=session_ms,
            rebalance_timeout_ms=millis(getattr(request, "rebalance_timeout", session_ms)),
            require_known_member_id=ctx.version >= 4,
        )
    except MemberIdRequired as error:
        return _join_failed(cls, ctx, error, error.member_id)  # KIP-394: rejoin with this id
    except KafkaError as error:
        return _join_failed(cls, ctx, error, request.member_id)
    members = tuple(
        build(member_cls, member_id=m.member_id, group_instance_id=m.group_instance_id, metadata=m.metadata)
        for m in result.members
    )
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        generation_id=result.generation_id,
        protocol_type=result.protocol_type,
        protocol_name=result.protocol_name if ctx.version >= 7 else (result.protocol_name or ""),
        leader=result.leader_id,
        skip_assignment=result.skip_assignment,
        member_id=result.member_id,
        members=members,
    )


async def sync_group(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(SYNC_GROUP, ctx.version)
    try:
        auth.check_group(ctx, AclOperation.READ, request.group_id)
        await check_coordinator(ctx, request.group_id)
        assignment = await ctx.cluster.sync_group(
            request.group_id,
            request.member_id,
            request.generation_id,
            group_instance_id=getattr(request, "group_instance_id", None),
            protocol_type=getattr(request, "protocol_type", None),
            protocol_name=getattr(request, "protocol_name", None),
            assignments={a.member_id: bytes(a.assignment) for a in request.assignments},
        )
    except KafkaError as error:
        return build(
            cls,
            throttle_time=0,
            error_code=_known_group(error),
            protocol_type=None,
            protocol_name=None,
            assignment=b"",
        )
    group = await ctx.cluster.describe_group(request.group_id)
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        protocol_type=group.protocol_type if group else None,
        protocol_name=(group.protocol if group and group.protocol else None)
        or getattr(request, "protocol_name", None),
        assignment=assignment,
    )


async def heartbeat(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(HEARTBEAT, ctx.version)
    try:
        auth.check_group(ctx, AclOperation.READ, request.group_id)
        await check_coordinator(ctx, request.group_id)
        await ctx.cluster.heartbeat(
            request.group_id,
            request.member_id,
            request.generation_id,
            group_instance_id=getattr(request, "group_instance_id", None),
        )
    except KafkaError as error:
        return build(cls, throttle_time=0, error_code=_known_group(error))
    return build(cls, throttle_time=0, error_code=ErrorCode.NONE)


async def leave_group(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(LEAVE_GROUP, ctx.version)
    if ctx.version >= 3:
        members = [(m.member_id, m.group_instance_id) for m in request.members]
    else:
        members = [(request.member_id, None)]
    try:
        auth.check_group(ctx, AclOperation.READ, request.group_id)
        await check_coordinator(ctx, request.group_id)
        results = await ctx.cluster.leave_group(request.group_id, members)
    except KafkaError as error:
        return build(cls, throttle_time=0, error_code=_known_group(error), members=())
    if ctx.version < 3:
        return build(cls, throttle_time=0, error_code=results[0].error if results else ErrorCode.NONE)
    member_cls = nested(cls, "MemberResponse")
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        members=tuple(
            build(
                member_cls, member_id=r.member_id, group_instance_id=r.group_instance_id, error_code=r.error
            )
            for r in results
        ),
    )


APIS = [
    Api(FIND_COORDINATOR, "FindCoordinator", 0, 4, find_coordinator),
    Api(JOIN_GROUP, "JoinGroup", 0, 7, join_group),
    Api(HEARTBEAT, "Heartbeat", 0, 4, heartbeat),
    Api(LEAVE_GROUP, "LeaveGroup", 0, 4, leave_group),
    Api(SYNC_GROUP, "SyncGroup", 0, 5, sync_group),
]
