"""A SELECT compiled to a Streams topology (ksqlDB's physical plan builder, over
kafkatui's `StreamsBuilder` as it is):

    source topic ─ KSTREAM-SOURCE (the source's key and value formats)
      └ a row node: value columns + key columns + ROWTIME, ROWPARTITION, ROWOFFSET
        └ WHERE (a filter) ─ PARTITION BY (select key)
          ├ no aggregation: the projection (map values)
          └ GROUP BY: Aggregate-GroupBy (select key; `Aggregate-GroupBy-repartition`
            when the key changes) ─ [windowed by] ─ aggregate into
            `Aggregate-Aggregate-Materialize` ─ [suppress for EMIT FINAL] ─ to stream ─
            HAVING and the projection over the aggregate (a null row: a tombstone)
      └ the sink: a topic (persistent queries) or a callback (push queries)

Node and store names are the ones Kafka's builder draws, so `EXPLAIN` shows the same
text as the Streams panel. A join (joins.py) puts its nodes between the row nodes of
its sources and the rest, which reads the joined row (ALIAS_COLUMN names) alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kafkatui.ecosystem.ksql import aggregates as agg
from kafkatui.ecosystem.ksql import functions as fn
from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.expressions import (
    Compiled,
    Evaluator,
    ExpressionCompiler,
    Row,
    Scope,
    column_name,
    sql_of,
)
from kafkatui.ecosystem.ksql.formats import InternalKeySerde, InternalSerde, KeySerde, ValueSerde
from kafkatui.ecosystem.ksql.joins import JoinBuilder, JoinResult, join_outputs
from kafkatui.ecosystem.ksql.metastore import PSEUDO, WINDOW_BOUNDS, DataSource
from kafkatui.ecosystem.ksql.sessions import SessionWindowedSerde
from kafkatui.ecosystem.ksql.statements import Column, Query, WindowSpec
from kafkatui.ecosystem.ksql.table_aggregate import check_functions, table_aggregate
from kafkatui.ecosystem.streams import (
    Processor,
    Record,
    SessionWindows,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    Windowed,
)
from kafkatui.ecosystem.streams.kstream import KStream
from kafkatui.ecosystem.streams.operators import TableSource
from kafkatui.ecosystem.streams.serdes import Serde, TimeWindowedSerde
from kafkatui.ecosystem.streams.stores import StoreBuilder

# ksqlDB's default grace period for windows without GRACE PERIOD (KLIP-25: 24 hours).
DEFAULT_GRACE_MS = 24 * 3_600_000
AGGREGATE_STORE = "Aggregate-Aggregate-Materialize"
# A table a persistent query writes without aggregating it is kept here (ksqlDB's
# TableSelectBuilder: the projection's transformValues materialized as `Project-Last`).
PROJECT_STORE = "Project-Last"
# The keys a WHERE over a table has let through (`_TableFilter`), ksqlDB's `KsqlTopic-Reduce`
# materialization of the source serving the same purpose: the old value of each key.
FILTER_STORE = "WhereFilter-Keys"


class _Rows(Processor):
    """The source's record as a row; with `floor`, records before the offsets a push
    query started at are skipped (auto.offset.reset=latest over Streams, which always
    starts from the earliest offset)."""

    def __init__(self, source: DataSource, floor: dict[int, int] | None) -> None:
        self.keys = [c.name for c in source.key_columns]
        self.timestamp, self.floor, self.table = source.timestamp, floor, source.kind == "TABLE"

    def process(self, record: Record) -> None:
        meta = self.context.record_metadata()
        if self.floor is not None and meta is not None and meta.offset < self.floor.get(meta.partition, 0):
            return
        if record.value is None and not self.table:
            self.context.drop()  # a stream has no tombstones: a null value is skipped
            return
        row: Row = dict(record.value or {})
        if len(self.keys) == 1:
            row[self.keys[0]] = record.key
        elif self.keys and record.key is not None:
            row.update(zip(self.keys, record.key, strict=False))
        timestamp = record.timestamp
        if self.timestamp is not None and row.get(self.timestamp) is not None:
            timestamp = int(row[self.timestamp])
        row["ROWTIME"] = timestamp
        row["ROWPARTITION"] = meta.partition if meta else 0
        row["ROWOFFSET"] = meta.offset if meta else 0
        self.context.forward(
            Record(record.key, None if record.value is None else row, timestamp, record.headers)
        )


class _Map(Processor):
    def __init__(self, function: Callable[[Any, Any], tuple[Any, Any]]) -> None:
        self.function = function

    def process(self, record: Record) -> None:
        key, value = self.function(record.key, record.value)
        self.context.forward(Record(key, value, record.timestamp, record.headers))


class _Callback(Processor):
    def __init__(self, callback: Callable[[Any, Row | None, int], None]) -> None:
        self.callback = callback

    def process(self, record: Record) -> None:
        self.callback(record.key, record.value, record.timestamp)


@dataclass
class Plan:
    """A compiled query: its topology so far (`stream`, the last node), what it writes."""

    builder: StreamsBuilder
    stream: KStream
    kind: str  # STREAM | TABLE
    columns: list[Column]  # the output's key columns, then its value columns
    names: list[str]  # the projection's column names, in the SELECT's order
    window: WindowSpec | None = None
    store: str | None = None  # the aggregate's store, for pull queries
    finish: Callable[[Any, Any], Row | None] | None = None  # (key, aggregate) → row
    sources: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # the projection's column types, as names
    sink_value_serde: Serde | None = None
    source_value_serde: Serde | None = None  # AVRO: the engine gives it the writer schemas
    # every source's (source, value serde): a join reads several
    value_serdes: list[tuple[DataSource, Serde]] = field(default_factory=list)
    # a join whose projection lacks its key: what ksqlDB says when a persistent query does
    key_missing: str | None = None

    @property
    def schema(self) -> str:
        """The header's schema, as ksqlDB writes it: "`A` STRING, `B` DOUBLE"."""
        return ", ".join(f"`{n}` {t}" for n, t in zip(self.names, self.types, strict=True))

    @property
    def sessions(self) -> bool:
        return self.window is not None and self.window.kind == "SESSION"

    def to_topic(self, topic: str, key_serde: Serde, value_serde: Serde) -> None:
        self.sink_value_serde = value_serde  # JSON_SR: the engine gives it its schema id
        if self.sessions:
            key_serde = SessionWindowedSerde(key_serde)
        elif self.window is not None:
            key_serde = TimeWindowedSerde(key_serde, self.window.size_ms)
        self.stream.to(topic, key_serde=key_serde, value_serde=value_serde)

    def to_callback(self, callback: Callable[[Any, Row | None, int], None]) -> None:
        self.stream.process(lambda: _Callback(callback))

    def output_source(self, name: str, topic: str, key_format: str, value_format: str) -> DataSource:
        return DataSource(name, self.kind, self.columns, topic, key_format, value_format, window=self.window)

    def materialize(self) -> None:
        """A table no aggregate keeps (a table–table join's, a projection of a table):
        its projected rows kept per key in `Project-Last`, a tombstone deleting one, so
        pull queries read it as they read an aggregate's store (ksqlDB 0.22+ answers
        pull queries on any CREATE TABLE … AS SELECT)."""
        if self.kind != "TABLE" or self.store is not None or self.window is not None:
            return
        builder = self.builder
        node = builder.new_processor_name("KTABLE-TRANSFORMVALUES-")
        builder.topology.add_processor(node, lambda: TableSource(PROJECT_STORE), self.stream.node)
        builder.topology.add_state_store(
            StoreBuilder(PROJECT_STORE, InternalKeySerde(), InternalSerde()), node
        )
        self.stream = builder.stream_of(node, self.stream.key_serde, self.stream.value_serde)
        self.store, self.finish = PROJECT_STORE, _kept


