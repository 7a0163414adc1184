"""A SQLite source with the Confluent JDBC source connector's configs and offsets
(io.confluent.connect.jdbc.JdbcSourceConnector): each table of `table.whitelist` (or
every table), or one `query`, is read into topic `topic.prefix` + table (the prefix
alone for a query), one record per row, its value a Struct whose schema follows the
table's columns.

`mode` says how new rows are found, as JDBC's: `bulk` reads everything every
`poll.interval.ms`; `incrementing` the rows whose `incrementing.column.name` is above the
last one sent; `timestamp` those whose `timestamp.column.name` is later; and
`timestamp+incrementing` both (later, or as late with a higher id). The source
partition is `{"table": t}` or `{"query": "query"}` and the offset
`{"incrementing": n}`, `{"timestamp": ms}` or both, as JDBC's TimestampIncrementingOffset,
so a restarted task reads on from the last committed row."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import aiosqlite

from kafkatui.ecosystem.connect import sqlite
from kafkatui.ecosystem.connect.api import (
    ConnectException,
    Props,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from kafkatui.ecosystem.connect.config import (
    ConfigDef,
    ConfigType,
    Importance,
    at_least,
    one_of,
)
from kafkatui.ecosystem.connect.data import Schema

BULK, INCREMENTING, TIMESTAMP, TIMESTAMP_INCREMENTING = (
    "bulk", "incrementing", "timestamp", "timestamp+incrementing",
)  # fmt: skip
MODES = (BULK, INCREMENTING, TIMESTAMP, TIMESTAMP_INCREMENTING)
TABLES_CONFIG = "tables"  # the task's share of the tables (JdbcSourceTaskConfig.TABLES_CONFIG)
WAIT_SLICE_S = 0.5  # a poll waits no longer than this, so a stopping worker is not held


class SqliteSourceConnector(SourceConnector):
    def version(self) -> str:
        return sqlite.VERSION

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define(sqlite.CONNECTION_URL_CONFIG, ConfigType.STRING, importance=Importance.HIGH,
                    documentation=sqlite.CONNECTION_URL_DOC, validators=[sqlite.check_url], group="Database")
            .define("table.whitelist", ConfigType.LIST, "", Importance.MEDIUM,
                    "List of tables to include in copying. If specified, table.blacklist may not be set. "
                    "Empty (and no query): every table.", group="Database")
            .define("table.blacklist", ConfigType.LIST, "", Importance.MEDIUM,
                    "List of tables to exclude from copying.", group="Database")
            .define("query", ConfigType.STRING, "", Importance.MEDIUM,
                    "If specified, the query to perform to select new or updated rows, instead of whole "
                    "tables. The mode's criteria are applied around it.", group="Mode")
            .define("mode", ConfigType.STRING, importance=Importance.HIGH,
                    documentation="The mode for updating a table each time it is polled: bulk, "
                    "incrementing, timestamp or timestamp+incrementing.",
                    validators=[one_of(*MODES)], group="Mode")
            .define("incrementing.column.name", ConfigType.STRING, "", Importance.MEDIUM,
                    "The name of the strictly incrementing column to use to detect new rows.", group="Mode")
            .define("timestamp.column.name", ConfigType.LIST, "", Importance.MEDIUM,
                    "The name of the timestamp column to use to detect new or modified rows "
                    "(integer epoch milliseconds or ISO-8601 text).", group="Mode")
            .define("topic.prefix", ConfigType.STRING, importance=Importance.HIGH,
                    documentation="Prefix to prepend to table names to generate the name of the topic to "
                    "publish data to, or in the case of a custom query, the full name of the topic.",
                    group="Connector")
            .define("poll.interval.ms", ConfigType.INT, 5000, Importance.HIGH,
                    "Frequency in ms to poll for new data in each table.", validators=[at_least(1)],
                    group="Connector")
            .define("batch.max.rows", ConfigType.INT, 100, Importance.LOW,
                    "Maximum number of rows to include in a single batch when polling for new data.",
                    validators=[at_least(1)], group="Connector")
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        """JdbcSourceConnectorConfig's cross-field checks, every one that fails."""
        values = {n: v.value for n, v in self.config_def().validate(props).items()}
        problems: dict[str, list[str]] = {}

        def add(name: str, message: str) -> None:
            problems.setdefault(name, []).append(message)

        white = (
            [t for t in values["table.whitelist"] or [] if t]
            if isinstance(values["table.whitelist"], list)
            else []
        )
        black = (
            [t for t in values["table.blacklist"] or [] if t]
            if isinstance(values["table.blacklist"], list)
            else []
        )
        query = str(values["query"] or "").strip()
        if white and black:
            add("table.whitelist", "table.whitelist and table.blacklist are exclusive.")
            add("table.blacklist", "table.whitelist and table.blacklist are exclusive.")
        if query and (white or black):
            add("query", "Do not specify table filtering (table.whitelist, table.blacklist) with a query.")
        mode = values["mode"]
        timestamps = (
            values["timestamp.column.name"] if isinstance(values["timestamp.column.name"], list) else []
        )
        if (
            mode in (INCREMENTING, TIMESTAMP_INCREMENTING)
            and not str(values["incrementing.column.name"]).strip()
        ):
            add(
                "incrementing.column.name",
                f"Mode {mode} needs incrementing.column.name, the column to track.",
            )
        if mode in (TIMESTAMP, TIMESTAMP_INCREMENTING) and not [t for t in timestamps if t]:
            add("timestamp.column.name", f"Mode {mode} needs timestamp.column.name, the column to track.")
        return problems

    def start(self, props: Props) -> None:
        self.props = dict(props)
        self.values = self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return SqliteSourceTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        """A query is one task; tables are shared among up to tasks.max tasks, as JDBC's
        groupPartitions does (the tables are listed when the task starts if none are named)."""
        if str(self.values["query"]).strip():
            return [dict(self.props)]
        tables = [t for t in self.values["table.whitelist"] if t]
        if not tables:
            return [dict(self.props)]
        groups = [tables[i::max_tasks] for i in range(min(max_tasks, len(tables)))]
        return [{**self.props, TABLES_CONFIG: ",".join(group)} for group in groups]


