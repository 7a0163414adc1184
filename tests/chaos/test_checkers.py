"""The checkers against histories written by hand: each promise is reported when a
history breaks it and only then, so the chaos harness cannot pass by checking nothing."""

from __future__ import annotations

from kafkatui.chaos.checkers import Promise, check
from kafkatui.chaos.history import (
    Delivery,
    History,
    OffsetCommit,
    OffsetObservation,
    Outcome,
    PartitionState,
    ProducerKind,
    ReadBack,
    StoredRecord,
    Transaction,
)

ALL, IDEM, ONE = ProducerKind.ACKS_ALL, ProducerKind.IDEMPOTENT, ProducerKind.ACKS_1


def healthy_partition(partition: int, end: int) -> PartitionState:
    return PartitionState(
        partition, 1, (1, 2, 3), (1, 2, 3), {b: (end, end) for b in (1, 2, 3)}, end, {1: "x", 2: "x", 3: "x"}
    )


def clean() -> History:
    """Two producers, a committed and an aborted transaction, a group's commits: all kept."""
    h = History()
    h.deliveries = [
        Delivery("all", ALL, 0, 0, "a0", acked=True, offset=0),
        Delivery("idem", IDEM, 0, 0, "i0", acked=True, offset=1),
        Delivery("all", ALL, 1, 0, "a1", acked=True, offset=2),
        Delivery("idem", IDEM, 1, 1, "i1", failed="REQUEST_TIMED_OUT"),  # failed: may or may not be there
        Delivery("one", ONE, 0, 1, "o0", acked=True, offset=0),  # acks=1: lost below, as Kafka allows
    ]
    h.transactions = [
        Transaction("txn", [(1, "t0"), (1, "t1")], Outcome.COMMITTED),
        Transaction("txn", [(1, "t2")], Outcome.ABORTED),
    ]
    h.commits = [OffsetCommit(2, "g", 0, 1), OffsetCommit(4, "g", 0, 3)]
    h.observations = [
        OffsetObservation(1, "g", 0, -1),
        OffsetObservation(3, "g", 0, 1),
        OffsetObservation(5, "g", 0, 3),
    ]
    records = [
        StoredRecord(0, 0, "a0"),
        StoredRecord(0, 1, "i0"),
        StoredRecord(0, 2, "a1"),
        StoredRecord(0, 3, "a1"),  # a plain acks=all producer's retry: a second copy, allowed
        StoredRecord(1, 0, "t0"),
        StoredRecord(1, 1, "t1"),
        StoredRecord(1, 3, "t2"),
    ]
    committed = [r for r in records if r.value != "t2"]
    h.readback = ReadBack(records, committed, [healthy_partition(0, 4), healthy_partition(1, 5)])
    return h


def broken(history: History) -> set[Promise]:
    return {v.promise for v in check(history)}


def test_a_clean_history_keeps_every_promise() -> None:
    assert check(clean()) == []


def test_an_acknowledged_record_missing_from_the_log_is_lost() -> None:
    h = clean()
    assert h.readback is not None
    h.readback.records = [r for r in h.readback.records if r.value != "a0"]
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.ACKED_DURABLE]
    assert "a0 (all) acked at 0/0, the log has nothing there" in violations[0].detail


def test_an_acknowledged_record_moved_to_another_offset_is_lost() -> None:
    """Truncated and overwritten: the offset the producer was told now holds another record."""
    h = clean()
    assert h.readback is not None
    h.readback.records = [
        StoredRecord(r.partition, r.offset, "x" if r.value == "i0" else r.value) for r in h.readback.records
    ]
    h.readback.records.append(StoredRecord(0, 9, "i0"))
    assert broken(h) == {Promise.ACKED_DURABLE}


def test_acks_1_losses_are_allowed() -> None:
    h = clean()
    assert h.readback is not None
    assert not any(r.value == "o0" for r in h.readback.records)  # lost already in clean()
    assert check(h) == []


def test_an_idempotent_record_twice_in_the_log_is_a_duplicate() -> None:
    h = clean()
    assert h.readback is not None
    h.readback.records.append(StoredRecord(0, 4, "i0"))
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.NO_DUPLICATES]
    assert "i0 is in the log 2 times" in violations[0].detail


