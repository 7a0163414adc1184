"""`kafkatui consume`: read records from a topic's partitions, as text or JSON lines."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from kafkatui.backends.base import Backend, ConsumerClient
from kafkatui.cli.context import backend_command, console, err_console
from kafkatui.cli.output import bytes_to_json, print_json
from kafkatui.common.clients import ConsumerConfig, ConsumerRecord, TopicPartition


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
    uses the group for committed offsets (manual assignment)."""
    start = _start_offset(offset)
    if group is not None and partition is None and isinstance(start, int):
        raise typer.BadParameter(
            "a group member starts at the group's offsets; add --partition", param_hint="--offset"
        )
    if max_records is not None and max_records < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--max")
    reset = "earliest" if from_beginning or start == "beginning" else "latest"

    @backend_command("kafkatui consume")
    async def body(backend: Backend) -> None:
        config = ConsumerConfig(
            auto_offset_reset=reset, group_id=group, isolation_level=isolation_level.value
        )
        consumer = backend.consumer(config)
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
        seen = 0
        while max_records is None or seen < max_records:
            wait_ms = 1000 if timeout is None else int(timeout * 1000)
            records = await consumer.poll(wait_ms)
            if not records and timeout is not None:
                break
            for i, record in enumerate(records):
                if max_records is not None and seen >= max_records:
                    _rewind(consumer, records[i:])  # what was not printed is not consumed
                    break
                _print_record(record, fmt)
                seen += 1
        if group is not None:
            committed = await consumer.commit()
            err_console.print(
                f"group {group} committed: "
                + (", ".join(f"{tp}@{o}" for tp, o in sorted(committed.items())) or "nothing"),
                markup=False,
            )
        await consumer.close()

    body(ctx)


def _rewind(consumer: ConsumerClient, unread: list[ConsumerRecord]) -> None:
    first: dict[tuple[str, int], int] = {}
    for record in unread:
        first.setdefault((record.topic, record.partition), record.offset)
    for tp, offset in first.items():
        consumer.seek(tp, offset)


def _print_record(record: ConsumerRecord, fmt: Format) -> None:
    key, key_b64 = bytes_to_json(record.key)
    value, value_b64 = bytes_to_json(record.value)
    headers = [[k, bytes_to_json(v)[0]] for k, v in record.headers]
    if fmt is Format.json:
        obj = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": record.timestamp,
            "timestamp_type": record.timestamp_type.config_name,
            "key": key,
            "value": value,
            "headers": headers,
        }
        if key_b64:
            obj["key_encoding"] = "base64"
        if value_b64:
            obj["value_encoding"] = "base64"
        print_json(obj)
        return
    shown_headers = "  headers=" + ",".join(f"{k}={v}" for k, v in headers) if headers else ""
    console.print(
        f"partition={record.partition} offset={record.offset} key={key if key is not None else '(null)'} "
        f"value={value if value is not None else '(null)'}{shown_headers}",
        markup=False,
    )
