"""`kafkatui consume`: read records from a topic's partitions; find some (a jq filter, a
regex, a time range), follow new ones, write them to a file."""

from __future__ import annotations

import contextlib
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kafkatui.backends.base import Backend, ConsumerClient
from kafkatui.cli.consume_decode import (
    KeyReadOption,
    ReadFormat,
    RecordDecoder,
    Shown,
    Undecodable,
    ValueReadOption,
)
from kafkatui.cli.consume_output import LOSSLESS, Format, RecordWriter, format_of, scan_progress
from kafkatui.cli.context import backend_command, err_console, fail, kafka_errors, options, partitions_of
from kafkatui.cli.registry import UrlOption, command_registry, registry_errors
from kafkatui.common.clients import ConsumerConfig, ConsumerRecord, TopicPartition

if TYPE_CHECKING:
    from kafkatui.ecosystem.browse.filters import RecordFilter
    from kafkatui.ecosystem.serde.client import RegistryClient


class IsolationLevel(enum.StrEnum):
    read_uncommitted = "read_uncommitted"
    read_committed = "read_committed"


def _start_offset(text: str | None) -> int | str | None:
    if text is None or text in ("beginning", "end"):
        return text
    try:
        offset = int(text)
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not an offset, 'beginning' or 'end'", param_hint="--offset"
        ) from None
    if offset < 0:
        raise typer.BadParameter("offsets start at 0", param_hint="--offset")
    return offset


