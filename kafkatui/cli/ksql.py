"""`kafkatui ksql`: ksqlDB's CLI. A REPL (statements over several lines up to `;`,
history, results as Rich tables, push queries streaming until Ctrl-C), or `-e "…"` /
`-f file.sql` for scripts, `--json` for machines. It is a client of ksqlDB's REST API,
like the ksql CLI: `--ksql-url` (or $KAFKATUI_KSQL_URL) names a server; else, when
another kafkatui process owns the data dir and serves ksqlDB, the one its lock file
records (`kafkatui serve`, the workbench); else
the command runs a ksqlDB server of its own over the cluster for as long as it runs
(its streams, tables and queries are in the cluster's command topic, so each of these
sees the same ones). A refusal is one line, `error: BAD_STATEMENT: line 1:8: …`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kafkatui.cli.context import (
    ClusterOptions,
    DataDirOwner,
    console,
    err_console,
    fail,
    open_backend,
    open_data_dir,
    options,
    owner_url,
    run_async,
    stdin_is_interactive,
)  # fmt: skip
from kafkatui.cli.output import print_json
from kafkatui.ecosystem.ksql.type_text import type_text

URL_ENV = "KAFKATUI_KSQL_URL"
DEFAULT_URL = "http://127.0.0.1:8088"
V1 = "application/vnd.ksql.v1+json"
# ksqlDB's error codes (io.confluent.ksql.rest.Errors), named for the one-line error.
NAMES = {
    40000: "BAD_REQUEST", 40001: "BAD_STATEMENT", 40002: "QUERY_ENDPOINT", 40400: "NOT_FOUND",
    50000: "SERVER_ERROR", 50301: "COMMAND_QUEUE_CATCHUP_TIMEOUT", 50303: "SERVER_SHUTTING_DOWN",
}  # fmt: skip


class KsqlRefused(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, " ".join(message.split())  # one line


def ksql(
    ctx: typer.Context,
    execute: Annotated[
        str | None, typer.Option("--execute", "-e", help="Run these statements (;-separated), then exit.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Run the statements of this file, then exit.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print ksqlDB's JSON answers, for scripts.")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(
            "--ksql-url",
            envvar=URL_ENV,
            metavar="URL",
            help="A ksqlDB server (default: the one the data dir's owner serves, as its lock file records "
            "it, else one run by this command over the cluster).",
        ),
    ] = None,
) -> None:
    """ksqlDB's CLI: SQL over the cluster's topics (streams, tables, push and pull queries).

    Examples:

        kafkatui ksql -e "SHOW STREAMS;"
        kafkatui ksql -f setup.sql
        kafkatui ksql          # the REPL: statements end with ;
    """
    opts = options(ctx)
    if execute is not None and file is not None:
        raise typer.BadParameter("give -e or -f, not both", param_hint="--execute")
    script = execute
    if file is not None:
        try:
            script = file.read_text()
        except OSError as error:
            raise fail("INVALID_REQUEST", f"cannot read {file}: {error.strerror or error}") from None

    async def main() -> None:
        async with server_url(opts, url) as where:
            session = Session(where, as_json)
            try:
                if script is not None:
                    await session.run_script(script)
                else:
                    await session.repl()
            except KsqlRefused as error:
                raise fail(error.name, error.message) from None
            finally:
                await session.close()
        if session.terminated:  # cleaned up (its server closed too), then a SIGTERM's exit
            raise typer.Exit(128 + signal.SIGTERM)

    run_async(main)


@contextlib.asynccontextmanager
async def server_url(opts: ClusterOptions, given: str | None) -> AsyncIterator[str]:
    """The ksqlDB server this command line means (see the module's note)."""
    if given:
        yield given.rstrip("/")
        return
    from kafkatui.ecosystem.ksql.service import KsqlService

    served = owner_url(opts, "ksql")
    if served is not None:
        yield served.rstrip("/")
        return
    backend = None
    if opts.bootstrap_server is None:
        opened = await open_data_dir(opts, "kafkatui ksql")
        if isinstance(opened, DataDirOwner) and opened.ksql is not None:
            yield opened.ksql.rstrip("/")  # it started serving since the look above
            return
        if not isinstance(opened, DataDirOwner):
            backend = opened
    if backend is None:
        backend = await open_backend(opts, "kafkatui ksql")
    service = KsqlService(backend, schema_registry_url=backend.schema_registry_url())
    try:
        yield await service.start(0)
    finally:
        await service.close()
        await backend.close()


STOPPING = (signal.SIGINT, signal.SIGTERM)


class Session:
    """One CLI session: its SET properties go with every request, as the ksql CLI's."""

    def __init__(self, url: str, as_json: bool) -> None:
        import httpx

        self.url, self.as_json = url, as_json
        self.client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=None))
        self.properties: dict[str, str] = {}
        self.terminated = False  # a SIGTERM ended a query: run nothing more

    async def close(self) -> None:
        await self.client.aclose()

    async def run_script(self, text: str) -> None:
        from kafkatui.ecosystem.ksql.errors import KsqlError
        from kafkatui.ecosystem.ksql.lexer import split_statements

        try:
            statements = split_statements(text)
        except KsqlError as error:
            raise KsqlRefused("BAD_STATEMENT", error.message) from None
        for statement, _ in statements:
            if self.terminated:
                return
            await self.run(statement)

    async def run(self, statement: str) -> None:
        from kafkatui.ecosystem.ksql.lexer import tokenize

        tokens = tokenize(statement)
        first = tokens[0].value if tokens else ""
        if first in ("SET", "UNSET") and len(tokens) > 1 and tokens[1].kind == "string":
            self._set(first, tokens)
        elif first in ("SELECT", "PRINT"):
            await self._query(statement, first)
        else:
            for entity in await self._post(
                "/ksql", {"ksql": statement + ";", "streamsProperties": self.properties}
            ):
                self._show(entity)

    def _set(self, word: str, tokens: list[Any]) -> None:
        name = tokens[1].value
        if word == "SET":
            value = tokens[3].value if len(tokens) > 3 else ""
            old = self.properties.get(name)
            self.properties[name] = value
            change = f"from '{old}' to '{value}'" if old is not None else f"to '{value}'"
            self._say(f"Successfully changed local property '{name}' {change}.")
        else:
            self.properties.pop(name, None)
            self._say(f"Successfully unset local property '{name}'.")

    def _say(self, text: str) -> None:
        if self.as_json:
            print_json({"message": text})
        else:
            console.print(text, markup=False, highlight=False)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        try:
            response = await self.client.post(path, json=body, headers={"Accept": V1})
        except httpx.HTTPError as error:
            raise self.unreachable(error) from None
        if response.status_code >= 400:
            raise _refusal(response.status_code, response.content)
        return response.json()

    def unreachable(self, error: Exception) -> KsqlRefused:
        return KsqlRefused(
            "KSQL_UNAVAILABLE",
            f"cannot reach ksqlDB at {self.url} ({error}): start one with `kafkatui serve` (or the "
            "workbench), or give --ksql-url",
        )

    async def _query(self, statement: str, kind: str) -> None:
        """A SELECT over /query-stream (a push query streams until its LIMIT or Ctrl-C), or a
        PRINT over /query."""
        import httpx

        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        interrupted = False

        def stop(signum: int) -> None:
            nonlocal interrupted
            interrupted = True
            self.terminated = self.terminated or signum == signal.SIGTERM
            if task is not None:
                task.cancel()

        # SIGTERM as Ctrl-C: the query ends cleanly — this side closes the connection and
        # the server (its own, or the data dir owner's) closes the push query, deleting its
        # `…transient_…` topics and group; a default SIGTERM would leave them behind. Then
        # the process's own server (if it runs one) closes with no handler still waiting.
        for signum in STOPPING:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop, signum)
        try:
            if kind == "PRINT":
                body = {"ksql": statement + ";", "streamsProperties": self.properties}
                async with self.client.stream("POST", "/query", json=body) as response:
                    if response.status_code >= 400:
                        raise _refusal(response.status_code, await response.aread())
                    async for line in response.aiter_lines():
                        if line:
                            console.print(line, markup=False, highlight=False)
                return
            body = {"sql": statement + ";", "properties": self.properties}
            async with self.client.stream("POST", "/query-stream", json=body) as response:
                if response.status_code >= 400:
                    raise _refusal(response.status_code, await response.aread())
                printer: RowPrinter | None = None
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    if isinstance(item, dict) and "error_code" in item:  # ksqlDB ended the query
                        if printer is not None:
                            printer.end()
                        raise _refusal(int(item["error_code"]) // 100, line.encode())
                    if printer is None:
                        printer = RowPrinter(item, self.as_json)
                    else:
                        printer.row(item)
                if printer is not None:
                    printer.end()
        except asyncio.CancelledError:
            if not interrupted:
                raise
            uncancel = getattr(task, "uncancel", None)
            if uncancel is not None:
                uncancel()
            err_console.print("Query terminated", markup=False, highlight=False)
        except httpx.HTTPError as error:
            raise self.unreachable(error) from None
        finally:
            for signum in STOPPING:
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)

    def _show(self, entity: dict[str, Any]) -> None:
        if self.as_json:
            print_json(entity)
            return
        render(entity)

    async def repl(self) -> None:
        """Read statements up to `;` (over several lines), run each, until EOF or `exit`."""
        interactive = stdin_is_interactive()
        history = _history() if interactive else None
        if interactive:
            console.print(
                f"ksqlDB at {self.url} — statements end with ';', exit with Ctrl-D", highlight=False
            )
        buffer: list[str] = []
        loop = asyncio.get_running_loop()
        while True:
            prompt = ("ksql> " if not buffer else ">> ") if interactive else ""
            try:
                line = await loop.run_in_executor(None, input, prompt)
            except EOFError:
                break
            if not buffer and line.strip().lower() in ("exit", "quit"):
                break
            buffer.append(line)
            text = "\n".join(buffer)
            if not text.rstrip().endswith(";"):
                continue
            buffer = []
            try:
                await self.run_script(text)
            except KsqlRefused as error:
                err_console.print(f"[bold red]error:[/] {error.name}: {error.message}", highlight=False)
            if self.terminated:
                break
        if history is not None:
            history()


