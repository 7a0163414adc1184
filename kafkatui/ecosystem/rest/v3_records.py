"""REST Proxy v3 produce (kafka-rest's `ProduceAction` and `StreamingResponse`):
`POST /v3/clusters/{c}/topics/{t}/records` takes one record, or many concatenated JSON
records in one request (streaming, `Transfer-Encoding: chunked`), and answers one
delivery report per record, in order, as each is acknowledged: `{"error_code": 200,
cluster_id, topic_name, partition_id, offset, timestamp, key: {type, size}, value}`,
or `{"error_code", "message"}` for a record that could not be sent. The HTTP status is
200 once the stream is open; a bad record gets its own error and the stream goes on.
JSON that does not parse ends the stream with an error (Jackson's parser cannot find
the next record after it either), as does a record larger than the request limit
(whether or not it arrived whole: where it ends is not looked for).

Records are parsed as the body arrives, each converted whole (`v3_serde`); what one
read of the body held goes to the producer the v2 resources share in one
`send_batch` (which fills its batches, linger.ms and batch.size as ever), so a record
costs no await, no future and no call into the producer of its own. A writer task
awaits each chunk's batches in order and writes its reports in one pass, so reading
the request never waits for the client to read the answer."""

from __future__ import annotations

import asyncio
import codecs
import datetime
import json
import logging
import re
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.streams import StreamReader

from kafkatui.backends.base import BatchRecord, ProducerClient, SentBatch
from kafkatui.common.clients import RecordMetadata
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.http import JSON, HttpError, error_body, request_type
from kafkatui.ecosystem.rest.errors import RestError
from kafkatui.ecosystem.rest.v3_common import (
    Cluster,
    cluster,
    from_kafka,
    payload_error,
    unknown_topic_or_partition,
    v3_media,
)
from kafkatui.ecosystem.rest.v3_serde import NeedsSchema, RecordSerde

log = logging.getLogger("kafkatui.ecosystem")
# The v3 OpenAPI's 413 text (RecordTooLargeException, ProduceRequestTooLargeException).
TOO_LARGE = "The request included a message larger than the maximum message size the server can accept."
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SPACES = " \t\n\r"
# The C scanner itself, not raw_decode's Python frame around it: it is called per record.
_scan = json.JSONDecoder().scan_once
# A parse error this close to the end of what has arrived may be a record cut by a
# chunk boundary (a literal, a number or an escape not complete yet).
_CUT_MARGIN = 12
_FLUSH_EVERY_CHUNKS = 4  # chunks of reports per write, at most


def _error_text(error: RestError) -> str:
    return json.dumps(error_body(error.error_code, error.message), separators=(",", ":")) + "\n"


def _produce_error(error: KafkaError) -> RestError:
    if error.code in (ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE):
        return RestError(413, TOO_LARGE)
    return from_kafka(error)


def _expecting_value(buffer: str, at: int) -> json.JSONDecodeError:
    """What raw_decode makes of the scanner's StopIteration: no value where one must be
    (`at`, maybe inside the record, as where a chunk cut it)."""
    return json.JSONDecodeError("Expecting value", buffer, at)


class ConcatenatedJson:
    """The request body as a sequence of JSON values (Jackson's MappingIterator over a
    stream), read as it arrives. A value that does not parse, or grows past `limit`
    characters, is a RestError, the last item."""

    def __init__(self, content: StreamReader, limit: int) -> None:
        self._content = content
        self._limit = limit
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._count = 0
        self.done = False

    async def next_values(self) -> list[Any]:
        """The values complete in what arrived next (at least one, unless the body ended)."""
        while not self.done:
            chunk = await self._content.readany()
            final = not chunk
            try:
                text = self._text.decode(chunk, final)
            except UnicodeDecodeError as error:
                self.done = True
                return [RestError(400, f"The request body is not UTF-8: {error.reason}")]
            values = self._parse(self._buffer + text if self._buffer else text, final)
            if final:
                self.done = True
            if values or self.done:
                return values
        return []

    def _parse(self, buffer: str, final: bool) -> list[Any]:
        out: list[Any] = []
        at, end = 0, len(buffer)
        while True:
            if at >= end:
                break
            if buffer[at] in _SPACES:  # records back to back need no regex between them
                at = _WHITESPACE.match(buffer, at).end()  # type: ignore[union-attr]
                if at >= end:
                    break
            try:
                value, stop = _scan(buffer, at)
            except (json.JSONDecodeError, StopIteration) as failed:
                error = (
                    failed
                    if isinstance(failed, json.JSONDecodeError)
                    else _expecting_value(buffer, failed.value)
                )
                cut = error.pos >= end - _CUT_MARGIN or error.msg.startswith("Unterminated string")
                if not final and cut:
                    if end - at > self._limit:
                        out.append(RestError(413, TOO_LARGE))
                        self.done = True
                    break
                out.append(
                    RestError(400, f"Unexpected JSON in record {self._count + 1} of the stream: {error.msg}")
                )
                self.done = True
                break
            if stop == end and not final and not isinstance(value, dict | list):
                break  # a number may go on in the next chunk
            self._count += 1
            if stop - at > self._limit:  # as if it had not arrived whole yet: the stream ends
                out.append(RestError(413, TOO_LARGE))
                self.done = True
                break
            out.append(value)
            at = stop
        self._buffer = "" if self.done else buffer[at:]
        return out