def consume(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="Topic to read.")],
    from_beginning: Annotated[
        bool,
        typer.Option(
            "--from-beginning",
            "-b",
            help="Start at the oldest record (default: only new records, like kafka-console-consumer).",
        ),
    ] = False,
    partition: Annotated[
        int | None, typer.Option("--partition", "-p", help="Read only this partition.")
    ] = None,
    offset: Annotated[
        str | None,
        typer.Option("--offset", "-o", help="Start at this offset (or 'beginning' / 'end')."),
    ] = None,
    max_records: Annotated[
        int | None, typer.Option("--max", "-n", help="Exit after this many records.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            "-t",
            help="Exit when no record arrives for this many seconds (default: wait for more).",
        ),
    ] = None,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text for people; json for scripts (one object per line, keys and values decoded by "
            "their schema); ndjson and csv keep every byte (text, or base64 with an encoding field) for "
            "`kafkatui topic import`; raw prints each value's bytes as they are, one per line.",
        ),
    ] = Format.text,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Same as --format json; a decoded key or value comes with its schema (id, type, subject, "
            "version; a Protobuf message and its message indexes).",
        ),
    ] = False,
    jq_filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            help="Keep records whose value this jq program finds true, e.g. 'select(.price > 10)' or "
            "'.status == \"paid\"' (a decoded value as its JSON; a tombstone is null). Values that are "
            "not JSON are skipped and counted.",
        ),
    ] = None,
    grep: Annotated[
        str | None,
        typer.Option("--grep", help="Keep records whose key, value or a header matches this regex."),
    ] = None,
    from_time: Annotated[
        str | None,
        typer.Option(
            "--from-time",
            help="Start at the first record at or after this time, per partition (ListOffsets): "
            "ISO-8601 (2026-12-07T06:00:00Z), relative (-15m, -2h, -1d) or epoch ms.",
        ),
    ] = None,
    to_time: Annotated[
        str | None,
        typer.Option("--to-time", help="Stop at the last record at or before this time (same forms)."),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-F",
            help="Keep reading new records until Ctrl-C, filters applied as they arrive (a search "
            "otherwise stops at the end).",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-O",
            help="Write the records to this file (format from its name: .ndjson, .csv; else --format), "
            "with a progress bar on stderr.",
        ),
    ] = None,
    print_key: Annotated[
        bool, typer.Option("--print-key", help="--format raw: the key, a tab, then the value (kcat's %k).")
    ] = False,
    print_headers: Annotated[
        bool,
        typer.Option(
            "--print-headers", help="--format raw: the headers (k=v,…) and a tab first (kcat's %h)."
        ),
    ] = False,
    value_format: ValueReadOption = ReadFormat.auto,
    key_format: KeyReadOption = ReadFormat.auto,
    url: UrlOption = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            "-g",
            help="Join this consumer group: share the topic's partitions with its other members "
            "(rebalances are reported on stderr), resume from its committed offsets and commit what "
            "was read (see `kafkatui group describe`).",
        ),
    ] = None,
    isolation_level: Annotated[
        IsolationLevel,
        typer.Option(
            "--isolation-level",
            help="read_uncommitted (Kafka's default) reads up to the high watermark, records of "
            "aborted and open transactions too; read_committed stops at the last stable offset "
            "and skips aborted transactions.",
        ),
    ] = IsolationLevel.read_uncommitted,
) -> None:
    """Read records from the partitions' leaders, up to the high watermark.

    With --group the consumer joins the group (after group.initial.rebalance.delay.ms,
    3 s, for a new group), reads the partitions the group assigns it from the committed
    offsets (new ones start per --from-beginning) and commits when it stops, so the
    group's lag shrinks. With --partition as well it reads that partition itself and only
    uses the group for committed offsets (manual assignment).

    A search (--filter, --grep, --from-time, --to-time or --output) reads from the oldest
    record (or --from-time, --offset) to the end as it was when the search began, then
    stops and prints on stderr how many records it scanned and matched; with --follow it
    goes on with new records until Ctrl-C.

    Keys and values in Confluent's wire format are shown decoded, as JSON, by the schema id
    they carry; one that does not decode (an id the registry does not know) is an error
    line on stderr, shown as it is, and the exit code is 1."""
    start = _start_offset(offset)
    subscribing = group is not None and partition is None
    if subscribing and isinstance(start, int):
        raise typer.BadParameter(
            "a group member starts at the group's offsets; add --partition", param_hint="--offset"
        )
    if max_records is not None and max_records < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--max")
    if from_time is not None and (start is not None or from_beginning):
        raise typer.BadParameter(
            "a start of its own: not with --offset or --from-beginning", param_hint="--from-time"
        )
    if to_time is not None and follow:
        raise typer.BadParameter("--follow reads on for ever: no end time", param_hint="--to-time")
    if subscribing and (from_time is not None or to_time is not None):
        raise typer.BadParameter(
            "a group member starts at the group's offsets; add --partition",
            param_hint="--from-time" if from_time is not None else "--to-time",
        )
    if json_out:
        fmt = Format.json
    if output is not None and (named := format_of(output)) is not None:
        fmt = named
    if (print_key or print_headers) and fmt is not Format.raw:
        raise typer.BadParameter(
            "only with --format raw (the other formats show them)", param_hint="--print-key"
        )
    search = any(x is not None for x in (jq_filter, grep, from_time, to_time, output)) or follow
    bounded = search and not follow and not subscribing
    if bounded and start is None and not from_beginning:
        start = "beginning"  # a search looks through what is there
    with kafka_errors():  # a bad jq program or regex, or time, before the cluster opens
        wanted = record_filter(jq_filter, grep, from_time, to_time)
    reset = "earliest" if from_beginning or start == "beginning" else "latest"
    decode_values = fmt not in LOSSLESS or (wanted.jq is not None and value_format is not ReadFormat.raw)
    decode_keys = fmt not in LOSSLESS

    @backend_command("kafkatui consume")
    async def body(backend: Backend) -> None:
        async with contextlib.AsyncExitStack() as stack:

            async def open_registry() -> RegistryClient | None:
                # No _schemas topic, no registry to start: nothing was registered on this cluster.
                return await stack.enter_async_context(
                    command_registry(backend, options(ctx), url, create=False)
                )

            config = ConsumerConfig(
                auto_offset_reset=reset, group_id=group, isolation_level=isolation_level.value
            )
            consumer = backend.consumer(config)
            stack.push_async_callback(consumer.close)  # also when the registry cannot be reached
            decoder = RecordDecoder(topic, open_registry, on_unregistered=_say_unregistered)
            writer = RecordWriter(fmt, output, print_key=print_key, print_headers=print_headers)
            stack.callback(writer.close)
            if search:
                stack.callback(lambda: err_console.print(_summary(wanted, writer), markup=False))
            with registry_errors():
                failed = await read(backend, consumer, decoder, writer)
        if failed:
            raise typer.Exit(1)

    async def read(
        backend: Backend, consumer: ConsumerClient, decoder: RecordDecoder, writer: RecordWriter
    ) -> int:
        """Write records until --max, --timeout or the end of a search; how many did not decode."""
        from kafkatui.ecosystem.browse.seek import plan, read_ranges

        if subscribing:
            consumer.subscribe([topic])

            def report(assigned: list[TopicPartition]) -> None:
                where = (
                    ", ".join(str(tp) for tp in sorted(assigned)) or "nothing (more members than partitions)"
                )
                err_console.print(f"group {group}: assigned {where}", markup=False)

            consumer.on_assignment = report
        partitions = None
        if not subscribing:
            partitions = partitions_of(backend, topic, partition)
        batches = None
        total = None
        if bounded or from_time is not None:
            assert partitions is not None
            ranges = await plan(
                backend, topic, partitions, start=start or "end", from_ms=wanted.from_ms,
                to_ms=wanted.to_ms, follow=follow,
            )  # fmt: skip
            if bounded:
                total = sum(r.size for r in ranges)
                batches = read_ranges(consumer, topic, ranges)
            else:
                _assign(consumer, topic, partitions)
                for r in ranges:
                    consumer.seek((topic, r.partition), r.start)
        elif not subscribing:
            assert partitions is not None
            assigned = _assign(consumer, topic, partitions)
            if isinstance(start, int):
                for tp in assigned:
                    consumer.seek(tp, start)
        if batches is None and timeout is None and max_records is None and err_console.is_terminal:
            err_console.print(f"Waiting for records on {topic}… (Ctrl-C to stop)")
        failed = 0
        with scan_progress(f"reading {topic}", total, shown=output is not None) as progress:
            while max_records is None or writer.written < max_records:
                if batches is not None:
                    records = await anext(batches, None)
                    if records is None:
                        break
                else:
                    records = await consumer.poll(1000 if timeout is None else int(timeout * 1000))
                    if not records and timeout is not None:
                        break
                while records and (max_records is None or writer.written < max_records):
                    # Never more than --max still wants: what is not written is not consumed.
                    need = len(records) if max_records is None else max_records - writer.written
                    chunk, records = records[:need], records[need:]
                    failed += await _write_kept(chunk, wanted, decoder, writer, decode_keys, decode_values)
                if records:
                    _rewind(consumer, records)
                writer.flush()
                progress.update(progress.task_ids[0], completed=wanted.counts.scanned, matched=writer.written)
        if group is not None:
            committed = await consumer.commit()
            err_console.print(
                f"group {group} committed: "
                + (", ".join(f"{tp}@{o}" for tp, o in sorted(committed.items())) or "nothing"),
                markup=False,
            )
        return failed

    async def _write_kept(
        chunk: list[ConsumerRecord], wanted: RecordFilter, decoder: RecordDecoder, writer: RecordWriter,
        decode_keys: bool, decode_values: bool,
    ) -> int:  # fmt: skip
        from kafkatui.ecosystem.browse.filters import Decoded

        failed = 0
        keys: list[Shown] = []
        values: list[Shown] = []
        for record in chunk:
            key = await _decoded(decoder, record, key_format, is_key=True) if decode_keys else None
            value = await _decoded(decoder, record, value_format, is_key=False) if decode_values else None
            failed += (decode_keys and key is None) + (decode_values and value is None)
            keys.append(key or Shown(record.key))
            values.append(value or Shown(record.value))
        seen = [Decoded(v.value) if v.decoded else v.data for v in values]
        for record, key, value, keep in zip(chunk, keys, values, wanted.select(chunk, seen), strict=True):
            if keep:
                writer.write(record, key, value)
        return failed

    body(ctx)


