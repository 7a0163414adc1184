"""The SQLite source and sink on their own: values as Structs with the table's schema
(what JsonConverter with schemas.enable shows), upsert and delete on tombstone,
auto.create and auto.evolve, the failures a user sees as a FAILED task naming the
database or table, and validation listing every problem per field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from kafkatui.backends.base import ProduceRequest
from tests.ecosystem.connect.conftest import ServedConnect

SOURCE, SINK = "SqliteSource", "SqliteSink"


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def rows_soon(path: Path, sql: str) -> list[tuple[Any, ...]] | None:
    """`rows`, or None while the sink has not created the database or the table yet."""
    try:
        return rows(path, sql) if path.exists() else None
    except sqlite3.OperationalError:
        return None


def make_people(path: Path, count: int, start: int = 1) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "score REAL, photo BLOB)"
        )
        db.executemany(
            "INSERT INTO people VALUES (?, ?, ?, ?)",
            [(i, f"person {i}", i / 2, None) for i in range(start, start + count)],
        )


def topic_log(connect: ServedConnect, topic: str) -> list[Any]:
    """The topic's records, none while the source has not created it yet."""
    try:
        return connect.log(topic)
    except Exception:  # UNKNOWN_TOPIC_OR_PARTITION
        return []


def envelope(schema: dict[str, Any] | None, payload: Any) -> str | None:
    return None if payload is None else json.dumps({"schema": schema, "payload": payload})


KEY = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}


def value_schema(*extra: dict[str, Any]) -> dict[str, Any]:
    fields = [{"field": "id", "type": "int64", "optional": False}, {"field": "name", "type": "string"}]
    return {"type": "struct", "optional": False, "fields": fields + list(extra)}


def produce(connect: ServedConnect, topic: str, key: int, value: Any, *extra: dict[str, Any]) -> None:
    request = ProduceRequest(topic, envelope(value_schema(*extra), value), key=envelope(KEY, {"id": key}))
    connect.call(connect.backend.produce(request))


