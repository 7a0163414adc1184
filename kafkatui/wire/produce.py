"""Produce (key 0): one RecordBatch per partition, appended by the partition's leader.

The hot path touches batches, not records: the engine checks the header and CRC,
patches the base offset and stores the bytes as received. A compressed batch is
decompressed and checked, and kept in the producer's codec or rebuilt in the topic's
`compression.type` (the engine's `log_validator`). acks=0 gets no response at all, as
in Kafka.
A transactional batch needs the request's transactional id and, as the first batch of
its transaction at the partition, the coordinator's word that the partition was added
(KIP-890 part 1's verification; INVALID_TXN_STATE if not, as Kafka 3.6+ answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.records import read_header
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, millis, nested, response_class

API_KEY = 0


async def _append(
    ctx: RequestContext,
    topic: str,
    partition: int,
    data: bytes | None,
    acks: int,
    timeout_ms: int,
    transactional_id: str | None = None,
) -> dict[str, Any]:
    try:
        if not data:
            raise KafkaError(ErrorCode.INVALID_RECORD, "the produce request holds no record batch")
        header = read_header(data)
        if header.is_control:  # only coordinators write markers (Kafka's LogValidator)
            raise KafkaError(ErrorCode.INVALID_RECORD, "Clients are not allowed to write control records")
        if header.is_transactional:
            if transactional_id is None:
                raise KafkaError(
                    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                    "a transactional batch needs the produce request's transactional id",
                )
            await ctx.cluster.verify_transaction(
                transactional_id, header.producer_id, header.producer_epoch, (topic, partition), ctx.broker_id
            )
        result = await ctx.broker.produce(topic, partition, bytes(data), acks=acks, timeout_ms=timeout_ms)
    except KafkaError as error:
        return _refused(partition, error)
    return {
        "index": partition,
        "error_code": ErrorCode.NONE,
        "base_offset": result.base_offset,
        "log_append_time": result.log_append_time,
        "log_start_offset": result.log_start_offset,
        "record_errors": (),
        "error_message": None,
    }


def _refused(partition: int, error: KafkaError) -> dict[str, Any]:
    return {
        "index": partition,
        "error_code": error,
        "base_offset": -1,
        "log_append_time": -1,
        "log_start_offset": -1,
        "record_errors": (),
        "error_message": error.message,
    }


async def _refusal(partition: int, error: KafkaError) -> dict[str, Any]:
    return _refused(partition, error)


async def handle(ctx: RequestContext, request: Any) -> Any:
    timeout_ms = millis(request.timeout)
    # KafkaApis.handleProduceRequest: WRITE on the transactional id refuses the whole
    # request; then WRITE on each topic.
    txn_refused = None
    if request.transactional_id is not None and not auth.authorize(
        ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id
    ):
        txn_refused = auth.denied(ResourceType.TRANSACTIONAL_ID, AclOperation.WRITE, request.transactional_id)
    writable = auth.filter_authorized(
        ctx, AclOperation.WRITE, ResourceType.TOPIC, request.topic_data, lambda t: t.name
    )

    def one(topic: str, p: Any) -> Awaitable[dict[str, Any]]:
        if txn_refused is not None:
            return _refusal(p.index, txn_refused)
        if topic not in writable:
            return _refusal(p.index, auth.denied(ResourceType.TOPIC, AclOperation.WRITE, topic))
        return _append(ctx, topic, p.index, p.records, request.acks, timeout_ms, request.transactional_id)

    answers = await asyncio.gather(
        *(asyncio.gather(*(one(t.name, p) for p in t.partition_data)) for t in request.topic_data)
    )
    if request.acks == 0:
        return None
    cls = response_class(API_KEY, ctx.version)
    topic_cls = nested(cls, "TopicProduceResponse")
    partition_cls = nested(cls, "PartitionProduceResponse")
    return build(
        cls,
        throttle_time=0,
        responses=tuple(
            build(
                topic_cls, name=t.name, partition_responses=tuple(build(partition_cls, **a) for a in answer)
            )
            for t, answer in zip(request.topic_data, answers, strict=True)
        ),
    )


# Produce v0-2 are advertised but not served, as Kafka 4 does (KAFKA-18659): librdkafka
# before 2.10 (kcat 1.7.1's 2.0.2 among them) only compresses with gzip, snappy or lz4
# when the broker's Produce range includes v0, and otherwise silently sends uncompressed.
# Clients pick the highest version both sides speak, so nobody asks for v0-2.
APIS = [Api(API_KEY, "Produce", 3, 10, handle, advertised_min_version=0)]
