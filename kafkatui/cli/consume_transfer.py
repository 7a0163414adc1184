"""`kafkatui topic export` and `kafkatui topic import`: a topic's records to a file and
back, every byte kept (`ecosystem/browse/lines.py` says how: UTF-8 as text, anything else
base64 with an encoding field, null as null), with its key, headers, timestamp and, with
`--keep-partitions`, its partition.

Import reads and checks the whole file before the cluster opens, so `--on-error abort`
(the default) imports nothing when a line is bad, and `--on-error skip` imports the rest;
either way each bad line is named by its number.
"""

from __future__ import annotations

import asyncio
import enum
import io
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from kafkatui.backends.base import Backend
from kafkatui.cli.consume_decode import Shown
from kafkatui.cli.consume_output import Format, RecordWriter, format_of, scan_progress
from kafkatui.cli.context import console, err_console, fail, partitions_of
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, RecordMetadata
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.browse.filters import RecordFilter
from kafkatui.ecosystem.browse.lines import FileRecord, LineError, read_csv, read_ndjson


class OnError(enum.StrEnum):
    abort = "abort"
    skip = "skip"


def file_format(path: Path, option: str) -> Format:
    fmt = format_of(path)
    if fmt is None:
        raise typer.BadParameter(f"'{path.name}' is neither .ndjson (or .jsonl) nor .csv", param_hint=option)
    return fmt


async def export_topic(
    backend: Backend, topic: str, path: Path, wanted: RecordFilter, partition: int | None = None
) -> None:
    """Every record (of `partition`) from the oldest, or `wanted.from_ms`, to the end as
    it is now, that `wanted` keeps, written to `path`."""
    from kafkatui.ecosystem.browse.seek import plan, read_ranges

    partitions = partitions_of(backend, topic, partition)
    ranges = await plan(
        backend, topic, partitions, start="beginning", from_ms=wanted.from_ms, to_ms=wanted.to_ms
    )
    writer = RecordWriter(file_format(path, "--output"), path)
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest"))
    try:
        with scan_progress(f"exporting {topic}", sum(r.size for r in ranges), shown=True) as progress:
            async for batch in read_ranges(consumer, topic, ranges):
                for record, keep in zip(batch, wanted.select(batch), strict=True):
                    if keep:
                        writer.write(record, Shown(record.key), Shown(record.value))
                progress.update(progress.task_ids[0], completed=wanted.counts.scanned, matched=writer.written)
    finally:
        writer.close()
        await consumer.close()
    err_console.print(f"{wanted.counts.summary()}; wrote {writer.written:,} to {path}", markup=False)


def read_file(path: Path, on_error: OnError) -> list[tuple[int, FileRecord]]:
    """The file's records with their line numbers; each bad line said on stderr. With
    `abort` one bad line stops here (exit 1), before anything is sent."""
    fmt = file_format(path, "FILE")
    try:
        # Bytes that are not UTF-8 survive as surrogates and fail where a field is read,
        # naming their line.
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        raise fail("INVALID_REQUEST", f"{path}: no such file") from None
    # Lines end at \n only: str.splitlines would also split at U+0085 and U+2028, which
    # JSON and CSV fields may hold as they are.
    lines: Iterator[str] = iter(io.StringIO(text, newline=""))
    parsed = read_csv(lines) if fmt is Format.csv else read_ndjson(lines)
    records: list[tuple[int, FileRecord]] = []
    bad: list[LineError] = []
    for number, item in parsed:
        if isinstance(item, LineError):
            bad.append(item)
        else:
            records.append((number, item))
    for error in bad:
        if on_error is OnError.abort:
            fail(ErrorCode.INVALID_RECORD.name, f"{path} line {error.line}: {error.message}")
        else:
            err_console.print(f"warning: {path} line {error.line}: {error.message} (skipped)", markup=False)
    if bad and on_error is OnError.abort:
        err_console.print(
            f"nothing was imported: {len(bad)} bad line(s); --on-error skip imports the rest", markup=False
        )
        raise typer.Exit(1)
    return records


async def import_records(
    backend: Backend, topic: str, path: Path, records: list[tuple[int, FileRecord]], *, keep_partitions: bool
) -> None:
    """Send the records in file order (acks=all, idempotent: a retry never duplicates)."""
    from kafkatui.cli.produce import _topic_for_producing

    await _topic_for_producing(backend, topic)
    desc = backend.describe_topic(topic)
    count = len(desc.partitions)
    if keep_partitions:
        for number, record in records:
            if record.partition is None or record.partition >= count:
                which = "none" if record.partition is None else str(record.partition)
                raise KafkaError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    f"{path} line {number}: partition {which}, but {topic} has {count} (0..{count - 1}); "
                    "nothing was imported",
                )
    if desc.configs.get("message.timestamp.type") == "LogAppendTime":
        err_console.print(
            f"note: {topic} has message.timestamp.type=LogAppendTime: the broker stamps each record "
            "with its own time, not the file's",
            markup=False,
        )
    progress = Progress(
        TextColumn(f"importing into {topic}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    )  # fmt: skip
    futures: list[tuple[int, asyncio.Future[RecordMetadata]]] = []
    with progress:
        task = progress.add_task("import", total=len(records))
        async with backend.producer(ProducerConfig(acks="all")) as producer:
            for n, (number, record) in enumerate(records):
                future = await producer.send(
                    topic, record.value, key=record.key, headers=record.headers,
                    partition=record.partition if keep_partitions else None, timestamp=record.timestamp,
                )  # fmt: skip
                future.add_done_callback(lambda _: progress.advance(task))
                futures.append((number, future))
                if n % 1000 == 999:
                    await asyncio.sleep(0)  # let the sender and the bar run
            await producer.flush()
    failed = [(number, f.exception()) for number, f in futures if f.exception() is not None]
    if failed:
        number, error = failed[0]
        name = getattr(error, "name", type(error).__name__)
        message = error.message if isinstance(error, KafkaError) else str(error)
        raise fail(
            name,
            f"{path} line {number}: {message}; {len(futures) - len(failed):,} of {len(futures):,} records "
            "were imported",
        )
    spread: dict[int, int] = {}
    for _, future in futures:
        spread[future.result().partition] = spread.get(future.result().partition, 0) + 1
    where = ", ".join(f"{p}: {n:,}" for p, n in sorted(spread.items())) or "none"
    console.print(f"imported {len(futures):,} records into {topic} (per partition: {where})", markup=False)
