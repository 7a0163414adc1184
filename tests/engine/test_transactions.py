"""Transactions (KIP-98): atomic writes across partitions, read_committed, fencing,
timeouts, offsets in a transaction, coordinator failover and restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.common.clients import ConsumerConfig, ProducerConfig, TopicPartition, TransactionState
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import Event, TransactionStateChanged
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.group_admin import list_groups
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.engine.coordinator.transaction.coordinator import (
    ABORT_TIMED_OUT_INTERVAL_MS,
    TransactionMetadata,
    parse_txn_value,
    txn_value,
)
from kafkatui.engine.coordinator.transaction.coordinator import TransactionState as TxnState
from tests.conftest import crash_broker

TOPIC = "orders"


def txn_producer(cluster: Cluster, tid: str = "tx-1", **overrides: object) -> Producer:
    settings: dict[str, object] = {"linger_ms": 0, "transactional_id": tid, **overrides}
    return Producer(cluster, ProducerConfig(**settings))  # type: ignore[arg-type]


async def values(cluster: Cluster, isolation: str, topic: str = TOPIC) -> list[bytes | None]:
    """Every value a fresh consumer with this isolation level reads, partition by partition."""
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest", isolation_level=isolation))
    consumer.assign_topic(topic)
    found: list[bytes | None] = []
    while batch := await consumer.poll(0):
        found += [r.value for r in batch]
    await consumer.close()
    return sorted(found, key=lambda v: v or b"")


async def test_a_committed_transaction_appears_in_both_partitions_at_once(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"a", partition=0)
    await producer.send_and_wait(TOPIC, b"b", partition=1)
    await cluster.settle()
    assert await values(cluster, "read_committed") == []  # open: the LSO holds them back
    assert await values(cluster, "read_uncommitted") == [b"a", b"b"]
    await producer.commit_transaction()
    await cluster.settle()
    assert await values(cluster, "read_committed") == [b"a", b"b"]
    described = await cluster.describe_transaction("tx-1")
    assert described is not None and described.state == "CompleteCommit"


async def test_an_aborted_transaction_is_invisible_to_read_committed_only(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"kept", partition=0)
    await producer.commit_transaction()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"gone-0", partition=0)
    await producer.send_and_wait(TOPIC, b"gone-1", partition=1)
    await producer.abort_transaction()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"after", partition=0)
    await producer.commit_transaction()
    await cluster.settle()
    assert await values(cluster, "read_committed") == [b"after", b"kept"]
    assert await values(cluster, "read_uncommitted") == [b"after", b"gone-0", b"gone-1", b"kept"]
    # The markers are control batches in the log, never records for the application.
    batches = await cluster.read_log(TOPIC, 1, 0)
    assert [read_header_is_control(b) for b in batches] == [False, True]


def read_header_is_control(batch: object) -> bool:
    return batch.header.is_control  # type: ignore[attr-defined]


async def test_the_lso_stops_read_committed_at_an_open_transaction(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    plain = Producer(cluster, ProducerConfig(linger_ms=0))
    await plain.send_and_wait(TOPIC, b"before")
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"open")
    await plain.send_and_wait(TOPIC, b"behind")  # not transactional, but after the open one
    await cluster.settle()
    leader = cluster.leader(TOPIC, 0)
    log = leader.logs[(cluster.topic(TOPIC).topic_id, 0)]
    assert (log.last_stable_offset, log.high_watermark) == (1, 3)
    assert await values(cluster, "read_committed") == [b"before"]
    committed = Consumer(cluster, ConsumerConfig(isolation_level="read_committed"))
    uncommitted = Consumer(cluster, ConsumerConfig())
    tp = TopicPartition(TOPIC, 0)
    assert (await committed.end_offsets([tp]), await uncommitted.end_offsets([tp])) == ({tp: 1}, {tp: 3})
    await producer.commit_transaction()
    await cluster.settle()
    assert log.last_stable_offset == log.high_watermark == 4
    assert await values(cluster, "read_committed") == [b"before", b"behind", b"open"]


async def test_a_second_producer_with_the_same_id_fences_the_first(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    zombie = txn_producer(cluster)
    await zombie.init_transactions()
    zombie.begin_transaction()
    await zombie.send_and_wait(TOPIC, b"zombie", partition=0)
    successor = txn_producer(cluster)
    await successor.init_transactions()  # aborts the zombie's open transaction
    assert successor.producer_id == zombie.producer_id
    assert successor.producer_epoch == zombie.producer_epoch + 1
    # Its next send (a partition already in its transaction) is refused by the broker...
    with pytest.raises(KafkaError) as sent:
        await zombie.send_and_wait(TOPIC, b"late", partition=0)
    assert sent.value.code is ErrorCode.PRODUCER_FENCED
    assert zombie.transaction_state is TransactionState.FATAL_ERROR
    with pytest.raises(KafkaError) as committed:
        await zombie.commit_transaction()
    assert committed.value.code is ErrorCode.PRODUCER_FENCED
    successor.begin_transaction()
    await successor.send_and_wait(TOPIC, b"fresh", partition=0)
    await successor.commit_transaction()
    await cluster.settle()
    assert await values(cluster, "read_committed") == [b"fresh"]


async def test_a_fenced_producer_cannot_commit_at_the_coordinator(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    zombie = txn_producer(cluster)
    await zombie.init_transactions()
    await txn_producer(cluster).init_transactions()
    zombie.begin_transaction()
    with pytest.raises(KafkaError) as sent:
        await zombie.send_and_wait(TOPIC, b"late", partition=1)  # AddPartitionsToTxn refused
    assert sent.value.code is ErrorCode.PRODUCER_FENCED


async def test_transactional_producer_state_rules(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    producer = txn_producer(cluster)
    with pytest.raises(KafkaError) as early:
        await producer.send(TOPIC, b"x")
    assert early.value.code is ErrorCode.INVALID_TXN_STATE
    await producer.init_transactions()
    with pytest.raises(KafkaError):
        await producer.send(TOPIC, b"x")  # outside a transaction
    with pytest.raises(KafkaError):
        await producer.commit_transaction()
    producer.begin_transaction()
    with pytest.raises(KafkaError):
        producer.begin_transaction()
    await producer.commit_transaction()  # empty: nothing to tell the coordinator
    with pytest.raises(KafkaError) as config:
        ProducerConfig(transactional_id="t", enable_idempotence=False)
    assert config.value.code is ErrorCode.INVALID_CONFIG
    with pytest.raises(KafkaError) as timeout:
        await txn_producer(cluster, "t2", transaction_timeout_ms=900_001).init_transactions()
    assert timeout.value.code is ErrorCode.INVALID_TRANSACTION_TIMEOUT


async def test_the_coordinator_aborts_a_transaction_that_outlives_its_timeout(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    events: list[Event] = []
    cluster.bus.listen(events.append)
    producer = txn_producer(cluster, transaction_timeout_ms=5_000)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"slow")

    async def state() -> str | None:
        d = await cluster.describe_transaction("tx-1")
        return d.state if d else None

    await cluster.advance_until(
        lambda: any(isinstance(e, TransactionStateChanged) and e.state == "CompleteAbort" for e in events),
        limit_ms=30_000,
    )
    assert await state() == "CompleteAbort"
    assert await values(cluster, "read_committed") == []
    with pytest.raises(KafkaError) as late:
        await producer.commit_transaction()
    assert late.value.code is ErrorCode.PRODUCER_FENCED  # the abort bumped the epoch


async def test_offsets_sent_to_a_transaction_count_only_when_it_commits(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"out")
    await producer.send_offsets_to_transaction({(TOPIC, 0): 5}, "app")
    assert await cluster.fetch_offsets("app") == {}
    await producer.abort_transaction()
    assert await cluster.fetch_offsets("app") == {}
    producer.begin_transaction()
    await producer.send_offsets_to_transaction({(TOPIC, 0): 7}, "app")
    await producer.commit_transaction()
    committed = await cluster.fetch_offsets("app")
    assert {tp: o.offset for tp, o in committed.items()} == {(TOPIC, 0): 7}


async def test_a_new_coordinator_resumes_the_transaction_after_a_crash(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"a", partition=0)
    await producer.send_and_wait(TOPIC, b"b", partition=1)
    old = await cluster.find_transaction_coordinator("tx-1")
    await crash_broker(cluster, clock, old)
    new = await cluster.find_transaction_coordinator("tx-1")
    assert new != old
    described = await cluster.describe_transaction("tx-1")
    assert described is not None and described.state == "Ongoing"
    assert set(described.partitions) == {(TOPIC, 0), (TOPIC, 1)}
    await producer.commit_transaction()
    await cluster.settle()
    assert await values(cluster, "read_committed") == [b"a", b"b"]


async def test_a_new_coordinator_finishes_a_commit_the_old_one_prepared(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 2, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"a", partition=0)
    await producer.send_and_wait(TOPIC, b"b", partition=1)
    old = await cluster.find_transaction_coordinator("tx-1")

    async def unreachable(*_: object) -> None:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "the markers never get out")

    cluster.brokers[old].txn_coordinator.write_marker = unreachable
    with pytest.raises(KafkaError):
        await producer.commit_transaction()
    described = await cluster.describe_transaction("tx-1")
    assert described is not None and described.state == "PrepareCommit"
    assert await values(cluster, "read_committed") == []
    await crash_broker(cluster, clock, old)
    await cluster.describe_transaction("tx-1")  # the new coordinator loads, and resumes
    await cluster.settle()
    described = await cluster.describe_transaction("tx-1")
    assert described is not None and described.state == "CompleteCommit"
    assert await values(cluster, "read_committed") == [b"a", b"b"]


async def test_transaction_state_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    cluster = await Cluster.open(tmp_path, brokers=3, clock=clock, seed=7)
    await cluster.create_topic(TOPIC, 1, 3)
    first = txn_producer(cluster)
    await first.init_transactions()
    first.begin_transaction()
    await first.send_and_wait(TOPIC, b"committed")
    await first.commit_transaction()
    first.begin_transaction()
    await first.send_and_wait(TOPIC, b"aborted")
    await first.abort_transaction()
    first.begin_transaction()
    await first.send_and_wait(TOPIC, b"open")
    pid, epoch = first.producer_id, first.producer_epoch
    await cluster.settle()
    await cluster.close()

    cluster = await Cluster.open(tmp_path, clock=clock, seed=7)
    try:
        await cluster.settle()
        log = cluster.leader(TOPIC, 0).logs[(cluster.topic(TOPIC).topic_id, 0)]
        assert log.last_stable_offset == 4  # the open transaction's first offset
        assert await values(cluster, "read_committed") == [b"committed"]
        described = await cluster.describe_transaction("tx-1")
        assert described is not None and described.state == "Ongoing"
        second = txn_producer(cluster)
        await second.init_transactions()  # aborts the open one, fences the old epoch
        assert (second.producer_id, second.producer_epoch) == (pid, epoch + 1)
        await cluster.settle()
        assert await values(cluster, "read_committed") == [b"committed"]
        assert log.last_stable_offset == log.high_watermark
    finally:
        await cluster.close()


def test_transaction_log_value_round_trips() -> None:
    meta = TransactionMetadata("t", 42, 3, 60_000, TxnState.ONGOING, {("a", 0), ("a", 2), ("b", 1)}, 10, 5)
    back = parse_txn_value("t", txn_value(meta))
    assert (back.producer_id, back.producer_epoch, back.timeout_ms) == (42, 3, 60_000)
    assert back.state is TxnState.ONGOING and back.partitions == meta.partitions
    assert (back.last_update_ms, back.start_ms) == (10, 5)


async def test_a_leader_appends_a_transactional_batch_only_for_an_added_partition(cluster: Cluster) -> None:
    """KIP-890 part 1's verification, as the wire's produce asks it."""
    await cluster.create_topic(TOPIC, 2, 3)
    pid, epoch = await cluster.init_producer_id("tx-v")

    async def verify(partition: int, producer_epoch: int = epoch, broker: int | None = None) -> ErrorCode:
        leader = cluster.leader(TOPIC, partition).broker_id
        try:
            await cluster.verify_transaction(
                "tx-v", pid, producer_epoch, (TOPIC, partition), leader if broker is None else broker
            )
        except KafkaError as error:
            return error.code
        return ErrorCode.NONE

    assert await verify(0) is ErrorCode.INVALID_TXN_STATE  # no transaction at all
    await cluster.add_partitions_to_txn("tx-v", pid, epoch, [(TOPIC, 0)])
    assert await verify(0) is ErrorCode.NONE
    assert await verify(1) is ErrorCode.INVALID_TXN_STATE  # this one was not added
    follower = next(b for b in cluster.brokers if b != cluster.leader(TOPIC, 1).broker_id)
    assert await verify(1, broker=follower) is ErrorCode.NOT_LEADER_OR_FOLLOWER  # leadership first
    await cluster.init_producer_id("tx-v")  # fences epoch 0 and aborts its transaction
    assert await verify(0) is ErrorCode.INVALID_PRODUCER_EPOCH


async def test_init_producer_id_bumps_a_named_epoch_only_if_it_is_current(cluster: Cluster) -> None:
    """KIP-360: a producer may bump its own epoch by naming it; a stale one is fenced."""
    pid, epoch = await cluster.init_producer_id("tx-b")
    assert await cluster.init_producer_id("tx-b", expected=(pid, epoch)) == (pid, epoch + 1)
    with pytest.raises(KafkaError) as stale:
        await cluster.init_producer_id("tx-b", expected=(pid, epoch))
    assert stale.value.code is ErrorCode.PRODUCER_FENCED


async def test_txn_offset_commit_checks_the_member_and_generation_it_names(
    cluster: Cluster, clock: ManualClock
) -> None:
    import asyncio

    from tests.engine.test_offsets import join_one

    await cluster.create_topic(TOPIC, 1, 3)
    joining = asyncio.ensure_future(join_one(cluster, "etl", "c1"))
    await cluster.advance_until(joining.done)  # group.initial.rebalance.delay.ms
    member_id, generation = joining.result()
    pid, epoch = await cluster.init_producer_id("tx-o")
    await cluster.add_offsets_to_txn("tx-o", pid, epoch, "etl")
    offsets = {(TOPIC, 0): OffsetAndMetadata(3)}

    async def commit(**member: object) -> ErrorCode:
        try:
            await cluster.txn_offset_commit("tx-o", pid, epoch, "etl", offsets, **member)  # type: ignore[arg-type]
        except KafkaError as error:
            return error.code
        return ErrorCode.NONE

    assert await commit(generation_id=generation + 1, member_id=member_id) is ErrorCode.ILLEGAL_GENERATION
    assert await commit(generation_id=generation, member_id="stranger") is ErrorCode.UNKNOWN_MEMBER_ID
    assert await commit() is ErrorCode.NONE  # v0-2 name no member: not checked, as in Kafka
    assert await commit(generation_id=generation, member_id=member_id) is ErrorCode.NONE


async def test_a_retried_end_txn_finishes_markers_that_failed(cluster: Cluster) -> None:
    """An EndTxn whose markers could not be written leaves PrepareCommit; the client's
    retry completes it instead of meeting INVALID_TXN_STATE (a fatal error for it)."""
    await cluster.create_topic(TOPIC, 1, 3)
    pid, epoch = await cluster.init_producer_id("tx-r")
    await cluster.add_partitions_to_txn("tx-r", pid, epoch, [(TOPIC, 0)])
    coordinator = cluster.brokers[await cluster.find_transaction_coordinator("tx-r")].txn_coordinator
    write_marker = coordinator.write_marker

    async def unreachable(*args: object) -> None:
        raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "the partition leader is unreachable")

    coordinator.write_marker = unreachable
    with pytest.raises(KafkaError):
        await cluster.end_txn("tx-r", pid, epoch, commit=True)
    assert (await cluster.describe_transaction("tx-r")).state == "PrepareCommit"  # type: ignore[union-attr]
    coordinator.write_marker = write_marker
    with pytest.raises(KafkaError) as other:
        await cluster.end_txn("tx-r", pid, epoch, commit=False)
    assert other.value.code is ErrorCode.INVALID_TXN_STATE  # it is committing, not aborting
    await cluster.end_txn("tx-r", pid, epoch, commit=True)
    assert (await cluster.describe_transaction("tx-r")).state == "CompleteCommit"  # type: ignore[union-attr]


async def test_a_completed_transaction_names_no_partitions(cluster: Cluster) -> None:
    """Kafka's `prepareComplete` empties the partition set, in memory and in the log."""
    from kafkatui.engine.coordinator.runtime import replay_records
    from kafkatui.engine.coordinator.transaction.coordinator import (
        TRANSACTION_STATE_TOPIC,
        parse_txn_key,
        transaction_partition_for,
    )

    await cluster.create_topic(TOPIC, 2, 3)
    events: list[Event] = []
    cluster.bus.listen(events.append)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"a", partition=0)
    await producer.commit_transaction()
    described = await cluster.describe_transaction("tx-1")
    assert described is not None and described.state == "CompleteCommit" and described.partitions == ()
    done = [e for e in events if isinstance(e, TransactionStateChanged) and e.state == "CompleteCommit"]
    assert done[-1].partitions == ((TOPIC, 0),)  # the event still says where markers went
    coordinator = cluster.brokers[await cluster.find_transaction_coordinator("tx-1")]
    partition = transaction_partition_for("tx-1", coordinator.txn_coordinator.partition_count)
    stored = [
        parse_txn_value("tx-1", r.value)
        async for r in replay_records(coordinator, TRANSACTION_STATE_TOPIC, partition)
        if r.key is not None and r.value is not None and parse_txn_key(r.key) == "tx-1"
    ]
    assert [(m.state, m.partitions) for m in stored[-2:]] == [
        (TxnState.PREPARE_COMMIT, {(TOPIC, 0)}),
        (TxnState.COMPLETE_COMMIT, set()),
    ]


