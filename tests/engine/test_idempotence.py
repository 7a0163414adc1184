"""The idempotent producer (KIP-98): producer ids, the broker's sequence rules, lost acks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import AckLost, DuplicateBatchDropped, Event
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.producer_state import INT32_MAX, ProducerStateManager, last_sequence
from kafkatui.engine.log.records import Record, encode_batch
from kafkatui.engine.server.broker import Broker
from kafkatui.engine.server.config import BrokerDefaults
from tests.conftest import crash_broker, fast_producer
from tests.engine.test_produce_consume import read_all

TOPIC = "payments"


def batch(producer_id: int, epoch: int, sequence: int, count: int = 1, tag: str = "v") -> bytes:
    records = [Record(i, 1_000, None, f"{tag}{sequence + i}".encode()) for i in range(count)]
    return encode_batch(
        records, base_offset=0, producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence
    )


async def leader_of(cluster: Cluster, rf: int = 1) -> Broker:
    await cluster.create_topic(TOPIC, 1, rf)
    return cluster.leader(TOPIC, 0)


# --- the broker's rules ------------------------------------------------------------------


async def test_a_duplicate_batch_is_answered_with_its_first_offsets_and_not_appended(
    cluster: Cluster,
) -> None:
    leader = await leader_of(cluster)
    events: list[Event] = []
    cluster.bus.listen(events.append)
    pid, epoch = await cluster.init_producer_id()
    assert (await leader.produce(TOPIC, 0, batch(pid, epoch, 0, 2), acks=1)).base_offset == 0
    assert (await leader.produce(TOPIC, 0, batch(pid, epoch, 2), acks=1)).base_offset == 2
    again = await leader.produce(TOPIC, 0, batch(pid, epoch, 0, 2), acks=1)
    assert again.base_offset == 0  # success, with the offsets of the first append
    assert cluster.describe_topic(TOPIC).partitions[0].log_end_offset == 3
    assert leader.duplicates_dropped == cluster.duplicates_dropped == 1
    [dropped] = [e for e in events if isinstance(e, DuplicateBatchDropped)]
    assert (dropped.base_sequence, dropped.last_sequence, dropped.base_offset, dropped.last_offset) == (
        0,
        1,
        0,
        1,
    )


async def test_a_gap_in_sequence_numbers_is_out_of_order(cluster: Cluster) -> None:
    leader = await leader_of(cluster)
    pid, _ = await cluster.init_producer_id()
    await leader.produce(TOPIC, 0, batch(pid, 0, 0), acks=1)
    with pytest.raises(KafkaError) as gap:
        await leader.produce(TOPIC, 0, batch(pid, 0, 2), acks=1)
    assert gap.value.code is ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    assert "expected 1" in gap.value.message


async def test_only_the_last_five_batches_count_as_duplicates(cluster: Cluster) -> None:
    leader = await leader_of(cluster)
    pid, _ = await cluster.init_producer_id()
    for seq in range(7):
        await leader.produce(TOPIC, 0, batch(pid, 0, seq), acks=1)
    assert (await leader.produce(TOPIC, 0, batch(pid, 0, 2), acks=1)).base_offset == 2
    with pytest.raises(KafkaError) as old:  # older than the cached five: out of order
        await leader.produce(TOPIC, 0, batch(pid, 0, 1), acks=1)
    assert old.value.code is ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER


async def test_an_unknown_producer_id_must_start_at_sequence_zero(cluster: Cluster) -> None:
    leader = await leader_of(cluster)
    with pytest.raises(KafkaError) as unknown:
        await leader.produce(TOPIC, 0, batch(424242, 0, 5), acks=1)
    assert unknown.value.code is ErrorCode.UNKNOWN_PRODUCER_ID
    with pytest.raises(KafkaError) as no_sequence:  # a producer id needs a sequence (LogValidator)
        await leader.produce(TOPIC, 0, batch(424242, 0, -1), acks=1)
    assert no_sequence.value.code is ErrorCode.INVALID_RECORD
    assert cluster.describe_topic(TOPIC).partitions[0].log_end_offset == 0


async def test_an_older_epoch_is_fenced_and_a_new_epoch_starts_at_zero(cluster: Cluster) -> None:
    leader = await leader_of(cluster)
    pid, _ = await cluster.init_producer_id()
    await leader.produce(TOPIC, 0, batch(pid, 1, 0), acks=1)
    with pytest.raises(KafkaError) as fenced:
        await leader.produce(TOPIC, 0, batch(pid, 0, 1), acks=1)
    assert fenced.value.code is ErrorCode.INVALID_PRODUCER_EPOCH
    with pytest.raises(KafkaError) as new_epoch:
        await leader.produce(TOPIC, 0, batch(pid, 2, 1), acks=1)
    assert new_epoch.value.code is ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    assert (await leader.produce(TOPIC, 0, batch(pid, 2, 0), acks=1)).base_offset == 1


def test_sequence_numbers_wrap_at_int32_max() -> None:
    assert last_sequence(INT32_MAX - 1, 2) == 0
    state = ProducerStateManager()
    state.update(7, 0, INT32_MAX - 1, 0, 2)  # sequences MAX-1, MAX, 0
    assert state.check("t-0", 7, 0, 1, 1) is None
    assert state.check("t-0", 7, 0, INT32_MAX - 1, 0) is not None  # the same batch again
    with pytest.raises(KafkaError):
        state.check("t-0", 7, 0, 2, 2)


async def test_truncation_forgets_the_batches_it_removes(cluster: Cluster) -> None:
    leader = await leader_of(cluster)
    pid, _ = await cluster.init_producer_id()
    for seq in range(3):
        await leader.produce(TOPIC, 0, batch(pid, 0, seq), acks=1)
    log = next(iter(leader.logs.values()))
    await log.truncate_to(1)
    # Sequence 1 is no longer in the log: it is appended again, not answered as a duplicate.
    assert (await leader.produce(TOPIC, 0, batch(pid, 0, 1), acks=1)).base_offset == 1
    assert leader.duplicates_dropped == 0


async def test_a_truncated_follower_keeps_the_producer_state_of_its_new_leader(
    cluster: Cluster, clock: ManualClock
) -> None:
    """The old leader had a batch no one else had; after an unclean election it truncates it
    away and must then agree with the new leader about where each sequence landed."""
    await cluster.create_topic(TOPIC, 1, 2, configs={"unclean.leader.election.enable": "true"})
    leader_id, follower_id = cluster.describe_topic(TOPIC).partitions[0].replicas
    pid, _ = await cluster.init_producer_id()
    other, _ = await cluster.init_producer_id()
    await cluster.brokers[leader_id].produce(TOPIC, 0, batch(pid, 0, 0), acks=-1)
    await crash_broker(cluster, clock, follower_id)
    await cluster.brokers[leader_id].produce(TOPIC, 0, batch(pid, 0, 1), acks=1)  # leader alone
    await crash_broker(cluster, clock, leader_id)
    await cluster.start_broker(follower_id)  # unclean: it never had sequence 1
    new_leader = cluster.brokers[follower_id]
    assert (await new_leader.produce(TOPIC, 0, batch(other, 0, 0), acks=1)).base_offset == 1
    assert (await new_leader.produce(TOPIC, 0, batch(pid, 0, 1), acks=1)).base_offset == 2  # not a duplicate
    await cluster.start_broker(leader_id)  # truncates offset 1, fetches the new leader's batches
    old = cluster.brokers[leader_id]
    await cluster.advance_until(lambda: old.replica(TOPIC, 0).log_end_offset == 3)  # type: ignore[union-attr]

    def landed(broker: Broker) -> list[tuple[int, int]]:
        [log] = broker.logs.values()
        return [(b.first_seq, b.first_offset) for b in log.producer_state.producers[pid].batches]

    assert landed(old) == landed(new_leader) == [(0, 0), (1, 2)]


# --- producer ids --------------------------------------------------------------------------


async def test_producer_ids_are_never_reused_across_restarts(tmp_path: Path, clock: ManualClock) -> None:
    async with await Cluster.open(tmp_path, brokers=2, clock=clock, seed=1) as cluster:
        first = [(await cluster.init_producer_id()) for _ in range(3)]
    async with await Cluster.open(tmp_path, clock=clock, seed=1) as cluster:
        second = [(await cluster.init_producer_id()) for _ in range(3)]
    assert [e for _, e in first + second] == [0] * 6
    ids = [p for p, _ in first + second]
    assert len(set(ids)) == 6 and min(p for p, _ in second) > max(p for p, _ in first)


async def test_producer_state_is_rebuilt_from_the_log_on_restart(tmp_path: Path, clock: ManualClock) -> None:
    async with await Cluster.open(tmp_path, brokers=1, clock=clock, seed=1) as cluster:
        leader = await leader_of(cluster)
        pid, _ = await cluster.init_producer_id()
        for seq in range(3):
            await leader.produce(TOPIC, 0, batch(pid, 0, seq), acks=1)
    async with await Cluster.open(tmp_path, clock=clock, seed=1) as cluster:
        leader = cluster.leader(TOPIC, 0)
        assert (await leader.produce(TOPIC, 0, batch(pid, 0, 2), acks=1)).base_offset == 2
        assert leader.duplicates_dropped == 1
        assert (await leader.produce(TOPIC, 0, batch(pid, 0, 3), acks=1)).base_offset == 3


# --- the producer ----------------------------------------------------------------------------


def test_idempotence_follows_kafkas_defaults_and_refuses_conflicts() -> None:
    assert ProducerConfig().idempotent
    assert not ProducerConfig(acks="1").idempotent  # silently off (KAFKA-13673)
    assert not ProducerConfig(retries=0).idempotent
    assert not ProducerConfig(max_in_flight_requests_per_connection=6).idempotent
    assert not ProducerConfig(enable_idempotence=False).idempotent
    for bad, key in (
        ({"acks": "1"}, "acks"),
        ({"retries": 0}, "retries"),
        ({"max_in_flight_requests_per_connection": 6}, "max.in.flight.requests.per.connection"),
    ):
        with pytest.raises(KafkaError) as error:
            ProducerConfig(enable_idempotence=True, **bad)  # type: ignore[arg-type]
        assert error.value.code is ErrorCode.INVALID_CONFIG and key in error.value.message


async def lost_ack_run(cluster: Cluster, idempotent: bool) -> tuple[list[bytes | None], list[int]]:
    await cluster.create_topic(TOPIC, 1, 3)
    producer = fast_producer(cluster, enable_idempotence=idempotent)
    first = await producer.send(TOPIC, "a")
    await cluster.advance_until(first.done)
    cluster.drop_next_acks(1, TOPIC)
    second = await producer.send(TOPIC, "b")
    await cluster.advance_until(second.done)
    third = await producer.send(TOPIC, "c")
    await cluster.advance_until(third.done)
    await producer.close()
    offsets = [f.result().offset for f in (first, second, third)]
    return [r.value for r in await read_all(cluster, TOPIC)], offsets


async def test_a_lost_ack_duplicates_without_idempotence(cluster: Cluster) -> None:
    values, offsets = await lost_ack_run(cluster, idempotent=False)
    assert values == [b"a", b"b", b"b", b"c"]
    assert offsets == [0, 2, 3]  # the producer was told where the retry landed
    assert cluster.duplicates_dropped == 0


async def test_a_lost_ack_is_deduplicated_with_idempotence(cluster: Cluster) -> None:
    events: list[Event] = []
    cluster.bus.listen(events.append)
    values, offsets = await lost_ack_run(cluster, idempotent=True)
    assert values == [b"a", b"b", b"c"]
    assert offsets == [0, 1, 2]
    assert cluster.duplicates_dropped == 1
    assert sum(isinstance(e, AckLost) for e in events) == 1


async def test_a_new_leader_recognises_a_retry_after_failover(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic(TOPIC, 1, 3, configs={"min.insync.replicas": "2"})
    producer = fast_producer(cluster, retry_backoff_ms=50)
    first = await producer.send(TOPIC, "a")
    await cluster.advance_until(first.done)
    old_leader = cluster.describe_topic(TOPIC).partitions[0].leader
    cluster.drop_next_acks(1, TOPIC)
    second = await producer.send(TOPIC, "b")  # appended and replicated; the ack is lost
    await cluster.settle()
    assert not second.done()
    await crash_broker(cluster, clock, old_leader)
    await cluster.advance_until(second.done)
    assert second.result().offset == 1
    new_leader = cluster.describe_topic(TOPIC).partitions[0].leader
    assert new_leader != old_leader and cluster.brokers[new_leader].duplicates_dropped == 1
    await producer.close()
    assert [r.value for r in await read_all(cluster, TOPIC)] == [b"a", b"b"]


async def test_the_producer_bumps_its_epoch_after_a_failed_batch(cluster: Cluster) -> None:
    await cluster.create_topic(TOPIC, 1, 1)
    producer = fast_producer(cluster, retries=1, retry_backoff_ms=10)
    await producer.send_and_wait(TOPIC, "a")
    cluster.drop_next_acks(2, TOPIC)  # the batch and its one retry: it fails
    failed = await producer.send(TOPIC, "b")
    await cluster.advance_until(failed.done)
    assert isinstance(failed.exception(), KafkaError)
    assert producer.producer_epoch == 1
    meta = await producer.send(TOPIC, "c")
    await cluster.advance_until(meta.done)
    assert meta.result().offset == 2  # the new epoch starts at sequence 0 and is accepted
    await producer.close()


async def test_a_split_batch_hands_its_sequence_numbers_to_the_pieces(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(TOPIC, 1, 1, configs={"max.message.bytes": "300"})
    producer = Producer(cluster, ProducerConfig(linger_ms=10))
    futures = [await producer.send(TOPIC, "x" * 100) for _ in range(4)]  # one batch, too large
    await cluster.advance_until(lambda: all(f.done() for f in futures))
    futures.append(await producer.send(TOPIC, "y"))
    await cluster.advance_until(futures[-1].done)
    assert [f.result().offset for f in futures] == [0, 1, 2, 3, 4]
    await producer.close()


# --- property: random lost acks and retries ---------------------------------------------------

schedules = st.lists(
    st.tuples(st.integers(min_value=0, max_value=1), st.integers(min_value=0, max_value=2)),
    min_size=1,
    max_size=10,
)


async def run_schedule(schedule: list[tuple[int, int]], idempotent: bool) -> tuple[dict, dict]:
    """Send one record per step to a partition, first losing that many acks; return what
    each partition's log holds and what was sent to it."""
    clock = ManualClock()
    cluster = await Cluster.open(None, brokers=1, clock=clock, seed=3)
    try:
        await cluster.create_topic(TOPIC, 2, 1)
        producer = Producer(
            cluster,
            ProducerConfig(linger_ms=0, retry_backoff_ms=10, enable_idempotence=idempotent, acks="all"),
        )
        sent: dict[int, list[bytes]] = {0: [], 1: []}
        futures = []
        for step, (partition, drops) in enumerate(schedule):
            if drops:
                cluster.drop_next_acks(drops, TOPIC)
            value = f"r{step}".encode()
            sent[partition].append(value)
            futures.append(await producer.send(TOPIC, value, partition=partition))
            await cluster.advance_until(futures[-1].done)
        await producer.close()
        assert all(f.exception() is None for f in futures)
        stored: dict[int, list[bytes]] = {0: [], 1: []}
        for record in await read_all(cluster, TOPIC):
            stored[record.partition].append(record.value)
        return stored, sent
    finally:
        await cluster.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules)
