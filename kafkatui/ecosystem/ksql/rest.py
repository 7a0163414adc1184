"""ksqlDB's REST API (its rest/server/resources and api/server): /ksql for statements,
/query (chunked JSON, application/vnd.ksql.v1+json) and /query-stream (a header object,
then one JSON array per row, over HTTP/1.1 chunks) for queries, /close-query,
/inserts-stream, /info, /healthcheck, /status, /ksql/terminate. Errors are ksqlDB's
bodies: {"@type": "generic_error" | "statement_error", "error_code", "message"} (with
"statementText" and "entities" for a statement's), the HTTP status the code's first
three digits."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.http import Handler, HttpError
from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.engine import KsqlEngine
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError
from kafkatui.ecosystem.ksql.parser import parse, parse_one

log = logging.getLogger("kafkatui.ecosystem")

KSQL_V1 = "application/vnd.ksql.v1+json"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
JSON = "application/json"
MEDIA_TYPES = (KSQL_V1, JSON, DELIMITED)
VERSION = "0.29.0"  # the ksqlDB release whose API this follows
ENGINE = web.AppKey("ksql_engine", KsqlEngine)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=float)


def _generic(code: ErrorCode | int, message: str) -> dict[str, Any]:
    return {"@type": "generic_error", "error_code": int(code), "message": message}


def _body_of(error: KsqlError) -> dict[str, Any]:
    return _generic(error.code, error.message)


def error_response(code: ErrorCode | int, message: str, statement: str | None = None) -> web.Response:
    body: dict[str, Any] = _generic(code, message)
    if statement is not None:
        body = {"@type": "statement_error", "error_code": int(code), "message": message,
                "statementText": statement, "entities": []}  # fmt: skip
    return web.Response(text=_dumps(body), status=int(code) // 100, content_type=JSON)


@web.middleware
async def ksql_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ksqlDB's error bodies, inside the shared middleware (which negotiates Accept)."""
    try:
        return await handler(request)
    except KsqlError as error:
        return error_response(error.code, error.message, error.statement_text)
    except KafkaError as error:
        return error_response(ErrorCode.SERVER_ERROR, f"{error.code.name}: {error}")
    except HttpError as error:
        return error_response(error.status * 100, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(error.status * 100, f"HTTP {error.status} {error.reason}")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KsqlError(f"Invalid JSON in request: {error}", ErrorCode.BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise KsqlError("The request body must be a JSON object", ErrorCode.BAD_REQUEST)
    return body


async def ksql(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = await _body(request)
    text = body.get("ksql")
    if not isinstance(text, str):
        raise KsqlError('Required field "ksql" is missing', ErrorCode.BAD_REQUEST)
    properties = dict(body.get("streamsProperties") or {})
    wanted = body.get("commandSequenceNumber")
    if isinstance(wanted, int) and wanted > engine.command_sequence:
        raise KsqlError(
            f"Timed out while waiting for a previous command to execute. command sequence number: {wanted}",
            ErrorCode.COMMAND_QUEUE_CATCHUP_TIMEOUT,
        )
    entities: list[Any] = []
    for statement in parse(text):
        if isinstance(statement, st.SetProperty):
            properties[statement.name] = statement.value  # scoped to this request, as ksqlDB's REST
            continue
        if isinstance(statement, st.UnsetProperty):
            properties.pop(statement.name, None)
            continue
        try:
            entity = await engine.execute(statement, properties)
        except KsqlError as error:
            error.statement_text = statement.text
            if entities:
                body_ = {"@type": "statement_error", "error_code": int(error.code), "message": error.message,
                         "statementText": statement.text, "entities": entities}  # fmt: skip
                return web.Response(text=_dumps(body_), status=int(error.code) // 100, content_type=JSON)
            raise
        if entity is not None:
            entities.append(entity)
    return web.Response(text=_dumps(entities), content_type=KSQL_V1)


def _select(text: str) -> st.Statement:
    statements = parse(text)
    if len(statements) != 1:
        raise KsqlError("Expected exactly one statement", ErrorCode.BAD_STATEMENT)
    statement = statements[0]
    if not isinstance(statement, (st.Select, st.Print)):
        raise KsqlError(
            f"Statement type `{type(statement).__name__}' not supported for this resource",
            ErrorCode.BAD_STATEMENT,
        )
    return statement


async def _chunked(request: web.Request, content_type: str) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


async def query(request: web.Request) -> web.StreamResponse:
    """/query: a JSON array written as it grows — a header, then {"row": {"columns": […]}}
    per row, then a final message; PRINT writes its lines as text."""
    engine = request.app[ENGINE]
    body = await _body(request)
    statement = _select(str(body.get("ksql", "")))
    properties = dict(body.get("streamsProperties") or {})
    if isinstance(statement, st.Print):
        lines = engine.print_topic(statement)
        response = await _chunked(request, "text/plain")
        with contextlib.suppress(ConnectionError):
            async for line in lines:
                await response.write((line + "\n").encode())
        return response
    assert isinstance(statement, st.Select)
    if statement.query.emit is None:
        names, types, rows = engine.pull(statement)
        schema = ", ".join(f"`{n}` {t}" for n, t in zip(names, types, strict=True))
        items = [{"header": {"queryId": "pull", "schema": schema}}]
        items += [{"row": {"columns": row}} for row in rows]
        return web.Response(text="[" + ",\n".join(map(_dumps, items)) + "]", content_type=KSQL_V1)
    push = await engine.push(statement, properties)
    response = await _chunked(request, KSQL_V1)
    try:
        await response.write(
            ("[" + _dumps({"header": {"queryId": push.query_id, "schema": push.plan.schema}})).encode()
        )
        async for row in push.rows(_gone(request)):
            await response.write((",\n" + _dumps({"row": {"columns": row}})).encode())
        # StreamedRow's terminal row: the error that ended the query, or the LIMIT's end.
        last: dict[str, Any] = {"finalMessage": "Limit Reached"}
        if push.error is not None:
            last = {"errorMessage": _body_of(push.error)}
        await response.write((",\n" + _dumps(last) + "]\n").encode())
    except ConnectionError:
        pass  # the client went away: the query ends, as on a cancel (which goes on up)
    finally:
        await engine.close_push(push.query_id)
    return response


def _gone(request: web.Request) -> Callable[[], bool]:
    """Whether the client of a streaming answer has disconnected (its transport closed)."""

    def gone() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    return gone


async def query_stream(request: web.Request) -> web.StreamResponse:
    """/query-stream: the header {"queryId", "columnNames", "columnTypes"}, then each row
    a JSON array, one per line (application/vnd.ksqlapi.delimited.v1), or all of them in
    one JSON array (application/json)."""
    engine = request.app[ENGINE]
    body = await _body(request)
    statement = _select(str(body.get("sql", "")))
    if not isinstance(statement, st.Select):
        raise KsqlError("PRINT is not supported on /query-stream: use /query", ErrorCode.BAD_STATEMENT)
    as_array = request.headers.get("Accept", "").split(",")[0].strip() == JSON
    content_type = JSON if as_array else DELIMITED

    def framed(item: Any, first: bool) -> bytes:
        # Delimited: one JSON document per line, each line sent as soon as it is known.
        if not as_array:
            return (_dumps(item) + "\n").encode()
        return (("[" if first else ",\n") + _dumps(item)).encode()

    closer = b"]\n" if as_array else b""
    if statement.query.emit is None:
        names, types, rows = engine.pull(statement)
        header = {"queryId": None, "columnNames": names, "columnTypes": types}
        items = [header, *rows]
        return web.Response(
            body=b"".join(framed(item, i == 0) for i, item in enumerate(items)) + closer,
            content_type=content_type,
        )
    push = await engine.push(statement, dict(body.get("properties") or {}))
    header = {"queryId": push.query_id, "columnNames": push.plan.names, "columnTypes": push.plan.types}
    response = await _chunked(request, content_type)
    try:
        await response.write(framed(header, True))
        async for row in push.rows(_gone(request)):
            await response.write(framed(row, False))
        if push.error is not None:  # ksqlDB's error object, the stream's last item
            await response.write(framed(_body_of(push.error), False))
        await response.write(closer)
    except ConnectionError:
        pass  # the client went away: the query ends, as on a cancel (which goes on up)
    finally:
        await engine.close_push(push.query_id)
    return response


async def close_query(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = await _body(request)
    query_id = str(body.get("queryId", ""))
    if not await engine.close_push(query_id):
        raise KsqlError(f"No query with id {query_id}", ErrorCode.BAD_REQUEST)
    return web.Response(status=200)


async def inserts_stream(request: web.Request) -> web.StreamResponse:
    """/inserts-stream: {"target": "S"} on the first line, then one JSON object per line;
    each acknowledged as {"status": "ok", "seq": n} once written."""
    engine = request.app[ENGINE]
    response: web.StreamResponse | None = None
    target: str | None = None
    seq = 0
    buffer = b""
    async for chunk in request.content.iter_any():
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            if target is None:
                target = str(item.get("target", "")).upper()
                if target not in engine.metastore.sources:
                    raise KsqlError(
                        f"Cannot insert values into an unknown stream/table: {target}",
                        ErrorCode.BAD_STATEMENT,
                    )
                response = await _chunked(request, DELIMITED)
                continue
            assert response is not None
            try:
                await engine.insert_row(target, item)
                await response.write((_dumps({"status": "ok", "seq": seq}) + "\n").encode())
            except KsqlError as error:
                await response.write((_dumps({"status": "error", "seq": seq, "error_code": int(error.code),
                                              "message": error.message}) + "\n").encode())  # fmt: skip
            seq += 1
    if buffer.strip() and target is None:
        raise KsqlError('the first line must be {"target": "<stream>"}', ErrorCode.BAD_REQUEST)
    if response is None:
        response = await _chunked(request, DELIMITED)
    await response.write_eof()
    return response


async def info(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = {"KsqlServerInfo": {"version": VERSION, "kafkaClusterId": engine.backend.cluster_id,
                               "ksqlServiceId": engine.service_id, "serverStatus": "RUNNING"}}  # fmt: skip
    return web.Response(text=_dumps(body), content_type=KSQL_V1)


async def healthcheck(request: web.Request) -> web.Response:
    healthy = {"isHealthy": True}
    body = {"isHealthy": True, "details": {"metastore": healthy, "kafka": healthy, "commandRunner": healthy}}
    return web.Response(text=_dumps(body), content_type=KSQL_V1)


async def status(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    statuses = {command: state for command, (state, _) in engine.command_statuses.items()}
    return web.Response(text=_dumps({"commandStatuses": statuses}), content_type=KSQL_V1)


async def command_status(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    m = request.match_info
    command = f"{m['type']}/{m['entity']}/{m['action']}"
    found = engine.command_statuses.get(command)
    if found is None:
        raise KsqlError(f"Command not found: {command}", ErrorCode.NOT_FOUND)
    return web.Response(text=_dumps({"status": found[0], "message": found[1]}), content_type=KSQL_V1)


async def terminate_cluster(request: web.Request) -> web.Response:
    """/ksql/terminate: every persistent query terminated, every source dropped (the
    topics named in deleteTopicList deleted)."""
    engine = request.app[ENGINE]
    body = await _body(request)
    delete = {str(t) for t in body.get("deleteTopicList") or []}
    await engine.execute(parse_one("TERMINATE ALL"))
    for source in list(engine.metastore.sources.values()):
        drop = f"DROP {source.kind} {source.name}{' DELETE TOPIC' if source.topic in delete else ''}"
        await engine.execute(parse_one(drop))
    body = {
        "@type": "currentStatus",
        "statementText": "TERMINATE CLUSTER",
        "commandId": "cluster/`CLUSTER`/terminate",
        "commandStatus": {"status": "SUCCESS", "message": "Cluster terminated."},
        "commandSequenceNumber": engine.command_sequence,
    }
    return web.Response(text=_dumps(body), content_type=KSQL_V1)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/ksql", ksql)
    app.router.add_post("/query", query)
    app.router.add_post("/query-stream", query_stream)
    app.router.add_post("/close-query", close_query)
    app.router.add_post("/inserts-stream", inserts_stream)
    app.router.add_get("/info", info)
    app.router.add_get("/healthcheck", healthcheck)
    app.router.add_get("/status", status)
    app.router.add_get("/status/{type}/{entity}/{action}", command_status)
    app.router.add_post("/ksql/terminate", terminate_cluster)