def test_a_stored_complete_state_with_partitions_replays_without_them() -> None:
    """Values written before the partitions were emptied still load as Kafka's would."""
    meta = TransactionMetadata("t", 42, 3, 60_000, TxnState.COMPLETE_ABORT, {("a", 0)}, 10, 5)
    assert parse_txn_value("t", txn_value(meta)).partitions == set()


async def test_aborted_transactions_below_the_log_start_leave_the_index(cluster: Cluster) -> None:
    """Kafka's `.txnindex` goes with the segment holding the abort marker."""
    await cluster.create_topic(TOPIC, 1, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    for value in (b"x", b"y"):  # two aborted transactions: data at 0 and 2, markers at 1 and 3
        producer.begin_transaction()
        await producer.send_and_wait(TOPIC, value)
        await producer.abort_transaction()
    await cluster.settle()
    assert [(a.first_offset, a.last_offset) for a in cluster.stable_offsets(TOPIC, 0)[2]] == [(0, 1), (2, 3)]
    assert await cluster.delete_records(TOPIC, 0, 2) == 2
    assert [(a.first_offset, a.last_offset) for a in cluster.stable_offsets(TOPIC, 0)[2]] == [(2, 3)]
    for broker in cluster.brokers.values():  # every replica trimmed its own index
        for log in broker.logs.values():
            if log.topic == TOPIC:
                assert [a.last_offset for a in log.producer_state.aborted] == [3]


# --- offsets in a transaction live in __consumer_offsets (KIP-98, KIP-447) ------------


async def _offsets(cluster: Cluster, group: str = "app") -> dict[tuple[str, int], int]:
    return {tp: o.offset for tp, o in (await cluster.fetch_offsets(group)).items()}


@pytest.mark.parametrize("commit", [True, False])
@pytest.mark.parametrize("failing", ["group", "transaction"])
async def test_transactional_offsets_survive_a_coordinator_failover(
    cluster: Cluster, clock: ManualClock, commit: bool, failing: str
) -> None:
    """TxnOffsetCommit appends to __consumer_offsets at once; the marker decides them."""
    await cluster.create_topic(TOPIC, 1, 3)
    producer = txn_producer(cluster)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"out")
    await producer.send_offsets_to_transaction({(TOPIC, 0): 5}, "app")
    assert await _offsets(cluster) == {}
    assert cluster.pending_txn_offsets("app") == {(TOPIC, 0)}
    if failing == "group":
        old = await cluster.find_coordinator("app")
    else:
        old = await cluster.find_transaction_coordinator("tx-1")
    await crash_broker(cluster, clock, old)
    assert await _offsets(cluster) == {}  # the new group coordinator replays them as pending
    assert cluster.pending_txn_offsets("app") == {(TOPIC, 0)}
    if commit:
        await producer.commit_transaction()
    else:
        await producer.abort_transaction()
    assert await _offsets(cluster) == ({(TOPIC, 0): 5} if commit else {})
    assert cluster.pending_txn_offsets("app") == set()


