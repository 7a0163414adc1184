"""The engine on kafkatui's cluster: the seed's query as a push query that keeps
updating, a persistent query that comes back after a restart (its table answering pull
queries), a bad statement that changes nothing, DROP and TERMINATE as ksqlDB orders
them, INSERT … VALUES and PRINT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.engine import KsqlEngine
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError
from kafkatui.ecosystem.ksql.parser import parse, parse_one
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

SALES = (
    "CREATE STREAM sales (id STRING KEY, client_id STRING, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=3);"
)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    s = await open_served("embedded")
    try:
        yield s
    finally:
        await close_served(s)


async def run(engine: KsqlEngine, text: str) -> list[Any]:
    return [await engine.execute(s) for s in parse(text)]


async def sell(engine: KsqlEngine, *sales: tuple[str, str, float]) -> None:
    await run(
        engine,
        "".join(f"INSERT INTO sales (id, client_id, price) VALUES ('{i}', '{c}', {p});" for i, c, p in sales),
    )


async def test_the_seed_query_gives_the_averages_and_keeps_updating(served: Served) -> None:
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    try:
        await run(engine, SALES)
        select = parse_one("SELECT client_id, AVG(price) FROM sales GROUP BY client_id EMIT CHANGES")
        assert isinstance(select, st.Select)
        push = await engine.push(select, {})
        await until(
            lambda: push.streams is not None and push.streams.state == "RUNNING", "push query running"
        )
        rows: list[list[Any]] = []

        def drained(count: int) -> bool:
            while not push.queue.empty():
                rows.append(push.queue.get_nowait())
            return len(rows) >= count

        await sell(engine, ("s1", "c1", 10.0), ("s2", "c2", 4.0), ("s3", "c1", 20.0))
        await until(lambda: drained(3), "three updates")
        assert sorted(map(tuple, rows)) == [("c1", 10.0), ("c1", 15.0), ("c2", 4.0)]
        await sell(engine, ("s4", "c1", 0.0))
        await until(lambda: drained(4), "the next update")
        assert rows[-1] == ["c1", 10.0]
        internal = [
            t for t in served.backend.topic_names(include_internal=True) if t.startswith(push.query_id)
        ]
        assert internal  # its repartition and changelog topics, while it runs
        assert await engine.close_push(push.query_id)
        assert not [
            t for t in served.backend.topic_names(include_internal=True) if t.startswith(push.query_id)
        ]
    finally:
        await engine.close()


async def test_a_persistent_query_comes_back_after_a_restart(served: Served) -> None:
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    await run(engine, SALES)
    [created] = await run(
        engine,
        "CREATE TABLE avg_price AS SELECT client_id, AVG(price) AS avg, COUNT(*) AS n "
        "FROM sales GROUP BY client_id;",
    )
    query_id = created["commandStatus"]["queryId"]
    assert query_id == "CTAS_AVG_PRICE_1"  # its command is offset 1 of the command topic
    await sell(engine, ("s1", "c1", 10.0), ("s2", "c1", 30.0))
    pull = parse_one("SELECT * FROM avg_price WHERE client_id = 'c1'")
    assert isinstance(pull, st.Select)

    def answered(e: KsqlEngine, n: int) -> Any:
        names, _, rows = e.pull(pull)
        return rows if rows and rows[0][names.index("N")] == n else None

    assert await until(lambda: answered(engine, 2), "pull answer") == [["c1", 20.0, 2]]
    await asyncio.sleep(0.3)  # a commit interval: the offsets and the changelog are written
    await engine.close()

    again = KsqlEngine(served.backend, commit_interval_ms=100)
    await again.start()
    try:
        assert set(again.metastore.sources) == {"SALES", "AVG_PRICE"}
        assert list(again.running) == [query_id]
        # start() returns only once the replayed query restored its store: the pull query
        # answers at once, without waiting for the group to settle.
        assert again.pull(pull)[2] == [["c1", 20.0, 2]]
        await sell(again, ("s3", "c1", 50.0))
        assert await until(lambda: answered(again, 3), "pull after the restart") == [["c1", 30.0, 3]]
    finally:
        await again.close()


async def test_a_bad_statement_changes_nothing(served: Served) -> None:
    engine = KsqlEngine(served.backend)
    await engine.start()
    try:
        await run(engine, SALES)
        before = await served.ends(engine.command_topic)
        for bad in (
            "CREATE STREAM broken AS SELECT pricee FROM sales;",
            "CREATE TABLE t AS SELECT client_id FROM sales;",  # a stream, not a table
            "CREATE STREAM sales (id STRING KEY) WITH (KAFKA_TOPIC='sales');",
            "DROP STREAM nothing;",
            "TERMINATE CSAS_NOTHING_9;",
        ):
            with pytest.raises(KsqlError) as error:
                await run(engine, bad)
            assert error.value.code is ErrorCode.BAD_STATEMENT
        assert await served.ends(engine.command_topic) == before
        assert list(engine.metastore.sources) == ["SALES"] and not engine.running
        assert "BROKEN" not in served.backend.topic_names()
        with pytest.raises(KsqlError) as error:
            await run(engine, "SELECT * FROM sales EMIT CHANGES;")
        assert error.value.code is ErrorCode.QUERY_ENDPOINT
    finally:
        await engine.close()


async def test_drop_waits_for_terminate_and_can_delete_the_topic(served: Served) -> None:
    engine = KsqlEngine(served.backend)
    await engine.start()
    try:
        await run(engine, SALES + "CREATE STREAM big AS SELECT * FROM sales WHERE price > 100;")
        with pytest.raises(KsqlError) as error:
            await run(engine, "DROP STREAM big;")
        assert "The following queries write into this source: [CSAS_BIG_1]" in error.value.message
        await run(engine, "TERMINATE CSAS_BIG_1; DROP STREAM big DELETE TOPIC;")
        assert "BIG" not in engine.metastore.sources and "BIG" not in served.backend.topic_names()
    finally:
        await engine.close()


async def test_insert_values_then_print_from_beginning(served: Served) -> None:
    engine = KsqlEngine(served.backend)
    await engine.start()
    try:
        await run(engine, SALES.replace("PARTITIONS=3", "PARTITIONS=1"))
        await sell(engine, ("s1", "c1", 2.5))
        printed = parse_one("PRINT 'sales' FROM BEGINNING LIMIT 1")
        assert isinstance(printed, st.Print)
        lines = [line async for line in engine.print_topic(printed)]
        assert len(lines) == 1
        assert lines[0].endswith('key: s1, value: {"CLIENT_ID":"c1","PRICE":2.5}, partition: 0')
        assert lines[0].startswith("rowtime: ")
    finally:
        await engine.close()


async def test_pull_queries_read_keys_windows_and_scans(served: Served) -> None:
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    try:
        await run(engine, SALES + "CREATE TABLE per_minute AS SELECT client_id, COUNT(*) AS n FROM sales "
                  "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY client_id;")  # fmt: skip
        await run(
            engine,
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (1000, 's1', 'c1', 1.0);"
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (2000, 's2', 'c1', 1.0);"
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (61000, 's3', 'c1', 1.0);"
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (3000, 's4', 'c2', 1.0);",
        )

        def pulled(text: str) -> Any:
            statement = parse_one(text)
            assert isinstance(statement, st.Select)
            return engine.pull(statement)

        def settled() -> Any:
            _, _, rows = pulled("SELECT * FROM per_minute WHERE client_id = 'c1'")
            return rows if rows == [["c1", 2, 0, 60000], ["c1", 1, 60000, 120000]] else None

        await until(settled, "both windows of c1")
        names, types, rows = pulled(
            "SELECT client_id, n, WINDOWSTART FROM per_minute WHERE client_id IN ('c2')"
        )
        assert (names, types, rows) == (["CLIENT_ID", "N", "WINDOWSTART"], ["STRING", "BIGINT", "BIGINT"],
                                        [["c2", 1, 0]])  # fmt: skip
        _, _, scanned = pulled("SELECT client_id FROM per_minute WHERE n > 1")
        assert scanned == [["c1"]]
        with pytest.raises(KsqlError, match="Pull queries don't support streams"):
            pulled("SELECT * FROM sales")
    finally:
        await engine.close()


async def test_pull_queries_read_sessions(served: Served) -> None:
    """A session-windowed table (the Streams library's SessionWindows): a key's pull
    answers each of its sessions, by end; a row between two sessions merges them."""
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    try:
        await run(engine, SALES + "CREATE TABLE visits AS SELECT client_id, COUNT(*) AS n FROM sales "
                  "WINDOW SESSION (10 SECONDS) GROUP BY client_id;")  # fmt: skip
        await run(
            engine,
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (1000, 's4', 'c9', 1.0);"
            "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (30000, 's5', 'c9', 1.0);",
        )
        nine = parse_one("SELECT * FROM visits WHERE client_id = 'c9'")
        assert isinstance(nine, st.Select)

        def two() -> Any:
            rows = engine.pull(nine)[2]
            return rows if len(rows) == 2 else None

        assert await until(two, "c9's two sessions") == [["c9", 1, 1000, 1000], ["c9", 1, 30000, 30000]]
        await run(
            engine, "INSERT INTO sales (ROWTIME, id, client_id, price) VALUES (20000, 's6', 'c9', 1.0);"
        )

        def merged() -> Any:
            rows = engine.pull(nine)[2]
            return rows if rows == [["c9", 1, 1000, 1000], ["c9", 2, 20000, 30000]] else None

        await until(merged, "the row at 20 s merging into the session at 30 s")
    finally:
        await engine.close()


async def test_a_table_aggregate_follows_updates_and_deletes_on_the_cluster(served: Served) -> None:
    """GROUP BY over a TABLE as a persistent query on the cluster (through its
    repartition topic): a pull query sees a user move region and another be deleted."""
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    try:
        await run(
            engine,
            "CREATE TABLE users (id STRING PRIMARY KEY, region STRING) "
            "WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=2);"
            "CREATE TABLE per_region AS SELECT region, COUNT(*) AS n FROM users GROUP BY region;"
            "INSERT INTO users (id, region) VALUES ('u1', 'eu');"
            "INSERT INTO users (id, region) VALUES ('u2', 'eu');"
            "INSERT INTO users (id, region) VALUES ('u1', 'us');",
        )
        producer = served.backend.producer(ProducerConfig(acks="all"))
        try:
            await producer.send_and_wait("users", None, key=b"u2")  # u2 deleted: a tombstone
        finally:
            await producer.close()

        def counts() -> Any:
            statement = parse_one("SELECT * FROM per_region")
            assert isinstance(statement, st.Select)
            rows = sorted(engine.pull(statement)[2])
            return rows if rows == [["eu", 0], ["us", 1]] else None

        await until(counts, "eu emptied, us holding u1")
        topics = served.backend.topic_names(include_internal=True)
        assert any(t.endswith("-Aggregate-GroupBy-repartition") for t in topics)
    finally:
        await engine.close()


async def test_a_session_changelog_of_the_previous_layout_is_refused_naming_its_store(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """A session-windowed table whose store's changelog holds a record of kafkatui's
    previous layout (the key as JSON, every session of it in one value): after a restart
    its query does not start, and the command's status and the log name the store and
    its changelog, instead of the restore failing inside Streams."""
    table = (
        "CREATE TABLE visits AS SELECT client_id, COUNT(*) AS n FROM sales "
        "WINDOW SESSION (10 SECONDS) GROUP BY client_id;"
    )
    engine = KsqlEngine(served.backend, commit_interval_ms=100)
    await engine.start()
    await run(engine, SALES + table)
    await sell(engine, ("s1", "c1", 1.0))
    await engine.close()
    [changelog] = [
        t for t in served.backend.topic_names(include_internal=True)
        if t.endswith("-Aggregate-Aggregate-Materialize-changelog")
    ]  # fmt: skip
    producer = served.backend.producer(ProducerConfig(acks="all", linger_ms=0))
    try:
        await producer.send_and_wait(changelog, b"[[0, 5000, [2]]]", key=b'"c2"')
    finally:
        await producer.close()

    again = KsqlEngine(served.backend, commit_interval_ms=100)
    await again.start()
    try:
        assert "CTAS_VISITS_1" not in again.running and "VISITS" not in again.metastore.sources
        status, message = again.command_statuses["table/`VISITS`/create"]
        assert status == "ERROR"
        assert message.startswith("Query CTAS_VISITS_1 cannot start: its session store ")
        assert f"Aggregate-Aggregate-Materialize (changelog {changelog})" in message
        assert any("previous session-window layout" in r.getMessage() for r in caplog.records)
        # Made again, its new query starts, in a store of its own.
        [created] = await run(again, table)
        assert created["commandStatus"]["status"] == "SUCCESS"
        assert created["commandStatus"]["queryId"] in again.running
    finally:
        await again.close()