def test_a_failed_idempotent_record_must_not_be_there_twice_either() -> None:
    h = clean()
    assert h.readback is not None
    h.readback.records += [StoredRecord(1, 6, "i1"), StoredRecord(1, 7, "i1")]
    assert broken(h) == {Promise.NO_DUPLICATES}


def test_acknowledged_offsets_out_of_send_order() -> None:
    h = clean()
    h.deliveries[0].offset, h.deliveries[2].offset = 2, 0
    assert h.readback is not None
    h.readback.records[0], h.readback.records[2] = StoredRecord(0, 0, "a1"), StoredRecord(0, 2, "a0")
    assert broken(h) == {Promise.ORDER}


def test_an_aborted_transaction_visible_to_read_committed() -> None:
    h = clean()
    assert h.readback is not None
    h.readback.committed.append(StoredRecord(1, 3, "t2"))
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.READ_COMMITTED]
    assert "aborted transaction of txn visible: t2" in violations[0].detail


def test_an_abandoned_transaction_polled_by_a_member() -> None:
    h = clean()
    h.transactions.append(Transaction("txn", [(0, "t3")], Outcome.ABANDONED))
    h.seen_committed.append("t3")
    assert broken(h) == {Promise.READ_COMMITTED}


def test_a_committed_transaction_must_be_whole() -> None:
    h = clean()
    assert h.readback is not None
    h.readback.committed = [r for r in h.readback.committed if r.value != "t1"]
    assert broken(h) == {Promise.READ_COMMITTED}


def test_a_transaction_of_unknown_outcome_is_all_or_nothing() -> None:
    h = clean()
    h.transactions.append(Transaction("txn", [(0, "u0"), (1, "u1")], Outcome.UNKNOWN))
    assert check(h) == []  # none of it visible: fine
    assert h.readback is not None
    h.readback.committed.append(StoredRecord(0, 7, "u0"))
    assert broken(h) == {Promise.READ_COMMITTED}  # half of it
    h.readback.committed.append(StoredRecord(1, 8, "u1"))
    assert check(h) == []  # all of it: fine


def test_a_commit_acknowledged_below_an_earlier_one() -> None:
    h = clean()
    h.commits.append(OffsetCommit(6, "g", 0, 2))
    assert broken(h) == {Promise.OFFSETS_MONOTONIC}


def test_offset_fetch_below_an_acknowledged_commit() -> None:
    """The commit of 3 was acknowledged (seq 4) before the fetch was asked (seq 6)."""
    h = clean()
    h.observations.append(OffsetObservation(6, "g", 0, -1))
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.OFFSETS_MONOTONIC]
    assert "OffsetFetch answered none after 3" in violations[0].detail


def test_a_fetch_asked_before_a_commit_was_acknowledged_may_miss_it() -> None:
    h = clean()
    h.commits.append(OffsetCommit(8, "g", 0, 5))
    h.observations.append(OffsetObservation(7, "g", 0, 3))  # asked before seq 8
    assert check(h) == []


def test_replicas_that_differ_or_an_lso_behind_do_not_converge() -> None:
    h = clean()
    assert h.readback is not None
    p = h.readback.partitions[0]
    h.readback.partitions[0] = PartitionState(
        p.partition, p.leader, p.replicas, (1, 2), p.ends, p.last_stable_offset, {1: "x", 2: "y", 3: "x"}
    )
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.CONVERGED]
    assert (
        "ISR [1, 2] of replicas [1, 2, 3]" in violations[0].detail
        and "replicas differ" in violations[0].detail
    )
    h = clean()
    assert h.readback is not None
    p = h.readback.partitions[1]
    h.readback.partitions[1] = PartitionState(p.partition, p.leader, p.replicas, p.isr, p.ends, 2, p.digests)
    assert broken(h) == {Promise.CONVERGED}


def test_a_cluster_that_does_not_start_loses_what_it_acknowledged() -> None:
    h = clean()
    h.readback = None
    h.unavailable.append("the cluster did not start: KAFKA_STORAGE_ERROR: broker-2.db is damaged")
    assert broken(h) == {Promise.ACKED_DURABLE, Promise.AVAILABLE}


def test_an_error_that_is_not_a_kafka_error() -> None:
    error = "member-0#0: DatabaseError: database disk image is malformed"
    h = clean()
    h.errors.append(error)
    violations = check(h)
    assert [v.promise for v in violations] == [Promise.ENGINE]
    assert error in violations[0].detail
