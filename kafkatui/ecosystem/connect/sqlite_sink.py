"""A SQLite sink with the Confluent JDBC sink connector's configs
(io.confluent.connect.jdbc.JdbcSinkConnector): each record becomes a row of the table
`table.name.format` names (`${topic}` by default), its columns the value's Struct fields.

- `insert.mode=insert` adds rows; `upsert` inserts or replaces the row with the same
  primary key (INSERT … ON CONFLICT DO UPDATE), so a record delivered twice — at least
  once, after a restart — leaves one row.
- `pk.mode` says where the key columns come from: `none`; `kafka` (the record's
  coordinates, `__connect_topic`, `__connect_partition`, `__connect_offset`: the choice
  for values with no key of their own); `record_key` (the key, a Struct's fields or one
  primitive named by `pk.fields`); `record_value` (fields of the value).
- `auto.create` creates a missing table from the record's schema, `auto.evolve` adds
  the columns a newer schema has (optional fields only, as JDBC's).
- `delete.enabled` turns a tombstone (a null value) into a DELETE by key (pk.mode
  record_key); otherwise tombstones are skipped.

Each `put` writes its rows in one transaction, `batch.size` rows per statement, and
commits it before returning, so the worker commits the consumer offsets (after `flush`)
only for rows already in the database. A value that is not a Struct (a FileStreamSource
line) goes to one column named `value`, as HoistField$Value with field=value would make
it (a kafkatui allowance: JDBC's sink refuses such records)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from typing import Any

import aiosqlite

from kafkatui.ecosystem.connect import sqlite
from kafkatui.ecosystem.connect.api import (
    ConnectException,
    Props,
    SinkConnector,
    SinkRecord,
    SinkTask,
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
from kafkatui.ecosystem.connect.errors import RetriableException

INSERT_MODES = ("insert", "upsert")
PK_MODES = ("none", "kafka", "record_key", "record_value")
KAFKA_PK = ("__connect_topic", "__connect_partition", "__connect_offset")
KAFKA_PK_SCHEMAS = (Schema("string"), Schema("int32"), Schema("int64"))
HOISTED_FIELD = "value"


class SqliteSinkConnector(SinkConnector):
    def version(self) -> str:
        return sqlite.VERSION

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define(sqlite.CONNECTION_URL_CONFIG, ConfigType.STRING, importance=Importance.HIGH,
                    documentation=sqlite.CONNECTION_URL_DOC + " Created if it does not exist.",
                    validators=[sqlite.check_url], group="Connection")
            .define("insert.mode", ConfigType.STRING, "insert", Importance.HIGH,
                    "The insertion mode to use: insert or upsert (insert, or update the row of the same "
                    "primary key).", validators=[one_of(*INSERT_MODES)], group="Writes")
            .define("batch.size", ConfigType.INT, 3000, Importance.MEDIUM,
                    "Specifies how many records to attempt to batch together for insertion into the "
                    "destination table, when possible.", validators=[at_least(1)], group="Writes")
            .define("delete.enabled", ConfigType.BOOLEAN, False, Importance.MEDIUM,
                    "Whether to treat null record values as deletes. Requires pk.mode to be record_key.",
                    group="Writes")
            .define("table.name.format", ConfigType.STRING, "${topic}", Importance.MEDIUM,
                    "A format string for the destination table name, which may contain '${topic}' as a "
                    "placeholder for the originating topic name.", group="Data Mapping")
            .define("pk.mode", ConfigType.STRING, "none", Importance.HIGH,
                    "The primary key mode: none, kafka, record_key or record_value.",
                    validators=[one_of(*PK_MODES)], group="Data Mapping")
            .define("pk.fields", ConfigType.LIST, "", Importance.MEDIUM,
                    "List of comma-separated primary key field names; what it means depends on pk.mode.",
                    group="Data Mapping")
            .define("auto.create", ConfigType.BOOLEAN, False, Importance.MEDIUM,
                    "Whether to automatically create the destination table based on record schema if it "
                    "is found to be missing by issuing CREATE.", group="DDL Support")
            .define("auto.evolve", ConfigType.BOOLEAN, False, Importance.MEDIUM,
                    "Whether to automatically add columns in the table schema when found to be missing "
                    "relative to the record schema by issuing ALTER.", group="DDL Support")
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        """JdbcSinkConfig's cross-field checks, every one that fails."""
        values = {n: v.value for n, v in self.config_def().validate(props).items()}
        problems: dict[str, list[str]] = {}
        pk_mode = values["pk.mode"]
        if values["delete.enabled"] is True and pk_mode != "record_key":
            problems.setdefault("delete.enabled", []).append(
                "Deletes are only supported for pk.mode record_key"
            )
        if values["insert.mode"] == "upsert" and pk_mode == "none":
            problems.setdefault("pk.mode", []).append(
                "insert.mode upsert needs a primary key: pk.mode kafka, record_key or record_value"
            )
        fields = values["pk.fields"] if isinstance(values["pk.fields"], list) else []
        if pk_mode == "kafka" and [f for f in fields if f] and len([f for f in fields if f]) != 3:
            problems.setdefault("pk.fields", []).append(
                "PK mode for table is kafka so there should either be no field names defined for defaults "
                f"{','.join(KAFKA_PK)} to be applicable, or exactly 3"
            )
        if not str(values["table.name.format"] or "").strip():
            problems.setdefault("table.name.format", []).append("table.name.format may not be empty")
        return problems

    def start(self, props: Props) -> None:
        self.props = dict(props)
        self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return SqliteSinkTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [dict(self.props) for _ in range(max_tasks)]


