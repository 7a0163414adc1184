"""KIP-447 through the engine's transactional producer: `send_offsets_to_transaction`
with the consumer's group metadata is checked by the group coordinator, so a zombie (a
member the group dropped, or one of an older generation) cannot commit its offsets, and
its transaction can only be aborted, as Kafka's TxnOffsetCommitHandler has it."""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clients import ConsumerGroupMetadata, TransactionState
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster import Cluster
from tests.engine.test_offsets import join_one
from tests.engine.test_transactions import txn_producer, values

TOPIC, OUT, GROUP = "orders", "receipts", "etl"


async def joined(cluster: Cluster, clock: ManualClock, client: str) -> ConsumerGroupMetadata:
    joining = asyncio.ensure_future(join_one(cluster, GROUP, client))
    await cluster.advance_until(joining.done)  # group.initial.rebalance.delay.ms
    member_id, generation = joining.result()
    return ConsumerGroupMetadata(GROUP, generation, member_id)


async def test_a_dropped_members_offsets_are_refused_and_its_transaction_aborts(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    await cluster.create_topic(OUT, 1, 3)
    zombie = await joined(cluster, clock, "c1")
    producer = txn_producer(cluster, "tx-z")
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(OUT, b"first")
    await producer.send_offsets_to_transaction({(TOPIC, 0): 5}, zombie)
    await producer.commit_transaction()

    await cluster.leave_group(GROUP, [(zombie.member_id, None)])  # as a session timeout would
    producer.begin_transaction()
    await producer.send_and_wait(OUT, b"second")
    with pytest.raises(KafkaError) as refused:
        await producer.send_offsets_to_transaction({(TOPIC, 0): 9}, zombie)
    assert refused.value.code is ErrorCode.UNKNOWN_MEMBER_ID
    assert producer.transaction_state is TransactionState.ABORTABLE_ERROR
    with pytest.raises(KafkaError):
        await producer.commit_transaction()
    await producer.abort_transaction()
    await cluster.settle()
    assert (await cluster.fetch_offsets(GROUP))[(TOPIC, 0)].offset == 5
    assert await values(cluster, "read_committed", OUT) == [b"first"]


async def test_an_older_generation_is_illegal_and_the_current_one_commits(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    stale = await joined(cluster, clock, "c1")
    await cluster.leave_group(GROUP, [(stale.member_id, None)])
    current = await joined(cluster, clock, "c2")
    assert current.generation_id > stale.generation_id
    producer = txn_producer(cluster, "tx-g")
    await producer.init_transactions()
    producer.begin_transaction()
    older = ConsumerGroupMetadata(GROUP, stale.generation_id, current.member_id)
    with pytest.raises(KafkaError) as refused:
        await producer.send_offsets_to_transaction({(TOPIC, 0): 3}, older)
    assert refused.value.code is ErrorCode.ILLEGAL_GENERATION
    await producer.abort_transaction()
    producer.begin_transaction()
    await producer.send_offsets_to_transaction({(TOPIC, 0): 3}, current)
    await producer.commit_transaction()
    await cluster.settle()
    assert (await cluster.fetch_offsets(GROUP))[(TOPIC, 0)].offset == 3
