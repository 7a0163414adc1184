"""GROUP BY over a TABLE (Kafka's KTable#groupBy → KGroupedTable#aggregate, ksqlDB's
table aggregation with its undo aggregators):

    the table's rows ─ Aggregate-GroupBy (`KsqlTopic-Reduce` keeps each key's row as it
      was, so an update is a Change(old, new), WHERE applied to both; then, as Kafka's
      KTableRepartitionMap, the old row leaves its group and the new one joins its own,
      in one record when the group is the same, as KIP-904's)
        └ `Aggregate-GroupBy-repartition` ─ KTABLE-AGGREGATE (subtractor, then adder)
          into `Aggregate-Aggregate-Materialize`

So COUNT and SUM follow a row that changes group, changes value or is deleted. Only
functions that can take a value back are allowed over a table, as ksqlDB's TableUdaf."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.ksql.aggregates import AggregateFunction
from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.expressions import Evaluator, Row
from kafkatui.ecosystem.ksql.formats import InternalKeySerde, InternalSerde
from kafkatui.ecosystem.streams import Processor, Record, StreamsBuilder
from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.kstream import KStream
from kafkatui.ecosystem.streams.stores import StoreBuilder

SOURCE_STORE = "KsqlTopic-Reduce"
REPARTITION = "Aggregate-GroupBy-repartition"


class _Changes(Processor):
    """Each key's prepared row ([group values…, arguments…], None when absent or when
    WHERE does not hold) before and after the update, sent to the group(s) it touches."""

    def __init__(
        self,
        store: str,
        prepare: Callable[[Row], list[Any]],
        where: Callable[[Row], bool] | None,
        group_of: Callable[[list[Any]], Any],
    ) -> None:
        self.store_name, self.prepare, self.where, self.group_of = store, prepare, where, group_of

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None:
            self.context.drop()
            return
        row = record.value
        new = None if row is None or (self.where is not None and not self.where(row)) else self.prepare(row)
        old = self.store.get(record.key)
        self.store.put(record.key, new)
        old_group = None if old is None else self.group_of(old)
        new_group = None if new is None else self.group_of(new)
        if old is not None and new is not None and old_group == new_group:
            self.context.forward(Record(new_group, {"-": old, "+": new}, record.timestamp, record.headers))
            return
        if old is not None and old_group is not None:
            self.context.forward(Record(old_group, {"-": old}, record.timestamp, record.headers))
        if new is not None and new_group is not None:
            self.context.forward(Record(new_group, {"+": new}, record.timestamp, record.headers))


class _Aggregate(Processor):
    """KTableAggregate: the subtractor for the row that left, the adder for the one that
    came; the group's aggregate forwarded after each change."""

    def __init__(self, store: str, functions: list[AggregateFunction], width: int) -> None:
        self.store_name, self.functions, self.width = store, functions, width

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        change = record.value or {}
        state = self.store.get(record.key)
        if state is None:
            state = [f.init() for f in self.functions]
        if "-" in change:
            values = change["-"][self.width :]
            state = [_undo(f)(s, v) for f, s, v in zip(self.functions, state, values, strict=True)]
        if "+" in change:
            values = change["+"][self.width :]
            state = [f.add(s, v) for f, s, v in zip(self.functions, state, values, strict=True)]
        self.store.put(record.key, state)
        self.context.forward(Record(record.key, state, record.timestamp, record.headers))


def _undo(function: AggregateFunction) -> Callable[[Any, Any], Any]:
    assert function.undo is not None  # check_functions refused the others
    return function.undo


def check_functions(functions: list[AggregateFunction], where: str) -> None:
    refused = [f.name for f in functions if f.undo is None]
    if refused:
        raise KsqlError(
            f"{where}: The aggregation function(s) {', '.join(refused)} cannot be applied to a table "
            "source, only to a stream source."
        )


def table_aggregate(
    builder: StreamsBuilder,
    rows: KStream,
    needed: list[Evaluator],
    width: int,
    functions: list[AggregateFunction],
    where: Callable[[Row], bool] | None,
    store: str,
) -> KStream:
    """The aggregate's updates (group key → state) of a table's rows (`rows`: its
    updates, a delete as None)."""
    topology = builder.topology

    def prepare(row: Row) -> list[Any]:
        return [e(row) for e in needed]

    def group_of(values: list[Any]) -> Any:
        return values[0] if width == 1 else tuple(values[:width])

    source = "Aggregate-GroupBy"
    topology.add_processor(source, lambda: _Changes(SOURCE_STORE, prepare, where, group_of), rows.node)
    topology.add_state_store(StoreBuilder(SOURCE_STORE, InternalKeySerde(), InternalSerde()), source)
    topology.add_internal_topic(REPARTITION)
    sink, filter_name, reader = f"{REPARTITION}-sink", f"{REPARTITION}-filter", f"{REPARTITION}-source"
    topology.add_processor(filter_name, lambda: ops.Filter(lambda k, v: k is not None), source)
    topology.add_sink(
        sink, REPARTITION, filter_name, key_serde=InternalKeySerde(), value_serde=InternalSerde()
    )
    topology.add_source(reader, REPARTITION, key_serde=InternalKeySerde(), value_serde=InternalSerde())
    aggregate = builder.new_processor_name("KTABLE-AGGREGATE-")
    topology.add_processor(aggregate, lambda: _Aggregate(store, functions, width), reader)
    topology.add_state_store(StoreBuilder(store, InternalKeySerde(), InternalSerde()), aggregate)
    return builder.stream_of(aggregate, InternalKeySerde(), InternalSerde())