class _Row:
    __slots__ = ("columns", "keys", "schemas", "values")

    def __init__(self) -> None:
        self.keys: list[str] = []  # the primary key's columns, first in `columns`
        self.columns: list[str] = []
        self.schemas: list[Schema] = []
        self.values: list[Any] = []

    def add(self, name: str, schema: Schema, value: Any) -> None:
        self.columns.append(name)
        self.schemas.append(schema)
        self.values.append(int(value) if isinstance(value, bool) else value)


class SqliteSinkTask(SinkTask):
    def version(self) -> str:
        return sqlite.VERSION

    async def start(self, props: Props) -> None:
        v = SqliteSinkConnector().config_def().parse(props)
        self.url = v[sqlite.CONNECTION_URL_CONFIG]
        self.insert_mode: str = v["insert.mode"]
        self.batch_size: int = v["batch.size"]
        self.delete_enabled: bool = v["delete.enabled"]
        self.table_format: str = v["table.name.format"]
        self.pk_mode: str = v["pk.mode"]
        self.pk_fields: list[str] = [f for f in v["pk.fields"] if f]
        self.auto_create: bool = v["auto.create"]
        self.auto_evolve: bool = v["auto.evolve"]
        self.db: aiosqlite.Connection = await sqlite.connect(self.url, create=True)
        self.tables: dict[str, dict[str, str]] = {}  # table → its columns' types, as last seen

    async def put(self, records: list[SinkRecord]) -> None:
        if not records:
            return
        try:
            await self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # another writer holds the database
            raise RetriableException(f"SQLite database {self.url} is busy: {error}") from error
        try:
            pending: list[tuple[str, str, list[Any]]] = []  # (table, statement, parameters)
            for record in records:
                table = self.table_format.replace("${topic}", record.topic)
                if record.value is None:
                    if self.delete_enabled:
                        keys = self._key_columns(record)
                        statement = f"DELETE FROM {sqlite.quote(table)} WHERE " + " AND ".join(
                            f"{sqlite.quote(c)} = ?" for c in keys.columns
                        )
                        if table in self.tables or await self._known(table):
                            pending.append((table, statement, keys.values))
                    continue
                row = self._row(record)
                await self._ensure_table(table, row)
                pending.append((table, self._insert(table, row), row.values))
                if len(pending) >= self.batch_size:
                    await self._run(pending)
                    pending = []
            await self._run(pending)
            await self.db.execute("COMMIT")
        except BaseException:
            # A CREATE or ALTER of this put is undone too: look at the tables again.
            self.tables = {}
            with contextlib.suppress(Exception):  # SQLite may have rolled back already
                await self.db.execute("ROLLBACK")
            raise

    async def _run(self, pending: list[tuple[str, str, list[Any]]]) -> None:
        """Consecutive rows of one statement go in one executemany (JDBC's batch)."""
        i = 0
        while i < len(pending):
            j = i
            while j < len(pending) and pending[j][1] == pending[i][1]:
                j += 1
            try:
                await self.db.executemany(pending[i][1], [p[2] for p in pending[i:j]])
            except sqlite3.OperationalError as error:
                if "locked" in str(error) or "busy" in str(error):
                    # The worker hands the same batch to put again after a backoff.
                    raise RetriableException(f"Write to table {pending[i][0]} waited: {error}") from error
                raise ConnectException(f"Write to table {pending[i][0]} failed: {error}") from error
            except Exception as error:  # sqlite3.IntegrityError: a duplicate key in insert mode
                raise ConnectException(f"Write to table {pending[i][0]} failed: {error}") from error
            i = j

    def _key_columns(self, record: SinkRecord) -> _Row:
        row = _Row()
        if self.pk_mode == "kafka":
            names = self.pk_fields or list(KAFKA_PK)
            coordinates = (record.topic, record.kafka_partition, record.kafka_offset)
            for name, schema, value in zip(names, KAFKA_PK_SCHEMAS, coordinates, strict=True):
                row.add(name, schema, value)
        elif self.pk_mode == "record_key":
            self._fields(row, record.key, record.key_schema, "key", self.pk_fields)
        row.keys = list(row.columns)
        return row

    def _row(self, record: SinkRecord) -> _Row:
        row = self._key_columns(record)
        value, schema = record.value, record.value_schema
        if not _is_struct(value, schema):
            schema = Schema("struct", fields=((HOISTED_FIELD, schema or sqlite.schema_of_value(value)),))
            value = {HOISTED_FIELD: value}
        if self.pk_mode == "record_value":
            self._fields(row, value, schema, "value", self.pk_fields)
            row.keys = list(row.columns)
        keys = set(row.keys)
        for name, field_schema, field_value in _struct_fields(value, schema):
            if name not in keys:
                row.add(name, field_schema, field_value)
        return row

    def _fields(self, row: _Row, value: Any, schema: Schema | None, what: str, names: list[str]) -> None:
        if value is None:
            raise ConnectException(f"pk.mode {self.pk_mode} needs a {what}, and the record has none")
        if _is_struct(value, schema):
            fields = list(_struct_fields(value, schema))
            wanted = names or [f[0] for f in fields]
            found = {f[0]: f for f in fields}
            for name in wanted:
                if name not in found:
                    raise ConnectException(f"PK field {name} is not in the record's {what}")
                row.add(*found[name])
            return
        if len(names) != 1:
            raise ConnectException(
                f"Need exactly one PK column defined since the {what} schema for records is a "
                f"primitive type, defined columns are: {names}"
            )
        row.add(names[0], schema or sqlite.schema_of_value(value), value)

    def _insert(self, table: str, row: _Row) -> str:
        columns = ", ".join(sqlite.quote(c) for c in row.columns)
        marks = ", ".join("?" for _ in row.columns)
        statement = f"INSERT INTO {sqlite.quote(table)} ({columns}) VALUES ({marks})"
        if self.insert_mode == "upsert":
            keys = row.keys
            others = [c for c in row.columns if c not in keys]
            update = (
                "DO UPDATE SET "
                + ", ".join(f"{sqlite.quote(c)} = excluded.{sqlite.quote(c)}" for c in others)
                if others
                else "DO NOTHING"
            )
            statement += f" ON CONFLICT ({', '.join(sqlite.quote(k) for k in keys)}) {update}"
        return statement

    async def _known(self, table: str) -> bool:
        async with self.db.execute(f"PRAGMA table_info({sqlite.quote(table)})") as cursor:
            columns = {r[1]: str(r[2]) for r in await cursor.fetchall()}
        if columns:
            self.tables[table] = columns
        return bool(columns)

    async def _ensure_table(self, table: str, row: _Row) -> None:
        """CREATE the table (auto.create) or ALTER it (auto.evolve) to fit the row, as
        JDBC's DbStructure does; without them a missing table or column fails the task."""
        known = self.tables.get(table)
        if known is not None and all(c in known for c in row.columns):
            return
        if not await self._known(table):
            if not self.auto_create:
                raise ConnectException(f"Table {table} is missing and auto-creation is disabled")
            keys = row.keys
            definitions = [
                f"{sqlite.quote(c)} {sqlite.sql_type(c, s)}{'' if s.optional or c in keys else ' NOT NULL'}"
                for c, s in zip(row.columns, row.schemas, strict=True)
            ]
            if keys:
                definitions.append(f"PRIMARY KEY({', '.join(sqlite.quote(k) for k in keys)})")
            await self.db.execute(f"CREATE TABLE {sqlite.quote(table)} ({', '.join(definitions)})")
            await self._known(table)
            return
        missing = [
            (c, s) for c, s in zip(row.columns, row.schemas, strict=True) if c not in self.tables[table]
        ]
        if not missing:
            return
        if not self.auto_evolve:
            raise ConnectException(
                f"Table {table} is missing fields ({', '.join(c for c, _ in missing)}) "
                "and auto-evolution is disabled"
            )
        for column, schema in missing:
            if not schema.optional:
                raise ConnectException(
                    f"Cannot ALTER TABLE {table} to add missing field {column}, as the field is not optional "
                    "and does not have a default value"
                )
            kind = sqlite.sql_type(column, schema)
            await self.db.execute(
                f"ALTER TABLE {sqlite.quote(table)} ADD COLUMN {sqlite.quote(column)} {kind}"
            )
        await self._known(table)

    async def stop(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            self.db = None  # type: ignore[assignment]
            await db.close()


def _is_struct(value: Any, schema: Schema | None) -> bool:
    if schema is not None:
        return schema.type == "struct"
    return isinstance(value, dict)


def _struct_fields(value: dict[str, Any], schema: Schema | None) -> Any:
    if schema is not None and schema.type == "struct":
        for name, field_schema in schema.fields:
            yield name, field_schema, value.get(name)
        return
    for name, field_value in value.items():  # schemaless JSON: types from the values
        yield str(name), sqlite.schema_of_value(field_value), field_value
