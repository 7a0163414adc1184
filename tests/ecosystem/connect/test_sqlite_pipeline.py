"""End to end with real data through the SQLite connectors: a file of 100,000 lines →
FileStreamSource → topic → SQLite sink, every line in the table exactly once, even when
every record is delivered a second time; and a SQLite table → SQLite source
(incrementing) → topic → SQLite sink in another database, rows added while it runs
arriving, a restarted worker resuming after the last committed row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.ecosystem.connect.conftest import ServedConnect, write_lines
from tests.ecosystem.connect.test_sqlite import make_people, rows, rows_soon, topic_log

LINES = 100_000


def test_a_hundred_thousand_lines_land_in_the_table_exactly_once(
    connect: ServedConnect, tmp_path: Path
) -> None:
    source, db = tmp_path / "in.txt", tmp_path / "lines.db"
    written = write_lines(source, 0, LINES)
    connect.create(
        "file-source", **{"connector.class": "FileStreamSource", "file": str(source), "topic": "lines"}
    )
    # pk.mode=kafka keys each row by the record's (topic, partition, offset), and upsert
    # turns a second delivery of that record into an update of its own row.
    sink = {"connector.class": "SqliteSink", "connection.url": f"sqlite:///{db}", "topics": "lines",
            "insert.mode": "upsert", "pk.mode": "kafka", "auto.create": "true",
            "table.name.format": "file_${topic}"}  # fmt: skip
    assert connect.create("sqlite-sink", **sink).status_code == 201
    count = "SELECT COUNT(*) FROM file_lines"
    connect.until(lambda: rows_soon(db, count) == [(LINES,)], "100,000 rows", limit_s=600)
    got = rows(db, "SELECT value FROM file_lines ORDER BY __connect_offset")
    assert [v for (v,) in got] == written
    assert rows(db, "SELECT MIN(__connect_offset), MAX(__connect_offset), COUNT(DISTINCT __connect_topic) "
                    "FROM file_lines") == [(0, LINES - 1, 1)]  # fmt: skip
    # Everything again: a second sink (its own consumer group) reads the topic from the
    # start into the same table — a redelivery of every record, as after a lost commit.
    assert connect.create("again", **sink).status_code == 201
    connect.until(lambda: connect.worker.tasks[("again", 0)].records >= LINES, "the redelivery", limit_s=600)
    assert connect.state("again")["tasks"][0]["state"] == "RUNNING"
    assert rows(db, count) == [(LINES,)]
    assert [v for (v,) in rows(db, "SELECT value FROM file_lines ORDER BY __connect_offset")] == written


def _ids_in_topic(connect: ServedConnect, topic: str) -> list[int]:
    return [json.loads(r.value)["payload"]["id"] for r in topic_log(connect, topic)]


def test_table_to_table_through_a_topic_resumes_after_a_restart(
    connect: ServedConnect, tmp_path: Path
) -> None:
    origin, copy = tmp_path / "origin.db", tmp_path / "copy.db"
    make_people(origin, 250)
    answer = connect.create(
        "rows-in", **{"connector.class": "kafkatui.connect.sqlite.SqliteSourceConnector",
                      "connection.url": str(origin), "table.whitelist": "people", "mode": "incrementing",
                      "incrementing.column.name": "id", "topic.prefix": "db-", "poll.interval.ms": "100",
                      "batch.max.rows": "40"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    answer = connect.create(
        "rows-out", **{"connector.class": "SqliteSinkConnector", "connection.url": str(copy),
                       "topics": "db-people", "table.name.format": "people", "insert.mode": "upsert",
                       "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    everything = "SELECT id, name, score FROM people ORDER BY id"
    connect.until(
        lambda: rows_soon(copy, everything) == rows(origin, everything), "the first 250 rows copied"
    )
    make_people(origin, 50, start=251)  # added while it runs
    connect.until(lambda: rows_soon(copy, everything) == rows(origin, everything), "the rows added later")
    connect.restart_worker()  # a graceful stop commits the offset of the last row sent
    make_people(origin, 25, start=301)
    connect.until(
        lambda: rows(copy, everything) == rows(origin, everything), "the rows added after the restart"
    )
    # Nothing read twice: the topic holds each row once, in order.
    assert _ids_in_topic(connect, "db-people") == list(range(1, 326))
    last = [{"partition": {"table": "people"}, "offset": {"incrementing": 325}}]
    connect.until(lambda: connect.http.get("/connectors/rows-in/offsets").json()["offsets"] == last,
                  "the offset of row 325 committed")  # fmt: skip
    # The copy's table was made from the schema: the primary key and the NOT NULL column.
    with sqlite3.connect(copy) as db:
        columns = [(c[1], c[2], c[3], c[5]) for c in db.execute("PRAGMA table_info(people)")]
    assert columns == [("id", "INTEGER", 0, 1), ("name", "TEXT", 1, 0), ("score", "REAL", 0, 0),
                       ("photo", "BLOB", 0, 0)]  # fmt: skip