class _TableFilter(Processor):
    """ksqlDB's TableFilterBuilder over Kafka's KTableFilter with its old values (since
    KAFKA-10077 / ksqlDB 0.13, no spurious tombstones): a row that matches is forwarded,
    a key whose row stops matching (or is deleted) while in the result is a tombstone,
    and a key never in the result sends nothing. `FILTER_STORE` holds the result's keys."""

    def __init__(self, condition: Callable[[Row], bool]) -> None:
        self.condition = condition

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(FILTER_STORE)

    def process(self, record: Record) -> None:
        if record.key is None:
            self.context.drop()
            return
        passes = record.value is not None and self.condition(record.value)
        if passes:
            self.store.put(record.key, True)
            self.context.forward(record)
        elif self.store.get(record.key) is not None:
            self.store.delete(record.key)
            self.context.forward(Record(record.key, None, record.timestamp, record.headers))
        else:
            self.context.drop()


def _table_filter(builder: StreamsBuilder, stream: KStream, condition: Callable[[Row], bool]) -> KStream:
    node = builder.new_processor_name("KTABLE-FILTER-")
    builder.topology.add_processor(node, lambda: _TableFilter(condition), stream.node)
    builder.topology.add_state_store(StoreBuilder(FILTER_STORE, InternalKeySerde(), InternalSerde()), node)
    out = builder.stream_of(node, stream.key_serde, stream.value_serde)
    out.repartition_required = stream.repartition_required
    return out


