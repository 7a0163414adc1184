"""OffsetCommit (8) and OffsetFetch (9): a group's committed offsets in `__consumer_offsets`.

The engine commits a request's offsets together (one acks=all append), so an error
answers every partition of the request. OffsetFetch answers -1 for a partition with
no committed offset; v8's batched groups are not offered yet (versions stop at 7).
A v7 request with `require_stable` (a read_committed consumer, KIP-447) gets
UNSTABLE_OFFSET_COMMIT (retriable) for partitions whose offsets wait in an open
transaction, so it does not start from offsets that transaction is about to replace.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.groups import check_coordinator

OFFSET_COMMIT = 8
OFFSET_FETCH = 9


async def offset_commit(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(OFFSET_COMMIT, ctx.version)
    topic_cls = nested(cls, "OffsetCommitResponseTopic")
    partition_cls = nested(cls, "OffsetCommitResponsePartition")
    # READ on the group, then READ on each topic (KafkaApis.handleOffsetCommitRequest)
    readable = auth.filter_authorized(
        ctx, AclOperation.READ, ResourceType.TOPIC, request.topics, lambda t: t.name
    )
    offsets = {
        (t.name, p.partition_index): OffsetAndMetadata(
            p.committed_offset, getattr(p, "committed_leader_epoch", -1), p.committed_metadata or ""
        )
        for t in request.topics
        if t.name in readable
        for p in t.partitions
    }
    error: KafkaError | None = None
    try:
        auth.check_group(ctx, AclOperation.READ, request.group_id)
        await check_coordinator(ctx, request.group_id)
        if offsets:
            await ctx.cluster.commit_offsets(
                request.group_id,
                offsets,
                generation_id=request.generation_id_or_member_epoch,
                member_id=request.member_id,
                group_instance_id=getattr(request, "group_instance_id", None),
            )
    except KafkaError as failure:
        error = failure

    def outcome(topic: str) -> KafkaError | ErrorCode:
        if error is not None and (error.code is ErrorCode.GROUP_AUTHORIZATION_FAILED or topic in readable):
            return error
        if topic not in readable:
            return ErrorCode.TOPIC_AUTHORIZATION_FAILED
        return ErrorCode.NONE

    return build(
        cls,
        throttle_time=0,
        topics=tuple(
            build(
                topic_cls,
                name=t.name,
                partitions=tuple(
                    build(partition_cls, partition_index=p.partition_index, error_code=outcome(t.name))
                    for p in t.partitions
                ),
            )
            for t in request.topics
        ),
    )


async def offset_fetch(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(OFFSET_FETCH, ctx.version)
    topic_cls = nested(cls, "OffsetFetchResponseTopic")
    partition_cls = nested(cls, "OffsetFetchResponsePartition")
    wanted = (
        None
        if request.topics is None
        else [(t.name, p) for t in request.topics for p in (t.partition_indexes or ())]
    )
    try:
        auth.check_group(ctx, AclOperation.DESCRIBE, request.group_id)
        await check_coordinator(ctx, request.group_id)
        committed = await ctx.cluster.fetch_offsets(request.group_id, wanted)
    except KafkaError as error:
        return build(cls, throttle_time=0, error_code=error, topics=())
    keys = wanted if wanted is not None else sorted(committed)
    # DESCRIBE on each topic: a named one is refused, one of "all" left out
    described = auth.filter_authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, keys, lambda k: k[0])
    if wanted is None:
        keys = [k for k in keys if k[0] in described]
    unstable = (
        ctx.cluster.pending_txn_offsets(request.group_id)
        if getattr(request, "require_stable", False)
        else set()
    )
    by_topic: dict[str, list[Any]] = {}
    for topic, partition in keys:
        hidden = (topic, partition) in unstable or topic not in described
        found = None if hidden else committed.get((topic, partition))
        by_topic.setdefault(topic, []).append(
            build(
                partition_cls,
                partition_index=partition,
                committed_offset=found.offset if found else -1,
                committed_leader_epoch=found.leader_epoch if found else -1,
                metadata=found.metadata if found else "",
                error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED
                if topic not in described
                else ErrorCode.UNSTABLE_OFFSET_COMMIT
                if (topic, partition) in unstable
                else ErrorCode.NONE,
            )
        )
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        topics=tuple(build(topic_cls, name=t, partitions=tuple(ps)) for t, ps in by_topic.items()),
    )


APIS = [
    Api(OFFSET_COMMIT, "OffsetCommit", 2, 8, offset_commit),
    Api(OFFSET_FETCH, "OffsetFetch", 1, 7, offset_fetch),
]