def test_lost_acks_with_idempotence_leave_each_record_once_in_order(schedule: list[tuple[int, int]]) -> None:
    stored, sent = asyncio.run(run_schedule(schedule, idempotent=True))
    assert stored == sent


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules.filter(lambda s: any(drops for _, drops in s)))
def test_lost_acks_without_idempotence_duplicate(schedule: list[tuple[int, int]]) -> None:
    stored, sent = asyncio.run(run_schedule(schedule, idempotent=False))
    drops = sum(d for _, d in schedule)
    assert sum(map(len, stored.values())) == sum(map(len, sent.values())) + drops


# --- producer id expiration (KIP-854) -----------------------------------------------------

EXPIRING = BrokerDefaults(producer_id_expiration_ms=60_000, producer_id_expiration_check_interval_ms=10_000)


def stamped(clock: ManualClock, producer_id: int, epoch: int, sequence: int) -> bytes:
    """A one-record batch written now (expiration counts from the batch's max timestamp)."""
    records = [Record(0, clock.now_ms(), None, f"v{sequence}".encode())]
    return encode_batch(
        records, base_offset=0, producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence
    )


async def wait(cluster: Cluster, clock: ManualClock, ms: int) -> None:
    until = clock.now_ms() + ms
    await cluster.advance_until(lambda: clock.now_ms() >= until, limit_ms=ms + 1_000)


