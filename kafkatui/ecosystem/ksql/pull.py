"""Pull queries (ksqlDB's PullQueryExecutor): a table's rows as they are now, read from
the store of the persistent query that materializes it, never from its topic. `WHERE
key = value` (or `key IN (…)`) reads those keys only; any other WHERE scans the store
(ksql.query.pull.table.scan.enabled, on by default since ksqlDB 0.23)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.compiler import output_names
from kafkatui.ecosystem.ksql.ddl import source_of
from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.expressions import Evaluator, ExpressionCompiler, Scope, column_name
from kafkatui.ecosystem.ksql.metastore import DataSource, Metastore
from kafkatui.ecosystem.ksql.running import RunningQuery
from kafkatui.ecosystem.streams import TimeWindow, Windowed

NO_KEYS = object()  # the WHERE does not name the keys: scan


def _getter(name: str) -> Evaluator:
    return lambda row: row.get(name)


def _keys(where: exp.Expression | None, table: DataSource, compiler: ExpressionCompiler) -> Any:
    """The key values a WHERE pins the single key column to, or NO_KEYS."""
    keys = table.key_columns
    if where is None or len(keys) != 1:
        return NO_KEYS
    name = keys[0].name
    node = where
    if isinstance(node, exp.EQ):
        column, value = node.this, node.expression
        if isinstance(value, exp.Column):
            column, value = value, column
        if isinstance(column, exp.Column) and column_name(column.this) == name and not value.find(exp.Column):
            return [compiler.compile(value).evaluate({})]
    pinned = (
        isinstance(node, exp.In) and isinstance(node.this, exp.Column) and column_name(node.this.this) == name
    )
    if pinned and not any(e.find(exp.Column) for e in node.expressions):
        return [compiler.compile(e).evaluate({}) for e in node.expressions]
    return NO_KEYS


def _entries(running: RunningQuery, keys: Any) -> list[tuple[Any, Any]]:
    if keys is NO_KEYS:
        return running.store_rows()
    found: list[tuple[Any, Any]] = []
    for task in running.streams.tasks.values():
        store = task.stores.get(running.plan.store or "")
        if store is None:
            continue
        for key in keys:
            if running.plan.sessions:  # every session of the key, by end then start
                found += store.find_sessions(key, -(2**62), 2**62)
            elif getattr(store, "windowed", False):
                size = store.size_ms
                found += [
                    (Windowed(key, _window(start, size)), v) for start, v in store.fetch_range(key, 0, 2**62)
                ]
            elif (value := store.get(key)) is not None:
                found.append((key, value))
    return found


def _window(start: int, size: int) -> TimeWindow:
    return TimeWindow(start, start + size)


def pull_query(
    metastore: Metastore, running: dict[str, RunningQuery], statement: st.Select
) -> tuple[list[str], list[str], list[list[Any]]]:
    query = statement.query
    table = source_of(metastore, query)
    if table.kind != "TABLE":
        raise KsqlError(
            "Pull queries don't support streams. Did you mean to run a push query (EMIT CHANGES)?"
        )
    writer = next((running.get(q.id) for q in metastore.writers(table.name)), None)
    if writer is None or writer.plan.finish is None:
        raise KsqlError(
            f"The `{table.name}` table isn't queryable. To derive a queryable table, you can do "
            f"'CREATE TABLE QUERYABLE_{table.name} AS SELECT * FROM {table.name}'."
        )
    compiler = ExpressionCompiler(Scope(table.schema(), query.text))
    where = query.select.args.get("where")
    condition = compiler.predicate(where.this) if where is not None else None
    outputs: list[tuple[str, Evaluator, str]] = []
    names = output_names(list(query.select.expressions))
    for index, node in enumerate(query.select.expressions):
        if isinstance(node, exp.Star):
            outputs += [(c.name, _getter(c.name), str(c.type)) for c in table.columns]
            if table.window:
                outputs += [(b, _getter(b), "BIGINT") for b in ("WINDOWSTART", "WINDOWEND")]
            continue
        inner = node.this if isinstance(node, exp.Alias) else node
        compiled = compiler.compile(inner)
        outputs.append((names[index], compiled.evaluate, str(compiled.type)))
    rows: list[list[Any]] = []
    for key, state in _entries(writer, _keys(where.this if where is not None else None, table, compiler)):
        row = writer.plan.finish(key, state)
        if row is None:
            continue
        if isinstance(key, Windowed):
            row = row | {"WINDOWSTART": key.window.start, "WINDOWEND": key.window.end}
        if condition is not None and not condition(row):
            continue
        rows.append([evaluate(row) for _, evaluate, _ in outputs])
        if query.limit is not None and len(rows) >= query.limit:
            break
    return [n for n, _, _ in outputs], [t for _, _, t in outputs], rows
