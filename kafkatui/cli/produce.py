"""`kafkatui produce`: send records from arguments, stdin lines, or a load generator."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from kafkatui.backends.base import Backend, ProducerClient
from kafkatui.cli.context import (
    console,
    err_console,
    kafka_errors,
    options,
    run_async,
    stdin_is_interactive,
    with_backend,
)
from kafkatui.cli.output import bytes_to_json, human_bytes, print_json
from kafkatui.cli.produce_input import InputError, InputFormat, InputRecord, LineParser, StdinRecords
from kafkatui.cli.registry import UrlOption, command_registry, registry_errors
from kafkatui.cli.serde import (
    KeyFormatOption,
    KeyMessageOption,
    KeySchemaOption,
    KeySubjectOption,
    KeyVersionOption,
    RecordEncoder,
    SideSchema,
    Strategy,
    StrategyOption,
    ValueFormatOption,
    ValueMessageOption,
    ValueSchemaOption,
    ValueSubjectOption,
    ValueVersionOption,
    encoder_for,
)
from kafkatui.common.clients import ProducerConfig, RecordMetadata


def _parse_header(text: str) -> tuple[str, bytes]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"header '{text}' is not key=value", param_hint="--header")
    try:
        key.encode()
    except UnicodeEncodeError:
        raise typer.BadParameter(f"header key '{key}' is not UTF-8 text", param_hint="--header") from None
    return key, os.fsencode(value)  # a value is bytes: exactly what the command line held


def _generated_value(seq: int, size: int) -> str:
    """A JSON value of about `size` bytes, numbered so a consumer can check order."""
    head = json.dumps({"seq": seq, "pad": ""}, separators=(",", ":"))
    pad = max(0, size - len(head))
    return head[:-2] + "x" * pad + '"}'


def produce(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="Topic to write to.")],
    value: Annotated[
        str | None,
        typer.Option(
            "--value",
            "-v",
            help="Value of one record; without it, records are read from stdin, one per line.",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", "-k", help="Record key: same key → same partition, in order."),
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="A header as key=value (repeatable).")
    ] = None,
    partition: Annotated[
        int | None,
        typer.Option(
            "--partition",
            "-p",
            help="Write to this partition instead of letting the partitioner choose.",
        ),
    ] = None,
    acks: Annotated[
        str,
        typer.Option(
            "--acks",
            "-a",
            help="0 (don't wait), 1 (leader wrote it) or all (every in-sync replica has it).",
        ),
    ] = "all",
    key_separator: Annotated[
        str | None,
        typer.Option(
            "--key-separator",
            "-K",
            help="Split stdin lines into key and value at this string (like kcat -K).",
        ),
    ] = None,
    input_format: Annotated[
        InputFormat | None,
        typer.Option(
            "--input",
            "-i",
            help="How stdin becomes records: text (the default: UTF-8 lines; a line that is not "
            "UTF-8 is an error naming it), raw (lines of bytes, sent as they are, like kcat) or whole "
            "(all of stdin is one record). Nothing is sent until stdin ends, so a bad line sends "
            "nothing; a stdin still open after a second (tail -f) or a terminal is sent line by line.",
            show_default=False,
        ),
    ] = None,
    value_format: ValueFormatOption = None,
    value_schema: ValueSchemaOption = None,
    value_subject: ValueSubjectOption = None,
    value_version: ValueVersionOption = None,
    value_message: ValueMessageOption = None,
    key_format: KeyFormatOption = None,
    key_schema: KeySchemaOption = None,
    key_subject: KeySubjectOption = None,
    key_version: KeyVersionOption = None,
    key_message: KeyMessageOption = None,
    subject_name_strategy: StrategyOption = Strategy.topic,
    url: UrlOption = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", help="Generate N records (load test) instead of reading stdin."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="With --count: records per second (default: as fast as possible)."),
    ] = None,
    record_size: Annotated[
        int,
        typer.Option("--record-size", help="With --count and no --value: bytes per generated value."),
    ] = 100,
    linger_ms: Annotated[
        int, typer.Option("--linger-ms", help="linger.ms: how long a batch waits for more records.")
    ] = 5,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="batch.size: bytes per batch before it is sent.")
    ] = 16_384,
    compression_type: Annotated[
        str,
        typer.Option(
            "--compression-type",
            "-z",
            help="compression.type: none, gzip, snappy, lz4 or zstd (like kcat -z). The topic's own "
            "compression.type decides what is stored ('producer' keeps this codec).",
        ),
    ] = "none",
    idempotent: Annotated[
        bool | None,
        typer.Option(
            "--idempotent/--no-idempotent",
            help="enable.idempotence (KIP-98): retries never duplicate. Default: on when acks=all, "
            "as in Kafka 3.x; --idempotent with acks 0 or 1 is an error.",
            show_default=False,
        ),
    ] = None,
    transactional_id: Annotated[
        str | None,
        typer.Option(
            "--transactional-id",
            help="transactional.id: the records of this command are one transaction (KIP-98), "
            "committed at the end; read_committed consumers see all of them or none. A second "
            "producer with the same id fences this one.",
        ),
    ] = None,
    abort: Annotated[
        bool,
        typer.Option(
            "--abort",
            help="With --transactional-id: abort instead of committing (for teaching): the records "
            "stay in the log, read_committed consumers skip them.",
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per record (or a summary object).")
    ] = False,
) -> None:
    """Produce records: one from --value, many from stdin lines, or --count generated ones.

    Prints the partition and offset where each record landed. A topic that does not exist
    is created, as a Kafka producer's first request creates it, when the cluster's
    auto.create.topics.enable is on (Kafka's default; said on stderr).

    With --value-format (or --key-format) each value is JSON, serialized with an Avro, JSON
    Schema or Protobuf schema from the Schema Registry into Confluent's wire format; a
    value that does not fit is refused, naming its line and field, and nothing is sent.
    JSON null is a tombstone.
    """
    if abort and transactional_id is None:
        raise typer.BadParameter("--abort needs --transactional-id", param_hint="--abort")
    headers = [_parse_header(h) for h in header or []]
    if count is not None and count < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--count")
    if rate is not None and rate <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--rate")
    if input_format is not None and (value is not None or count is not None):
        raise typer.BadParameter("reads stdin: not with --value or --count", param_hint="--input")
    fmt = input_format or InputFormat.text
    if fmt is InputFormat.whole and key_separator is not None:
        raise typer.BadParameter(
            "--input whole is one record: no lines to split", param_hint="--key-separator"
        )
    with kafka_errors():  # bad acks, linger.ms or batch.size fail before opening the cluster
        config = ProducerConfig(
            acks=acks, linger_ms=linger_ms, batch_size=batch_size, enable_idempotence=idempotent,
            transactional_id=transactional_id, compression_type=compression_type,
        )  # fmt: skip
    key_side = SideSchema("key", key_format, key_schema, key_subject, key_version, key_message)
    value_side = SideSchema("value", value_format, value_schema, value_subject, value_version, value_message)
    for side in (key_side, value_side):
        side.check(subject_name_strategy)
    if value_side.used and count is not None and value is None:
        raise typer.BadParameter(
            "--count generates its values: give the one --value, serialized once", param_hint="--value-format"
        )
    for side in (key_side, value_side):
        side.load()  # a schema file that cannot be read or is not valid: before the cluster opens
    # Bytes as the command line held them (os.fsencode undoes Python's surrogateescape).
    key_bytes = None if key is None else os.fsencode(key)
    value_bytes = None if value is None else os.fsencode(value)
    sink = _Sink(topic, headers, partition, config.acks, json_out)

    async def main() -> None:
        stdin = None
        held: list[InputRecord] = []
        if count is None and value is None:
            separator = None if key_separator is None else os.fsencode(key_separator)
            parser = LineParser(fmt, separator, key_bytes)
            if sys.stdin is None:  # started without a stdin: nothing to read
                stdin = StdinRecords(io.BytesIO(), parser, interactive=False)
            else:
                stdin = StdinRecords(sys.stdin.buffer, parser, interactive=stdin_is_interactive())
            try:
                held = await stdin.read_ahead()  # before any cluster is opened
            except InputError as error:
                raise error.saying("nothing was produced") from None
            if stdin.ended and not held:
                return  # an empty stdin: nothing to send, as a producer with no records
        elif value_bytes is not None:
            held = [InputRecord(key_bytes, value_bytes)]
        await with_backend(ctx, "kafkatui produce", lambda backend: body(backend, stdin, held))

    async def body(backend: Backend, stdin: StdinRecords | None, held: list[InputRecord]) -> None:
        async with contextlib.AsyncExitStack() as stack:
            if key_side.used or value_side.used:
                with registry_errors():
                    client = await stack.enter_async_context(command_registry(backend, options(ctx), url))
                    assert client is not None
                    sink.encode = await encoder_for(
                        client, topic, key_side, value_side, subject_name_strategy
                    )
            await produce_to(backend, stdin, held)

    async def produce_to(backend: Backend, stdin: StdinRecords | None, held: list[InputRecord]) -> None:
        sink.first = lambda: _topic_for_producing(backend, topic)
        streaming = stdin is not None and not stdin.ended
        ready = [] if count is not None or streaming else sink.encoded(held)  # all, before any is sent
        one = sink.encode(InputRecord(key_bytes, value_bytes))  # --count's one key and value
        async with backend.producer(config) as producer:
            if transactional_id is not None:
                await producer.init_transactions()  # fences an older producer with this id
                producer.begin_transaction()
            if count is not None and sink.first is not None:
                await sink.first()
                await _generate(producer, topic, one.key, one.value, headers, partition, count,
                                rate, record_size, json_out)  # fmt: skip
            elif stdin is not None and streaming:
                await _stream(producer, stdin, held, sink, abort_txn=transactional_id is not None)
            else:
                await sink.send(producer, ready)
            if transactional_id is not None:
                await (producer.abort_transaction() if abort else producer.commit_transaction())
                what = "aborted: its records stay in the log, read_committed consumers skip them"
                err_console.print(f"transaction {transactional_id} {'committed' if not abort else what}")

    run_async(main)


async def _topic_for_producing(backend: Backend, topic: str) -> None:
    """Kafka's rule for a topic a producer names (auto.create.topics.enable, the broker's):
    said on stderr when it creates one, since a typo creates one too."""
    if await backend.auto_create_topic(topic):
        desc = backend.describe_topic(topic)
        err_console.print(
            f"created topic {topic} with {len(desc.partitions)} partition(s), replication factor "
            f"{desc.replication_factor} (auto.create.topics.enable: a producer's first request for "
            "a topic creates it)",
            markup=False,
        )


async def _stream(
    producer: ProducerClient, stdin: StdinRecords, held: list[InputRecord], sink: _Sink, *, abort_txn: bool
) -> None:
    """The records of a stdin that stays open (`held` so far), each sent as its line arrives."""
    if stdin.interactive:
        err_console.print("Type one record per line; Ctrl-D to finish.")
    else:
        err_console.print(
            "stdin is still open: producing its records as they come (a bad line then stops there)"
        )
    try:
        await sink.send(producer, sink.encoded(held, streaming=True))
        async for record in stdin.rest():
            await sink.send(producer, sink.encoded([record], streaming=True))
    except InputError as error:
        what = f"the {sink.sent} record(s) before it were produced, nothing from line {error.line} on"
        if abort_txn:
            await producer.abort_transaction()
            what += "; their transaction is aborted (read_committed consumers skip them)"
        raise error.saying(what) from None


class _Sink:
    """Sends records in order, each acknowledged before the next (a failure stops there),
    and prints where each landed. `first()` runs before the first record: where a Kafka
    producer first asks for the topic's metadata (and may create it). `encode` turns a
    record as read into the record sent (its key and value serialized by their schemas)."""

    first: Callable[[], Awaitable[None]] | None = None
    encode: RecordEncoder = RecordEncoder()

    def __init__(
        self,
        topic: str,
        headers: list[tuple[str, bytes]],
        partition: int | None,
        acks: str,
        json_out: bool,
    ) -> None:
        self.topic, self.headers, self.partition = topic, headers, partition
        self.acks, self.json_out = acks, json_out
        self.sent = 0

    def encoded(
        self, records: Iterable[InputRecord], *, streaming: bool = False
    ) -> list[tuple[InputRecord, InputRecord]]:
        """Each record beside the one to send. Held records are all encoded before any is
        sent, so one that does not fit its schema sends nothing."""
        try:
            return [(record, self.encode(record)) for record in records]
        except InputError as error:
            if streaming:
                raise
            raise error.saying("nothing was produced") from None

    async def send(
        self, producer: ProducerClient, records: Iterable[tuple[InputRecord, InputRecord]]
    ) -> None:
        for record, wire in records:
            if self.first is not None:
                first, self.first = self.first, None
                await first()
            future = await producer.send(
                self.topic, wire.value, key=wire.key, headers=self.headers, partition=self.partition
            )
            _report(await future, record.key, self.acks, self.json_out, self.encode.schema_ids)
            self.sent += 1


def _report(
    meta: RecordMetadata, key: bytes | None, acks: str, json_out: bool, schema_ids: dict[str, int]
) -> None:
    if json_out:
        shown, base64 = bytes_to_json(key)
        out = {
            "topic": meta.topic,
            "partition": meta.partition,
            "offset": meta.offset,
            "timestamp": meta.timestamp,
            "key": shown,
        }
        if base64:
            out["key_encoding"] = "base64"  # as `kafkatui consume -f json` shows it
        print_json(out | schema_ids)
    elif meta.offset < 0:
        console.print(f"sent to {meta.topic} partition {meta.partition} (acks=0: no offset is returned)")
    else:
        console.print(f"produced to {meta.topic} partition {meta.partition} at offset {meta.offset}")


async def _generate(
    producer: ProducerClient,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]],
    partition: int | None,
    count: int,
    rate: float | None,
    record_size: int,
    json_out: bool,
) -> None:
    """Send `count` records, optionally throttled to `rate`/s, with a progress bar."""
    per_partition: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    sent_bytes = 0
    started = time.perf_counter()
    progress = Progress(
        TextColumn("producing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=json_out or not err_console.is_terminal,
    )

    def done(future: asyncio.Future[RecordMetadata]) -> None:
        error = future.exception()
        if error is not None:
            errors[getattr(error, "name", type(error).__name__)] += 1
        else:
            per_partition[future.result().partition] += 1
        progress.advance(task)

    with progress:
        task = progress.add_task("produce", total=count)
        futures = []
        for seq in range(count):
            if rate:
                delay = started + seq / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            payload = value if value is not None else _generated_value(seq, record_size)
            sent_bytes += len(payload)
            future = await producer.send(topic, payload, key=key, headers=headers, partition=partition)
            future.add_done_callback(done)
            futures.append(future)
            if seq % 1000 == 999:
                await asyncio.sleep(0)  # let the sender and the progress bar run
        await producer.flush()
    elapsed = max(time.perf_counter() - started, 1e-9)
    acked = sum(per_partition.values())
    summary = {
        "topic": topic,
        "records": count,
        "acked": acked,
        "idempotent": producer.idempotent,
        "failed": dict(errors),
        "elapsed_s": round(elapsed, 3),
        "records_per_s": round(count / elapsed, 1),
        "bytes_per_s": round(sent_bytes / elapsed, 1),
        "partitions": {str(p): n for p, n in sorted(per_partition.items())},
    }
    if json_out:
        print_json(summary)
        return
    spread = ", ".join(f"{p}: {n:,}" for p, n in sorted(per_partition.items())) or "none"
    console.print(
        f"{count:,} records to {topic} in {elapsed:.2f} s "
        f"({count / elapsed:,.0f} records/s, {human_bytes(int(sent_bytes / elapsed))}/s); "
        f"per partition: {spread}"
    )
    if errors:
        console.print("[red]failed:[/] " + ", ".join(f"{n:,} × {e}" for e, n in errors.items()))
        raise typer.Exit(1)