async def test_a_silent_producer_is_forgotten_after_producer_id_expiration_ms(clock: ManualClock) -> None:
    async with await Cluster.open(None, brokers=1, clock=clock, seed=1, defaults=EXPIRING) as cluster:
        leader = await leader_of(cluster)
        pid, epoch = await cluster.init_producer_id()
        await leader.produce(TOPIC, 0, stamped(clock, pid, epoch, 0), acks=1)
        await wait(cluster, clock, 45_000)  # silent, but not for long enough
        await leader.produce(TOPIC, 0, stamped(clock, pid, epoch, 1), acks=1)
        await wait(cluster, clock, 75_000)  # now past producer.id.expiration.ms
        with pytest.raises(KafkaError) as refused:
            await leader.produce(TOPIC, 0, stamped(clock, pid, epoch, 2), acks=1)
        assert refused.value.code is ErrorCode.UNKNOWN_PRODUCER_ID
        assert cluster.describe_topic(TOPIC).partitions[0].log_end_offset == 2  # nothing written


async def test_a_producer_with_an_open_transaction_does_not_expire(clock: ManualClock) -> None:
    async with await Cluster.open(None, brokers=1, clock=clock, seed=1, defaults=EXPIRING) as cluster:
        leader = await leader_of(cluster)
        leader.expire_producers()
        log = next(iter(leader.logs.values()))
        log.producer_state.update(5, 0, 0, 0, 0, clock.now_ms() - 120_000)
        log.producer_state.update(6, 0, 0, 1, 1, clock.now_ms() - 120_000)
        log.producer_state.track_transaction(6, 1)
        assert leader.expire_producers() == 1
        assert set(log.producer_state.producers) == {6}