def _kept(key: Any, row: Row | None) -> Row | None:
    return row


def _aggregate_calls(nodes: list[exp.Expression]) -> list[exp.Anonymous]:
    seen: dict[str, exp.Anonymous] = {}
    for node in nodes:
        for call in node.find_all(exp.Anonymous):
            if str(call.this).upper() in fn.AGGREGATES:
                seen.setdefault(sql_of(call), call)
    return list(seen.values())


def _given_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Alias):
        return column_name(node.args["alias"])
    if isinstance(node, exp.Column):
        return column_name(node.this)
    if isinstance(node, exp.JSONExtract) and isinstance(node.expression, exp.Column):
        return column_name(node.expression.this)
    return None


def _is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star))


def output_names(nodes: list[exp.Expression]) -> list[str]:
    """Each SELECT expression's column name: its alias, its column's, a struct field's,
    else ksqlDB's generated KSQL_COL_0, KSQL_COL_1 … (ColumnNames.nextKsqlColAlias:
    counted over the unnamed ones, skipping names already taken). `*` stays `*`."""
    given = ["*" if _is_star(n) else _given_name(n) for n in nodes]
    taken, counter, names = {g for g in given if g}, 0, []
    for name in given:
        if name is None:
            while f"KSQL_COL_{counter}" in taken:
                counter += 1
            name = f"KSQL_COL_{counter}"
            taken.add(name)
        names.append(name)
    return names


def _values(stream: KStream, supplier: Callable[[], Processor]) -> KStream:
    """`stream.process` for a node that keeps the key. KStream#process may change it, so
    the library marks the stream for a repartition before any grouping; these nodes
    never do (Kafka's KStream#processValues), so the mark is put back as it was, and a
    GROUP BY on the key column reads the source's partitions as they are."""
    marked = stream.repartition_required
    out = stream.process(supplier)
    out.repartition_required = marked
    return out


def _one(row: Row) -> int:
    return 1  # COUNT(*)'s argument: every row counts


def _blank(node: exp.Expression, covered: set[str]) -> exp.Expression:
    return exp.Null() if sql_of(node) in covered else node


def _getter(name: str) -> Evaluator:
    return lambda row: row.get(name)


def _unaliased(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Alias) else node