async def test_transactional_offsets_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    cluster = await Cluster.open(tmp_path, brokers=3, clock=clock, seed=7)
    await cluster.create_topic(TOPIC, 2, 3)
    ids = {}
    for tid, group, offset in (("tx-c", "committer", 7), ("tx-a", "aborter", 9)):
        pid, epoch = await cluster.init_producer_id(tid)
        await cluster.add_offsets_to_txn(tid, pid, epoch, group)
        await cluster.txn_offset_commit(tid, pid, epoch, group, {(TOPIC, 0): OffsetAndMetadata(offset)})
        ids[tid] = (pid, epoch)
    await cluster.settle()
    await cluster.close()

    cluster = await Cluster.open(tmp_path, clock=clock, seed=7)
    try:
        for group in ("committer", "aborter"):
            assert await _offsets(cluster, group) == {}
            assert cluster.pending_txn_offsets(group) == {(TOPIC, 0)}  # UNSTABLE_OFFSET_COMMIT
        await cluster.end_txn("tx-c", *ids["tx-c"], commit=True)
        await cluster.end_txn("tx-a", *ids["tx-a"], commit=False)
        assert await _offsets(cluster, "committer") == {(TOPIC, 0): 7}
        assert await _offsets(cluster, "aborter") == {}
        assert cluster.pending_txn_offsets("committer") == cluster.pending_txn_offsets("aborter") == set()
    finally:
        await cluster.close()
    cluster = await Cluster.open(tmp_path, clock=clock, seed=7)
    try:  # and the markers replay the same way
        assert await _offsets(cluster, "committer") == {(TOPIC, 0): 7}
        assert await _offsets(cluster, "aborter") == {}
        assert cluster.pending_txn_offsets("committer") == set()
    finally:
        await cluster.close()