class _Querier:
    """One table or the query, with its offset (JDBC's TableQuerier)."""

    def __init__(self, table: str | None, query: str | None, topic: str) -> None:
        self.table, self.query, self.topic = table, query, topic
        self.partition: dict[str, str] = {"table": table} if table is not None else {"query": "query"}
        self.offset: dict[str, int] = {}
        self.schema: Schema | None = None
        self.next_poll = 0.0


class SqliteSourceTask(SourceTask):
    def version(self) -> str:
        return sqlite.VERSION

    async def start(self, props: Props) -> None:
        values = SqliteSourceConnector().config_def().parse(props)
        self.url = values[sqlite.CONNECTION_URL_CONFIG]
        self.mode: str = values["mode"]
        self.incrementing: str = str(values["incrementing.column.name"]).strip()
        self.timestamps: list[str] = [t for t in values["timestamp.column.name"] if t]
        self.interval_s = values["poll.interval.ms"] / 1000
        self.max_rows: int = values["batch.max.rows"]
        prefix: str = values["topic.prefix"]
        self.db: aiosqlite.Connection = await sqlite.connect(self.url, create=False)
        query = str(values["query"]).strip()
        if query:
            self.queriers = [_Querier(None, query, prefix)]
        else:
            listed = [t for t in (props.get(TABLES_CONFIG) or "").split(",") if t] or [
                t for t in values["table.whitelist"] if t
            ]
            tables = listed or await self._all_tables(set(values["table.blacklist"]))
            self.queriers = [_Querier(t, None, prefix + t) for t in tables]
        for querier in self.queriers:
            if querier.table is not None:
                querier.schema = await self._table_schema(querier.table)
            offset = self.context.offset_storage_reader.offset(querier.partition)
            if offset:
                querier.offset = {k: int(v) for k, v in offset.items() if k in ("incrementing", "timestamp")}

    async def _all_tables(self, excluded: set[str]) -> list[str]:
        async with self.db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) as cursor:
            return [row[0] for row in await cursor.fetchall() if row[0] not in excluded]

    async def _table_schema(self, table: str) -> Schema:
        """The value schema: a Struct named after the table, a field per column, optional
        where the column may be NULL (JDBC's DataConverter)."""
        async with self.db.execute(f"PRAGMA table_info({sqlite.quote(table)})") as cursor:
            columns = await cursor.fetchall()
        if not columns:
            raise ConnectException(
                f"Table {table} cannot be read from {sqlite.database_path(self.url)}: no such table"
            )
        fields = []
        for _cid, name, declared, notnull, _default, pk in columns:
            # SQLite lets a non-INTEGER primary key hold NULL; only NOT NULL (or the rowid) is sure.
            required = bool(notnull) or (pk == 1 and "INT" in str(declared).upper())
            fields.append((name, sqlite.schema_of_declared(str(declared or ""), optional=not required)))
        for column in [self.incrementing, *self.timestamps] if self.mode != BULK else []:
            if column and column not in {f[0] for f in fields}:
                raise ConnectException(f"Table {table} has no column {column} to track (mode {self.mode})")
        return Schema("struct", name=table, fields=tuple(fields))

    def _statement(self, querier: _Querier) -> tuple[str, list[Any]]:
        """The querier's SELECT with the mode's criteria (JDBC's TimestampIncrementingCriteria)."""
        source = f"({querier.query})" if querier.query is not None else sqlite.quote(str(querier.table))
        base = f"SELECT * FROM {source}"
        if self.mode == BULK:
            return base, []
        inc = sqlite.quote(self.incrementing) if self.incrementing else ""
        # COALESCE over the timestamp columns (JDBC's list); text is read as ISO-8601.
        ts = "COALESCE(" + ", ".join(_millis(sqlite.quote(c)) for c in self.timestamps) + ", NULL)"
        last_inc = querier.offset.get("incrementing", -1)
        last_ts = querier.offset.get("timestamp", -1)
        if self.mode == INCREMENTING:
            return f"{base} WHERE {inc} > ? ORDER BY {inc} ASC LIMIT ?", [last_inc]
        # Rows stamped "now" may still be joined by others of the same millisecond, so JDBC
        # reads only what is older than the current time (TimestampIncrementingCriteria).
        now = int(time.time() * 1000)
        if self.mode == TIMESTAMP:
            return f"{base} WHERE {ts} > ? AND {ts} < ? ORDER BY {ts} ASC LIMIT ?", [last_ts, now]
        return (
            f"{base} WHERE {ts} < ? AND (({ts} = ? AND {inc} > ?) OR {ts} > ?) "
            f"ORDER BY {ts} ASC, {inc} ASC LIMIT ?",
            [now, last_ts, last_inc, last_ts],
        )

    async def poll(self) -> list[SourceRecord] | None:
        loop = asyncio.get_running_loop()
        for querier in self.queriers:
            if loop.time() < querier.next_poll:
                continue
            records = await self._read(querier)
            if len(records) < self.max_rows or self.mode == BULK:
                querier.next_poll = loop.time() + self.interval_s  # caught up: wait a poll interval
            if records:
                return records
        soonest = min(q.next_poll for q in self.queriers) if self.queriers else loop.time() + WAIT_SLICE_S
        await asyncio.sleep(min(max(soonest - loop.time(), 0.01), WAIT_SLICE_S))
        return None

    async def _read(self, querier: _Querier) -> list[SourceRecord]:
        statement, parameters = self._statement(querier)
        try:
            if self.mode == BULK:
                cursor = await self.db.execute(statement, parameters)
            else:
                cursor = await self.db.execute(statement, [*parameters, self.max_rows])
            async with cursor:
                names = [d[0] for d in cursor.description]
                rows = await cursor.fetchall()
        except Exception as error:  # sqlite3.OperationalError: no such table, no such column…
            what = f"table {querier.table}" if querier.table is not None else f"query {querier.query!r}"
            raise ConnectException(
                f"Failed to run query for {what} in {sqlite.database_path(self.url)}: {error}"
            ) from error
        schema = querier.schema
        if querier.table is not None and schema is not None and [f[0] for f in schema.fields] != names:
            schema = querier.schema = await self._table_schema(querier.table)  # the table was altered
        elif querier.table is None:
            schema = querier.schema = _schema_from_rows(names, rows, querier.schema)
        records = []
        for row in rows:
            value = dict(zip(names, row, strict=True))
            if self.mode in (INCREMENTING, TIMESTAMP_INCREMENTING):
                querier.offset["incrementing"] = int(value[self.incrementing])
            if self.mode in (TIMESTAMP, TIMESTAMP_INCREMENTING):
                querier.offset["timestamp"] = _to_millis(
                    next(v for c in self.timestamps if (v := value.get(c)) is not None)
                )
            offset = dict(querier.offset) if self.mode != BULK else None
            records.append(SourceRecord(querier.partition, offset, querier.topic, value, schema))
        return records

    async def stop(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            self.db = None  # type: ignore[assignment]
            await db.close()


def _millis(column: str) -> str:
    """A SQL expression for a column's value as epoch milliseconds."""
    return (
        f"(CASE WHEN typeof({column}) IN ('integer', 'real') THEN CAST({column} AS INTEGER) "
        f"WHEN {column} IS NULL THEN NULL "
        f"ELSE CAST(ROUND((julianday({column}) - 2440587.5) * 86400000) AS INTEGER) END)"
    )


def _to_millis(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    from datetime import UTC, datetime

    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp() * 1000)


def _schema_from_rows(names: list[str], rows: list[Any], before: Schema | None) -> Schema:
    """A query's schema: Python's sqlite3 gives no declared types for a query's columns,
    so each comes from the batch's first non-null value, or stays what it was when the
    batch has none (all fields optional: a query's columns may be NULL)."""
    known = dict(before.fields) if before is not None else {}
    fields = []
    for i, name in enumerate(names):
        sample = next((row[i] for row in rows if row[i] is not None), None)
        if sample is None and name in known:
            fields.append((name, known[name]))
        else:
            fields.append((name, sqlite.schema_of_value(sample)))
    return Schema("struct", fields=tuple(fields))
