"""DescribeTransactions (65) and ListTransactions (66): transactions as an operator sees
them (KIP-664, `kafka-transactions.sh describe|list`).

DescribeTransactions is answered per id by its coordinator (NOT_COORDINATOR elsewhere,
TRANSACTIONAL_ID_NOT_FOUND for an id it has no state for); ListTransactions by every
broker for the ids whose `__transaction_state` partitions it leads, filtered by state
name, producer id and (v1, KIP-994) how long they have been running. As in Kafka a
transaction names its partitions only while it is Ongoing or Prepare* (a completed one
has none).
"""

from __future__ import annotations

import datetime
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.admin import TransactionDescription
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.producer_ids import check_txn_coordinator

DESCRIBE_TRANSACTIONS = 65
LIST_TRANSACTIONS = 66
# Kafka's TransactionState names (PrepareEpochFence and Dead are never kept here).
STATE_NAMES = ("Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort")


def _millis_as_datetime(ms: int) -> datetime.datetime:
    # kio writes an int64 timestamp field from a datetime; Kafka's -1 ("none") included.
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def _described(cls: type, transactional_id: str, found: TransactionDescription) -> Any:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in found.partitions:
        by_topic.setdefault(topic, []).append(partition)
    return build(
        cls,
        error_code=ErrorCode.NONE,
        transactional_id=transactional_id,
        transaction_state=found.state,
        transaction_timeout=found.timeout_ms,
        transaction_start_time=_millis_as_datetime(found.start_ms),
        producer_id=found.producer_id,
        producer_epoch=found.producer_epoch,
        topics=tuple(
            build(nested(cls, "TopicData"), topic=t, partitions=tuple(ps)) for t, ps in by_topic.items()
        ),
    )


async def describe_transactions(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_TRANSACTIONS, ctx.version)
    state_cls = nested(cls, "TransactionState")
    answers = []
    for transactional_id in request.transactional_ids:
        try:
            auth.check_transactional_id(ctx, AclOperation.DESCRIBE, transactional_id)
            await check_txn_coordinator(ctx, transactional_id)
            found = await ctx.cluster.describe_transaction(transactional_id)
            if found is None:
                raise KafkaError(
                    ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, f"no transactional id '{transactional_id}'"
                )
            answers.append(_described(state_cls, transactional_id, found))
        except KafkaError as error:  # the other fields at their schema defaults, as Kafka's
            answers.append(
                build(
                    state_cls,
                    error_code=error,
                    transactional_id=transactional_id,
                    transaction_state="",
                    transaction_timeout=0,
                    transaction_start_time=_millis_as_datetime(0),
                    producer_id=0,
                    producer_epoch=0,
                    topics=(),
                )
            )
    return build(cls, throttle_time=0, transaction_states=tuple(answers))


async def list_transactions(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(LIST_TRANSACTIONS, ctx.version)
    states = set(request.state_filters) & set(STATE_NAMES)
    unknown = tuple(s for s in request.state_filters if s not in STATE_NAMES)
    producer_ids = set(request.producer_id_filters)
    duration_ms = getattr(request, "duration_filter", -1)
    now = ctx.cluster.clock.now_ms()
    listed = [
        t
        for t in await ctx.broker.txn_coordinator.list_transactions()
        if (not states or t.state in states)
        and (not producer_ids or t.producer_id in producer_ids)
        and (duration_ms < 0 or now - t.start_ms > duration_ms)
        # only the ids the principal may DESCRIBE (KafkaApis.handleListTransactionsRequest)
        and auth.authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactional_id)
    ]
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        unknown_state_filters=unknown,
        transaction_states=tuple(
            build(
                nested(cls, "TransactionState"),
                transactional_id=t.transactional_id,
                producer_id=t.producer_id,
                transaction_state=t.state,
            )
            for t in sorted(listed, key=lambda t: t.transactional_id)
        ),
    )


APIS = [
    Api(DESCRIBE_TRANSACTIONS, "DescribeTransactions", 0, 0, describe_transactions),
    Api(LIST_TRANSACTIONS, "ListTransactions", 0, 1, list_transactions),
]
