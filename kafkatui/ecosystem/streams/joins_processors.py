"""The processors of the DSL's joins, as Kafka's: KStreamJoinWindow and
KStreamKStreamJoin (windowed stream–stream joins with Kafka 3.x's left/outer rules),
KStreamKTableJoin (a stream record looks the table up; table updates emit nothing; a
GlobalKTable through a KeyValueMapper), and the KTable–KTable joins (an update on
either side looks up the other; a delete becomes a delete of the result)."""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.streams.joins_stores import LeftOrRightValue, TimestampedKeyAndJoinSide
from kafkatui.ecosystem.streams.processor import Processor
from kafkatui.ecosystem.streams.records import Record

log = logging.getLogger(__name__)

ValueJoiner = Callable[..., Any]  # (value, other) or, with the key, (key, value, other)
Getter = Callable[[Any], Callable[[Any], Any]]  # context -> (key -> value or None)


def with_key(joiner: ValueJoiner) -> Callable[[Any, Any, Any], Any]:
    """A ValueJoiner (v1, v2) or a ValueJoinerWithKey (k, v1, v2), called as the latter."""
    try:
        params = [
            p
            for p in inspect.signature(joiner).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        params = []
    if len(params) >= 3:
        return joiner
    return lambda key, v1, v2: joiner(v1, v2)


class TimeTracker:
    """Kafka's KStreamImplJoin.TimeTracker: the stream time both sides of one join have
    seen in a task, and the oldest record waiting in the outer-join store."""

    def __init__(self) -> None:
        self.stream_time = -1
        self.min_time = sys.maxsize

    def advance(self, timestamp: int) -> None:
        self.stream_time = max(self.stream_time, timestamp)


class TimeTrackers:
    """One TimeTracker per task, shared by the join's two processors."""

    def __init__(self) -> None:
        self._by_task: dict[str, TimeTracker] = {}

    def get(self, task_id: str) -> TimeTracker:
        return self._by_task.setdefault(task_id, TimeTracker())

    def remove(self, task_id: str) -> None:
        self._by_task.pop(task_id, None)


class JoinWindow(Processor):
    """KStreamJoinWindow: forward the record, then keep it in this side's window store."""

    def __init__(self, store: str) -> None:
        self.store_name = store

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        self.context.forward(record)
        if record.key is not None and record.value is not None:
            self.store.put(record.key, record.value, record.timestamp)


@dataclass(frozen=True)
class JoinSpec:
    before_ms: int
    after_ms: int
    grace_ms: int


class StreamStreamJoin(Processor):
    """KStreamKStreamJoin for one side. A record joins every record of the other side's
    store within [ts - before, ts + after] (`after`/`before` swapped on the right side),
    each result stamped max(ts, other ts). Without a partner, a left/outer side waits in
    the shared store until its window and grace have passed on stream time, and is then
    emitted with a null partner (Kafka 3.x): only if the window has already closed when
    it arrives is it emitted at once."""

    def __init__(
        self,
        left: bool,
        other_store: str,
        windows: JoinSpec,
        joiner: ValueJoiner,
        outer: bool,
        outer_store: str | None,
        trackers: TimeTrackers,
    ) -> None:
        self.left, self.other_store_name, self.windows = left, other_store, windows
        self.joiner, self.outer, self.outer_store_name, self.trackers = (
            with_key(joiner),
            outer,
            outer_store,
            trackers,
        )
        self.before = windows.before_ms if left else windows.after_ms
        self.after = windows.after_ms if left else windows.before_ms

    def init(self, context: Any) -> None:
        super().init(context)
        self.other = context.get_state_store(self.other_store_name)
        self.outer_store = (
            None if self.outer_store_name is None else context.get_state_store(self.outer_store_name)
        )
        self.tracker = self.trackers.get(context.task_id)

    def _join(self, key: Any, mine: Any, theirs: Any) -> Any:
        return self.joiner(key, mine, theirs) if self.left else self.joiner(key, theirs, mine)

    def process(self, record: Record) -> None:
        ts, tracker = record.timestamp, self.tracker
        tracker.advance(ts)
        if self.outer and record.key is None and record.value is not None:  # KIP-962
            self.context.forward(record.with_value(self._join(None, record.value, None)))
            return
        if record.key is None or record.value is None:
            log.warning("Skipping record due to null key or value. %s", self.context.record_metadata())
            self.context.drop()
            return
        if ts == tracker.stream_time and self.outer_store is not None:
            self._emit_non_joined(record)
        time_from, time_to = max(0, ts - self.before), max(0, ts + self.after)
        matches = self.other.fetch(record.key, time_from, time_to)
        for other_ts, other_value in matches:
            if self.outer_store is not None:  # their waiting record has a partner now
                self.outer_store.put(TimestampedKeyAndJoinSide(other_ts, not self.left, record.key), None)
            joined = self._join(record.key, record.value, other_value)
            self.context.forward(Record(record.key, joined, max(ts, other_ts), record.headers))
        if self.outer and not matches:
            if self.outer_store is None or time_to < tracker.stream_time:
                self.context.forward(record.with_value(self._join(record.key, record.value, None)))
            else:
                tracker.min_time = min(tracker.min_time, ts)
                self.outer_store.append(
                    TimestampedKeyAndJoinSide(ts, self.left, record.key),
                    LeftOrRightValue(self.left, record.value),
                )

    def _open(self, key: TimestampedKeyAndJoinSide) -> bool:
        # A left record waits `after` past its time, a right one `before` (then grace).
        look_back = self.windows.after_ms if key.left else self.windows.before_ms
        return self.tracker.min_time + look_back + self.windows.grace_ms >= self.tracker.stream_time

    def _emit_non_joined(self, record: Record) -> None:
        tracker, store = self.tracker, self.outer_store
        assert store is not None
        # Nothing can be due yet: skip the scan (Kafka does too). An unknown minimum (a
        # restored store, or one emptied by the last scan) scans, as Long.MAX_VALUE + n
        # overflowing makes Kafka's check do.
        unknown = tracker.min_time == sys.maxsize
        if not unknown and tracker.min_time + self.after + self.windows.grace_ms >= tracker.stream_time:
            return
        tracker.min_time = sys.maxsize
        left_open = right_open = False
        for key, values in store.in_time_order():
            if left_open and right_open:
                break
            tracker.min_time = key.timestamp
            if self._open(key):
                left_open, right_open = left_open or key.left, right_open or not key.left
                continue
            for item in values:
                left_value, right_value = (item.value, None) if item.left else (None, item.value)
                value = self.joiner(key.key, left_value, right_value)
                self.context.forward(Record(key.key, value, key.timestamp, record.headers))
            store.put(key, None)

    def close(self) -> None:
        self.trackers.remove(self.context.task_id)


class StreamTableJoin(Processor):
    """KStreamKTableJoinProcessor: a stream record with the table's current value for
    its key (or for `mapper(key, value)`: a GlobalKTable join); an inner join emits
    only when the table has one. A null value is skipped; a null key (or mapped key)
    too, except that a left join emits it with a null table value (KIP-962)."""

    def __init__(
        self, getter: Getter, joiner: ValueJoiner, left: bool, mapper: Callable[[Any, Any], Any] | None = None
    ) -> None:
        self.getter, self.joiner, self.left = getter, with_key(joiner), left
        self.mapper = mapper or (lambda key, value: key)
        self._lookup: Callable[[Any], Any] | None = None

    def process(self, record: Record) -> None:
        if self._lookup is None:  # a global store is reachable once the task runs
            self._lookup = self.getter(self.context)
        if self.left and record.key is None and record.value is not None:
            self.context.forward(record.with_value(self.joiner(None, record.value, None)))
            return
        mapped = None if record.value is None else self.mapper(record.key, record.value)
        if mapped is None or record.value is None:
            log.warning("Skipping record due to null join key or value. %s", self.context.record_metadata())
            self.context.drop()
            return
        found = self._lookup(mapped)
        if self.left or found is not None:
            self.context.forward(record.with_value(self.joiner(record.key, record.value, found)))


class TableTableJoin(Processor):
    """One side of a KTable–KTable join (Kafka's KTableKTableInnerJoin, LeftJoin,
    RightJoin, OuterJoin): an update here is joined with the other side's current value.
    `keep_mine`: a result exists when only this side has a value (the left side of a
    left join, both sides of an outer join); `keep_theirs`: when only the other side has
    one (the right side of a left join, an outer join). So a delete here becomes a
    delete of the result, or the result without this side where the other keeps it."""

    def __init__(
        self, other: Getter, joiner: ValueJoiner, mine_first: bool, keep_mine: bool, keep_theirs: bool
    ) -> None:
        self.other, self.joiner = other, with_key(joiner)
        self.mine_first, self.keep_mine, self.keep_theirs = mine_first, keep_mine, keep_theirs

    def init(self, context: Any) -> None:
        super().init(context)
        self.lookup = self.other(context)

    def _join(self, key: Any, mine: Any, theirs: Any) -> Any:
        return self.joiner(key, mine, theirs) if self.mine_first else self.joiner(key, theirs, mine)

    def process(self, record: Record) -> None:
        if record.key is None:
            self.context.drop()
            return
        theirs = self.lookup(record.key)
        mine = record.value
        if theirs is None and not self.keep_mine:
            return  # inner join, or the right side of a left join: nothing to join with
        if mine is None and (theirs is None or not self.keep_theirs):
            self.context.forward(record.with_value(None))
            return
        self.context.forward(record.with_value(self._join(record.key, mine, theirs)))


class TableJoinMerge(Processor):
    """KTableKTableJoinMerger: the two sides' results as one table (kept in a store
    when the join is materialized)."""

    def __init__(self, store: str | None) -> None:
        self.store_name = store

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = None if self.store_name is None else context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if self.store is not None:
            self.store.put(record.key, record.value)
        self.context.forward(record)