def test_a_table_row_is_a_struct_with_the_tables_schema(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    make_people(db, 3)
    answer = connect.create(
        "src", **{"connector.class": SOURCE, "connection.url": f"sqlite:///{db}", "mode": "incrementing",
                  "incrementing.column.name": "id", "topic.prefix": "db-", "poll.interval.ms": "100"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    got = connect.until(lambda: len(got := topic_log(connect, "db-people")) >= 3 and got, "3 rows")
    first = json.loads(got[0].value)
    assert first["schema"] == {
        "type": "struct",
        "fields": [
            {"type": "int64", "optional": False, "field": "id"},
            {"type": "string", "optional": False, "field": "name"},
            {"type": "float64", "optional": True, "field": "score"},
            {"type": "bytes", "optional": True, "field": "photo"},
        ],
        "optional": False,
        "name": "people",
    }
    assert first["payload"] == {"id": 1, "name": "person 1", "score": 0.5, "photo": None}
    offsets = connect.until(
        lambda: (o := connect.http.get("/connectors/src/offsets").json()["offsets"]) and o,
        "committed offsets",
    )
    connect.until(
        lambda: (
            connect.http.get("/connectors/src/offsets").json()["offsets"][0]["offset"] == {"incrementing": 3}
        ),
        "the offset of the last row",
    )
    assert offsets[0]["partition"] == {"table": "people"}


def _sink(connect: ServedConnect, name: str, db: Path, topic: str, **more: str) -> None:
    config = {"connector.class": SINK, "connection.url": str(db), "topics": topic, **more}
    answer = connect.create(name, **config)
    assert answer.status_code == 201, answer.text


def test_upsert_by_record_key_and_delete_on_tombstone(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", db, "people", **{"insert.mode": "upsert", "pk.mode": "record_key",
                                          "delete.enabled": "true", "auto.create": "true"})  # fmt: skip
    produce(connect, "people", 1, {"id": 1, "name": "Ana"})
    produce(connect, "people", 2, {"id": 2, "name": "Bruno"})
    produce(connect, "people", 1, {"id": 1, "name": "Ana Silva"})  # the same key: replaced
    connect.until(lambda: rows_soon(db, "SELECT COUNT(*) FROM people") == [(2,)], "two rows")
    connect.until(lambda: rows(db, "SELECT name FROM people WHERE id = 1") == [("Ana Silva",)], "the upsert")
    produce(connect, "people", 2, None)  # a tombstone
    produce(connect, "people", 3, {"id": 3, "name": "Carla"})
    left = [(1, "Ana Silva"), (3, "Carla")]
    connect.until(
        lambda: rows(db, "SELECT id, name FROM people ORDER BY id") == left, "the tombstone's delete"
    )
    columns = rows(db, "PRAGMA table_info(people)")
    assert [(c[1], c[2], c[5]) for c in columns] == [("id", "INTEGER", 1), ("name", "TEXT", 0)]


def test_auto_evolve_adds_a_new_optional_field(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", db, "people", **{"pk.mode": "record_value", "pk.fields": "id",
                                          "auto.create": "true", "auto.evolve": "true"})  # fmt: skip
    produce(connect, "people", 1, {"id": 1, "name": "Ana"})
    produce(connect, "people", 2, {"id": 2, "name": "Bruno", "city": "Recife"},
            {"field": "city", "type": "string", "optional": True})  # fmt: skip
    connect.until(lambda: rows_soon(db, "SELECT COUNT(*) FROM people") == [(2,)], "two rows")
    assert rows(db, "SELECT id, name, city FROM people ORDER BY id") == [
        (1, "Ana", None),
        (2, "Bruno", "Recife"),
    ]


def test_without_auto_evolve_a_new_field_fails_the_task_naming_it(
    connect: ServedConnect, tmp_path: Path
) -> None:
    db = tmp_path / "out.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE people (id INTEGER, name TEXT)")
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", db, "people")
    produce(connect, "people", 1, {"id": 1, "name": "Ana", "city": "Recife"},
            {"field": "city", "type": "string", "optional": True})  # fmt: skip
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "Table people is missing fields (city) and auto-evolution is disabled" in trace
    assert rows(db, "SELECT COUNT(*) FROM people") == [(0,)]  # the put's transaction rolled back


def test_without_auto_create_a_missing_table_fails_the_task(connect: ServedConnect, tmp_path: Path) -> None:
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", tmp_path / "out.db", "people")
    produce(connect, "people", 1, {"id": 1, "name": "Ana"})
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "Table people is missing and auto-creation is disabled" in trace


