"""KIP-447 through the engine's transactional producer: `send_offsets_to_transaction`
with the consumer's group metadata is checked by the group coordinator, so a zombie (a
member the group dropped, or one of an older generation) cannot commit its offsets, and
its transaction can only be aborted, as Kafka's TxnOffsetCommitHandler has it."""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clients import ConsumerConfig, ConsumerGroupMetadata, TransactionState
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.consumer import Consumer
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


async def test_a_consumers_own_group_metadata_and_a_static_replacement_fences_the_old_one(
    cluster: Cluster, clock: ManualClock
) -> None:
    """The delivery demo's processor: a static member's `group_metadata()` after it joins;
    a new instance with the same group.instance.id takes its place (KIP-345), and the
    old one's offsets are refused (KIP-447), so a zombie cannot commit."""
    await cluster.create_topic(TOPIC, 1, 3)
    await cluster.create_topic(OUT, 1, 3)
    config = ConsumerConfig(group_id=GROUP, enable_auto_commit=False, group_instance_id="etl-1")

    async def member() -> tuple[Consumer, ConsumerGroupMetadata]:
        consumer = Consumer(cluster, config)
        assert consumer.group_metadata() == ConsumerGroupMetadata(GROUP, -1, "", "etl-1")
        consumer.subscribe([TOPIC])
        polling = asyncio.ensure_future(consumer.poll(0))
        await cluster.advance_until(polling.done)
        return consumer, consumer.group_metadata()

    old, crashed = await member()
    assert crashed.generation_id >= 1 and crashed.member_id.startswith("etl-1")
    await old.close()  # a static member leaves no LeaveGroup: as a crash, to the coordinator
    new, taken = await member()
    assert taken.member_id != crashed.member_id
    producer = txn_producer(cluster, "tx-s")
    await producer.init_transactions()
    producer.begin_transaction()
    with pytest.raises(KafkaError) as refused:
        await producer.send_offsets_to_transaction({(TOPIC, 0): 3}, crashed)
    assert refused.value.code is ErrorCode.FENCED_INSTANCE_ID
    await producer.abort_transaction()
    producer.begin_transaction()
    await producer.send_offsets_to_transaction({(TOPIC, 0): 3}, taken)
    await producer.commit_transaction()
    await cluster.settle()
    assert (await cluster.fetch_offsets(GROUP))[(TOPIC, 0)].offset == 3
    await new.close()