async def test_a_commit_appended_after_a_transactions_offsets_wins(cluster: Cluster) -> None:
    """Kafka's `completePendingTxnOffsetCommit` keeps the later record of a partition."""
    await cluster.create_topic(TOPIC, 2, 3)
    pid, epoch = await cluster.init_producer_id("tx-w")
    await cluster.add_offsets_to_txn("tx-w", pid, epoch, "app")
    offsets = {(TOPIC, 0): OffsetAndMetadata(5), (TOPIC, 1): OffsetAndMetadata(5)}
    await cluster.txn_offset_commit("tx-w", pid, epoch, "app", offsets)
    await cluster.commit_offsets("app", {(TOPIC, 0): OffsetAndMetadata(9)})
    await cluster.end_txn("tx-w", pid, epoch, commit=True)
    assert await _offsets(cluster) == {(TOPIC, 0): 9, (TOPIC, 1): 5}


async def test_txn_offset_commit_needs_the_groups_partition_and_a_current_epoch(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 3)
    pid, epoch = await cluster.init_producer_id("tx-g")
    offsets = {(TOPIC, 0): OffsetAndMetadata(1)}
    with pytest.raises(KafkaError) as not_added:
        await cluster.txn_offset_commit("tx-g", pid, epoch, "app", offsets)
    assert not_added.value.code is ErrorCode.INVALID_TXN_STATE
    await cluster.add_offsets_to_txn("tx-g", pid, epoch, "app")
    described = await cluster.describe_transaction("tx-g")
    assert described is not None and [t for t, _ in described.partitions] == ["__consumer_offsets"]
    await cluster.init_producer_id("tx-g")  # fences epoch 0
    with pytest.raises(KafkaError) as fenced:
        await cluster.txn_offset_commit("tx-g", pid, epoch, "app", offsets)
    assert fenced.value.code is ErrorCode.PRODUCER_FENCED