async def test_the_producer_starts_a_new_epoch_when_the_broker_forgot_it(clock: ManualClock) -> None:
    async with await Cluster.open(None, brokers=1, clock=clock, seed=1, defaults=EXPIRING) as cluster:
        await cluster.create_topic(TOPIC, 1, 1)
        producer = fast_producer(cluster)
        await producer.send_and_wait(TOPIC, b"before", partition=0)
        epoch = producer.producer_epoch
        await wait(cluster, clock, 75_000)
        sent = await producer.send(TOPIC, b"after", partition=0)  # UNKNOWN_PRODUCER_ID, then again
        await cluster.advance_until(sent.done, limit_ms=10_000)  # through retry.backoff.ms
        assert sent.result().offset == 1
        assert producer.producer_epoch == epoch + 1 and producer.next_sequences()[(TOPIC, 0)] == 1
        assert [r.value for r in await read_all(cluster, TOPIC)] == [b"before", b"after"]
        await producer.close()


async def test_expiration_counts_from_the_last_batch_after_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with await Cluster.open(tmp_path, brokers=1, clock=clock, seed=1, defaults=EXPIRING) as cluster:
        leader = await leader_of(cluster)
        pid, _ = await cluster.init_producer_id()
        await leader.produce(TOPIC, 0, stamped(clock, pid, 0, 0), acks=1)
    async with await Cluster.open(tmp_path, clock=clock, seed=1, defaults=EXPIRING) as cluster:
        leader = cluster.leader(TOPIC, 0)
        [entry] = next(iter(leader.logs.values())).producer_state.producers.values()
        assert entry.last_timestamp == clock.now_ms()  # read back from the batch
        await wait(cluster, clock, 75_000)
        with pytest.raises(KafkaError, match="no record of producer id"):
            await leader.produce(TOPIC, 0, stamped(clock, pid, 0, 1), acks=1)
