"""Kafka's promises, checked against a run's history once the cluster is healed.

- **acked-durable**: a record acknowledged with acks=all (the leader answers only once
  `min.insync.replicas` replicas have it, NOT_ENOUGH_REPLICAS otherwise) is in the log,
  at the offset it was acknowledged with, after any crash, restart or failover.
- **order**: a producer's acknowledged records of one partition have increasing
  offsets in the order it sent them (idempotence guarantees it with up to 5 requests
  in flight; the engine's producer keeps one, so the plain acks=all one is held to it
  too, as Kafka's is with max.in.flight.requests.per.connection=1).
- **no-duplicates**: an idempotent or transactional producer's record (KIP-98) is in
  the log at most once, retries and lost acknowledgements notwithstanding.
- **read-committed**: a read_committed consumer never sees a record of an aborted (or
  abandoned, hence timed-out) transaction, sees every record of a committed one exactly
  once, and of a transaction whose end is unknown either all records or none.
- **offsets-monotonic**: committed offsets never go backwards: a group's acknowledged
  commits of a partition do not decrease, and OffsetFetch never answers less than a
  commit acknowledged before it was asked, nor less than it answered before.
- **converged**: healed (every broker up, every link whole), each partition has a
  leader, a full ISR, replicas with identical logs whose high watermark is their end,
  and no open transaction holds the last stable offset back.
- **available**: the cluster starts after every restart (a damaged broker database
  takes that broker's log dir offline, not the cluster: KIP-112) and, healed, serves
  every read.
- **engine**: no client meets an error that is not a Kafka error (a bug, or a
  database the engine could not read), and the engine's timers raise none.

Each checker reads only the `History`, so it can be shown a violation made by hand.
"""

from __future__ import annotations

import enum
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kafkatui.chaos.history import DURABLE_KINDS, Delivery, History, Outcome, ProducerKind

EXAMPLES = 3  # violations quote this many cases, then count the rest


class Promise(enum.StrEnum):
    ACKED_DURABLE = "acked-durable"
    ORDER = "order"
    NO_DUPLICATES = "no-duplicates"
    READ_COMMITTED = "read-committed"
    OFFSETS_MONOTONIC = "offsets-monotonic"
    CONVERGED = "converged"
    AVAILABLE = "available"
    ENGINE = "engine"


@dataclass(frozen=True)
class Violation:
    promise: Promise
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"promise": self.promise.value, "detail": self.detail}


def _summary(what: str, cases: list[str]) -> str:
    more = f" (and {len(cases) - EXAMPLES} more)" if len(cases) > EXAMPLES else ""
    return f"{what}: " + "; ".join(cases[:EXAMPLES]) + more


def _durable_acked(history: History) -> list[Delivery]:
    return [d for d in history.deliveries if d.acked and d.kind in DURABLE_KINDS]


def acked_durable(history: History) -> list[Violation]:
    acked = _durable_acked(history)
    if history.readback is None:
        if not acked:
            return []
        return [
            Violation(
                Promise.ACKED_DURABLE,
                f"{len(acked)} records acknowledged with acks=all cannot be read: the cluster "
                "could not be read after healing (see available)",
            )
        ]
    stored = {(r.partition, r.offset): r.value for r in history.readback.records}
    lost = [d for d in acked if stored.get((d.partition, d.offset)) != d.value]
    if not lost:
        return []
    cases = [
        f"{d.value} ({d.producer}) acked at {d.partition}/{d.offset}, the log has "
        f"{stored.get((d.partition, d.offset)) or 'nothing'} there"
        for d in lost
    ]
    return [
        Violation(Promise.ACKED_DURABLE, _summary(f"{len(lost)} of {len(acked)} acked records lost", cases))
    ]


def order(history: History) -> list[Violation]:
    by_stream: dict[tuple[str, int], list[Delivery]] = defaultdict(list)
    for d in _durable_acked(history):
        by_stream[(d.producer, d.partition)].append(d)
    cases = []
    for (producer, partition), stream in sorted(by_stream.items()):
        stream.sort(key=lambda d: d.index)
        for before, after in itertools.pairwise(stream):
            if after.offset <= before.offset:
                cases.append(
                    f"{producer} sent {before.value} before {after.value} to partition {partition}, "
                    f"acked at offsets {before.offset} and {after.offset}"
                )
    return [Violation(Promise.ORDER, _summary("acknowledged out of order", cases))] if cases else []


def no_duplicates(history: History) -> list[Violation]:
    if history.readback is None:
        return []
    copies = Counter(r.value for r in history.readback.records)
    once = {d.value for d in history.deliveries if d.kind is ProducerKind.IDEMPOTENT}
    once |= {value for t in history.transactions for _, value in t.records}
    cases = [f"{value} is in the log {copies[value]} times" for value in sorted(once) if copies[value] > 1]
    if not cases:
        return []
    return [Violation(Promise.NO_DUPLICATES, _summary("an exactly-once producer's record duplicated", cases))]