def record_filter(
    jq_program: str | None, grep: str | None, from_time: str | None, to_time: str | None
) -> RecordFilter:
    """The search's conditions (INVALID_REQUEST for a program, regex or time that is not one)."""
    from kafkatui.ecosystem.browse.filters import GrepFilter, JqFilter, RecordFilter
    from kafkatui.ecosystem.browse.seek import parse_time

    return RecordFilter(
        JqFilter(jq_program) if jq_program is not None else None,
        GrepFilter(grep) if grep is not None else None,
        parse_time(from_time) if from_time is not None else None,
        parse_time(to_time) if to_time is not None else None,
    )


def _summary(wanted: RecordFilter, writer: RecordWriter) -> str:
    line = wanted.counts.summary()
    if writer.path is not None:
        line += f"; wrote {writer.written:,} to {writer.path}"
    return line


def _assign(consumer: ConsumerClient, topic: str, partitions: list[int]) -> list[TopicPartition]:
    consumer.assign([(topic, p) for p in partitions])
    return consumer.assignment()


async def _decoded(
    decoder: RecordDecoder, record: ConsumerRecord, fmt: ReadFormat, *, is_key: bool
) -> Shown | None:
    """The key or value decoded; None, after its error line, when it does not decode."""
    side = "key" if is_key else "value"
    try:
        return await decoder.decode(record.key if is_key else record.value, fmt, is_key=is_key)
    except Undecodable as error:
        where = f"{record.topic} partition {record.partition} offset {record.offset}"
        fail(error.name, f"{where}: the {side} does not decode: {error.message}; shown as it is")
        return None


def _say_unregistered() -> None:
    err_console.print(
        "note: records look Confluent-framed (magic byte 0, a schema id), but the cluster has no Schema "
        "Registry (no _schemas topic): shown as they are; --schema-registry-url URL decodes them",
        markup=False,
    )


def _rewind(consumer: ConsumerClient, unread: list[ConsumerRecord]) -> None:
    first: dict[tuple[str, int], int] = {}
    for record in unread:
        first.setdefault((record.topic, record.partition), record.offset)
    for tp, offset in first.items():
        consumer.seek(tp, offset)
