"""The ksqlDB panel's client of a ksqlDB server: its REST API over HTTP (httpx), as the
ksql CLI and any ksqlDB UI talk to one. Statements go to POST /ksql, queries to POST
/query-stream (a header line, then one JSON array per row, application/vnd.ksqlapi.
delimited.v1), a push query is ended with POST /close-query. An error is ksqlDB's body
(`{"@type", "error_code", "message"}`) as `KsqlRefused`; a server that does not answer
is `KsqlDown`, which the panel shows in place, never as a traceback. Also here: how a
/ksql entity reads as a table and some text (the panel draws it)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from kafkatui.ecosystem.ksql.type_text import type_text

V1 = "application/vnd.ksql.v1+json"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
# ksqlDB's error codes (io.confluent.ksql.rest.Errors), named as the CLI names them.
NAMES = {
    40000: "BAD_REQUEST", 40001: "BAD_STATEMENT", 40002: "QUERY_ENDPOINT", 40400: "NOT_FOUND",
    50000: "SERVER_ERROR", 50301: "COMMAND_QUEUE_CATCHUP_TIMEOUT", 50303: "SERVER_SHUTTING_DOWN",
}  # fmt: skip
_WHERE = re.compile(r"^line (\d+):(\d+): ")


class KsqlDown(Exception):
    """No ksqlDB server answers at the URL (connection refused, timed out)."""


class KsqlRefused(Exception):
    """ksqlDB refused a statement: its error code, name and message ("line 1:8: Column
    'PRICEE' cannot be resolved.")."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = NAMES.get(code, f"ERROR_{code}")
        self.message = message

    @property
    def where(self) -> tuple[int, int] | None:
        """The (line, column) ksqlDB names at the start of its message, both from 1."""
        found = _WHERE.match(self.message)
        return (int(found.group(1)), int(found.group(2))) if found else None


def _refusal(status: int, raw: bytes) -> KsqlRefused:
    try:
        body = json.loads(raw)
    except ValueError:
        return KsqlRefused(status * 100, f"HTTP {status}: {raw[:200].decode(errors='replace')}")
    return KsqlRefused(int(body.get("error_code", status * 100)), str(body.get("message", "")))


class KsqlClient:
    """The calls the panel makes, with the session's SET properties on each."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        # Reads never time out: a push query's next row may be minutes away.
        self._http = httpx.AsyncClient(base_url=self.url, timeout=httpx.Timeout(timeout, read=None))

    async def close(self) -> None:
        await self._http.aclose()

    def _down(self, error: Exception) -> KsqlDown:
        return KsqlDown(f"No ksqlDB server answers at {self.url} ({type(error).__name__})")

    async def info(self) -> dict[str, Any]:
        try:
            response = await self._http.get("/info")
        except httpx.TransportError as error:
            raise self._down(error) from None
        if response.status_code >= 400:
            raise _refusal(response.status_code, response.content)
        return dict(response.json().get("KsqlServerInfo", {}))

    async def statements(self, text: str, properties: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """POST /ksql: one entity per statement that answers one."""
        body = {"ksql": text, "streamsProperties": properties or {}}
        try:
            response = await self._http.post("/ksql", json=body, headers={"Accept": V1})
        except httpx.TransportError as error:
            raise self._down(error) from None
        if response.status_code >= 400:
            raise _refusal(response.status_code, response.content)
        return list(response.json())

    async def query(self, sql: str, properties: dict[str, str] | None = None) -> AsyncIterator[Any]:
        """POST /query-stream: the header ({"queryId", "columnNames", "columnTypes"}), then
        each row (a list) as the server sends it; a push query until the caller stops."""
        body = {"sql": sql, "properties": properties or {}}
        try:
            async with self._http.stream(
                "POST", "/query-stream", json=body, headers={"Accept": DELIMITED}
            ) as response:
                if response.status_code >= 400:
                    raise _refusal(response.status_code, await response.aread())
                async for line in response.aiter_lines():
                    if line.strip():
                        item = json.loads(line)
                        if isinstance(item, dict) and "error_code" in item:
                            # ksqlDB ended the query (a source topic deleted…): its last item
                            raise KsqlRefused(int(item["error_code"]), str(item.get("message", "")))
                        yield item
        except httpx.TransportError as error:
            raise self._down(error) from None

    async def close_query(self, query_id: str) -> None:
        """POST /close-query, as ksqlDB's clients end a push query (closing the
        connection ends it too: this says so at once)."""
        with contextlib.suppress(httpx.TransportError):  # the server is gone, and the query with it
            await self._http.post("/close-query", json={"queryId": query_id})


@dataclass
class EntityView:
    """A /ksql entity as the panel shows it: a title, some lines, and maybe a table."""

    title: str
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def cell(value: Any) -> str:
    """A column's value as the ksql CLI prints it (null, JSON for structures)."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def entity_view(entity: dict[str, Any]) -> EntityView:
    """What the ksql CLI prints for each entity type, as a title, lines and a table."""
    kind = entity.get("@type")
    statement = str(entity.get("statementText", ""))
    if kind == "currentStatus":
        status = entity.get("commandStatus", {})
        return EntityView(statement, [f"{status.get('status', '')}: {status.get('message', '')}"])
    if kind in ("streams", "tables"):
        return EntityView(
            statement,
            columns=[
                f"{kind[:-1].capitalize()} Name",
                "Kafka Topic",
                "Key Format",
                "Value Format",
                "Windowed",
            ],
            rows=[
                [s["name"], s["topic"], s["keyFormat"], s["valueFormat"], str(s["isWindowed"]).lower()]
                for s in entity[kind]
            ],
        )
    if kind == "kafka_topics":
        rows = [
            [t["name"], str(len(t["replicaInfo"])), str((t["replicaInfo"] or [0])[0])]
            for t in entity["topics"]
        ]
        return EntityView(statement, columns=["Kafka Topic", "Partitions", "Partition Replicas"], rows=rows)
    if kind == "queries":
        rows = [
            [q["id"], q["queryType"], q.get("state", ""), ", ".join(q["sinks"]), q["queryString"]]
            for q in entity["queries"]
        ]
        columns = ["Query ID", "Query Type", "Status", "Sink Name", "Query String"]
        return EntityView(statement, columns=columns, rows=rows)
    if kind == "properties":
        rows = [[p["name"], p["scope"], p["value"]] for p in entity["properties"]]
        return EntityView(statement, columns=["Property", "Scope", "Value"], rows=rows)
    if kind == "sourceDescription":
        return _source_view(statement, entity["sourceDescription"])
    if kind == "queryDescription":
        d = entity["queryDescription"]
        lines = [f"ID: {d['id']}"] if d.get("id") else []
        lines += [f"SQL: {d['statementText']}", f"Sources: {', '.join(d['sources'])}"]
        if d.get("sinks"):
            lines.append(f"Sinks: {', '.join(d['sinks'])}")
        lines += ["", "Processing topology", *str(d.get("topology", "")).splitlines()]
        fields = [[f["name"], type_text(f["schema"]) + (" KEY" if f.get("type") == "KEY" else "")]
                  for f in d["fields"]]  # fmt: skip
        return EntityView(statement, lines, ["Field", "Type"], fields)
    return EntityView(statement, [json.dumps(entity)])


def _source_view(statement: str, d: dict[str, Any]) -> EntityView:
    key = " (primary key)" if d["type"] == "TABLE" else " (key)"
    fields = [
        [f["name"], type_text(f["schema"]) + (key if f.get("type") == "KEY" else "")] for f in d["fields"]
    ]
    lines = [
        f"Name: {d['name']} · {d['type']} · Kafka topic: {d['topic']}",
        f"Key format: {d['keyFormat']} · Value format: {d['valueFormat']}",
    ]
    if d.get("extended") and d.get("statistics"):
        lines.append(f"Statistics: {d['statistics']}")
    writers = ", ".join(q["id"] for q in d.get("writeQueries", []))
    if writers:
        lines.append(f"Queries that write to this {d['type']}: {writers}")
    readers = ", ".join(q["id"] for q in d.get("readQueries", []))
    if readers:
        lines.append(f"Queries that read from this {d['type']}: {readers}")
    return EntityView(statement, lines, ["Field", "Type"], fields)
