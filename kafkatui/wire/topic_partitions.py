"""DescribeTopicPartitions (key 75, KIP-966): a topic's partitions with their eligible
leader replicas, paged by a cursor.

What Metadata cannot say: each partition's ELR (replicas that left the ISR while it was
below `min.insync.replicas`, so they hold every committed record) and last known ELR
(those dropped from it as they may have lost data). As Kafka's
`DescribeTopicPartitionsRequestHandler` and `KRaftMetadataCache`:

- no topics named means every topic (those that do not exist are then simply absent);
  named ones are answered in name order, a missing one with UNKNOWN_TOPIC_OR_PARTITION
  (INVALID_TOPIC_EXCEPTION for an illegal name) and no partitions;
- at most `ResponsePartitionLimit` partitions (capped by the broker's
  `max.request.partition.size.limit`, 2000, and at least 1) are described; when more
  are left, `NextCursor` names the topic and partition to ask for next. A request's
  `Cursor` starts there: topics before its one are skipped, and a named list must
  contain it (INVALID_REQUEST otherwise, as for a negative partition);
- a partition whose leader is not live has leader -1 (and no error: the ELR says who
  may lead); `offlineReplicas` are those on a broker that is down or whose log dir is
  offline (KIP-112).
"""

from __future__ import annotations

import uuid
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.topic import validate_topic_name
from kafkatui.engine.metadata.image import TopicInfo
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.metadata import live_brokers, offline_replicas

API_KEY = 75
# The broker's max.request.partition.size.limit (Kafka's default; KIP-966).
MAX_REQUEST_PARTITION_SIZE_LIMIT = 2000
_NO_ID = uuid.UUID(int=0)


def _partitions(
    ctx: RequestContext, cls: type, info: TopicInfo, start: int, count: int, live: list[int]
) -> Any:
    described = []
    for p in info.partitions[start : start + count]:
        described.append(
            build(
                cls,
                error_code=ErrorCode.NONE,
                partition_index=p.partition,
                leader_id=p.leader if p.leader in live else -1,
                leader_epoch=p.leader_epoch,
                replica_nodes=p.replicas,
                isr_nodes=p.isr,
                eligible_leader_replicas=p.eligible_leader_replicas,
                last_known_elr=p.last_known_elr,
                offline_replicas=offline_replicas(ctx, p.replicas, live),
            )
        )
    return tuple(described)


def _missing_error(name: str) -> ErrorCode:
    try:
        validate_topic_name(name)
    except KafkaError:
        return ErrorCode.INVALID_TOPIC_EXCEPTION
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def _refused(cls: type, request: Any, error: ErrorCode) -> Any:
    """Kafka's `getErrorResponse`: every named topic with the error, nothing else."""
    topic_cls = nested(cls, "DescribeTopicPartitionsResponseTopic")
    return build(
        cls,
        throttle_time=0,
        topics=tuple(
            build(topic_cls, error_code=error, name=t.name, topic_id=_NO_ID, partitions=())
            for t in request.topics
        ),
    )


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "DescribeTopicPartitionsResponseTopic")
    partition_cls = nested(cls, "DescribeTopicPartitionsResponsePartition")
    cursor_cls = nested(cls, "Cursor")
    image = ctx.cluster.metadata
    every_topic = not request.topics
    after = request.cursor.topic_name if request.cursor is not None else ""
    names = sorted(
        {n for n in (image.topics if every_topic else (t.name for t in request.topics)) if n >= after}
    )
    if request.cursor is not None and (
        request.cursor.partition_index < 0 or (not every_topic and request.cursor.topic_name not in names)
    ):
        return _refused(cls, request, ErrorCode.INVALID_REQUEST)
    remaining = max(min(MAX_REQUEST_PARTITION_SIZE_LIMIT, request.response_partition_limit), 1)
    live = live_brokers(ctx)
    topics = []
    next_cursor = None
    for name in names:
        if remaining == 0:
            # Every partition of the topics before fitted: the next page starts here.
            next_cursor = build(cursor_cls, topic_name=name, partition_index=0)
            break
        if not auth.authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name):
            if not every_topic:  # a listing leaves it out; a named one is refused
                topics.append(
                    build(
                        topic_cls, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED, name=name,
                        topic_id=_NO_ID, partitions=(),
                    )
                )  # fmt: skip
            continue
        info = image.topics.get(name)
        if info is None:
            if not every_topic:
                topics.append(
                    build(
                        topic_cls, error_code=_missing_error(name), name=name, topic_id=_NO_ID, partitions=()
                    )
                )
            continue
        start = request.cursor.partition_index if request.cursor is not None and name == after else 0
        partitions = _partitions(ctx, partition_cls, info, start, remaining, live)
        topics.append(
            build(
                topic_cls,
                error_code=ErrorCode.NONE,
                name=name,
                topic_id=uuid.UUID(info.topic_id),
                is_internal=info.is_internal,
                partitions=partitions,
            )
        )
        if start + len(partitions) < len(info.partitions):
            next_cursor = build(cursor_cls, topic_name=name, partition_index=start + len(partitions))
            break
        remaining -= len(partitions)
    return build(cls, throttle_time=0, topics=tuple(topics), next_cursor=next_cursor)


APIS = [Api(API_KEY, "DescribeTopicPartitions", 0, 0, handle)]