def test_a_missing_database_file_fails_the_source_naming_it(connect: ServedConnect, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    connect.create("src", **{"connector.class": SOURCE, "connection.url": str(missing), "mode": "bulk",
                             "topic.prefix": "t-"})  # fmt: skip
    trace = connect.until_state("src", "FAILED")["tasks"][0]["trace"]
    assert f"SQLite database file {missing} does not exist" in trace
    assert not missing.exists()  # not created empty behind the user's back


def test_an_unreadable_table_fails_the_source_naming_it(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    make_people(db, 1)
    connect.create("src", **{"connector.class": SOURCE, "connection.url": str(db), "mode": "bulk",
                             "table.whitelist": "ghosts", "topic.prefix": "t-"})  # fmt: skip
    trace = connect.until_state("src", "FAILED")["tasks"][0]["trace"]
    assert f"Table ghosts cannot be read from {db}: no such table" in trace
    # A query over a table that is not there fails when it runs, naming the query.
    connect.create("q", **{"connector.class": SOURCE, "connection.url": str(db), "mode": "bulk",
                           "query": "SELECT * FROM ghosts", "topic.prefix": "q"})  # fmt: skip
    trace = connect.until_state("q", "FAILED")["tasks"][0]["trace"]
    assert (
        "Failed to run query for query 'SELECT * FROM ghosts'" in trace and "no such table: ghosts" in trace
    )


def _errors(connect: ServedConnect, plugin: str, config: dict[str, str]) -> dict[str, list[str]]:
    answer = connect.http.put(f"/connector-plugins/{plugin}/config/validate", json=config)
    assert answer.status_code == 200, answer.text
    return {
        c["value"]["name"]: c["value"]["errors"] for c in answer.json()["configs"] if c["value"]["errors"]
    }


def test_source_validation_lists_every_problem(connect: ServedConnect) -> None:
    errors = _errors(connect, "SqliteSourceConnector", {
        "connector.class": SOURCE, "name": "s", "connection.url": "postgresql://db/x",
        "mode": "timestamp+incrementing",
        "table.whitelist": "a", "table.blacklist": "b", "poll.interval.ms": "0", "batch.max.rows": "many",
    })  # fmt: skip
    assert set(errors) == {
        "connection.url", "table.whitelist", "table.blacklist", "incrementing.column.name",
        "timestamp.column.name", "topic.prefix", "poll.interval.ms", "batch.max.rows",
    }  # fmt: skip
    assert "only SQLite databases" in errors["connection.url"][0]
    assert errors["topic.prefix"] == [
        'Missing required configuration "topic.prefix" which has no default value.'
    ]
    assert errors["batch.max.rows"] == [
        "Invalid value many for configuration batch.max.rows: Expected value to be a 32-bit integer"
    ]
    assert errors["incrementing.column.name"] == [
        "Mode timestamp+incrementing needs incrementing.column.name, the column to track."
    ]
    bad_mode = _errors(connect, SOURCE, {"connector.class": SOURCE, "name": "s", "connection.url": "x.db",
                                         "mode": "append", "topic.prefix": "p", "query": "SELECT 1",
                                         "table.whitelist": "t"})  # fmt: skip
    assert bad_mode["mode"] == [
        "Invalid value append for configuration mode: String must be one of: "
        "bulk, incrementing, timestamp, timestamp+incrementing"
    ]
    assert bad_mode["query"] == [
        "Do not specify table filtering (table.whitelist, table.blacklist) with a query."
    ]
    refused = connect.create("s", **{"connector.class": SOURCE, "connection.url": "x.db", "mode": "bulk"})
    assert refused.status_code == 400 and "topic.prefix" in refused.json()["message"]


def test_sink_validation_lists_every_problem(connect: ServedConnect) -> None:
    errors = _errors(connect, SINK, {
        "connector.class": SINK, "name": "s", "connection.url": "", "topics": "t", "insert.mode": "upsert",
        "pk.mode": "none", "delete.enabled": "true", "batch.size": "0", "auto.create": "maybe",
    })  # fmt: skip
    assert set(errors) == {"connection.url", "pk.mode", "delete.enabled", "batch.size", "auto.create"}
    assert errors["delete.enabled"] == ["Deletes are only supported for pk.mode record_key"]
    assert errors["pk.mode"] == [
        "insert.mode upsert needs a primary key: pk.mode kafka, record_key or record_value"
    ]
    assert errors["auto.create"] == [
        "Invalid value maybe for configuration auto.create: Expected value to be a boolean"
    ]


def test_timestamp_incrementing_reads_new_and_updated_rows(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "orders.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, updated_at TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [(1, "mouse", "2025-01-01T00:00:00"), (2, "monitor", "2025-01-01T00:00:00"),
             (3, "webcam", "2025-01-01T00:00:00")],
        )  # fmt: skip
    connect.create("src", **{"connector.class": SOURCE, "connection.url": str(db),
                             "mode": "timestamp+incrementing", "incrementing.column.name": "id",
                             "timestamp.column.name": "updated_at",
                             "topic.prefix": "shop-", "poll.interval.ms": "50"})  # fmt: skip

    def ids() -> list[int]:
        return [json.loads(r.value)["payload"]["id"] for r in topic_log(connect, "shop-orders")]

    connect.until(lambda: ids() == [1, 2, 3], "the three rows of one timestamp")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE orders SET item = 'monitor 4k', updated_at = '2025-06-01T12:00:00' WHERE id = 2")
    connect.until(lambda: ids() == [1, 2, 3, 2], "the updated row sent again")
    assert json.loads(topic_log(connect, "shop-orders")[3].value)["payload"]["item"] == "monitor 4k"
    june = 1748779200000  # 2025-06-01T12:00:00Z in epoch ms
    expected = [{"partition": {"table": "orders"}, "offset": {"timestamp": june, "incrementing": 2}}]
    connect.until(
        lambda: connect.http.get("/connectors/src/offsets").json()["offsets"] == expected, "the offset"
    )


def test_a_query_in_incrementing_mode_goes_to_the_prefix_topic(
    connect: ServedConnect, tmp_path: Path
) -> None:
    db = tmp_path / "src.db"
    make_people(db, 6)
    connect.create("q", **{"connector.class": SOURCE, "connection.url": str(db), "mode": "incrementing",
                           "query": "SELECT id, name FROM people WHERE id % 2 = 0",
                           "incrementing.column.name": "id", "topic.prefix": "even-people",
                           "poll.interval.ms": "50"})  # fmt: skip
    got = connect.until(lambda: len(r := topic_log(connect, "even-people")) >= 3 and r, "the even rows")
    assert [json.loads(r.value)["payload"] for r in got] == [
        {"id": 2, "name": "person 2"}, {"id": 4, "name": "person 4"}, {"id": 6, "name": "person 6"},
    ]  # fmt: skip
    make_people(db, 2, start=7)
    connect.until(lambda: len(topic_log(connect, "even-people")) == 4, "row 8")
    expected = [{"partition": {"query": "query"}, "offset": {"incrementing": 8}}]
    connect.until(
        lambda: connect.http.get("/connectors/q/offsets").json()["offsets"] == expected, "the offset"
    )


def test_insert_mode_refuses_a_second_row_of_the_same_key(connect: ServedConnect, tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", db, "people", **{"pk.mode": "record_key", "auto.create": "true"})
    produce(connect, "people", 1, {"id": 1, "name": "Ana"})
    connect.until(lambda: rows_soon(db, "SELECT name FROM people") == [("Ana",)], "the first row")
    produce(connect, "people", 1, {"id": 1, "name": "Ana again"})
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "Write to table people failed: UNIQUE constraint failed: people.id" in trace


def test_a_database_another_writer_holds_is_written_once_it_is_free(
    connect: ServedConnect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "out.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    connect.call(connect.backend.create_topic("people", 1, 1))
    _sink(connect, "snk", db, "people", **{"pk.mode": "record_key"})
    connect.until_state("snk", "RUNNING")
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, until COMMIT
        produce(connect, "people", 1, {"id": 1, "name": "Ana"})
        connect.until(
            lambda: "RetriableException from put" in caplog.text, "the sink finding the database busy"
        )
        assert rows(db, "SELECT COUNT(*) FROM people") == [(0,)]
    finally:
        holder.execute("COMMIT")
        holder.close()
    connect.until(lambda: rows(db, "SELECT name FROM people") == [("Ana",)], "the row, once the lock is gone")
    assert connect.state("snk")["tasks"][0]["state"] == "RUNNING"


def test_the_shipped_connectors_are_listed_with_their_configs(connect: ServedConnect) -> None:
    listed = {p["class"]: p["type"] for p in connect.http.get("/connector-plugins").json()}
    assert {name: listed.get(name) for name in (
        "kafkatui.connect.sqlite.SqliteSourceConnector", "kafkatui.connect.sqlite.SqliteSinkConnector",
        "io.confluent.connect.http.HttpSinkConnector", "io.confluent.kafka.connect.datagen.DatagenConnector",
    )} == {
        "kafkatui.connect.sqlite.SqliteSourceConnector": "source",
        "kafkatui.connect.sqlite.SqliteSinkConnector": "sink",
        "io.confluent.connect.http.HttpSinkConnector": "sink",
        "io.confluent.kafka.connect.datagen.DatagenConnector": "source",
    }  # fmt: skip
    sink = connect.http.get("/connector-plugins/SqliteSink/config").json()
    assert [c["name"] for c in sink] == [
        "connection.url", "insert.mode", "batch.size", "delete.enabled", "table.name.format", "pk.mode",
        "pk.fields", "auto.create", "auto.evolve",
    ]  # fmt: skip
    assert next(c for c in sink if c["name"] == "table.name.format")["default_value"] == "${topic}"