class QueryCompiler:
    def __init__(
        self,
        query: Query,
        source: DataSource,
        clock: Callable[[], int] = lambda: 0,
        joined: list[DataSource] | None = None,
    ) -> None:
        """`joined`: the sources of the query's JOINs, in order."""
        self.query, self.source, self.clock = query, source, clock
        self.joined = joined or []
        self.join: JoinResult | None = None
        self.scope = Scope(source.schema(), query.text, clock=clock)
        self.expressions = ExpressionCompiler(self.scope)

    def error(self, node: exp.Expression, message: str) -> KsqlError:
        return self.expressions.error(node, message)

    def _star(self) -> list[tuple[str, Compiled]]:
        names = [c.name for c in self.source.key_columns] + [c.name for c in self.source.value_columns]
        if self.source.window:
            names += list(WINDOW_BOUNDS)
        schema = self.scope.schema
        return [(n, Compiled(_getter(n), schema[n])) for n in names]

    def compile(
        self, floor: dict[int, int] | None = None, floors: dict[str, dict[int, int]] | None = None
    ) -> Plan:
        """`floor`: the FROM topic's offsets a push query starts at; `floors`: by topic,
        for a join's streams."""
        plan = self._compile(floor, floors)
        plan.source_value_serde = self.source_value_serde
        plan.value_serdes = (
            list(self.join.value_serdes)
            if self.join is not None
            else [(self.source, self.source_value_serde)]
        )
        plan.sources = (
            [self.source.name] if self.join is None else [s.name for s in self.join.aliases.values()]
        )
        return plan

    def _compile(self, floor: dict[int, int] | None, floors: dict[str, dict[int, int]] | None) -> Plan:
        query, select = self.query, self.query.select
        builder = StreamsBuilder()
        source = self.source
        self.source_value_serde = ValueSerde(source.value_format, source.columns, source.delimiter)
        if query.joins:
            if floor is not None:
                floors = (floors or {}) | {source.topic: floor}
            self.join = JoinBuilder(query, [source, *self.joined], _Rows, floors, self.clock).build(builder)
            stream = self.join.stream
            self.source, self.scope = self.join.source, self.join.scope
            self.expressions = ExpressionCompiler(self.scope)
            self.source_value_serde = self.join.value_serdes[0][1]
        else:
            stream = builder.stream(
                source.topic,
                key_serde=KeySerde(source.key_format, source.columns),
                value_serde=self.source_value_serde,
            )
            stream = _values(stream, lambda: _Rows(source, floor))
        where = select.args.get("where")
        group = select.args.get("group")
        calls = _aggregate_calls(
            list(select.expressions) + ([select.args["having"].this] if select.args.get("having") else [])
        )
        # A table's aggregate applies WHERE to each row's old and new value (a row that
        # stops matching leaves its group); elsewhere it drops the rows that fail it.
        over_table = self.source.kind == "TABLE" and (group is not None or bool(calls))
        self.table_where: Callable[[Row], bool] | None = None
        if where is not None:
            condition = self.expressions.predicate(where.this)
            if over_table:
                self.table_where = condition
            elif self.source.kind == "TABLE" and self.source.window is None:
                stream = _table_filter(builder, stream, condition)
            else:
                stream = stream.filter(lambda k, row: row is not None and condition(row))
        if group is not None or calls:
            return self._aggregate(builder, stream, group.expressions if group is not None else [], calls)
        if query.window is not None:
            raise KsqlError(f"{at(query.text, query.offset)}: WINDOW clause requires a GROUP BY clause.")
        if select.args.get("having") is not None:
            raise KsqlError(f"{at(query.text, query.offset)}: HAVING requires a GROUP BY clause.")
        return self._project(builder, stream)

    # --- without aggregation ------------------------------------------------------------
    def _project(self, builder: StreamsBuilder, stream: KStream) -> Plan:
        query, source = self.query, self.source
        outputs: list[tuple[str, Compiled]] = []
        key_columns: list[Column] = []
        key_names = {c.name for c in source.key_columns}
        names_given = output_names(list(query.select.expressions))
        key_missing = None
        if self.join is not None:
            outputs, key_columns, key_missing = join_outputs(
                self.join, list(query.select.expressions), names_given, self.expressions
            )
        for index, node in enumerate([] if self.join is not None else query.select.expressions):
            if isinstance(node, exp.Star):
                outputs += self._star()
                continue
            name = names_given[index]
            compiled = self.expressions.compile(_unaliased(node))
            outputs.append((name, compiled))
            inner = _unaliased(node)
            if (
                isinstance(inner, exp.Column)
                and column_name(inner.this) in key_names
                and not query.partition_by
            ):
                key_columns.append(Column(name, compiled.type, True))
        if self.join is None and any(isinstance(n, exp.Star) for n in query.select.expressions):
            key_columns = [Column(c.name, c.type, True) for c in source.key_columns]
        if query.partition_by:
            if len(query.partition_by) != 1:
                raise KsqlError(f"{at(query.text, query.offset)}: PARTITION BY one expression here")
            node = query.partition_by[0]
            by = self.expressions.compile(node)
            name = _given_name(node) or "KSQL_COL_0"
            key_columns = [Column(name, by.type, True)]
            evaluate_by = by.evaluate
            stream = stream.select_key(lambda k, row: None if row is None else evaluate_by(row))
            if name not in [n for n, _ in outputs]:
                outputs.insert(0, (name, by))
            key_missing = None
        names = [n for n, _ in outputs]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise KsqlError(f"Duplicate column names:\n\t{duplicate}")
        evaluators = [(n, c.evaluate) for n, c in outputs]
        stream = _values(
            stream,
            lambda: _Map(lambda k, row: (k, None if row is None else {n: e(row) for n, e in evaluators})),
        )
        key_set = {c.name for c in key_columns}
        columns = key_columns + [Column(n, c.type) for n, c in outputs if n not in key_set]
        types = [str(c.type) for _, c in outputs]
        plan = Plan(builder, stream, self.source.kind, columns, names, sources=[source.name], types=types)
        plan.key_missing = key_missing
        return plan

    # --- GROUP BY -------------------------------------------------------------------------
    def _aggregate(
        self,
        builder: StreamsBuilder,
        stream: KStream,
        groups: list[exp.Expression],
        calls: list[exp.Anonymous],
    ) -> Plan:
        query, select = self.query, self.query.select
        if not groups:
            raise KsqlError(
                f"{at(query.text, query.offset)}: Aggregate functions need a GROUP BY clause here "
                "(ksqlDB groups a whole stream only with GROUP BY 1)"
            )
        over_table = self.source.kind == "TABLE"
        if over_table and query.window is not None:
            raise KsqlError(
                f"{at(query.text, query.offset)}: Windowed aggregations are only supported on streams; "
                f"{self.source.name} is a table."
            )
        # The aggregates, their arguments compiled over the source's rows.
        functions: list[agg.AggregateFunction] = []
        arguments: list[Evaluator | None] = []
        for call in calls:
            name = str(call.this).upper()
            args = list(call.expressions)
            star = not args or isinstance(args[0], exp.Star)
            if star and name != "COUNT":
                raise self.error(call, f"Function '{name}' does not accept parameters ().")
            compiled = None if star else self.expressions.compile(args[0])
            params = [a.this for a in args[1:] if isinstance(a, exp.Literal)]
            try:
                functions.append(agg.make(name, None if compiled is None else compiled.type, params))
            except KsqlError as error:
                raise self.error(call, error.message) from None
            arguments.append(None if compiled is None else compiled.evaluate)
        grouped = [self.expressions.compile(g) for g in groups]
        group_sql = [sql_of(g) for g in groups]
        # Every other column the SELECT names must be one it groups by.
        for node in select.expressions:
            if isinstance(node, exp.Star):
                raise self.error(node, "SELECT * is not supported with GROUP BY")
            inner = _unaliased(node)
            stripped = inner.transform(_blank, {sql_of(c) for c in calls} | set(group_sql))
            loose = [
                column_name(c.this)
                for c in stripped.find_all(exp.Column)
                if column_name(c.this) not in WINDOW_BOUNDS
            ]
            if loose:
                raise KsqlError(
                    f"{at(query.text, query.offset)}: "
                    f"Non-aggregate SELECT expression(s) not part of GROUP BY: {sql_of(inner)}"
                )
        # Aggregate-Prepare, as ksqlDB's: only what the aggregation needs goes on (and
        # through the repartition topic): [group values…, aggregate arguments…].
        evaluators = [g.evaluate for g in grouped]
        width = len(evaluators)
        single = width == 1
        needed = [*evaluators, *(_one if a is None else a for a in arguments)]
        if over_table:
            check_functions(functions, at(query.text, query.offset))
            updates = table_aggregate(
                builder, stream, needed, width, functions, self.table_where, AGGREGATE_STORE
            )
            return self._over_aggregate(
                builder, updates, groups, calls, grouped, group_sql, functions, single
            )
        stream = _values(
            stream, lambda: _Map(lambda k, row: (k, None if row is None else [e(row) for e in needed]))
        )
        source = self.source
        same_key = (
            single and isinstance(groups[0], exp.Column) and len(source.key_columns) == 1
            and column_name(groups[0].this) == source.key_columns[0].name
        )  # fmt: skip
        row_serde = InternalSerde()
        if same_key:
            grouped_stream = stream.group_by_key(key_serde=InternalKeySerde(), value_serde=row_serde)
        else:
            selector = (lambda k, v: v[0]) if single else (lambda k, v: tuple(v[:width]))
            grouped_stream = stream.group_by(
                selector, key_serde=InternalKeySerde(), value_serde=row_serde, name="Aggregate-GroupBy"
            )
        adders = [f.add for f in functions]

        def initializer() -> list[Any]:
            return [f.init() for f in functions]

        def aggregator(key: Any, values: list[Any], state: list[Any]) -> list[Any]:
            return [add(s, v) for add, s, v in zip(adders, state, values[width:], strict=True)]

        window = query.window
        sessions: KStream | None = None
        if window is not None and window.kind == "SESSION":
            if query.emit == "FINAL":
                raise KsqlError(
                    f"{at(query.text, query.offset)}: EMIT FINAL is not supported for SESSION windows."
                )
            grace = DEFAULT_GRACE_MS if window.grace_ms is None else window.grace_ms

            def merger(key: Any, a: list[Any], b: list[Any]) -> list[Any]:
                return [f.merge(x, y) for f, x, y in zip(functions, a, b, strict=True)]

            # Kafka's SessionWindows: a key's rows less than the gap apart are one session;
            # a row between two merges them, each merged-away session a tombstone.
            sessions = (
                grouped_stream.windowed_by(SessionWindows.of_inactivity_gap_and_grace(window.size_ms, grace))
                .aggregate(
                    initializer, aggregator, merger, value_serde=InternalSerde(), store=AGGREGATE_STORE
                )
                .to_stream()
            )
        elif window is not None:
            grace = DEFAULT_GRACE_MS if window.grace_ms is None else window.grace_ms
            windows = TimeWindows.of_size_and_grace(window.size_ms, grace)
            if window.advance_ms != window.size_ms:
                windows = windows.advance_by(window.advance_ms)
            table = grouped_stream.windowed_by(windows).aggregate(
                initializer, aggregator, value_serde=InternalSerde(), store=AGGREGATE_STORE
            )
        else:
            table = grouped_stream.aggregate(
                initializer, aggregator, value_serde=InternalSerde(), store=AGGREGATE_STORE
            )
        if query.emit == "FINAL" and sessions is None:
            if window is None:
                raise KsqlError(
                    f"{at(query.text, query.offset)}: EMIT FINAL is only supported for windowed aggregations."
                )
            table = table.suppress(Suppressed.until_window_closes())
        updates = sessions if sessions is not None else table.to_stream()
        return self._over_aggregate(builder, updates, groups, calls, grouped, group_sql, functions, single)

    def _over_aggregate(
        self,
        builder: StreamsBuilder,
        updates: KStream,
        groups: list[exp.Expression],
        calls: list[exp.Anonymous],
        grouped: list[Compiled],
        group_sql: list[str],
        functions: list[agg.AggregateFunction],
        single: bool,
    ) -> Plan:
        """HAVING and the projection over the aggregate's updates (group key → state)."""
        query, select, window = self.query, self.query.select, self.query.window
        # Over the aggregate: key columns, window bounds, one column per aggregate call.
        key_slots = [f"KSQL_KEY_{i}" for i in range(len(groups))]
        agg_slots = [f"KSQL_AGG_VARIABLE_{i}" for i in range(len(calls))]
        replacements = {s: (slot, g.type) for s, slot, g in zip(group_sql, key_slots, grouped, strict=True)}
        replacements |= {
            sql_of(c): (slot, f.returns) for c, slot, f in zip(calls, agg_slots, functions, strict=True)
        }
        schema = dict(WINDOW_BOUNDS) if window else {}
        after = ExpressionCompiler(Scope(schema, query.text, replacements, self.clock))
        names_given = output_names(list(select.expressions))
        outputs = [(names_given[i], after.compile(_unaliased(n))) for i, n in enumerate(select.expressions)]
        having_node = select.args.get("having")
        having = after.predicate(having_node.this) if having_node is not None else None
        # The output's key columns: the grouped expressions, named as the SELECT names them.
        key_columns = []
        for i, (sql, g) in enumerate(zip(group_sql, grouped, strict=True)):
            named = next(
                (names_given[j] for j, n in enumerate(select.expressions) if sql_of(_unaliased(n)) == sql),
                None,
            )
            if named is None:
                named = column_name(groups[i].this) if isinstance(groups[i], exp.Column) else f"KSQL_COL_{i}"
            key_columns.append(Column(named, g.type, True))
        key_names = {c.name for c in key_columns}
        columns = key_columns + [Column(n, c.type) for n, c in outputs if n not in key_names]
        projections = [(n, c.evaluate) for n, c in outputs]
        key_evaluators = list(zip(key_columns, key_slots, strict=True))

        def finish(key: Any, state: list[Any] | None) -> Row | None:
            if state is None:
                return None
            base: Row = {}
            inner = key
            if isinstance(key, Windowed):
                inner = key.key
                base["WINDOWSTART"], base["WINDOWEND"] = key.window.start, key.window.end
            values = (inner,) if single else tuple(inner)
            base.update(zip(key_slots, values, strict=True))
            base.update((slot, f.result(s)) for slot, f, s in zip(agg_slots, functions, state, strict=True))
            if having is not None and not having(base):
                return None
            row = {n: e(base) for n, e in projections}
            for column, slot in key_evaluators:
                row.setdefault(column.name, base[slot])
            return row

        stream = updates.process(lambda: _Map(lambda k, state: (k, finish(k, state))))
        names = [n for n, _ in outputs]
        types = [str(c.type) for _, c in outputs]
        return Plan(
            builder,
            stream,
            "TABLE",
            columns,
            names,
            window,
            AGGREGATE_STORE,
            finish,
            [self.source.name],
            types,
        )


def pseudo_columns() -> set[str]:
    return set(PSEUDO)
