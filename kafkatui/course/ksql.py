"""What a lesson's reset asks of the ksqlDB server beside the cluster: the streams and
tables over the topics the reset deletes are dropped first, as a learner would drop them
(TERMINATE the queries that read or write each, then DROP … DELETE TOPIC), through the
server's REST API. So the drops are commands in its command topic, where the server and
the lesson's checks (which replay that topic) both read that they are gone, and the
lesson's CREATE statements run again instead of answering "already exists".

Leaving them instead (the lesson's statements as CREATE … IF NOT EXISTS) would keep a
table whose topic the reset deleted, and a query counting into nothing: a ksqlDB user
resetting a tutorial drops what it made."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from kafkatui.backends.base import Backend
from kafkatui.common.errors import ErrorCode, KafkaError

V1 = "application/vnd.ksql.v1+json"
log = logging.getLogger(__name__)


class _Unreachable(KafkaError):
    """The ksqlDB server did not answer at all."""


async def _ksql(http: httpx.AsyncClient, text: str) -> list[dict[str, Any]]:
    try:
        response = await http.post("/ksql", json={"ksql": text}, headers={"Accept": V1})
    except httpx.TransportError as error:
        raise _Unreachable(
            ErrorCode.UNKNOWN_SERVER_ERROR, f"the ksqlDB server at {http.base_url} did not answer ({error})"
        ) from None
    if response.status_code >= 400:
        try:
            message = str(response.json().get("message", response.text))
        except ValueError:
            message = response.text
        raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, f"ksqlDB refused {text!r}: {message}")
    return list(response.json())


def _quoted(name: str) -> str:
    """An identifier exactly as stored (ksqlDB keeps a quoted name's case)."""
    return "`" + name.replace("`", "``") + "`"


async def drop_ksql_sources(backend: Backend, topics: set[str]) -> list[str]:
    """Drop, on the backend's ksqlDB server (if it has one), every stream and table
    reading one of `topics`, after terminating the persistent queries that read or write
    them (ksqlDB refuses to drop a source a query uses). Returns the names dropped."""
    url = backend.ksql_url()
    if url is None:
        return []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        try:
            streams, tables = await _ksql(http, "SHOW STREAMS; SHOW TABLES;")
        except _Unreachable as error:
            # A server advertised but gone (stopped in another terminal): every lesson's
            # rebuild would fail on it; its command topic keeps what it had, as Kafka's.
            log.warning("lesson reset: %s; its streams and tables are left as they are", error)
            return []
        doomed = [s["name"] for s in streams["streams"] + tables["tables"] if s["topic"] in topics]
        if not doomed:
            return []
        described = await _ksql(http, " ".join(f"DESCRIBE {_quoted(name)};" for name in doomed))
        queries: list[str] = []
        for entity in described:
            source = entity["sourceDescription"]
            for query in source["readQueries"] + source["writeQueries"]:
                if query["id"] not in queries:
                    queries.append(query["id"])
        for query_id in queries:
            await _ksql(http, f"TERMINATE {query_id};")
        kinds = {s["name"]: s["type"] for s in streams["streams"] + tables["tables"]}
        for name in doomed:
            await _ksql(http, f"DROP {kinds[name]} IF EXISTS {_quoted(name)} DELETE TOPIC;")
    return doomed
