"""Segments, retention and compaction (cleaner.py), against a dict model of the log."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import LogCleaned, LogStartOffsetAdvanced
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.cleaner import segments
from kafkatui.engine.log.records import Record, encode_batch

HOUR = 3_600_000


async def produce(cluster: Cluster, topic: str, records: list[tuple[str, str | None]], ts: int) -> None:
    """One batch per record (so segments can roll between any two), acks=all."""
    broker = cluster.leader(topic, 0)
    for key, value in records:
        batch = encode_batch([Record(0, ts, key.encode(), None if value is None else value.encode())])
        await broker.produce(topic, 0, batch, acks=-1)


def log_of(cluster: Cluster, topic: str, broker_id: int | None = None):  # type: ignore[no-untyped-def]
    info = cluster.topic(topic)
    broker = cluster.brokers[broker_id] if broker_id is not None else cluster.leader(topic, 0)
    return broker.logs[(info.topic_id, 0)]


async def read_all(cluster: Cluster, topic: str, broker_id: int | None = None) -> list[Record]:
    log = log_of(cluster, topic, broker_id)
    out: list[Record] = []
    for batch in await cluster.read_log(topic, 0, log.log_start_offset, 100_000):
        out.extend(batch.records)
    if broker_id is not None:  # a follower's own copy
        from kafkatui.engine.log.records import decode_batch

        out = []
        offset = log.log_start_offset
        while offset < log.log_end_offset:
            stored = await log.read(offset, 1 << 20, log.log_end_offset)
            for s in stored:
                out.extend(decode_batch(s.data).records)
            offset = stored[-1].last_offset + 1
    return out


async def test_segments_roll_by_size_and_by_time(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 1, {"segment.bytes": "300", "segment.ms": str(HOUR)})
    now = clock.now_ms()
    await produce(cluster, "t", [(f"k{i}", "v" * 20) for i in range(6)], now)
    log = log_of(cluster, "t")
    found = await segments(log, cluster.topic("t").config)
    # each batch is 90 bytes (61 of header, a 29-byte record): three fit in 300
    assert [s.base_offset for s in found] == [0, 3]
    assert [s.batches for s in found] == [3, 3]
    await produce(cluster, "t", [("late", "v")], now + HOUR + 1)  # segment.ms passed
    found = await segments(log, cluster.topic("t").config)
    assert [s.base_offset for s in found] == [0, 3, 6]


async def test_retention_by_size_deletes_closed_segments_and_moves_the_log_start(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1, 3, {"segment.bytes": "300", "retention.bytes": "200"})
    seen: list[LogStartOffsetAdvanced] = []
    cluster.bus.listen(lambda e: seen.append(e) if isinstance(e, LogStartOffsetAdvanced) else None)
    await produce(cluster, "t", [(f"k{i}", "v" * 20) for i in range(9)], clock.now_ms())
    await cluster.settle()
    moved = await cluster.enforce_retention("t")
    # 9 batches in segments [0..2] [3..5] [6..8] of 270 bytes; deleting the oldest while the
    # rest is still at least retention.bytes=200 leaves the active one
    assert sorted(moved) == [(1, 0, 6), (2, 0, 6), (3, 0, 6)]  # every replica on its own
    assert {e.broker_id for e in seen} == {1, 2, 3}
    p = cluster.describe_topic("t").partitions[0]
    assert p.log_start_offset == 6 and p.log_end_offset == 9
    assert [r.offset for r in await read_all(cluster, "t")] == [6, 7, 8]
    # The active segment is never deleted, however small retention.bytes is.
    await cluster.alter_topic_configs("t", {"retention.bytes": "0"})
    assert await cluster.enforce_retention("t") == []


async def test_retention_by_time_and_a_consumer_below_the_log_start(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1, 1, {"segment.bytes": "300", "retention.ms": str(HOUR)})
    start = clock.now_ms()
    await produce(cluster, "t", [(f"old{i}", "v" * 20) for i in range(3)], start)
    await produce(cluster, "t", [(f"new{i}", "v" * 20) for i in range(3)], start + HOUR)
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign([("t", 0)])
    consumer.seek(("t", 0), 1)
    await clock.advance(HOUR + 1_000)  # the old segment (timestamps at start) is now too old
    assert [(p, start) for _, p, start in await cluster.enforce_retention("t")] == [(0, 3)]
    # Its position (1) is below the log start: auto.offset.reset=earliest moves it to 3.
    records = await consumer.poll(0)
    assert [r.offset for r in records][:1] == [3]
    strict = Consumer(cluster, ConsumerConfig(auto_offset_reset="none"))
    strict.assign([("t", 0)])
    strict.seek(("t", 0), 0)
    with pytest.raises(KafkaError) as info:
        await strict.poll(0)
    assert info.value.code in (ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.INVALID_CONFIG)


async def test_compaction_keeps_the_latest_record_per_key_and_its_offset(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic(
        "c", 1, 3, {"cleanup.policy": "compact", "segment.bytes": "250", "delete.retention.ms": "1000"}
    )
    cleaned: list[LogCleaned] = []
    cluster.bus.listen(lambda e: cleaned.append(e) if isinstance(e, LogCleaned) else None)
    updates = [
        ("a", "1"),
        ("b", "1"),
        ("a", "2"),
        ("c", "1"),
        ("b", "2"),
        ("a", "3"),
        ("c", None),
        ("d", "1"),
    ]
    await produce(cluster, "c", updates, clock.now_ms())
    await cluster.settle()
    done = await cluster.compact_topic("c")
    assert len(done) == 3 and {b for b, _, _ in done} == {1, 2, 3}  # each replica cleans itself
    assert len(cleaned) == 3
    records = await read_all(cluster, "c")
    by_offset = {r.offset: (r.key.decode(), r.value) for r in records}  # type: ignore[union-attr]
    # Cleaned part: offsets below the active segment. a@5 and b@4 are the latest; c's
    # tombstone (6) stays for delete.retention.ms; the active segment is untouched.
    assert 0 not in by_offset and 1 not in by_offset and 2 not in by_offset
    assert by_offset[4] == ("b", b"2") and by_offset[5] == ("a", b"3")
    assert by_offset[6] == ("c", None)
    offsets = sorted(by_offset)
    assert offsets == sorted(set(offsets)) and offsets[-1] == 7  # increasing, gaps kept, LEO kept
    assert cluster.describe_topic("c").partitions[0].log_end_offset == 8
    # The replicas agree.
    for broker_id in (1, 2, 3):
        assert [(r.offset, r.key, r.value) for r in await read_all(cluster, "c", broker_id)] == [
            (r.offset, r.key, r.value) for r in records
        ]
    # Once the tombstone's segment is closed the cleaner sees it and starts its clock
    # (KIP-534: the delete horizon goes in the batch); after delete.retention.ms it goes.
    await produce(cluster, "c", [("e", "1")] * 3, clock.now_ms())
    await cluster.compact_topic("c")
    assert (b"c", None) in [(r.key, r.value) for r in await read_all(cluster, "c")]
    await clock.advance(2_000)
    await cluster.compact_topic("c")
    assert b"c" not in [r.key for r in await read_all(cluster, "c")]


async def test_compacting_a_topic_that_is_not_compacted_is_refused(cluster: Cluster) -> None:
    await cluster.create_topic("d", 1, 1)
    with pytest.raises(KafkaError) as info:
        await cluster.compact_topic("d")
    assert info.value.code is ErrorCode.INVALID_CONFIG and "cleanup.policy" in info.value.message


async def test_the_cleaner_runs_by_itself_past_the_dirty_ratio(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("c", 1, 1, {"cleanup.policy": "compact", "segment.bytes": "250"})
    await produce(cluster, "c", [("k", str(i)) for i in range(9)], clock.now_ms())
    cleaned: list[LogCleaned] = []
    cluster.bus.listen(lambda e: cleaned.append(e) if isinstance(e, LogCleaned) else None)
    await cluster.advance_until(lambda: bool(cleaned), limit_ms=20_000)  # log.cleaner.backoff.ms 15 s
    assert cleaned[0].records_before == 6 and cleaned[0].records_after == 1  # k@5 stays


async def test_segments_and_compaction_survive_a_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    async with await Cluster.open(tmp_path, brokers=1, clock=clock, seed=7) as cluster:
        await cluster.create_topic("c", 1, 1, {"cleanup.policy": "compact", "segment.bytes": "250"})
        await produce(cluster, "c", [("k", str(i)) for i in range(9)], clock.now_ms())
        await cluster.compact_topic("c")
        before = [(r.offset, r.value) for r in await read_all(cluster, "c")]
        bases = [s.base_offset for s in await segments(log_of(cluster, "c"), cluster.topic("c").config)]
    async with await Cluster.open(tmp_path, brokers=1, clock=clock, seed=7) as cluster:
        assert [(r.offset, r.value) for r in await read_all(cluster, "c")] == before
        again = [s.base_offset for s in await segments(log_of(cluster, "c"), cluster.topic("c").config)]
        assert again == bases  # cleaning shrank the segments; their boundaries stayed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.one_of(st.none(), st.text("xyz", min_size=1, max_size=3))),
        min_size=1,
        max_size=40,
    ),
    st.integers(min_value=100, max_value=600),
)
async def test_compaction_matches_a_dict_model(
    updates: list[tuple[str, str | None]], segment_bytes: int
) -> None:
    clock = ManualClock()
    async with await Cluster.open(None, brokers=1, clock=clock, seed=7) as cluster:
        await cluster.create_topic(
            "c",
            1,
            1,
            {"cleanup.policy": "compact", "segment.bytes": str(segment_bytes), "delete.retention.ms": "0"},
        )
        await produce(cluster, "c", updates, clock.now_ms())
        log = log_of(cluster, "c")
        active = (await segments(log, cluster.topic("c").config))[-1].base_offset
        await cluster.compact_topic("c")
        await clock.advance(1)
        await cluster.compact_topic("c")  # tombstones past their horizon go now
        records = await read_all(cluster, "c")
        offsets = [r.offset for r in records]
        assert offsets == sorted(set(offsets))
        assert log.log_end_offset == len(updates)
        # The active segment is untouched.
        assert [(r.offset, r.key, r.value) for r in records if r.offset >= active] == [
            (o, k.encode(), None if v is None else v.encode())
            for o, (k, v) in enumerate(updates)
            if o >= active
        ]
        # The cleaned part holds exactly the latest record of each key written there
        # (the cleaner's offset map covers the closed segments only), and no tombstone.
        latest: dict[str, int] = {}
        for o, (k, _) in enumerate(updates[:active]):
            latest[k] = o
        expected = sorted(o for o in latest.values() if updates[o][1] is not None)
        kept_below = [r.offset for r in records if r.offset < active]
        assert kept_below == expected


async def test_min_compaction_lag_and_compact_plus_delete(cluster: Cluster, clock: ManualClock) -> None:
    configs = {
        "cleanup.policy": "compact,delete",
        "segment.bytes": "250",
        "min.compaction.lag.ms": str(HOUR),
        "retention.ms": str(2 * HOUR),
    }
    await cluster.create_topic("c", 1, 1, configs)
    start = clock.now_ms()
    await produce(cluster, "c", [("k", str(i)) for i in range(9)], start)
    # Younger than min.compaction.lag.ms: nothing may be cleaned yet.
    assert await cluster.compact_topic("c") == []
    await clock.advance(HOUR + 1)
    done = await cluster.compact_topic("c")
    assert [r.records_after for _, _, r in done] == [1]
    # And delete applies too: past retention.ms the closed segments go.
    await clock.advance(HOUR + 1)
    moved = await cluster.enforce_retention("c")
    assert moved and moved[0][2] > 0


async def test_a_compacted_topic_refuses_records_without_a_key(cluster: Cluster) -> None:
    await cluster.create_topic("c", 1, 1, {"cleanup.policy": "compact"})
    batch = encode_batch([Record(0, 0, None, b"no key")])
    with pytest.raises(KafkaError) as info:
        await cluster.leader("c", 0).produce("c", 0, batch, acks=1)
    assert info.value.code is ErrorCode.INVALID_RECORD and "without key" in info.value.message


async def test_compaction_drops_aborted_transactions_and_then_their_markers(
    cluster: Cluster, clock: ManualClock
) -> None:
    """Kafka's LogCleaner with CleanedTransactionMetadata: aborted records go (and never
    shadow a committed key), a marker goes after delete.retention.ms once nothing of its
    transaction is left, and the cleaner stops at the last stable offset."""
    from kafkatui.common.clients import ProducerConfig
    from kafkatui.engine.clients.producer import Producer

    await cluster.create_topic(
        "c", 1, 3, {"cleanup.policy": "compact", "segment.bytes": "250", "delete.retention.ms": "1000"}
    )
    producer = Producer(cluster, ProducerConfig(linger_ms=0, transactional_id="tx-c"))
    await producer.init_transactions()

    async def transaction(records: list[tuple[bytes, bytes]], commit: bool) -> None:
        producer.begin_transaction()
        for key, value in records:
            await producer.send_and_wait("c", value, key=key, partition=0)
        await (producer.commit_transaction() if commit else producer.abort_transaction())

    await transaction([(b"a", b"1"), (b"b", b"1")], commit=True)  # 0, 1, marker 2
    await transaction([(b"a", b"X"), (b"c", b"X")], commit=False)  # 3, 4, marker 5
    await transaction([(b"b", b"2")], commit=True)  # 6, marker 7
    producer.begin_transaction()  # open from offset 8: the cleaner must stop there
    await producer.send_and_wait("c", b"open", key=b"a", partition=0)
    await produce(cluster, "c", [("z", "pad")] * 6, clock.now_ms())
    await cluster.settle()
    log = log_of(cluster, "c")
    assert log.last_stable_offset == 8

    async def batches() -> dict[int, tuple[bool, list[tuple[bytes | None, bytes | None]]]]:
        found = {}
        for batch in await cluster.read_log("c", 0, log.log_start_offset, 100_000):
            found[batch.header.base_offset] = (
                batch.header.is_control, [(r.key, r.value) for r in batch.records],
            )  # fmt: skip
        return found

    done = await cluster.compact_topic("c")
    assert all(r.end_offset <= 8 for _, _, r in done)  # not past the LSO
    after = await batches()
    assert 3 not in after and 4 not in after  # the aborted records
    assert after[0] == (False, [(b"a", b"1")])  # a's aborted update did not shadow it
    assert 1 not in after and after[6] == (False, [(b"b", b"2")])
    assert after[2][0] and after[5][0] and after[7][0]  # markers: 5 waits for its horizon
    assert 8 in after  # the open transaction is untouched
    assert log.producer_state.aborted == []  # nothing of the aborted transaction is left
    assert all(r.aborted_removed == 2 for _, _, r in done)
    await clock.advance(2_000)
    await cluster.compact_topic("c")
    after = await batches()
    assert 5 not in after  # past delete.retention.ms: the empty abort marker goes
    assert after[2][0] and after[7][0]  # their transactions still have records
    await producer.commit_transaction()  # a@0 is now superseded by a@8
    await produce(cluster, "c", [("z", "pad")] * 6, clock.now_ms())
    await cluster.settle()
    await cluster.compact_topic("c")
    assert 0 not in await batches() and (await batches())[2][0]  # the commit marker's clock starts
    await clock.advance(2_000)
    await cluster.compact_topic("c")
    after = await batches()
    assert 2 not in after and after[7][0]  # nothing is left of transaction 1; 3 keeps b@6
    config = ConsumerConfig(auto_offset_reset="earliest", isolation_level="read_committed")
    consumer = Consumer(cluster, config)
    consumer.assign_topic("c")
    seen: dict[bytes | None, bytes | None] = {}
    while polled := await consumer.poll(0):
        seen.update((r.key, r.value) for r in polled)
    await consumer.close()
    assert seen == {b"a": b"open", b"b": b"2", b"z": b"pad"}


async def test_a_cleaned_transactional_log_reopens_the_same(tmp_path: Path) -> None:
    """After the cleaner removed aborted records and markers, a restarted replica rebuilds
    the same open/aborted transactions and reads the same committed records."""
    from kafkatui.common.clients import ProducerConfig
    from kafkatui.engine.clients.producer import Producer

    clock = ManualClock()
    cluster = await Cluster.open(tmp_path, brokers=1, clock=clock, seed=7)
    config = {"cleanup.policy": "compact", "segment.bytes": "250", "delete.retention.ms": "0"}
    await cluster.create_topic("c", 1, 1, config)
    producer = Producer(cluster, ProducerConfig(linger_ms=0, transactional_id="tx-r"))
    await producer.init_transactions()
    for value, commit in ((b"1", True), (b"2", False), (b"3", False), (b"4", True)):
        producer.begin_transaction()
        await producer.send_and_wait("c", value, key=b"k" + value, partition=0)
        await (producer.commit_transaction() if commit else producer.abort_transaction())
    await produce(cluster, "c", [("z", "pad")] * 6, clock.now_ms())
    await cluster.compact_topic("c")
    results = await cluster.compact_topic("c")  # delete.retention.ms=0: the empty abort markers go
    assert [r.markers_removed for _, _, r in results] == [2]
    log = log_of(cluster, "c")
    before = (log.last_stable_offset, list(log.producer_state.aborted), dict(log.producer_state.ongoing))
    kept = [(r.offset, r.key, r.value) for r in await read_all(cluster, "c")]
    assert b"2" not in [v for _, _, v in kept] and b"3" not in [v for _, _, v in kept]
    await cluster.close()

    cluster = await Cluster.open(tmp_path, clock=clock, seed=7)
    try:
        log = log_of(cluster, "c")
        after = (log.last_stable_offset, list(log.producer_state.aborted), dict(log.producer_state.ongoing))
        assert after == before and log.last_stable_offset == log.high_watermark
        assert [(r.offset, r.key, r.value) for r in await read_all(cluster, "c")] == kept
        producer = Producer(cluster, ProducerConfig(linger_ms=0, transactional_id="tx-r"))
        await producer.init_transactions()
        producer.begin_transaction()
        await producer.send_and_wait("c", b"5", key=b"k5", partition=0)
        await producer.commit_transaction()
    finally:
        await cluster.close()
