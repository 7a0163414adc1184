"""Fetch (key 1): whole batches up to the high watermark, long-polling like Kafka.

`max_wait_ms` / `min_bytes` are the engine's `Broker.fetch` long-poll (woken when a
high watermark moves, never a busy loop). No fetch sessions (KIP-227): every response
says session 0, so clients send full requests.

Transactions (KIP-98): every response carries the partition's real last stable offset
(the HW, or the first offset of the earliest open transaction below it). With
`isolation_level` read_committed (1) the batches stop at the LSO and
`aborted_transactions` lists (producer id, first offset) of each aborted transaction
overlapping the returned range, from the replica's aborted-transaction index, so the
client drops those producers' records from that offset until their ABORT marker;
read_uncommitted gets null there, as from Kafka. Control batches (the COMMIT/ABORT
markers) are returned like any batch: clients skip them.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode
from kafkatui.engine.server.requests import READ_COMMITTED, READ_UNCOMMITTED, FetchPartition
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, millis, nested, response_class

API_KEY = 1


def _readable(ctx: RequestContext, request: Any) -> set[str]:
    """The topics this fetch may read: a follower's (replica_id >= 0) needs CLUSTER_ACTION
    for all of them, a consumer's READ on each (KafkaApis.handleFetchRequest)."""
    if getattr(request, "replica_id", -1) >= 0:
        return (
            {t.topic for t in request.topics}
            if auth.authorize_cluster(ctx, AclOperation.CLUSTER_ACTION)
            else set()
        )
    return auth.filter_authorized(
        ctx, AclOperation.READ, ResourceType.TOPIC, request.topics, lambda t: t.topic
    )


async def handle(ctx: RequestContext, request: Any) -> Any:
    readable = _readable(ctx, request)
    wanted = [
        FetchPartition(t.topic, p.partition, p.fetch_offset, max(1, p.partition_max_bytes))
        for t in request.topics
        if t.topic in readable
        for p in t.partitions
    ]
    refused = [
        (t.topic, p.partition) for t in request.topics if t.topic not in readable for p in t.partitions
    ]
    isolation_level = READ_COMMITTED if request.isolation_level == READ_COMMITTED else READ_UNCOMMITTED
    results = []
    if wanted or not refused:  # nothing readable: answered at once, as Kafka does
        results = await ctx.broker.fetch(
            wanted,
            max_wait_ms=millis(request.max_wait),
            min_bytes=request.min_bytes,
            isolation_level=isolation_level,
        )
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "FetchableTopicResponse")
    partition_cls = nested(cls, "PartitionData")
    aborted_cls = nested(cls, "AbortedTransaction")
    by_topic: dict[str, list[Any]] = {}
    for r in results:
        by_topic.setdefault(r.topic, []).append(
            build(
                partition_cls,
                partition_index=r.partition,
                error_code=r.error or ErrorCode.NONE,
                high_watermark=r.high_watermark,
                last_stable_offset=r.last_stable_offset,
                log_start_offset=r.log_start_offset,
                aborted_transactions=None
                if r.aborted_transactions is None
                else tuple(
                    build(aborted_cls, producer_id=producer_id, first_offset=first_offset)
                    for producer_id, first_offset in r.aborted_transactions
                ),
                preferred_read_replica=-1,
                records=b"".join(r.batches),
            )
        )
    for topic, partition in refused:
        by_topic.setdefault(topic, []).append(
            build(
                partition_cls,
                partition_index=partition,
                error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                high_watermark=-1,
                last_stable_offset=-1,
                log_start_offset=-1,
                aborted_transactions=None,
                preferred_read_replica=-1,
                records=b"",
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
