"""REST Proxy v3: consumer groups, their members and their lag (kafka-rest's
`ConsumerGroupsResource`, `ConsumersResource`, `ConsumerGroupLagSummariesResource`,
`ConsumerLagsResource`), from ListGroups, DescribeGroups and the committed offsets
against each partition's log end, through the `Backend`'s `describe_group`."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from kafkatui.backends.base import GroupMemberView, GroupPartitionView, GroupView
from kafkatui.ecosystem.http import json_response as respond
from kafkatui.ecosystem.rest.v3_common import Cluster, cluster, kafka_errors, not_found, path_int, v3_media


def _state(state: str) -> str:
    """Kafka's group state name as ConsumerGroupState spells it: PreparingRebalance →
    PREPARING_REBALANCE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", state).upper() or "UNKNOWN"


async def _group(c: Cluster, group_id: str) -> GroupView:
    with kafka_errors():
        known = {g for g, _ in await c.backend.groups()}
        if group_id not in known:
            raise not_found(f"Consumer Group {group_id} could not be found.")
        return await c.backend.describe_group(group_id)


def group_json(c: Cluster, g: GroupView) -> dict[str, Any]:
    here = ("consumer-groups", g.group_id)
    return c.resource(
        "KafkaConsumerGroup", here, ("consumer-group", g.group_id),
        consumer_group_id=g.group_id,
        # A simple group (assign() and commit, no JoinGroup) has no protocol type, so no assignor.
        is_simple=not g.protocol and not g.members, partition_assignor=g.protocol,
        state=_state(g.state), type="CLASSIC", is_mixed_consumer_group=False,
        coordinator=None if g.coordinator < 0 else c.related("brokers", g.coordinator),
        consumers=c.related(*here, "consumers"), lag_summary=c.related(*here, "lag-summary"),
    )  # fmt: skip


def consumer_json(c: Cluster, group_id: str, m: GroupMemberView) -> dict[str, Any]:
    here = ("consumer-groups", group_id, "consumers", m.member_id)
    return c.resource(
        "KafkaConsumer", here, ("consumer-group", group_id, "consumer", m.member_id),
        consumer_group_id=group_id, consumer_id=m.member_id, instance_id=m.group_instance_id,
        client_id=m.client_id, assignments=c.related(*here, "assignments"),
    )  # fmt: skip


def _lags(g: GroupView) -> list[tuple[GroupPartitionView, GroupMemberView | None]]:
    """The partitions with a committed offset (ListConsumerGroupOffsets lists only
    those), each with the member reading it."""
    members = {m.member_id: m for m in g.members}
    return [(p, members.get(p.owner or "")) for p in g.partitions if p.committed >= 0]


def lag_json(
    c: Cluster, g: GroupView, p: GroupPartitionView, owner: GroupMemberView | None
) -> dict[str, Any]:
    here = ("consumer-groups", g.group_id, "lags", p.topic, "partitions", p.partition)
    crn = ("consumer-group", g.group_id, "lag", p.topic, "partition", p.partition)
    return c.resource(
        "KafkaConsumerLag", here, crn,
        consumer_group_id=g.group_id, topic_name=p.topic, partition_id=p.partition,
        current_offset=p.committed, log_end_offset=p.high_watermark, lag=max(0, p.lag),
        consumer_id=owner.member_id if owner else "", instance_id=owner.group_instance_id if owner else None,
        client_id=owner.client_id if owner else "",
    )  # fmt: skip


@v3_media
async def list_groups(request: web.Request) -> web.Response:
    c = await cluster(request)
    with kafka_errors():
        groups = [await c.backend.describe_group(g) for g, _ in await c.backend.groups()]
    return respond(
        request,
        c.collection("KafkaConsumerGroupList", ("consumer-groups",), [group_json(c, g) for g in groups]),
    )


@v3_media
async def get_group(request: web.Request) -> web.Response:
    c = await cluster(request)
    return respond(request, group_json(c, await _group(c, request.match_info["group_id"])))


@v3_media
async def list_consumers(request: web.Request) -> web.Response:
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    data = [consumer_json(c, g.group_id, m) for m in g.members]
    return respond(
        request, c.collection("KafkaConsumerList", ("consumer-groups", g.group_id, "consumers"), data)
    )