def read_committed(history: History) -> list[Violation]:
    violations = []
    never = {
        v
        for t in history.transactions
        if t.outcome in (Outcome.ABORTED, Outcome.ABANDONED)
        for _, v in t.records
    }
    live = sorted({v for v in history.seen_committed if v in never})
    if live:
        cases = [f"a group member polled {v}" for v in live]
        violations.append(
            Violation(Promise.READ_COMMITTED, _summary("aborted records shown to read_committed", cases))
        )
    if history.readback is None:
        return violations
    visible = Counter(r.value for r in history.readback.committed)
    cases = []
    for t in history.transactions:
        values = [v for _, v in t.records]
        shown = [v for v in values if visible[v]]
        if t.outcome in (Outcome.ABORTED, Outcome.ABANDONED) and shown:
            cases.append(f"{t.outcome.value} transaction of {t.producer} visible: {', '.join(shown)}")
        elif t.outcome is Outcome.COMMITTED and (missing := [v for v in values if visible[v] != 1]):
            cases.append(f"committed transaction of {t.producer} shows {', '.join(missing)} not exactly once")
        elif t.outcome is Outcome.UNKNOWN and 0 < len(shown) < len(values):
            cases.append(f"half a transaction of {t.producer} visible: {len(shown)} of {len(values)} records")
    if cases:
        violations.append(
            Violation(Promise.READ_COMMITTED, _summary("transactions not all or nothing", cases))
        )
    return violations


def offsets_monotonic(history: History) -> list[Violation]:
    events: dict[tuple[str, int], list[tuple[int, str, int]]] = defaultdict(list)
    for c in history.commits:
        events[(c.group, c.partition)].append((c.seq, "commit", c.offset))
    for o in history.observations:
        events[(o.group, o.partition)].append((o.seq, "fetch", o.offset))
    cases = []
    for (group, partition), stream in sorted(events.items()):
        committed = answered = -1
        for _, kind, offset in sorted(stream):
            if kind == "commit":
                if offset < committed:
                    cases.append(f"{group} {partition}: commit of {offset} acked after one of {committed}")
                committed = max(committed, offset)
            else:
                floor = max(committed, answered)
                if offset < floor:
                    shown = "none" if offset < 0 else offset
                    cases.append(f"{group} {partition}: OffsetFetch answered {shown} after {floor}")
                answered = max(answered, offset)
    if not cases:
        return []
    return [Violation(Promise.OFFSETS_MONOTONIC, _summary("committed offsets went backwards", cases))]


def converged(history: History) -> list[Violation]:
    if history.not_healed is not None:
        return [Violation(Promise.CONVERGED, history.not_healed)]
    if history.readback is None:
        return []
    cases = []
    for p in history.readback.partitions:
        where = f"partition {p.partition}"
        if p.leader == -1:
            cases.append(f"{where} has no leader")
        if set(p.isr) != set(p.replicas):
            cases.append(f"{where} ISR {list(p.isr)} of replicas {list(p.replicas)}")
        if (
            len(set(p.digests.values())) > 1
            or len({*p.ends.values()}) > 1
            or any(leo != hw for leo, hw in p.ends.values())
        ):
            ends = ", ".join(f"{b}: {leo}/{hw}" for b, (leo, hw) in sorted(p.ends.items()))
            cases.append(f"{where} replicas differ (end/HW {ends})")
        if p.leader in p.ends and p.last_stable_offset < p.ends[p.leader][1]:
            cases.append(f"{where} last stable offset {p.last_stable_offset} below HW {p.ends[p.leader][1]}")
    return [Violation(Promise.CONVERGED, _summary("not healed", cases))] if cases else []


def available(history: History) -> list[Violation]:
    return [Violation(Promise.AVAILABLE, what) for what in history.unavailable]


def engine(history: History) -> list[Violation]:
    if not history.errors:
        return []
    what = "an unexpected error" if len(history.errors) == 1 else f"{len(history.errors)} unexpected errors"
    return [Violation(Promise.ENGINE, _summary(what, history.errors))]


CHECKERS: tuple[Callable[[History], list[Violation]], ...] = (
    acked_durable,
    order,
    no_duplicates,
    read_committed,
    offsets_monotonic,
    converged,
    available,
    engine,
)


def check(
    history: History, checkers: Iterable[Callable[[History], list[Violation]]] = CHECKERS
) -> list[Violation]:
    """Every promise the history breaks (empty: the run kept them all)."""
    return [v for checker in checkers for v in checker(history)]