def _history() -> Any:
    """Line editing and a history file (readline's), saved when the REPL ends."""
    try:
        import readline
    except ImportError:
        return None
    import platformdirs

    path = Path(platformdirs.user_state_dir("kafkatui")) / "ksql_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)

    def save() -> None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)

    return save


def _refusal(status: int, raw: bytes) -> KsqlRefused:
    try:
        body = json.loads(raw)
    except ValueError:
        return KsqlRefused("SERVER_ERROR", f"HTTP {status}: {raw[:200].decode(errors='replace')}")
    code = int(body.get("error_code", status * 100))
    return KsqlRefused(NAMES.get(code, f"ERROR_{code}"), str(body.get("message", "")))


class RowPrinter:
    """A query's rows as they come: a table's header and a line per row (the ksql CLI's
    look), or JSON lines."""

    def __init__(self, header: dict[str, Any], as_json: bool) -> None:
        self.names: list[str] = list(header.get("columnNames") or [])
        self.as_json = as_json
        self.widths = [max(len(n), 12) for n in self.names]
        self.count = 0
        if as_json:
            print_json(header)
            return
        rule = "+" + "+".join("-" * (w + 2) for w in self.widths) + "+"
        console.print(rule, markup=False, highlight=False)
        console.print(self._line(self.names), markup=False, highlight=False)
        console.print(rule, markup=False, highlight=False)

    def _line(self, values: list[Any]) -> str:
        cells = [
            ("null" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else str(v))
            for v in values
        ]
        return "|" + "|".join(f" {c:<{w}} " for c, w in zip(cells, self.widths, strict=False)) + "|"

    def row(self, values: list[Any]) -> None:
        self.count += 1
        if self.as_json:
            print_json(values)
        else:
            console.print(self._line(values), markup=False, highlight=False)

    def end(self) -> None:
        if not self.as_json:
            console.print(
                f"{self.count} row(s)" if self.count != 1 else "1 row", markup=False, highlight=False
            )