async def test_markers_are_retried_in_the_background_until_a_leader_takes_them(
    cluster: Cluster, clock: ManualClock
) -> None:
    """Kafka's TransactionMarkerChannelManager: a partition without a leader gets its
    marker once it has one again, and the transaction completes without the client."""
    import asyncio

    await cluster.create_topic(TOPIC, 1, 1)  # one replica: no leader while it is down
    down = cluster.leader(TOPIC, 0).broker_id
    tid = ""
    for tid in (f"tx-{i}" for i in range(100)):
        if await cluster.find_transaction_coordinator(tid) != down:
            break
    producer = txn_producer(cluster, tid)
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(TOPIC, b"v")
    log = cluster.leader(TOPIC, 0).logs[(cluster.topic(TOPIC).topic_id, 0)]
    assert log.last_stable_offset == 0  # the open transaction holds it
    coordinator = cluster.brokers[await cluster.find_transaction_coordinator(tid)].txn_coordinator
    await cluster.stop_broker(down)
    ending = asyncio.ensure_future(
        cluster.end_txn(tid, producer.producer_id, producer.producer_epoch, commit=True)
    )
    await cluster.advance_until(ending.done)
    assert isinstance(ending.exception(), KafkaError)  # no marker within the timeout

    def state() -> str:
        described = coordinator.describe(tid)
        return "" if described is None else described.state

    assert state() == "PrepareCommit"
    await cluster.start_broker(down)
    await cluster.advance_until(lambda: state() == "CompleteCommit")
    log = cluster.leader(TOPIC, 0).logs[(cluster.topic(TOPIC).topic_id, 0)]
    assert log.last_stable_offset == log.high_watermark == 2  # the record and its marker
    assert await values(cluster, "read_committed") == [b"v"]