class ProduceStream:
    """One request's records in flight: sent in order, a chunk at a time (one
    `send_batch` each), and reported in order."""

    def __init__(self, c: Cluster, topic: str, producer: ProducerClient, serde: RecordSerde) -> None:
        self.topic = topic
        self.producer = producer
        self.serde = serde
        self._prefix = (
            f'{{"error_code":200,"cluster_id":{json.dumps(c.cluster_id)},"topic_name":{json.dumps(topic)},'
        )
        # Per chunk: what was sent (None if nothing), and per record its report's tail
        # (a str: its outcome is the next of the sent ones) or the RestError it got.
        self._slots: deque[tuple[SentBatch | BaseException | None, list[str | RestError]]] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self.broken = False  # the client went away
        self._last_ms = -1
        self._last_iso = ""

    async def add(self, items: list[Any]) -> None:
        """Convert each of `items` (parsed records, or a RestError the parse met) and send
        the ones that convert together, queueing their reports' places in order."""
        entries: list[str | RestError] = []
        records: list[BatchRecord] = []
        prepare, add_entry, add_record = self.serde.prepare, entries.append, records.append
        for item in items:
            if item.__class__ is RestError:
                add_entry(item)
                continue
            try:
                try:
                    partition, key, value, headers, timestamp, tail = prepare(item)
                except NeedsSchema as needed:
                    await self.serde.resolve(needed.spec)
                    partition, key, value, headers, timestamp, tail = prepare(item)
            except RestError as error:
                add_entry(error)
                continue
            except Exception as error:  # the registry unreachable, a bug: this record's 500, not the stream's
                log.exception("v3 produce to %s: a record failed", self.topic)
                add_entry(_internal(error))
                continue
            add_record((partition, key, value, headers, timestamp))
            add_entry(tail)
        sent: SentBatch | BaseException | None = None
        if records:
            try:
                sent = await self.producer.send_batch(self.topic, records)
            except KafkaError as error:
                sent = error
            except Exception as error:
                log.exception("v3 produce to %s: a batch failed", self.topic)
                sent = error
        self._slots.append((sent, entries))
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def _iso(self, ms: int) -> str:
        if ms != self._last_ms:
            when = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
            self._last_ms, self._last_iso = ms, when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        return self._last_iso

    def _reports(self, outcomes: list[Any], entries: list[str | RestError]) -> str:
        """One chunk's reports, in one pass: a sent record's where it landed and its
        tail, the others' errors."""
        prefix, iso, parts = self._prefix, self._iso, []
        add = parts.append
        at = 0
        for entry in entries:
            if entry.__class__ is not str:
                add(_error_text(entry))  # type: ignore[arg-type]
                continue
            md = outcomes[at]
            at += 1
            if md.__class__ is RecordMetadata:
                add(f'{prefix}"partition_id":{md.partition},"offset":{md.offset},'
                    f'"timestamp":"{iso(md.timestamp)}"{entry}\n')  # fmt: skip
            elif isinstance(md, KafkaError):
                add(_error_text(_produce_error(md)))
            else:
                add(_error_text(_internal(md)))
        return "".join(parts)

    async def write_reports(self, response: web.StreamResponse) -> None:
        """Write each chunk's reports once its records are acknowledged, in order."""
        slots, pending = self._slots, []
        try:
            while True:
                if not slots:
                    if pending:
                        await response.write("".join(pending).encode())
                        pending = []
                        continue  # more may have come while writing
                    if self._closed:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                sent, entries = slots[0]
                if sent is None or isinstance(sent, BaseException):
                    outcomes: list[Any] = [] if sent is None else [sent] * len(entries)
                else:
                    if not sent.done() and pending:
                        await response.write("".join(pending).encode())
                        pending = []
                    outcomes = await sent
                pending.append(self._reports(outcomes, entries))
                slots.popleft()
                if len(pending) >= _FLUSH_EVERY_CHUNKS:
                    await response.write("".join(pending).encode())
                    pending = []
        except (ConnectionError, aiohttp.ClientError):
            self.broken = True


def _internal(error: BaseException) -> RestError:
    return RestError(500, f"Internal Server Error: {type(error).__name__}: {error}")


async def _partitions(c: Cluster, topic: str) -> int:
    """How many partitions `topic` has; one that does not exist is created as a
    producer's Metadata request would (auto.create.topics.enable), else 40403."""
    try:
        await c.backend.auto_create_topic(topic)
        return len(c.backend.describe_topic(topic).partitions)
    except KafkaError as error:
        if error.code in (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION):
            raise unknown_topic_or_partition() from None
        raise from_kafka(error) from None


@v3_media
async def produce_records(request: web.Request) -> web.StreamResponse:
    c = await cluster(request)
    if request_type(request) != JSON:
        raise HttpError(415, 415, "HTTP 415 Unsupported Media Type")
    limit = c.context.max_body
    if request.content_length is not None and request.content_length > limit:
        raise RestError(413, TOO_LARGE)
    topic = request.match_info["topic_name"]
    partitions = await _partitions(c, topic)
    body = ConcatenatedJson(request.content, limit)
    try:
        values = await body.next_values()
    except (ConnectionError, aiohttp.ClientError):
        return web.Response(status=400)
    if not values:
        raise payload_error("Request body is empty. Data is required.")
    stream = ProduceStream(
        c, topic, c.context.producer.client(), RecordSerde(topic, partitions, c.context.producer.registry)
    )
    response = web.StreamResponse(headers={"Content-Type": JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    writer = asyncio.ensure_future(stream.write_reports(response))
    try:
        while not stream.broken:
            await stream.add(values)
            if body.done:
                break
            values = await body.next_values()
    except (ConnectionError, aiohttp.ClientError):
        stream.broken = True  # the client went away mid-stream: what it sent whole is sent
    finally:
        stream.close()
        await writer
    if not stream.broken:
        await response.write_eof()
    return response


def routes(prefix: str) -> list[web.RouteDef]:
    return [web.post(f"{prefix}/topics/{{topic_name}}/records", produce_records)]
