"""The processors behind the DSL's operators (Kafka's KStreamFilter, KStreamMap,
KStreamAggregate, KTableSource, KStreamWindowAggregate, KTableSuppressProcessor …).
KTable updates are forwarded as they happen (Kafka with its record cache off,
`statestore.cache.max.bytes=0`): every update reaches `to_stream()`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from kafkatui.ecosystem.streams.processor import Processor
from kafkatui.ecosystem.streams.records import Record, TimeWindow, Windowed
from kafkatui.ecosystem.streams.windows import TimeWindows

log = logging.getLogger(__name__)


class Filter(Processor):
    def __init__(self, predicate: Callable[[Any, Any], bool], negate: bool = False) -> None:
        self.predicate, self.negate = predicate, negate

    def process(self, record: Record) -> None:
        if bool(self.predicate(record.key, record.value)) != self.negate:
            self.context.forward(record)


class Map(Processor):
    def __init__(self, mapper: Callable[[Any, Any], tuple[Any, Any]]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        key, value = self.mapper(record.key, record.value)
        self.context.forward(Record(key, value, record.timestamp, record.headers))


class MapValues(Processor):
    def __init__(self, mapper: Callable[[Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        self.context.forward(Record(record.key, self.mapper(record.value), record.timestamp, record.headers))


class FlatMap(Processor):
    def __init__(self, mapper: Callable[[Any, Any], Iterable[tuple[Any, Any]]]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        for key, value in self.mapper(record.key, record.value):
            self.context.forward(Record(key, value, record.timestamp, record.headers))


class FlatMapValues(Processor):
    def __init__(self, mapper: Callable[[Any], Iterable[Any]]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        for value in self.mapper(record.value):
            self.context.forward(Record(record.key, value, record.timestamp, record.headers))


class Peek(Processor):
    def __init__(self, action: Callable[[Any, Any], None]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record.key, record.value)
        self.context.forward(record)


class SelectKey(Processor):
    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector

    def process(self, record: Record) -> None:
        self.context.forward(record.with_key(self.selector(record.key, record.value)))


class PassThrough(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record)


class Branch(Processor):
    """KStreamBranch: the record goes to the first branch whose predicate holds (a
    default branch's predicate is always true)."""

    def __init__(self, predicates: list[Callable[[Any, Any], bool]], children: list[str]) -> None:
        self.predicates, self.children = predicates, children

    def process(self, record: Record) -> None:
        for predicate, child in zip(self.predicates, self.children, strict=True):
            if predicate(record.key, record.value):
                self.context.forward(record, child)
                return


class Aggregate(Processor):
    """KStreamAggregate (count and aggregate) and KStreamReduce: the store holds the
    aggregate per key; a record with a null key or value is skipped and counted."""

    def __init__(
        self,
        store: str,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name, self.initializer, self.aggregator = store, initializer, aggregator

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            log.debug("Skipping record due to null key or value. topic=%s", self.context.record_metadata())
            self.context.drop()
            return
        old = self.store.get(record.key)
        if old is None:
            new = (
                record.value
                if self.initializer is None
                else self.aggregator(record.key, record.value, self.initializer())
            )
        else:
            new = self.aggregator(record.key, record.value, old)
        self.store.put(record.key, new)
        self.context.forward(record.with_value(new))


class TableSource(Processor):
    """KTableSource: the latest value per key of a (compacted) topic; a tombstone
    deletes it and is forwarded as a null value."""

    def __init__(self, store: str) -> None:
        self.store_name = store

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None:
            self.context.drop()
            return
        self.store.put(record.key, record.value)
        self.context.forward(record)


class WindowAggregate(Processor):
    """KStreamWindowAggregate: each record updates every window it falls in that is not
    closed yet (window end > stream time - grace); a record for closed windows only is
    late: dropped and counted, never applied."""

    def __init__(
        self,
        store: str,
        windows: TimeWindows,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name, self.windows = store, windows
        self.initializer, self.aggregator = initializer, aggregator
        self.late = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            self.context.drop()
            return
        close_time = self.context.current_stream_time_ms() - self.windows.grace_ms
        applied = False
        for start in self.windows.windows_for(record.timestamp):
            end = start + self.windows.size_ms
            if end <= close_time:
                continue
            applied = True
            old = self.store.fetch(record.key, start)
            if old is None:
                new = (
                    record.value
                    if self.initializer is None
                    else self.aggregator(record.key, record.value, self.initializer())
                )
            else:
                new = self.aggregator(record.key, record.value, old)
            self.store.put(record.key, new, start)
            self.context.forward(
                Record(Windowed(record.key, TimeWindow(start, end)), new, record.timestamp, record.headers)
            )
        if not applied:
            log.warning(
                "Skipping record for expired window. %s timestamp=[%d] streamTime=[%d] grace=[%d]",
                self.context.record_metadata(), record.timestamp, self.context.current_stream_time_ms(),
                self.windows.grace_ms,
            )  # fmt: skip
            self.late += 1
            self.context.drop()
        self.store.expire(self.context.current_stream_time_ms())


class Suppress(Processor):
    """KTableSuppressProcessor with `until_window_closes`: the latest update of each
    window waits in the buffer store until stream time reaches window end + grace, then
    the final result is forwarded once."""

    def __init__(self, store: str, grace_ms: int) -> None:
        self.store_name, self.grace_ms = store, grace_ms

    def init(self, context: Any) -> None:
        super().init(context)
        self.buffer = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        self.buffer.put(record.key, [record.value, record.timestamp])
        self._evict()

    def _evict(self) -> None:
        expiry = self.context.current_stream_time_ms() - self.grace_ms
        due = [(w, v) for w, v in self.buffer.all() if w.window.end <= expiry]
        # Kafka's buffer is ordered by (window end, serialized key); all() gives key order.
        for windowed, (value, timestamp) in sorted(due, key=lambda e: e[0].window.end):
            self.buffer.delete(windowed)
            if value is not None:  # final results drop tombstones (a merged-away session's)
                self.context.forward(Record(windowed, value, timestamp))