async def test_a_compacted_offsets_partition_keeps_commits_an_aborted_transaction_touched(
    cluster: Cluster, clock: ManualClock
) -> None:
    """The cleaner on __consumer_offsets: an aborted TxnOffsetCommit never shadows the
    committed offset it would have replaced, and a new coordinator still finds it."""
    from kafkatui.engine.coordinator.runtime import partition_for

    await cluster.create_topic(TOPIC, 2, 3)
    await cluster.commit_offsets("app", {(TOPIC, 0): OffsetAndMetadata(5)})
    await cluster.alter_topic_configs("__consumer_offsets", {"segment.bytes": "200"})
    pid, epoch = await cluster.init_producer_id("tx-k")
    for offsets, commit in (({(TOPIC, 0): 9}, False), ({(TOPIC, 1): 11}, True)):
        await cluster.add_offsets_to_txn("tx-k", pid, epoch, "app")
        await cluster.txn_offset_commit(
            "tx-k", pid, epoch, "app", {tp: OffsetAndMetadata(o) for tp, o in offsets.items()}
        )
        await cluster.end_txn("tx-k", pid, epoch, commit=commit)
    count = len(cluster.topic("__consumer_offsets").partitions)
    home = partition_for("app", count)
    neighbours = [g for g in (f"other-{i}" for i in range(1000)) if partition_for(g, count) == home]
    for i, group in enumerate(neighbours[:4]):  # their commits close the segments
        await cluster.commit_offsets(group, {(TOPIC, 0): OffsetAndMetadata(i)})
    await cluster.settle()
    done = await cluster.compact_topic("__consumer_offsets")
    assert [r.aborted_removed for _, _, r in done] == [1, 1, 1]  # on each replica
    await crash_broker(cluster, clock, await cluster.find_coordinator("app"))
    assert await _offsets(cluster) == {(TOPIC, 0): 5, (TOPIC, 1): 11}