def _table(*columns: str) -> Table:
    table = Table(*columns, show_edge=True, highlight=False)
    return table


def render(entity: dict[str, Any]) -> None:
    """One /ksql entity as the ksql CLI shows it."""
    kind = entity.get("@type")
    if kind == "currentStatus":
        table = _table("Message")
        table.add_row(entity["commandStatus"]["message"])
        console.print(table)
    elif kind in ("streams", "tables"):
        table = _table(
            f"{kind[:-1].capitalize()} Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"
        )
        for item in entity[kind]:
            table.add_row(
                item["name"],
                item["topic"],
                item["keyFormat"],
                item["valueFormat"],
                str(item["isWindowed"]).lower(),
            )
        console.print(table)
    elif kind == "kafka_topics":
        table = _table("Kafka Topic", "Partitions", "Partition Replicas")
        for item in entity["topics"]:
            replicas = item["replicaInfo"]
            table.add_row(item["name"], str(len(replicas)), str(replicas[0] if replicas else 0))
        console.print(table)
    elif kind == "queries":
        table = _table("Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String")
        for q in entity["queries"]:
            status = ", ".join(f"{s}:{n}" for s, n in q["statusCount"].items())
            sinks, topics = ", ".join(q["sinks"]), ", ".join(q["sinkKafkaTopics"])
            table.add_row(q["id"], q["queryType"], status, sinks, topics, q["queryString"])
        console.print(table)
    elif kind == "properties":
        table = _table("Property", "Scope", "Value")
        for p in entity["properties"]:
            table.add_row(p["name"], p["scope"], p["value"])
        console.print(table)
    elif kind == "sourceDescription":
        d = entity["sourceDescription"]
        console.print(f"\nName                 : {d['name']}", markup=False, highlight=False)
        table = _table("Field", "Type")
        for f in d["fields"]:
            key = {"KEY": " (primary key)" if d["type"] == "TABLE" else " (key)"}.get(f.get("type", ""), "")
            table.add_row(f["name"], type_text(f["schema"]) + key)
        console.print(table)
        if d.get("extended"):
            details = [
                ("Type", d["type"]), ("Kafka topic", d["topic"]), ("Key format", d["keyFormat"]),
                ("Value format", d["valueFormat"]), ("Partitions", d["partitions"]),
                ("Statistics", d["statistics"]),
            ]  # fmt: skip
            for label, value in details:
                console.print(f"{label:<21}: {value}", markup=False, highlight=False)
        if d["writeQueries"]:
            writers = ", ".join(q["id"] for q in d["writeQueries"])
            console.print(
                f"Queries that write from this {d['type']}: {writers}", markup=False, highlight=False
            )
    elif kind == "queryDescription":
        d = entity["queryDescription"]
        if d["id"]:
            console.print(f"ID                   : {d['id']}", markup=False, highlight=False)
        console.print(f"SQL                  : {d['statementText']}", markup=False, highlight=False)
        table = _table("Field", "Type")
        for f in d["fields"]:
            table.add_row(f["name"], type_text(f["schema"]) + (" KEY" if f.get("type") == "KEY" else ""))
        console.print(table)
        console.print(f"Sources that this query reads from: {', '.join(d['sources'])}", markup=False)
        if d["sinks"]:
            console.print(f"Sinks that this query writes to: {', '.join(d['sinks'])}", markup=False)
        console.print("\nProcessing topology\n-------------------", markup=False)
        console.print(d["topology"], markup=False, highlight=False)
    else:
        console.print_json(json.dumps(entity))
