"""ksqlDB's joins over the Streams library's (its JoinNode and the join builders):

    each source ─ its row node ─ PrependAlias<Left|Right> (every column as ALIAS_COLUMN)
      ├ a stream whose ON expression is not its key: <Left|Right>SourceKeyed-SelectKey,
      │   then the library's `Join-left-repartition` / `Join-right-repartition` (a
      │   stream–table join's stream: `Join-repartition`)
      ├ a table: materialized in `KafkaTopic_<Left|Right>-Reduce` (its value getter)
      └ stream–stream: `Join-this-windowed` … `Join-merge` (WITHIN: JoinWindows);
        stream–table: `Join`; table–table: `Join-join-this`, `Join-join-other`, `Join`

An n-way join is a left-deep tree, `(a ⋈ b) ⋈ c`: the inner joins are named as
ksqlDB's contexts stack them (`L_Join`, `L_L_Join` …). The joined row keeps each side's
columns under its alias and adds ROWTIME (the result's) and, for a synthetic key,
ROWKEY. The result's key is the ON expression's value: ksqlDB 0.29 names the key
column after a join expression the projection holds, or ROWKEY when the key is
synthetic (a FULL OUTER join, or no side of ON is a plain column)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.expressions import Compiled, ExpressionCompiler, Row, Scope, column_name, sql_of
from kafkatui.ecosystem.ksql.formats import InternalKeySerde, InternalSerde, KeySerde, ValueSerde
from kafkatui.ecosystem.ksql.metastore import PSEUDO, DataSource
from kafkatui.ecosystem.ksql.statements import Column, JoinClause, Query
from kafkatui.ecosystem.ksql.types import BIGINT, SqlType
from kafkatui.ecosystem.streams import Joined, JoinWindows, Processor, Record, StreamJoined, StreamsBuilder
from kafkatui.ecosystem.streams.kstream import KStream
from kafkatui.ecosystem.streams.ktable import KTable
from kafkatui.ecosystem.streams.operators import TableSource
from kafkatui.ecosystem.streams.stores import StoreBuilder

# ksqlDB's words for a join type in its messages ("Got L LEFT [OUTER] JOIN R.").
SHOWN = {"INNER": "[INNER] JOIN", "LEFT": "LEFT [OUTER] JOIN", "RIGHT": "RIGHT [OUTER] JOIN",
         "FULL": "[FULL] OUTER JOIN"}  # fmt: skip
NO_WITHIN = (
    "Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how "
    "to specify a WITHIN clause with a stream-stream join, please visit: "
    "https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select"
)


@dataclass
class Side:
    """One input of a join: a source (its alias) or the join below it."""

    kind: str  # STREAM | TABLE
    name: str  # as ksqlDB prints it in messages: the source, or the inner join's left source
    stream: KStream | None = None
    table: KTable | None = None
    key_names: set[str] = field(default_factory=set)  # row columns that hold the key


@dataclass
class JoinResult:
    stream: KStream  # the joined rows (a table's updates, for a table–table join)
    source: DataSource  # what the rest of the query reads: kind, no key columns
    scope: Scope
    key_names: set[str]  # the row columns the key equals (empty: synthetic)
    key_expressions: list[str]  # the join expressions, for ksqlDB's "must include" message
    synthetic: bool
    key_type: SqlType
    aliases: dict[str, DataSource]
    value_serdes: list[tuple[DataSource, ValueSerde]]


class _Stamp(Processor):
    """The joined row's own pseudo-columns: ROWTIME (the join result's timestamp) and,
    for a synthetic key, ROWKEY."""

    def __init__(self, synthetic: bool) -> None:
        self.synthetic = synthetic

    def process(self, record: Record) -> None:
        row = record.value
        if row is not None:
            row = {**row, "ROWTIME": record.timestamp}
            if self.synthetic:
                row["ROWKEY"] = record.key
        self.context.forward(Record(record.key, row, record.timestamp, record.headers))


class _Prefix(Processor):
    def __init__(self, alias: str) -> None:
        self.alias = alias

    def process(self, record: Record) -> None:
        row = record.value
        if row is not None:
            row = {f"{self.alias}_{n}": v for n, v in row.items()}
        self.context.forward(Record(record.key, row, record.timestamp, record.headers))


def _merge(key: Any, left: Row | None, right: Row | None) -> Row:
    return {**(left or {}), **(right or {})}


def _keeping(stream: KStream, supplier: Callable[[], Processor], name: str | None = None) -> KStream:
    """A node that keeps the key (KStream#processValues): no repartition mark."""
    marked = stream.repartition_required
    out = stream.process(supplier, name=name)
    out.repartition_required = marked
    return out


class JoinBuilder:
    def __init__(
        self,
        query: Query,
        sources: list[DataSource],
        rows: Callable[[DataSource, dict[int, int] | None], Processor],
        floors: dict[str, dict[int, int]] | None,
        clock: Callable[[], int],
    ) -> None:
        self.query, self.sources, self.rows, self.floors, self.clock = query, sources, rows, floors, clock
        self.aliases: dict[str, DataSource] = {query.alias: sources[0]}
        for clause, source in zip(query.joins, sources[1:], strict=True):
            if clause.alias in self.aliases:
                raise KsqlError(
                    f"{at(query.text, clause.offset)}: Can not join '{source.name}' to '{source.name}': "
                    "self joins are not yet supported."
                    if clause.source in {s.name for s in self.aliases.values()}
                    else f"{at(query.text, clause.offset)}: Duplicate alias {clause.alias}"
                )
            self.aliases[clause.alias] = source
        for clause, source in zip([None, *query.joins], sources, strict=True):
            if source.window is not None:  # a windowed table has no value getter to join with
                offset = query.source_offset if clause is None else clause.offset
                raise KsqlError(
                    f"{at(query.text, offset)}: {source.name} is windowed: joins of windowed sources are "
                    "not supported here"
                )
        schema: dict[str, SqlType] = {}
        names: dict[str, list[str]] = {}
        for alias, source in self.aliases.items():
            every = source.schema()
            names[alias] = list(every)
            schema |= {f"{alias}_{n}": t for n, t in every.items()}
        self.schema, self.names = schema, names
        self.value_serdes: list[tuple[DataSource, ValueSerde]] = []

    def _scope(self, extra: dict[str, SqlType]) -> Scope:
        return Scope(self.schema | extra, self.query.text, clock=self.clock, sources=self.names)

    def error(self, clause: JoinClause, message: str) -> KsqlError:
        return KsqlError(f"{at(self.query.text, clause.offset)}: {message}")

    # --- the inputs ------------------------------------------------------------------
    def _input(self, builder: StreamsBuilder, alias: str, context: str, side: str) -> Side:
        source = self.aliases[alias]
        serde = ValueSerde(source.value_format, source.columns, source.delimiter)
        self.value_serdes.append((source, serde))
        stream = builder.stream(source.topic, key_serde=KeySerde(source.key_format, source.columns),
                                value_serde=serde)  # fmt: skip
        floor = None if self.floors is None or source.kind == "TABLE" else self.floors.get(source.topic)
        rows = self.rows
        stream = _keeping(stream, lambda: rows(source, floor))
        stream = _keeping(stream, lambda: _Prefix(alias), f"{context}PrependAlias{side}")
        keys = {f"{alias}_{c.name}" for c in source.key_columns} if len(source.key_columns) == 1 else set()
        return Side(source.kind, source.name, stream=stream, key_names=keys)

    def _table(self, builder: StreamsBuilder, side: Side, context: str, which: str) -> KTable:
        if side.table is not None:
            return side.table
        assert side.stream is not None
        store = f"{context}KafkaTopic_{which}-Reduce"
        node = builder.new_processor_name("KTABLE-SOURCE-")
        builder.topology.add_processor(node, lambda: TableSource(store), side.stream.node)
        builder.topology.add_state_store(StoreBuilder(store, InternalKeySerde(), InternalSerde()), node)
        side.table = builder.table_of(node, InternalKeySerde(), InternalSerde(), store)
        return side.table

    # --- the ON expression ------------------------------------------------------------
    def _sides_of(self, clause: JoinClause, left_aliases: set[str]) -> tuple[exp.Expression, exp.Expression]:
        on = clause.on
        if not isinstance(on, exp.EQ):
            raise self.error(
                clause,
                f"Unsupported join expression: {sql_of(on)}. Only equality joins between two sources are "
                "supported (eg, ON A.ID = B.ID)",
            )
        scope = self._scope({})

        def owners(node: exp.Expression) -> set[str]:
            found = set()
            for column in node.find_all(exp.Column):
                resolved = scope.resolve(
                    column_name(column.args["table"]) if column.table else None, column_name(column.this)
                )
                if isinstance(resolved, str):
                    found |= {a for a in self.names if resolved.startswith(f"{a}_")}
            return found

        a, b = on.this, on.expression
        if owners(a) <= left_aliases and owners(b) == {clause.alias}:
            return a, b
        if owners(b) <= left_aliases and owners(a) == {clause.alias}:
            return b, a
        raise self.error(
            clause,
            f"Invalid comparison expression '{sql_of(on)}' in join. Each side of the join comparision "
            "must contain references from exactly one source.",
        )

    def _column_of(self, node: exp.Expression, compiled: ExpressionCompiler) -> str | None:
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            scope = compiled.scope
            resolved = scope.resolve(
                column_name(node.args["table"]) if node.table else None, column_name(node.this)
            )
            return resolved if isinstance(resolved, str) else None
        return None

    def _keyed(
        self, builder: StreamsBuilder, side: Side, node: exp.Expression, compiled: Compiled,
        column: str | None, context: str, which: str,
    ) -> Side:  # fmt: skip
        """The side keyed by its ON expression: as it is when the key is that column."""
        if column is not None and column in side.key_names:
            return side
        assert side.stream is not None
        evaluate = compiled.evaluate
        stream = side.stream.select_key(
            lambda k, row: None if row is None else evaluate(row),
            name=f"{context}{which}SourceKeyed-SelectKey",
        )
        return Side(side.kind, side.name, stream=stream, key_names={column} if column else set())

    # --- the tree ------------------------------------------------------------------------
    def build(self, builder: StreamsBuilder) -> JoinResult:
        query = self.query
        depth = len(query.joins)
        left = self._input(builder, query.alias, "L_" * (depth - 1), "Left")
        left_aliases = {query.alias}
        key_type: SqlType = BIGINT
        synthetic = False
        expressions: list[str] = []
        for index, clause in enumerate(query.joins):
            context = "L_" * (depth - 1 - index)
            right = self._input(builder, clause.alias, context, "Right")
            left, synthetic, key_type, expressions = self._join(
                builder, left, right, clause, left_aliases, context
            )
            left_aliases.add(clause.alias)
        extra: dict[str, SqlType] = {"ROWTIME": BIGINT} | ({"ROWKEY": key_type} if synthetic else {})
        stream = left.stream if left.table is None else left.table.to_stream()
        assert stream is not None
        stream = _keeping(stream, lambda: _Stamp(synthetic))
        columns = [Column(n, t) for n, t in (self.schema | extra).items()]
        source = DataSource("JOIN", left.kind, columns, "", window=None)
        return JoinResult(
            stream, source, self._scope(extra), set() if synthetic else left.key_names, expressions,
            synthetic, key_type, self.aliases, self.value_serdes,
        )  # fmt: skip

    def _join(
        self, builder: StreamsBuilder, left: Side, right: Side, clause: JoinClause, left_aliases: set[str],
        context: str,
    ) -> tuple[Side, bool, SqlType, list[str]]:  # fmt: skip
        shown = f"{left.name} {SHOWN[clause.type]} {right.name}"
        kinds = (left.kind, right.kind)
        if kinds == ("TABLE", "STREAM"):
            raise self.error(
                clause,
                "Invalid join order: table-stream joins are not supported; only stream-table joins. "
                f"Got {shown}.",
            )
        if kinds == ("STREAM", "STREAM") and clause.within is None:
            raise self.error(clause, NO_WITHIN)
        if kinds == ("STREAM", "TABLE") and clause.within is not None:
            raise self.error(
                clause,
                "A window definition was provided for a Stream-Table join. These joins are not windowed. "
                "Please drop the window definition (ie. the WITHIN clause) and try to execute your join "
                "again.",
            )
        if kinds == ("TABLE", "TABLE") and clause.within is not None:
            raise self.error(
                clause,
                "A window definition was provided for a Table-Table join. These joins are not windowed. "
                "Please drop the window definition (i.e. the WITHIN clause) and try to execute your "
                "Table-Table join again.",
            )
        if kinds == ("STREAM", "TABLE") and clause.type in ("FULL", "RIGHT"):
            word = "full-outer" if clause.type == "FULL" else "right-outer"
            raise self.error(
                clause, f"Invalid join type: {word} join not supported for stream-table join. Got {shown}."
            )
        left_node, right_node = self._sides_of(clause, left_aliases)
        compiler = ExpressionCompiler(self._scope({}))
        left_compiled, right_compiled = compiler.compile(left_node), compiler.compile(right_node)
        condition = f"{sql_of(left_node)} = {sql_of(right_node)}"
        if left_compiled.type != right_compiled.type:
            raise self.error(
                clause,
                "Invalid join condition: types don't match. "
                f"Got {sql_of(left_node)}{{{left_compiled.type}}} = "
                f"{sql_of(right_node)}{{{right_compiled.type}}}.",
            )
        left_column, right_column = (
            self._column_of(left_node, compiler),
            self._column_of(right_node, compiler),
        )
        if kinds == ("STREAM", "TABLE") and right_column not in right.key_names:
            raise self.error(
                clause,
                "Invalid join condition: stream-table joins require to join on the table's primary key. "
                f"Got {_qualified(left_node, left_column)} = {_qualified(right_node, right_column)}.",
            )
        if kinds == ("TABLE", "TABLE"):
            if right_column not in right.key_names:
                raise self.error(
                    clause,
                    "Invalid join condition: table-table joins require to join on the primary key of the "
                    f"right input table. Got {_qualified(left_node, left_column)} = "
                    f"{_qualified(right_node, right_column)}.",
                )
            if left_column not in left.key_names:
                raise self.error(
                    clause,
                    "Invalid join condition: foreign-key table-table joins are not supported here. "
                    f"Got {condition}.",
                )
        self._copartitioned(left, right, left_column, right_column, clause)
        left = self._keyed(builder, left, left_node, left_compiled, left_column, context, "Left")
        right = self._keyed(builder, right, right_node, right_compiled, right_column, context, "Right")
        synthetic = clause.type == "FULL" or (left_column is None and right_column is None)
        keys = (left.key_names | right.key_names) if not synthetic else set()
        expressions = [sql_of(n) for n, c in ((left_node, left_column), (right_node, right_column)) if c] or [
            "ROWKEY"
        ]
        name = f"{context}Join"
        internal = (InternalKeySerde(), InternalSerde(), InternalSerde())
        if kinds == ("STREAM", "STREAM"):
            assert left.stream is not None and right.stream is not None and clause.within is not None
            within = clause.within
            if within.grace_ms is None:
                windows = JoinWindows.of(within.before_ms)
            else:
                windows = JoinWindows.of_time_difference_and_grace(within.before_ms, within.grace_ms)
            windows = windows.before(within.before_ms).after(within.after_ms)
            joined = StreamJoined.with_serdes(*internal).with_name(name).with_store_name(name)
            if clause.type == "RIGHT":  # ksqlDB's right join: the right side left-joins the left
                swapped = windows.before(within.after_ms).after(within.before_ms)
                stream = right.stream.left_join(
                    left.stream, lambda k, r, lv: _merge(k, lv, r), swapped, joined
                )
            elif clause.type == "FULL":
                stream = left.stream.outer_join(right.stream, _merge, windows, joined)
            elif clause.type == "LEFT":
                stream = left.stream.left_join(right.stream, _merge, windows, joined)
            else:
                stream = left.stream.join(right.stream, _merge, windows, joined)
            return (
                Side("STREAM", left.name, stream=stream, key_names=keys),
                synthetic,
                left_compiled.type,
                expressions,
            )
        if kinds == ("STREAM", "TABLE"):
            assert left.stream is not None
            table = self._table(builder, right, context, "Right")
            join_of = left.stream.left_join if clause.type == "LEFT" else left.stream.join
            stream = join_of(table, _merge, Joined.with_serdes(*internal[:2]).with_name(name))
            return (
                Side("STREAM", left.name, stream=stream, key_names=keys),
                synthetic,
                left_compiled.type,
                expressions,
            )
        this, other = (
            self._table(builder, left, context, "Left"),
            self._table(builder, right, context, "Right"),
        )
        join_table = {"INNER": this.join, "LEFT": this.left_join, "FULL": this.outer_join}.get(clause.type)
        if join_table is None:  # RIGHT: the other table left-joins this one
            result = other.left_join(
                this, lambda k, r, lv: _merge(k, lv, r), value_serde=InternalSerde(), name=name
            )
        else:
            result = join_table(other, _merge, value_serde=InternalSerde(), name=name)
        return (
            Side("TABLE", left.name, table=result, key_names=keys),
            synthetic,
            left_compiled.type,
            expressions,
        )

    def _copartitioned(
        self, left: Side, right: Side, left_column: str | None, right_column: str | None, clause: JoinClause
    ) -> None:
        """ksqlDB refuses sources whose partitions differ when neither side repartitions."""
        if left_column not in left.key_names or right_column not in right.key_names:
            return
        if len(self.aliases) != 2:
            return
        a, b = self.aliases.values()
        if a.partitions != b.partitions:
            raise self.error(
                clause,
                f"Can't join `{a.name}` with `{b.name}` since the number of partitions don't match. "
                f"`{a.name}` partitions = {a.partitions}; `{b.name}` partitions = {b.partitions}. "
                "Please repartition either one so that the number of partitions match.",
            )


def _qualified(node: exp.Expression, column: str | None) -> str:
    """`L_A` back to `L.A`, as ksqlDB's messages name a join's columns."""
    if column is None:
        return sql_of(node)
    alias, _, name = column.partition("_")
    return f"{alias}.{name}"


def star_names(result: JoinResult, alias: str | None) -> list[str]:
    """`*` (every source's columns, then ROWKEY first if synthetic) or `alias.*`."""
    names: list[str] = []
    for name, source in result.aliases.items():
        if alias is None or alias == name:
            names += [f"{name}_{c.name}" for c in source.key_columns]
            names += [f"{name}_{c.name}" for c in source.value_columns]
    return (["ROWKEY"] if result.synthetic and alias is None else []) + names


def output_name(result: JoinResult, node: exp.Column) -> str:
    """An unaliased column of a join's projection: its name alone when only one source
    has it, else ALIAS_NAME (ksqlDB 0.29)."""
    name = column_name(node.this)
    if name == "ROWKEY" and result.synthetic:
        return name
    owners = [a for a, s in result.aliases.items() if name in {c.name for c in s.columns} | set(PSEUDO)]
    if len(owners) == 1 and not node.table:
        return name
    qualifier = column_name(node.args["table"]) if node.table else owners[0] if owners else ""
    if len(owners) == 1:
        return name
    return f"{qualifier}_{name}"


def join_outputs(
    join: JoinResult, nodes: list[exp.Expression], names_given: list[str], compiler: ExpressionCompiler
) -> tuple[list[tuple[str, Compiled]], list[Column], str | None]:
    """A join's projection: `*` and `alias.*`, its columns' names (`output_name`), and
    its key column: the first item that is a join expression (ROWKEY when the key is
    synthetic), or, without one, ksqlDB's words for a persistent query that lacks it."""
    scope = compiler.scope
    outputs: list[tuple[str, Compiled]] = []
    candidates: list[bool] = []

    def is_key(name: str) -> bool:
        return name == "ROWKEY" if join.synthetic else name in join.key_names

    for index, node in enumerate(nodes):
        inner = node.this if isinstance(node, exp.Alias) else node
        if isinstance(inner, exp.Star) or (
            isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)
        ):
            alias = column_name(inner.args["table"]) if isinstance(inner, exp.Column) else None
            if alias is not None and alias not in join.aliases:
                raise compiler.error(inner, f"'{alias}' is not a source or alias in the FROM clause.")
            star = [(n, Compiled(_getter(n), scope.schema[n])) for n in star_names(join, alias)]
            outputs += star
            candidates += [is_key(n) for n, _ in star]
            continue
        compiled = compiler.compile(inner)
        name = names_given[index]
        row_name = None
        if isinstance(inner, exp.Column):
            resolved = scope.resolve(
                column_name(inner.args["table"]) if inner.table else None, column_name(inner.this)
            )
            row_name = resolved if isinstance(resolved, str) else None
            if not isinstance(node, exp.Alias):
                name = output_name(join, inner)
        outputs.append((name, compiled))
        candidates.append(row_name is not None and is_key(row_name))
    first = next((i for i, c in enumerate(candidates) if c), None)
    if first is not None:
        name, compiled = outputs[first]
        return outputs, [Column(name, compiled.type, True)], None
    if join.synthetic:
        return (
            outputs,
            [],
            (
                "must include the join expression ROWKEY in its projection (eg, SELECT ROWKEY...).\n"
                "ROWKEY was added as a synthetic key column because the join criteria did not match any "
                "source column. This expression must be included in the projection and may be aliased."
            ),
        )
    shown = [e.replace("`", "") for e in join.key_expressions]
    return (
        outputs,
        [],
        (
            f"must include the join expressions {' or '.join(shown)} in its projection "
            f"(eg, SELECT {shown[0]}...)."
        ),
    )


def _getter(name: str) -> Callable[[Row], Any]:
    return lambda row: row.get(name)
