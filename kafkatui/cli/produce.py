"""`kafkatui produce`: send records from arguments, stdin lines, or a load generator."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from kafkatui.backends.base import Backend, ProducerClient
from kafkatui.cli.context import backend_command, console, err_console, kafka_errors, stdin_is_interactive
from kafkatui.cli.output import human_bytes, print_json
from kafkatui.common.clients import ProducerConfig, RecordMetadata


def _parse_header(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"header '{text}' is not key=value", param_hint="--header")
    return key, value


def _stdin_records(separator: str | None, key: str | None) -> Iterator[tuple[str | None, str]]:
    """kcat -K style: each line is a value, or key<sep>value when a separator is given."""
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if not line:
            continue
        if separator is not None:
            k, sep, v = line.partition(separator)
            yield (k, v) if sep else (key, line)
        else:
            yield key, line


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

    Prints the partition and offset where each record landed.
    """
    if abort and transactional_id is None:
        raise typer.BadParameter("--abort needs --transactional-id", param_hint="--abort")
    headers = [_parse_header(h) for h in header or []]
    if count is not None and count < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--count")
    if rate is not None and rate <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--rate")
    with kafka_errors():  # bad acks, linger.ms or batch.size fail before opening the cluster
        config = ProducerConfig(
            acks=acks, linger_ms=linger_ms, batch_size=batch_size, enable_idempotence=idempotent,
            transactional_id=transactional_id, compression_type=compression_type,
        )  # fmt: skip

    async def _send(producer: ProducerClient) -> None:
        """The records: --count generated ones, --value, or stdin lines."""
        if count is not None:
            await _generate(
                producer,
                topic,
                key,
                value,
                headers,
                partition,
                count,
                rate,
                record_size,
                json_out,
            )
            return
        if value is not None:
            records: Iterator[tuple[str | None, str]] = iter([(key, value)])
        else:
            if stdin_is_interactive():
                err_console.print("Type one record per line; Ctrl-D to finish.")
            records = _stdin_records(key_separator, key)
        for k, v in records:
            future = await producer.send(topic, v, key=k, headers=headers, partition=partition)
            _report(await future, k, config.acks, json_out)

    @backend_command("kafkatui produce")
    async def body(backend: Backend) -> None:
        backend.describe_topic(topic)  # a clear UNKNOWN_TOPIC_OR_PARTITION before reading any input
        async with backend.producer(config) as producer:
            if transactional_id is not None:
                await producer.init_transactions()  # fences an older producer with this id
                producer.begin_transaction()
            await _send(producer)
            if transactional_id is not None:
                await (producer.abort_transaction() if abort else producer.commit_transaction())
                what = "aborted: its records stay in the log, read_committed consumers skip them"
                err_console.print(f"transaction {transactional_id} {'committed' if not abort else what}")

    body(ctx)


def _report(meta: RecordMetadata, key: str | None, acks: str, json_out: bool) -> None:
    if json_out:
        print_json(
            {
                "topic": meta.topic,
                "partition": meta.partition,
                "offset": meta.offset,
                "timestamp": meta.timestamp,
                "key": key,
            }
        )
    elif meta.offset < 0:
        console.print(f"sent to {meta.topic} partition {meta.partition} (acks=0: no offset is returned)")
    else:
        console.print(f"produced to {meta.topic} partition {meta.partition} at offset {meta.offset}")


async def _generate(
    producer: ProducerClient,
    topic: str,
    key: str | None,
    value: str | None,
    headers: list[tuple[str, str]],
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
