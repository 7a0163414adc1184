"""AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn (26), TxnOffsetCommit (28): a
transactional producer's requests (KIP-98), answered by the engine's coordinators.

The first three go to the transaction coordinator of the transactional id (NOT_COORDINATOR
at any other broker); TxnOffsetCommit goes to the group's coordinator, as in Kafka.
Versions below the one that introduced PRODUCER_FENCED (KIP-588: v2 of 24, 25 and 26)
get INVALID_PRODUCER_EPOCH instead, as Kafka's KafkaApis answers them; TxnOffsetCommit
always does, as Kafka's append to `__consumer_offsets` would.

EndTxn is answered once every partition has its marker (Kafka answers after
PrepareCommit and writes the markers afterwards), and the coordinator holds the id's
lock meanwhile, so a request of the same producer waits instead of meeting a Prepare
state: CONCURRENT_TRANSACTIONS is possible in the engine but not met in practice.
AddPartitionsToTxn v4+ (KIP-890's broker-to-broker verification) is not offered:
produce verifies in-process (`Cluster.verify_transaction`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.groups import check_coordinator
from kafkatui.wire.producer_ids import check_txn_coordinator, fenced_for

ADD_PARTITIONS_TO_TXN = 24
ADD_OFFSETS_TO_TXN = 25
END_TXN = 26
TXN_OFFSET_COMMIT = 28
FIRST_WITH_PRODUCER_FENCED = 2  # AddPartitionsToTxn, AddOffsetsToTxn, EndTxn (KIP-588)


def _exists(ctx: RequestContext, topic: str, partition: int) -> bool:
    try:
        return 0 <= partition < len(ctx.cluster.topic(topic).partitions)
    except KafkaError:
        return False


async def add_partitions_to_txn(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(ADD_PARTITIONS_TO_TXN, ctx.version)
    topic_cls = nested(cls, "AddPartitionsToTxnTopicResult")
    partition_cls = nested(cls, "AddPartitionsToTxnPartitionResult")
    wanted = [(t.name, p) for t in request.v3_and_below_topics for p in t.partitions]
    transactional_id = request.v3_and_below_transactional_id
    errors: dict[tuple[str, int], KafkaError | ErrorCode]
    writable = auth.filter_authorized(ctx, AclOperation.WRITE, ResourceType.TOPIC, wanted, lambda tp: tp[0])
    unauthorized = [tp for tp in wanted if tp[0] not in writable]
    unknown = [tp for tp in wanted if tp[0] in writable and not _exists(ctx, *tp)]
    if not auth.authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactional_id):
        errors = dict.fromkeys(wanted, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    elif unknown or unauthorized:
        # Any refused or unknown partition fails the whole request; the others were not attempted.
        errors = {tp: ErrorCode.OPERATION_NOT_ATTEMPTED for tp in wanted}
        errors.update({tp: ErrorCode.TOPIC_AUTHORIZATION_FAILED for tp in unauthorized})
        errors.update({tp: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION for tp in unknown})
    else:
        try:
            await check_txn_coordinator(ctx, transactional_id)
            await ctx.cluster.add_partitions_to_txn(
                transactional_id,
                request.v3_and_below_producer_id,
                request.v3_and_below_producer_epoch,
                wanted,
            )
            result: KafkaError | ErrorCode = ErrorCode.NONE
        except KafkaError as error:
            result = fenced_for(ctx.version, FIRST_WITH_PRODUCER_FENCED, error)
        errors = dict.fromkeys(wanted, result)
    by_topic: dict[str, list[Any]] = {}
    for (topic, partition), error in errors.items():
        by_topic.setdefault(topic, []).append(
            build(partition_cls, partition_index=partition, partition_error_code=error)
        )
    return build(
        cls,
        throttle_time=0,
        results_by_topic_v3_and_below=tuple(
            build(topic_cls, name=t, results_by_partition=tuple(ps)) for t, ps in by_topic.items()
        ),
    )


async def _at_coordinator(
    ctx: RequestContext,
    api_key: int,
    transactional_id: str,
    call: Callable[[], Awaitable[None]],
    group_id: str | None = None,
) -> Any:
    """A request answered with one error code by the id's transaction coordinator, which
    needs WRITE on the transactional id (and READ on the group whose offsets it adds)."""
    try:
        auth.check_transactional_id(ctx, AclOperation.WRITE, transactional_id)
        if group_id is not None:
            auth.check_group(ctx, AclOperation.READ, group_id)
        await check_txn_coordinator(ctx, transactional_id)
        await call()
        error: KafkaError | ErrorCode = ErrorCode.NONE
    except KafkaError as failure:
        error = fenced_for(ctx.version, FIRST_WITH_PRODUCER_FENCED, failure)
    return build(response_class(api_key, ctx.version), throttle_time=0, error_code=error)


async def add_offsets_to_txn(ctx: RequestContext, request: Any) -> Any:
    return await _at_coordinator(
        ctx, ADD_OFFSETS_TO_TXN, request.transactional_id,
        lambda: ctx.cluster.add_offsets_to_txn(
            request.transactional_id, request.producer_id, request.producer_epoch, request.group_id
        ),
        request.group_id,
    )  # fmt: skip


async def end_txn(ctx: RequestContext, request: Any) -> Any:
    return await _at_coordinator(
        ctx, END_TXN, request.transactional_id,
        lambda: ctx.cluster.end_txn(
            request.transactional_id, request.producer_id, request.producer_epoch, request.committed
        ),
    )  # fmt: skip


async def txn_offset_commit(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(TXN_OFFSET_COMMIT, ctx.version)
    topic_cls = nested(cls, "TxnOffsetCommitResponseTopic")
    partition_cls = nested(cls, "TxnOffsetCommitResponsePartition")
    errors: dict[tuple[str, int], KafkaError | ErrorCode] = {}
    offsets = {}
    # WRITE on the transactional id, READ on the group, then READ on each topic (KafkaApis)
    refused: ErrorCode | None = None
    if not auth.authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        refused = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif not auth.authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        refused = ErrorCode.GROUP_AUTHORIZATION_FAILED
    readable = auth.filter_authorized(
        ctx, AclOperation.READ, ResourceType.TOPIC, request.topics, lambda t: t.name
    )
    for t in request.topics:
        for p in t.partitions:
            tp = (t.name, p.partition_index)
            if refused is not None:
                errors[tp] = refused
                continue
            if t.name not in readable:
                errors[tp] = ErrorCode.TOPIC_AUTHORIZATION_FAILED
                continue
            if not _exists(ctx, *tp):
                errors[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                continue
            offsets[tp] = OffsetAndMetadata(
                p.committed_offset, getattr(p, "committed_leader_epoch", -1), p.committed_metadata or ""
            )
    if offsets:
        try:
            await check_coordinator(ctx, request.group_id)
            await ctx.cluster.txn_offset_commit(
                request.transactional_id,
                request.producer_id,
                request.producer_epoch,
                request.group_id,
                offsets,
                generation_id=getattr(request, "generation_id", -1),
                member_id=getattr(request, "member_id", ""),
                group_instance_id=getattr(request, "group_instance_id", None),
            )
            result: KafkaError | ErrorCode = ErrorCode.NONE
        except KafkaError as error:
            result = error
            if error.code is ErrorCode.PRODUCER_FENCED:  # no version of 28 says PRODUCER_FENCED
                result = KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, error.message)
        errors.update(dict.fromkeys(offsets, result))
    by_topic: dict[str, list[Any]] = {}
    for t in request.topics:
        for p in t.partitions:
            error = errors[(t.name, p.partition_index)]
            by_topic.setdefault(t.name, []).append(
                build(partition_cls, partition_index=p.partition_index, error_code=error)
            )
    return build(
        cls,
        throttle_time=0,
        topics=tuple(build(topic_cls, name=t, partitions=tuple(ps)) for t, ps in by_topic.items()),
    )


APIS = [
    Api(ADD_PARTITIONS_TO_TXN, "AddPartitionsToTxn", 0, 3, add_partitions_to_txn),
    Api(ADD_OFFSETS_TO_TXN, "AddOffsetsToTxn", 0, 3, add_offsets_to_txn),
    Api(END_TXN, "EndTxn", 0, 3, end_txn),
    Api(TXN_OFFSET_COMMIT, "TxnOffsetCommit", 0, 3, txn_offset_commit),
]
