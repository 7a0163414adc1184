"""DescribeGroups (15) and ListGroups (16), as `kafka-consumer-groups.sh` uses them.

ListGroups is per broker, as in Kafka: each coordinator lists the groups it holds, and
admin clients ask every broker. DescribeGroups answers NOT_COORDINATOR for a group this
broker does not coordinate, and a group it does not know as Dead with no members.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.groups import check_coordinator

DESCRIBE_GROUPS = 15
LIST_GROUPS = 16


async def describe_groups(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_GROUPS, ctx.version)
    group_cls = nested(cls, "DescribedGroup")
    member_cls = nested(cls, "DescribedGroupMember")
    groups = []
    for group_id in request.groups:
        try:
            auth.check_group(ctx, AclOperation.DESCRIBE, group_id)
            await check_coordinator(ctx, group_id)
            group = await ctx.cluster.describe_group(group_id)
        except KafkaError as error:
            groups.append(
                build(
                    group_cls,
                    error_code=error,
                    group_id=group_id,
                    group_state="",
                    protocol_type="",
                    protocol_data="",
                    members=(),
                )
            )
            continue
        if group is None:
            groups.append(
                build(
                    group_cls,
                    error_code=ErrorCode.NONE,
                    group_id=group_id,
                    group_state="Dead",
                    protocol_type="",
                    protocol_data="",
                    members=(),
                )
            )
            continue
        members = tuple(
            build(
                member_cls,
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                member_metadata=m.metadata,
                member_assignment=m.assignment,
            )
            for m in group.members
        )
        groups.append(
            build(
                group_cls,
                error_code=ErrorCode.NONE,
                group_id=group_id,
                group_state=group.state.value,
                protocol_type=group.protocol_type,
                protocol_data=group.protocol,
                members=members,
            )
        )
    return build(cls, throttle_time=0, groups=tuple(groups))


async def list_groups(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(LIST_GROUPS, ctx.version)
    listed_cls = nested(cls, "ListedGroup")
    states = {s.lower() for s in getattr(request, "states_filter", ()) or ()}
    coordinator = ctx.broker.coordinator
    offsets = ctx.cluster.metadata.topics.get(OFFSETS_TOPIC)
    listed = []
    # DESCRIBE on the cluster lists every group; else only those the principal may DESCRIBE.
    every = auth.authorize_cluster(ctx, AclOperation.DESCRIBE)
    if offsets is not None:
        for p in offsets.partitions:
            if p.leader == ctx.broker_id:
                await coordinator.ensure_loaded(p.partition)
        for group_id in coordinator.groups():
            group = coordinator.describe(group_id)
            state = group.state.value if group is not None else "Empty"
            if states and state.lower() not in states:
                continue
            if not every and not auth.authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
                continue
            protocol_type = (group.protocol_type if group is not None else None) or "consumer"
            listed.append(
                build(listed_cls, group_id=group_id, protocol_type=protocol_type, group_state=state)
            )
    return build(cls, throttle_time=0, error_code=ErrorCode.NONE, groups=tuple(listed))


APIS = [
    Api(DESCRIBE_GROUPS, "DescribeGroups", 0, 5, describe_groups),
    Api(LIST_GROUPS, "ListGroups", 0, 4, list_groups),
]
