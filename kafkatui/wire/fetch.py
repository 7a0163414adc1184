"""Fetch (key 1): whole batches up to the high watermark, long-polling like Kafka.

`max_wait_ms` / `min_bytes` are the engine's `Broker.fetch` long-poll (woken when a
high watermark moves, never a busy loop). No fetch sessions (KIP-227): every response
says session 0, so clients send full requests. No transactions yet, so the last
stable offset is the high watermark and no aborted transactions are listed.
"""

from __future__ import annotations

from typing import Any

from kafkatui.engine.broker import FetchPartition
from kafkatui.engine.errors import ErrorCode
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, millis, nested, response_class

API_KEY = 1


async def handle(ctx: RequestContext, request: Any) -> Any:
    wanted = [
        FetchPartition(t.topic, p.partition, p.fetch_offset, max(1, p.partition_max_bytes))
        for t in request.topics
        for p in t.partitions
    ]
    results = await ctx.broker.fetch(
        wanted, max_wait_ms=millis(request.max_wait), min_bytes=request.min_bytes
    )
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "FetchableTopicResponse")
    partition_cls = nested(cls, "PartitionData")
    by_topic: dict[str, list[Any]] = {}
    for r in results:
        by_topic.setdefault(r.topic, []).append(
            build(
                partition_cls,
                partition_index=r.partition,
                error_code=r.error or ErrorCode.NONE,
                high_watermark=r.high_watermark,
                last_stable_offset=r.high_watermark,
                log_start_offset=r.log_start_offset,
                aborted_transactions=None,
                preferred_read_replica=-1,
                records=b"".join(r.batches),
            )
        )
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        session_id=0,
        responses=tuple(build(topic_cls, topic=t, partitions=tuple(ps)) for t, ps in by_topic.items()),
    )


APIS = [Api(API_KEY, "Fetch", 4, 12, handle)]
