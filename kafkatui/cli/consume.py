"""`kafkatui consume`: read records from a topic's partitions, as text or JSON lines."""

from __future__ import annotations

import contextlib
import enum
import json
from typing import TYPE_CHECKING, Annotated, Any

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
from kafkatui.cli.context import backend_command, console, err_console, fail, options
from kafkatui.cli.output import bytes_to_json, print_json
from kafkatui.cli.registry import UrlOption, command_registry, registry_errors
from kafkatui.common.clients import ConsumerConfig, ConsumerRecord, TopicPartition

if TYPE_CHECKING:
    from kafkatui.ecosystem.serde.client import RegistryClient


class Format(enum.StrEnum):
    text = "text"
    json = "json"


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
        typer.Option("--format", "-f", help="text for people, json for one object per line."),
    ] = Format.text,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Same as --format json; a decoded key or value comes with its schema (id, type, subject, "
            "version; a Protobuf message and its message indexes).",
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

    Keys and values in Confluent's wire format are shown decoded, as JSON, by the schema id
    they carry; one that does not decode (an id the registry does not know) is an error
    line on stderr, shown as it is, and the exit code is 1."""
    start = _start_offset(offset)
    if group is not None and partition is None and isinstance(start, int):
        raise typer.BadParameter(
            "a group member starts at the group's offsets; add --partition", param_hint="--offset"
        )
    if max_records is not None and max_records < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--max")
    reset = "earliest" if from_beginning or start == "beginning" else "latest"
    if json_out:
        fmt = Format.json

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
            with registry_errors():
                failed = await read(consumer, decoder)
        if failed:
            raise typer.Exit(1)

    async def read(consumer: ConsumerClient, decoder: RecordDecoder) -> int:
        """Print records until --max or --timeout; how many did not decode."""
        if group is not None and partition is None:
            consumer.subscribe([topic])

            def report(assigned: list[TopicPartition]) -> None:
                where = (
                    ", ".join(str(tp) for tp in sorted(assigned)) or "nothing (more members than partitions)"
                )
                err_console.print(f"group {group}: assigned {where}", markup=False)

            consumer.on_assignment = report
            assigned: list[TopicPartition] = []
        elif partition is None:
            assigned = consumer.assign_topic(topic)
        else:
            consumer.assign([(topic, partition)])
            assigned = consumer.assignment()
        if isinstance(start, int):
            for tp in assigned:
                consumer.seek(tp, start)
        if timeout is None and max_records is None and err_console.is_terminal:
            err_console.print(f"Waiting for records on {topic}… (Ctrl-C to stop)")
        seen = failed = 0
        while max_records is None or seen < max_records:
            wait_ms = 1000 if timeout is None else int(timeout * 1000)
            records = await consumer.poll(wait_ms)
            if not records and timeout is not None:
                break
            for i, record in enumerate(records):
                if max_records is not None and seen >= max_records:
                    _rewind(consumer, records[i:])  # what was not printed is not consumed
                    break
                key = await _decoded(decoder, record, key_format, is_key=True)
                value = await _decoded(decoder, record, value_format, is_key=False)
                failed += key is None or value is None
                _print_record(record, fmt, key or Shown(record.key), value or Shown(record.value))
                seen += 1
        if group is not None:
            committed = await consumer.commit()
            err_console.print(
                f"group {group} committed: "
                + (", ".join(f"{tp}@{o}" for tp, o in sorted(committed.items())) or "nothing"),
                markup=False,
            )
        return failed

    body(ctx)


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


def _print_record(record: ConsumerRecord, fmt: Format, key_shown: Shown, value_shown: Shown) -> None:
    headers = [[k, bytes_to_json(v)[0]] for k, v in record.headers]
    if fmt is Format.json:
        obj = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": record.timestamp,
            "timestamp_type": record.timestamp_type.config_name,
            "key": _json(key_shown),
            "value": _json(value_shown),
            "headers": headers,
        }
        for side, shown in (("key", key_shown), ("value", value_shown)):
            if shown.decoded:
                obj[f"{side}_schema"] = shown.schema
            elif bytes_to_json(shown.data)[1]:
                obj[f"{side}_encoding"] = "base64"
        print_json(obj)
        return
    shown_headers = "  headers=" + ",".join(f"{k}={v}" for k, v in headers) if headers else ""
    console.print(
        f"partition={record.partition} offset={record.offset} key={_text(key_shown)} "
        f"value={_text(value_shown)}{shown_headers}",
        markup=False,
    )


def _json(shown: Shown) -> Any:
    """A side for scripts: decoded as its JSON, else its bytes as text or base64."""
    return shown.value if shown.decoded else bytes_to_json(shown.data)[0]


def _text(shown: Shown) -> str:
    """A side for people: decoded as compact JSON, else its bytes as text or base64."""
    if shown.decoded:
        return json.dumps(shown.value, ensure_ascii=False, separators=(",", ":"))
    text, _ = bytes_to_json(shown.data)
    return text if text is not None else "(null)"
