"""ListOffsets (key 2): earliest (-2), latest (-1, the high watermark) or by timestamp.

Only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere). v7's
MAX_TIMESTAMP (-3, KIP-734) is not offered, so versions stop at 6. With
`isolation_level` read_committed (v2+, KIP-98) latest is the last stable offset, and a
lookup by time finds only offsets below it (Kafka's `fetchOffsetForTimestamp`).
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.records import decode_batch
from kafkatui.engine.server.requests import EARLIEST, LATEST, READ_COMMITTED, READ_UNCOMMITTED
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

API_KEY = 2


async def _offset(
    ctx: RequestContext, topic: str, partition: int, timestamp: int, isolation_level: int
) -> dict[str, Any]:
    broker = ctx.broker
    try:
        auth.check_topic(ctx, AclOperation.DESCRIBE, topic)
        epoch = ctx.cluster.topic(topic).partitions[partition].leader_epoch if partition >= 0 else -1
        if timestamp in (EARLIEST, LATEST):
            return {
                "offset": broker.list_offset(topic, partition, timestamp, isolation_level),
                "timestamp": -1,
                "leader_epoch": epoch,
                "error_code": ErrorCode.NONE,
            }
        if timestamp < 0:
            raise KafkaError(
                ErrorCode.UNSUPPORTED_VERSION, f"ListOffsets timestamp {timestamp} is not supported"
            )
        offset = await broker.offset_for_timestamp(topic, partition, timestamp)
        if isolation_level == READ_COMMITTED and offset >= broker.list_offset(
            topic, partition, LATEST, READ_COMMITTED
        ):
            offset = -1
        found = -1
        if offset >= 0:  # Kafka answers with the found record's own timestamp
            for data in await broker.read_replica(topic, partition, offset, 1):
                record = next((r for r in decode_batch(data).records if r.offset == offset), None)
                if record is not None:
                    found = record.timestamp
                    break
        return {"offset": offset, "timestamp": found, "leader_epoch": epoch, "error_code": ErrorCode.NONE}
    except (KafkaError, IndexError) as error:
        if isinstance(error, IndexError):
            error = KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic} has no partition {partition}")
        return {"offset": -1, "timestamp": -1, "leader_epoch": -1, "error_code": error}


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "ListOffsetsTopicResponse")
    partition_cls = nested(cls, "ListOffsetsPartitionResponse")
    isolation_level = getattr(request, "isolation_level", READ_UNCOMMITTED)
    topics = []
    for t in request.topics:
        partitions = []
        for p in t.partitions:
            answer = await _offset(ctx, t.name, p.partition_index, p.timestamp, isolation_level)
            partitions.append(build(partition_cls, partition_index=p.partition_index, **answer))
        topics.append(build(topic_cls, name=t.name, partitions=tuple(partitions)))
    return build(cls, throttle_time=0, topics=tuple(topics))


APIS = [Api(API_KEY, "ListOffsets", 1, 6, handle)]