async def test_a_fenced_producers_pending_offsets_are_dropped(cluster: Cluster) -> None:
    """InitProducerId aborts the open transaction: its ABORT marker reaches the group's
    partition too, so its offsets are neither committed nor left unstable."""
    await cluster.create_topic(TOPIC, 1, 3)
    pid, epoch = await cluster.init_producer_id("tx-z")
    await cluster.add_offsets_to_txn("tx-z", pid, epoch, "app")
    await cluster.txn_offset_commit("tx-z", pid, epoch, "app", {(TOPIC, 0): OffsetAndMetadata(3)})
    assert cluster.pending_txn_offsets("app") == {(TOPIC, 0)}
    assert await list_groups(cluster) == ["app"]  # the group exists, as Kafka creates it
    await cluster.init_producer_id("tx-z")  # a new producer with the same id
    assert cluster.pending_txn_offsets("app") == set()
    assert await _offsets(cluster) == {}


async def test_an_open_transaction_past_its_timeout_is_aborted_after_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A process killed with a transaction open (issue 17): after the restart nobody
    asks for that transactional id again, yet the coordinator must load its
    `__transaction_state` partition and abort the transaction once transaction.timeout.ms
    has passed, or read_committed consumers stay stuck at its first offset for good."""
    cluster = await Cluster.open(tmp_path, brokers=3, clock=clock, seed=7)
    await cluster.create_topic(TOPIC, 1, 3)
    doomed = txn_producer(cluster, transaction_timeout_ms=10_000)
    await doomed.init_transactions()
    doomed.begin_transaction()
    await doomed.send_and_wait(TOPIC, b"never committed")
    await cluster.settle()
    await cluster.close()  # the producer never comes back

    cluster = await Cluster.open(tmp_path, clock=clock, seed=7)
    try:
        await cluster.settle()
        plain = Producer(cluster, ProducerConfig(linger_ms=0))
        await plain.send_and_wait(TOPIC, b"after the restart")
        log = cluster.leader(TOPIC, 0).logs[(cluster.topic(TOPIC).topic_id, 0)]
        assert log.last_stable_offset == 0  # stuck behind the open transaction, for now
        assert await values(cluster, "read_committed") == []
        took = await cluster.advance_until(
            lambda: log.last_stable_offset == log.high_watermark, limit_ms=60_000
        )
        # transaction.abort.timed.out.transaction.cleanup.interval.ms after the timeout, at most
        assert took <= 10_000 + ABORT_TIMED_OUT_INTERVAL_MS + cluster.quorum.tick_ms
        assert await values(cluster, "read_committed") == [b"after the restart"]
        described = await cluster.describe_transaction("tx-1")
        assert described is not None and described.state == "CompleteAbort"
    finally:
        await cluster.close()
