"""OffsetForLeaderEpoch (key 23): where a leader epoch ends in the leader's log.

Consumers ask it after a leader change to detect a truncated log (KIP-320); followers
use it to truncate (KIP-101/279, the engine's ReplicaFetcher calls the same
`Broker.end_offset_for_epoch`). `current_leader_epoch` fences stale requests: older than
the partition's epoch → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

API_KEY = 23


async def _end_offset(
    ctx: RequestContext, topic: str, partition: int, current: int, epoch: int
) -> dict[str, Any]:
    try:
        # A follower's CLUSTER_ACTION, or DESCRIBE on the topic since consumers ask too (KIP-320)
        if not auth.authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
            auth.check_topic(ctx, AclOperation.DESCRIBE, topic)
        partitions = ctx.cluster.topic(topic).partitions
        if not 0 <= partition < len(partitions):
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic} has no partition {partition}")
        leader_epoch = partitions[partition].leader_epoch
        if current >= 0 and current < leader_epoch:
            raise KafkaError(ErrorCode.FENCED_LEADER_EPOCH, f"epoch {current} is older than {leader_epoch}")
        if current > leader_epoch:
            raise KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, f"epoch {current} is newer than {leader_epoch}")
        found, end = await ctx.broker.end_offset_for_epoch(topic, partition, epoch)
        return {"error_code": ErrorCode.NONE, "leader_epoch": found, "end_offset": end}
    except KafkaError as error:
        return {"error_code": error, "leader_epoch": -1, "end_offset": -1}


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "OffsetForLeaderTopicResult")
    partition_cls = nested(cls, "EpochEndOffset")
    topics = []
    for t in request.topics:
        partitions = []
        for p in t.partitions:
            current = getattr(p, "current_leader_epoch", -1)
            answer = await _end_offset(ctx, t.topic, p.partition, current, p.leader_epoch)
            partitions.append(build(partition_cls, partition=p.partition, **answer))
        topics.append(build(topic_cls, topic=t.topic, partitions=tuple(partitions)))
    return build(cls, throttle_time=0, topics=tuple(topics))


APIS = [Api(API_KEY, "OffsetForLeaderEpoch", 2, 4, handle)]