@v3_media
async def get_consumer(request: web.Request) -> web.Response:
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    return respond(request, consumer_json(c, g.group_id, _member(g, request)))


def _assignment_json(c: Cluster, group_id: str, member_id: str, topic: str, partition: int) -> dict[str, Any]:
    here = (
        "consumer-groups",
        group_id,
        "consumers",
        member_id,
        "assignments",
        topic,
        "partitions",
        partition,
    )
    return c.resource(
        "KafkaConsumerAssignment", here,
        ("consumer-group", group_id, "consumer", member_id, "assignment", topic, "partition", partition),
        consumer_group_id=group_id, consumer_id=member_id, topic_name=topic, partition_id=partition,
        partition=c.related("topics", topic, "partitions", partition),
        lag=c.related("consumer-groups", group_id, "lags", topic, "partitions", partition),
    )  # fmt: skip


def _member(g: GroupView, request: web.Request) -> GroupMemberView:
    wanted = request.match_info["consumer_id"]
    found = next((m for m in g.members if m.member_id == wanted), None)
    if found is None:
        raise not_found(f"Consumer {wanted} does not exist.")
    return found


@v3_media
async def list_assignments(request: web.Request) -> web.Response:
    """The partitions the group's assignment gave this member (ConsumerAssignmentData)."""
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    m = _member(g, request)
    here = ("consumer-groups", g.group_id, "consumers", m.member_id, "assignments")
    data = [
        _assignment_json(c, g.group_id, m.member_id, topic, partition) for topic, partition in m.partitions
    ]
    return respond(request, c.collection("KafkaConsumerAssignmentList", here, data))


@v3_media
async def lag_summary(request: web.Request) -> web.Response:
    """The partition lagging most and the total (ConsumerGroupLagSummary)."""
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    lags = _lags(g)
    if not lags:
        raise not_found("Consumer lags not found.")
    top, owner = max(lags, key=lambda row: max(0, row[0].lag))
    here = ("consumer-groups", g.group_id, "lag-summary")
    answer = c.resource(
        "KafkaConsumerGroupLagSummary", here, ("consumer-group", g.group_id, "lag-summary", None),
        consumer_group_id=g.group_id,
        max_lag_consumer_id=owner.member_id if owner else "",
        max_lag_instance_id=owner.group_instance_id if owner else None,
        max_lag_client_id=owner.client_id if owner else "",
        max_lag_topic_name=top.topic, max_lag_partition_id=top.partition, max_lag=max(0, top.lag),
        total_lag=sum(max(0, p.lag) for p, _ in lags),
        max_lag_consumer=None if owner is None else c.related(*here[:2], "consumers", owner.member_id),
        max_lag_partition=c.related("topics", top.topic, "partitions", top.partition),
    )  # fmt: skip
    return respond(request, answer)


@v3_media
async def list_lags(request: web.Request) -> web.Response:
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    data = [lag_json(c, g, p, owner) for p, owner in _lags(g)]
    return respond(
        request, c.collection("KafkaConsumerLagList", ("consumer-groups", g.group_id, "lags"), data)
    )


@v3_media
async def get_lag(request: web.Request) -> web.Response:
    c = await cluster(request)
    g = await _group(c, request.match_info["group_id"])
    topic = request.match_info["topic_name"]
    partition = path_int(request, "partition_id", lambda: not_found("Consumer lag not found."))
    found = next(((p, o) for p, o in _lags(g) if p.topic == topic and p.partition == partition), None)
    if found is None:
        raise not_found("Consumer lag not found.")
    return respond(request, lag_json(c, g, *found))


def routes(prefix: str) -> list[web.RouteDef]:
    group = f"{prefix}/consumer-groups/{{group_id}}"
    return [
        web.get(f"{prefix}/consumer-groups", list_groups),
        web.get(group, get_group),
        web.get(f"{group}/consumers", list_consumers),
        web.get(f"{group}/consumers/{{consumer_id}}", get_consumer),
        web.get(f"{group}/consumers/{{consumer_id}}/assignments", list_assignments),
        web.get(f"{group}/lag-summary", lag_summary),
        web.get(f"{group}/lags", list_lags),
        web.get(f"{group}/lags/{{topic_name}}/partitions/{{partition_id}}", get_lag),
    ]
