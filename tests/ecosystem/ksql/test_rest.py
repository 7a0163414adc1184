"""The REST API over HTTP (httpx), in the shapes ksqlDB's documentation shows: /ksql's
entities and errors, /query's chunked JSON, /query-stream's header and rows, pull
queries, /close-query, /inserts-stream, /info, /healthcheck, /status; and the same
service over a RemoteBackend (the cluster reached over the wire)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kafkatui.ecosystem.ksql.service import KsqlService
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

V1 = "application/vnd.ksql.v1+json"
SALES = (
    "CREATE STREAM sales (id STRING KEY, client_id STRING, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=1);"
)


class Ksql:
    def __init__(self, served: Served, service: KsqlService, client: httpx.AsyncClient) -> None:
        self.served, self.service, self.client = served, service, client

    async def ksql(self, text: str, status: int = 200, **extra: Any) -> Any:
        response = await self.client.post("/ksql", json={"ksql": text, **extra}, headers={"Accept": V1})
        assert response.status_code == status, response.text
        return response.json()


async def open_ksql(kind: str) -> tuple[Served, KsqlService, httpx.AsyncClient]:
    served = await open_served(kind)
    service = KsqlService(served.backend)
    service.engine.commit_interval_ms = 100
    url = await service.start(0)
    return served, service, httpx.AsyncClient(base_url=url, timeout=30)


@pytest.fixture(params=["embedded"])
async def api(request: pytest.FixtureRequest) -> AsyncIterator[Ksql]:
    served, service, client = await open_ksql(request.param)
    try:
        yield Ksql(served, service, client)
    finally:
        await client.aclose()
        await service.close()
        await close_served(served)


async def test_ksql_answers_entities_as_ksqldb(api: Ksql) -> None:
    [created] = await api.ksql(SALES)
    assert created["@type"] == "currentStatus"
    assert created["commandId"] == "stream/`SALES`/create"
    assert created["commandStatus"]["status"] == "SUCCESS"
    assert created["commandStatus"]["message"] == "Stream created"
    [streams, topics] = await api.ksql("SHOW STREAMS; LIST TOPICS;")
    assert streams["@type"] == "streams"
    assert streams["streams"] == [{"type": "STREAM", "name": "SALES", "topic": "sales", "keyFormat": "KAFKA",
                                   "valueFormat": "JSON", "isWindowed": False}]  # fmt: skip
    assert {"name": "sales", "replicaInfo": [1]} in topics["topics"]
    [described] = await api.ksql("DESCRIBE sales;")
    fields = described["sourceDescription"]["fields"]
    assert fields[0] == {"name": "ID", "schema": {"type": "STRING", "fields": None, "memberSchema": None},
                         "type": "KEY"}  # fmt: skip
    assert [f["name"] for f in fields] == ["ID", "CLIENT_ID", "PRICE"]
    status = (await api.client.get("/status")).json()
    assert status["commandStatuses"]["stream/`SALES`/create"] == "SUCCESS"
    one = (await api.client.get("/status/stream/`SALES`/create")).json()
    assert one == {"status": "SUCCESS", "message": "Stream created"}


async def test_errors_are_ksqldb_bodies(api: Ksql) -> None:
    await api.ksql(SALES)
    bad = await api.ksql("SELECT pricee FROM sales EMIT CHANGES;", 400)
    assert bad["@type"] == "statement_error" and bad["error_code"] == 40002  # SELECT belongs to /query
    bad = await api.ksql("CREATE STREAM x AS SELECT pricee FROM sales;", 400)
    assert bad == {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "line 1:27: Column 'PRICEE' cannot be resolved.",
        "statementText": "CREATE STREAM x AS SELECT pricee FROM sales",
        "entities": [],
    }
    bad = await api.ksql("SHOW STREAMS; SELEC 1;", 400)
    assert bad["message"].startswith("line 1:1: mismatched input 'SELEC'")
    response = await api.client.get("/nowhere")
    assert response.status_code == 404 and response.json()["error_code"] == 40400


async def test_query_streams_chunked_rows_and_pull_reads_the_table(api: Ksql) -> None:
    await api.ksql(
        SALES + "CREATE TABLE avg_price AS SELECT client_id, AVG(price) AS avg FROM sales GROUP BY client_id;"
    )
    await api.ksql("INSERT INTO sales (id, client_id, price) VALUES ('s1', 'c1', 10.0);")
    body = {"ksql": "SELECT client_id, AVG(price) FROM sales GROUP BY client_id EMIT CHANGES LIMIT 2;",
            "streamsProperties": {"auto.offset.reset": "earliest"}}  # fmt: skip

    async def produce_later() -> None:
        await asyncio.sleep(0.5)
        await api.ksql("INSERT INTO sales (id, client_id, price) VALUES ('s2', 'c1', 20.0);")

    later = asyncio.create_task(produce_later())
    response = await api.client.post("/query", json=body, headers={"Accept": V1})
    await later
    assert response.headers["Transfer-Encoding"] == "chunked"
    items = json.loads(response.text)
    assert items[0]["header"]["schema"] == "`CLIENT_ID` STRING, `KSQL_COL_0` DOUBLE"
    assert [i["row"]["columns"] for i in items[1:3]] == [["c1", 10.0], ["c1", 15.0]]
    assert items[-1] == {"finalMessage": "Limit Reached"}

    async def pulled() -> Any:
        r = await api.client.post(
            "/query-stream", json={"sql": "SELECT * FROM avg_price WHERE client_id = 'c1';"}
        )
        lines = r.text.splitlines()
        return lines if len(lines) == 2 and json.loads(lines[1]) == ["c1", 15.0] else None

    header, _ = await until(pulled, "the pull query's answer")
    assert json.loads(header)["columnNames"] == ["CLIENT_ID", "AVG"]
    assert json.loads(header)["columnTypes"] == ["STRING", "DOUBLE"]


async def test_query_stream_push_then_close_query(api: Ksql) -> None:
    await api.ksql(SALES)
    got: list[str] = []

    async def read() -> None:
        async with api.client.stream(
            "POST", "/query-stream",
            json={"sql": "SELECT id, price * 2 AS doubled FROM sales EMIT CHANGES;"},
        ) as response:  # fmt: skip
            async for line in response.aiter_lines():
                if line:
                    got.append(line)

    reader = asyncio.create_task(read())
    await until(lambda: got, "the header")
    header = json.loads(got[0])
    assert header["columnNames"] == ["ID", "DOUBLED"] and header["queryId"].startswith(
        "_confluent-ksql-default_transient_"
    )
    await api.ksql("INSERT INTO sales (id, client_id, price) VALUES ('s9', 'c1', 4.5);")
    await until(lambda: len(got) >= 2, "the row")
    assert json.loads(got[1]) == ["s9", 9.0]
    closed = await api.client.post("/close-query", json={"queryId": header["queryId"]})
    assert closed.status_code == 200
    await asyncio.wait_for(reader, 30)


async def test_inserts_stream_info_and_healthcheck(api: Ksql) -> None:
    await api.ksql(SALES)
    lines = [json.dumps({"target": "sales"}), json.dumps({"ID": "a", "CLIENT_ID": "c", "PRICE": 1.0}),
             json.dumps({"id": "b", "client_id": "c", "price": "not a number"})]  # fmt: skip
    response = await api.client.post("/inserts-stream", content="\n".join(lines) + "\n")
    acks = [json.loads(line) for line in response.text.splitlines()]
    assert acks[0] == {"status": "ok", "seq": 0}
    assert acks[1]["status"] == "error" and acks[1]["seq"] == 1
    assert (await api.served.ends("sales")) == {0: 1}
    info = (await api.client.get("/info")).json()["KsqlServerInfo"]
    assert info["ksqlServiceId"] == "default_" and info["serverStatus"] == "RUNNING"
    assert info["kafkaClusterId"] == api.served.backend.cluster_id
    assert (await api.client.get("/healthcheck")).json()["isHealthy"] is True


async def test_over_a_remote_backend() -> None:
    served, service, client = await open_ksql("remote")
    api = Ksql(served, service, client)
    try:
        await api.ksql(
            SALES + "CREATE TABLE counts AS SELECT client_id, COUNT(*) AS n FROM sales GROUP BY client_id;"
        )
        await api.ksql("INSERT INTO sales (id, client_id, price) VALUES ('s1', 'c1', 1.0);")

        async def pulled() -> Any:
            r = await client.post("/query", json={"ksql": "SELECT * FROM counts;"})
            items = r.json()
            return items[1:] if len(items) == 2 else None

        assert await until(pulled, "the count over the wire") == [{"row": {"columns": ["c1", 1]}}]
        queries = (await api.ksql("SHOW QUERIES;"))[0]["queries"]
        assert [q["id"] for q in queries] == ["CTAS_COUNTS_1"]
    finally:
        await client.aclose()
        await service.close()
        await close_served(served)


async def test_explain_describe_extended_and_properties(api: Ksql) -> None:
    await api.ksql(
        SALES + "CREATE TABLE counts AS SELECT client_id, COUNT(*) AS n FROM sales GROUP BY client_id;"
    )
    [explained] = await api.ksql("EXPLAIN CTAS_COUNTS_1;")
    description = explained["queryDescription"]
    assert description["id"] == "CTAS_COUNTS_1" and description["sinks"] == ["COUNTS"]
    topology = description["topology"]
    assert topology.startswith(
        "Topologies:\n   Sub-topology: 0\n    Source: KSTREAM-SOURCE-0000000000 (topics: [sales])"
    )
    assert "(topic: Aggregate-GroupBy-repartition)" in topology
    assert "(stores: [Aggregate-Aggregate-Materialize])" in topology and "(topic: COUNTS)" in topology
    [transient] = await api.ksql("EXPLAIN SELECT * FROM sales WHERE price > 1 EMIT CHANGES;")
    assert transient["queryDescription"]["queryType"] == "PUSH"
    assert "KSTREAM-FILTER-" in transient["queryDescription"]["topology"]
    [extended] = await api.ksql("DESCRIBE counts EXTENDED;")
    source = extended["sourceDescription"]
    assert source["extended"] is True and source["type"] == "TABLE"
    assert [q["id"] for q in source["writeQueries"]] == ["CTAS_COUNTS_1"]
    assert source["statistics"].startswith("messages-processed: ")
    [properties] = await api.ksql("SHOW PROPERTIES;")
    assert {"name": "ksql.service.id", "scope": "KSQL", "value": "default_"} in properties["properties"]
    bad = await api.ksql("DESCRIBE nothing;", 400)
    assert bad["message"] == "line 1:10: Could not find STREAM/TABLE 'NOTHING' in the Metastore"


async def test_a_join_over_http(api: Ksql) -> None:
    """A stream–table join on a value column of the stream, as a push query over /query:
    the row carries the table's column, and the transient query's repartition topic
    goes with it when the LIMIT ends it."""
    await api.ksql(
        SALES + "CREATE TABLE clients (id STRING PRIMARY KEY, name STRING) "
        "WITH (KAFKA_TOPIC='clients', VALUE_FORMAT='JSON', PARTITIONS=1);"
    )
    await api.ksql("INSERT INTO clients (id, name) VALUES ('c1', 'Ana');")
    await api.ksql("INSERT INTO sales (id, client_id, price) VALUES ('s1', 'c1', 10.0);")
    body = {"ksql": "SELECT s.id, c.name, price FROM sales s JOIN clients c ON s.client_id = c.id "
                    "EMIT CHANGES LIMIT 1;",
            "streamsProperties": {"auto.offset.reset": "earliest"}}  # fmt: skip
    response = await api.client.post("/query", json=body, headers={"Accept": V1})
    items = json.loads(response.text)
    assert items[0]["header"]["schema"] == "`S_ID` STRING, `NAME` STRING, `PRICE` DOUBLE"
    assert items[1]["row"]["columns"] == ["s1", "Ana", 10.0]
    assert items[-1] == {"finalMessage": "Limit Reached"}

    def leftovers() -> list[str]:
        return [t for t in api.served.backend.topic_names(include_internal=True) if "transient" in t]

    await until(lambda: not leftovers() or None, "the transient query's topics deleted")


async def test_closing_the_server_ends_a_push_query_whose_client_still_reads() -> None:
    """The server's close with a push query streaming to a client that has not gone:
    the query ends first, so the HTTP shutdown does not wait for its handler (aiohttp
    waits up to its shutdown timeout, 60 s, for a live connection's handler), and its
    transient topics and group are deleted."""
    served, service, client = await open_ksql("embedded")
    try:
        await client.post("/ksql", json={"ksql": SALES}, headers={"Accept": V1})
        got: list[str] = []

        async def read() -> None:
            sql = "SELECT client_id, COUNT(*) FROM sales GROUP BY client_id EMIT CHANGES;"
            with contextlib.suppress(httpx.HTTPError):
                async with client.stream("POST", "/query-stream", json={"sql": sql}) as response:
                    async for line in response.aiter_lines():
                        got.append(line)

        reader = asyncio.create_task(read())
        await until(lambda: got, "the header")
        query_id = json.loads(got[0])["queryId"]
        assert any(t.startswith(query_id) for t in served.backend.topic_names(include_internal=True))
        await asyncio.wait_for(service.close(), 20)
        assert not [t for t in served.backend.topic_names(include_internal=True) if t.startswith(query_id)]
        assert query_id not in [g for g, _ in await served.backend.groups()]
        await asyncio.wait_for(reader, 20)
    finally:
        await client.aclose()
        await service.close()
        await close_served(served)


async def test_a_pull_query_on_a_table_made_by_a_join(api: Ksql) -> None:
    """A table–table join's table is materialized as ksqlDB materializes a table it does
    not aggregate (its `Project-Last` store): /query-stream answers a key's joined row,
    an update of either side, a deleted row (gone from the join), and a scan."""
    tables = (
        "CREATE TABLE clients (id STRING PRIMARY KEY, name STRING) "
        "WITH (KAFKA_TOPIC='clients', VALUE_FORMAT='JSON', PARTITIONS=1);"
        "CREATE TABLE balances (id STRING PRIMARY KEY, amount DOUBLE) "
        "WITH (KAFKA_TOPIC='balances', VALUE_FORMAT='JSON', PARTITIONS=1);"
        "CREATE TABLE client_balances AS SELECT c.id AS id, c.name AS name, b.amount AS amount "
        "FROM clients c JOIN balances b ON c.id = b.id;"
    )
    await api.ksql(tables)
    await api.ksql(
        "INSERT INTO clients (id, name) VALUES ('c1', 'Ana');"
        "INSERT INTO clients (id, name) VALUES ('c2', 'Bia');"
        "INSERT INTO balances (id, amount) VALUES ('c1', 10.0);"
        "INSERT INTO balances (id, amount) VALUES ('c2', 4.0);"
    )

    async def pulled(sql: str, rows: list[list[Any]]) -> Any:
        async def answer() -> Any:
            r = await api.client.post("/query-stream", json={"sql": sql})
            assert r.status_code == 200, r.text
            lines = r.text.splitlines()
            return lines if [json.loads(line) for line in lines[1:]] == rows else None

        return await until(answer, f"{sql} answering {rows}")

    header, _ = await pulled("SELECT * FROM client_balances WHERE id = 'c1';", [["c1", "Ana", 10.0]])
    assert json.loads(header)["columnNames"] == ["ID", "NAME", "AMOUNT"]
    assert json.loads(header)["columnTypes"] == ["STRING", "STRING", "DOUBLE"]
    await api.ksql("INSERT INTO balances (id, amount) VALUES ('c1', 12.5);")
    await pulled("SELECT name, amount FROM client_balances WHERE id = 'c1';", [["Ana", 12.5]])
    await api.served.produce("clients", [(b"c2", None)])  # a tombstone: the inner join loses c2
    await pulled("SELECT id FROM client_balances WHERE amount > 0;", [["c1"]])
    await pulled("SELECT * FROM client_balances WHERE id = 'c2';", [])


async def test_a_push_query_whose_source_is_dropped_ends_with_ksqldbs_error(api: Ksql) -> None:
    """DROP … DELETE TOPIC under a running push query: /query-stream's last item and
    /query's terminal `errorMessage` row are ksqlDB's server error (50000) naming Kafka
    Streams' MissingSourceTopicException, and the query is cleaned up as on a close."""
    await api.ksql(SALES)
    got: dict[str, list[str]] = {"/query-stream": [], "/query": []}
    sql = "SELECT id, price FROM sales EMIT CHANGES;"

    async def read(path: str) -> None:
        body = {"sql": sql} if path == "/query-stream" else {"ksql": sql}
        async with api.client.stream("POST", path, json=body) as response:
            async for line in response.aiter_lines():
                if line.strip():
                    got[path].append(line)

    readers = [asyncio.create_task(read(path)) for path in got]
    # (/query's header has no line end of its own: the next row's brings it.)
    await until(lambda: len(api.service.engine.push_queries) == 2, "both queries running")
    await api.ksql("DROP STREAM sales DELETE TOPIC;")
    await asyncio.wait_for(asyncio.gather(*readers), 30)
    stream_error = json.loads(got["/query-stream"][-1])
    assert stream_error["@type"] == "generic_error" and stream_error["error_code"] == 50000
    assert "MissingSourceTopicException" in stream_error["message"]
    assert "topic sales" in stream_error["message"]
    last = json.loads(got["/query"][-1].removeprefix(",").removesuffix("]"))
    assert last["errorMessage"]["error_code"] == 50000
    assert "MissingSourceTopicException" in last["errorMessage"]["message"]
    await until(lambda: not api.service.engine.push_queries, "both queries closed")
    transient = [t for t in api.served.backend.topic_names(include_internal=True) if "transient" in t]
    assert transient == []
