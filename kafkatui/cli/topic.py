"""`kafkatui topic ...`: create, list, describe, alter and delete topics; export and import
their records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kafkatui.backends.base import Backend, Feature, LogLayout
from kafkatui.cli.context import backend_command, console, kafka_errors, partitions_of
from kafkatui.cli.output import describe_json, human_bytes, print_json
from kafkatui.common.topic import parse_config_assignment

app = typer.Typer(help="Create, list, describe, alter and delete topics.", no_args_is_help=True)

ConfigOption = Annotated[
    list[str] | None,
    typer.Option("--config", "-c", help="A topic config as key=value (repeatable), e.g. retention.ms=60000."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic name: letters, digits, '.', '_' or '-', up to 249.")],
    partitions: Annotated[
        int | None,
        typer.Option("--partitions", "-p", help="Number of partitions (default: num.partitions=1)."),
    ] = None,
    replication_factor: Annotated[
        int | None,
        typer.Option(
            "--replication-factor",
            "-r",
            help="Copies of each partition (default: default.replication.factor=1).",
        ),
    ] = None,
    config: ConfigOption = None,
    if_not_exists: Annotated[
        bool, typer.Option("--if-not-exists", help="Succeed quietly if the topic exists.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Create a topic; its partitions are spread over the brokers like Kafka does."""
    with kafka_errors():
        configs = dict(parse_config_assignment(c) for c in config or [])

    @backend_command("kafkatui topic create")
    async def body(backend: Backend) -> None:
        existed = if_not_exists and name in backend.topic_names(include_internal=True)
        if not existed:
            await backend.create_topic(name, partitions, replication_factor, configs)
        desc = backend.describe_topic(name)
        if json_out:
            print_json(describe_json(desc))
            return
        if existed:
            console.print(f"Topic [bold]{name}[/] already exists; nothing changed.")
            return
        console.print(
            f"Created topic [bold]{name}[/] with {len(desc.partitions)} partition(s), "
            f"replication factor {desc.replication_factor}."
        )
        for p in desc.partitions:
            followers = ", ".join(str(b) for b in p.replicas[1:]) or "none"
            console.print(f"  partition {p.partition}: leader broker {p.leader}, followers {followers}")

    body(ctx)


@app.command("list")
def list_topics(
    ctx: typer.Context,
    internal: Annotated[bool, typer.Option("--internal", help="Include internal topics (__…).")] = False,
    json_out: JsonOption = False,
) -> None:
    """List topics with partitions, replication factor, records and size."""

    @backend_command("kafkatui topic list")
    async def body(backend: Backend) -> None:
        descs = [backend.describe_topic(n) for n in backend.topic_names(include_internal=internal)]
        if json_out:
            print_json(
                [
                    {
                        "name": d.name,
                        "partitions": len(d.partitions),
                        "replication_factor": d.replication_factor,
                        "record_count": d.record_count,
                        "size_bytes": d.size_bytes,
                    }
                    for d in descs
                ]
            )
            return
        if not descs:
            console.print("No topics yet. Create one: kafkatui topic create sales --partitions 3")
            return
        table = Table("Topic", "Partitions", "RF", "Records", "Size", title="Topics")
        for d in descs:
            table.add_row(
                d.name,
                str(len(d.partitions)),
                str(d.replication_factor),
                f"{d.record_count:,}",
                human_bytes(d.size_bytes),
            )
        console.print(table)

    body(ctx)


@app.command()
def describe(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic to describe.")],
    json_out: JsonOption = False,
) -> None:
    """Show partitions (leader, replicas, ISR, offsets) and configs of a topic."""

    @backend_command("kafkatui topic describe")
    async def body(backend: Backend) -> None:
        desc = backend.describe_topic(name)
        # Segments are the brokers' own: only kafkatui's engine shows them (none over the wire).
        layout = await backend.log_layout(name)
        logs = {p.partition: _segments(layout.get(p.partition)) for p in desc.partitions}
        if json_out:
            described = describe_json(desc)
            for row in described["partitions"]:
                row.update(logs[row["partition"]])
            print_json(described)
            return
        configs = ",".join(f"{k}={v}" for k, v in sorted(desc.configs.items())) or "(defaults)"
        console.print(
            f"Topic: [bold]{desc.name}[/]  TopicId: {desc.topic_id}  "
            f"PartitionCount: {len(desc.partitions)}  ReplicationFactor: {desc.replication_factor}  "
            f"Configs: {configs}"
        )
        table = Table(
            "Partition", "Leader", "Replicas", "Isr", "LogStart", "LogEnd", "HighWatermark", "Size",
            "Segments", "DirtyRatio",
        )  # fmt: skip
        for p in desc.partitions:
            log = logs[p.partition]
            segments = log["segments"]
            table.add_row(
                str(p.partition),
                str(p.leader),
                ",".join(map(str, p.replicas)),
                ",".join(map(str, p.isr)),
                str(p.log_start_offset),
                str(p.log_end_offset),
                str(p.high_watermark),
                human_bytes(p.size_bytes),
                str(len(segments)) if segments else "-",
                f"{log['dirty_ratio']:.2f}" if log["dirty_ratio"] is not None else "-",
            )
        console.print(table)
        for p in desc.partitions:
            log = logs[p.partition]
            if len(log["segments"]) > 1:
                bases = [str(s["base_offset"]) for s in log["segments"]]
                line = f"{name}-{p.partition}: segments start at {', '.join(bases)} (the last is active)"
                if log["first_dirty_offset"] is not None:
                    line += f"; cleaned below offset {log['first_dirty_offset']}"
                console.print(line, markup=False)

    body(ctx)


@app.command()
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic to delete, with all its records.")],
) -> None:
    """Delete a topic and its data on every broker."""

    @backend_command("kafkatui topic delete")
    async def body(backend: Backend) -> None:
        await backend.delete_topic(name)
        console.print(f"Deleted topic [bold]{name}[/].")

    body(ctx)


@app.command()
def alter(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic to change.")],
    partitions: Annotated[
        int | None,
        typer.Option("--partitions", "-p", help="New (larger) partition count; Kafka never lowers it."),
    ] = None,
    config: ConfigOption = None,
    delete_config: Annotated[
        list[str] | None,
        typer.Option("--delete-config", help="Remove a config override, back to the default (repeatable)."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Add partitions or change configs (note: adding partitions moves keys to new partitions)."""
    with kafka_errors():
        changes: dict[str, str | None] = dict(parse_config_assignment(c) for c in config or [])
    changes.update({k: None for k in delete_config or []})

    @backend_command("kafkatui topic alter")
    async def body(backend: Backend) -> None:
        backend.describe_topic(name)
        if partitions is None and not changes:
            raise typer.BadParameter("nothing to change: give --partitions, --config or --delete-config")
        if changes:
            await backend.alter_topic_configs(name, changes)
        if partitions is not None:
            await backend.create_partitions(name, partitions)
        desc = backend.describe_topic(name)
        if json_out:
            print_json(describe_json(desc))
            return
        console.print(
            f"Altered topic [bold]{name}[/]: {len(desc.partitions)} partition(s), configs "
            + (",".join(f"{k}={v}" for k, v in sorted(desc.configs.items())) or "(defaults)")
        )

    body(ctx)


def _segments(layout: LogLayout | None) -> dict[str, Any]:
    """The leader replica's segments and, if compacted, its dirty ratio (nothing while
    the partition is offline, or over the wire)."""
    if layout is None:
        return {"segments": [], "dirty_ratio": None, "first_dirty_offset": None}
    ratio = layout.dirty_ratio
    return {
        "segments": [
            {
                "base_offset": s.base_offset,
                "last_offset": s.last_offset,
                "batches": s.batches,
                "size_bytes": s.size_bytes,
            }
            for s in layout.segments
        ],
        "dirty_ratio": round(ratio, 4) if ratio is not None else None,
        "first_dirty_offset": layout.first_dirty,
    }


@app.command()
def compact(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A topic with cleanup.policy=compact.")],
    json_out: JsonOption = False,
) -> None:
    """Run the log cleaner now on every replica (Kafka waits for min.cleanable.dirty.ratio).

    Of each key only the latest record stays, at its own offset (the log keeps the gaps);
    a tombstone (null value) stays for delete.retention.ms after the cleaner first sees it.
    The active (last) segment is never cleaned: lower segment.bytes to see more cleaned.
    """

    @backend_command("kafkatui topic compact")
    async def body(backend: Backend) -> None:
        done = await backend.engine_controls(Feature.LOG_CLEANER).compact_topic(name)
        rows = [
            {
                "broker": r.broker_id, "partition": r.partition,
                "cleaned_offsets": [r.first_offset, r.end_offset], "records_before": r.records_before,
                "records_after": r.records_after, "tombstones_removed": r.tombstones_removed,
                "bytes_freed": r.bytes_freed,
            }
            for r in sorted(done, key=lambda r: (r.partition, r.broker_id))
        ]  # fmt: skip
        if json_out:
            print_json(rows)
            return
        if not rows:
            console.print(
                f"Nothing to clean in {name}: every record is still in its partition's active segment.",
                markup=False,
            )
        for r in rows:
            first, end = r["cleaned_offsets"]
            console.print(
                f"{name}-{r['partition']} on broker {r['broker']}: offsets {first}..{end - 1}: "
                f"{r['records_before']} → {r['records_after']} records, {r['tombstones_removed']} "
                f"tombstone(s) removed, {human_bytes(r['bytes_freed'])} freed",
                markup=False,
            )

    body(ctx)


@app.command("delete-records")
def delete_records(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic whose oldest records go.")],
    partition: Annotated[int, typer.Option("--partition", "-p", help="The partition.")],
    offset: Annotated[
        int,
        typer.Option("--offset", help="The new start of the log; -1 for the high watermark (everything)."),
    ],
    json_out: JsonOption = False,
) -> None:
    """Delete a partition's records below an offset, like kafka-delete-records.sh
    (DeleteRecords): the log start offset (low watermark) moves up on every replica."""

    @backend_command("kafkatui topic delete-records")
    async def body(backend: Backend) -> None:
        low = await backend.delete_records(name, partition, offset)
        if json_out:
            print_json({"topic": name, "partition": partition, "low_watermark": low})
            return
        console.print(f"{name}-{partition}: the log now starts at offset {low}", markup=False)

    body(ctx)


@app.command("elect-leaders")
def elect_leaders(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Topic (default: every topic).")] = None,
    partition: Annotated[
        int | None, typer.Option("--partition", "-p", help="Only this partition of the topic.")
    ] = None,
    election_type: Annotated[
        str,
        typer.Option(
            "--election-type",
            help="preferred: give leadership back to each partition's first replica if it is in sync; "
            "unclean: let an out-of-sync replica lead an offline partition (loses what it lacks).",
        ),
    ] = "preferred",
    json_out: JsonOption = False,
) -> None:
    """Elect leaders, like kafka-leader-election.sh (ElectLeaders, KIP-460)."""
    if partition is not None and name is None:
        raise typer.BadParameter("--partition needs a topic", param_hint="--partition")
    if election_type not in ("preferred", "unclean"):
        raise typer.BadParameter("preferred or unclean", param_hint="--election-type")

    @backend_command("kafkatui topic elect-leaders")
    async def body(backend: Backend) -> None:
        wanted = None
        if name is not None:
            wanted = [(name, p) for p in partitions_of(backend, name, partition)]
        results = await backend.elect_leaders(election_type, wanted)
        topics = set(backend.topic_names(include_internal=True))
        rows = []
        for (topic, p), error in sorted(results.items()):
            leader = backend.describe_topic(topic).partitions[p].leader if topic in topics else -1
            rows.append(
                {
                    "topic": topic,
                    "partition": p,
                    "leader": leader,
                    "error": error.name if error else None,
                    "message": error.message if error else None,
                }
            )
        if json_out:
            print_json(rows)
            return
        moved = [r for r in rows if r["error"] is None]
        for r in moved:
            console.print(f"{r['topic']}-{r['partition']}: broker {r['leader']} leads now", markup=False)
        for r in rows:
            if r["error"] not in (None, "ELECTION_NOT_NEEDED"):
                console.print(f"{r['topic']}-{r['partition']}: {r['error']}: {r['message']}", markup=False)
        summary = f"{len(moved)} partition(s) got a new leader"
        if wanted is not None:  # asked for every partition, Kafka leaves the others out
            kept = sum(1 for r in rows if r["error"] == "ELECTION_NOT_NEEDED")
            which = "preferred" if election_type == "preferred" else "a"
            summary += f"; {kept} already had the {which} leader"
        console.print(summary + ".", markup=False)

    body(ctx)


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic to export.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-O", help="The file: .ndjson (or .jsonl) for one object per line, or .csv."
        ),
    ],
    jq_filter: Annotated[
        str | None, typer.Option("--filter", help="Only records whose value this jq program finds true.")
    ] = None,
    grep: Annotated[
        str | None,
        typer.Option("--grep", help="Only records whose key, value or a header matches this regex."),
    ] = None,
    from_time: Annotated[
        str | None,
        typer.Option("--from-time", help="From this time (ISO-8601, -15m, -2h, epoch ms), per partition."),
    ] = None,
    to_time: Annotated[str | None, typer.Option("--to-time", help="Up to this time (same forms).")] = None,
    partition: Annotated[int | None, typer.Option("--partition", "-p", help="Only this partition.")] = None,
) -> None:
    """Write a topic's records to a file, every byte kept: key, value, headers, timestamp,
    partition and offset (bytes that are not UTF-8 as base64, said by an encoding field).

    Reads from the oldest record (or --from-time) to the end as it is when the export
    starts; `kafkatui topic import` reads the file back."""
    from kafkatui.cli.consume import record_filter
    from kafkatui.cli.consume_transfer import export_topic, file_format

    file_format(output, "--output")
    with kafka_errors():
        wanted = record_filter(jq_filter, grep, from_time, to_time)

    @backend_command("kafkatui topic export")
    async def body(backend: Backend) -> None:
        await export_topic(backend, name, output, wanted, partition)

    body(ctx)


@app.command("import")
def import_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Topic to write to (created if auto.create.topics.enable).")],
    file: Annotated[Path, typer.Argument(help="An .ndjson (.jsonl) or .csv file, as `topic export` writes.")],
    keep_partitions: Annotated[
        bool,
        typer.Option(
            "--keep-partitions",
            help="Send each record to the partition the file names (default: the partitioner "
            "chooses: a key's partition is the same for the same partition count).",
        ),
    ] = False,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="abort: a bad line imports nothing (the whole file is checked first); skip: import "
            "the rest. Either way each bad line is named by its number.",
        ),
    ] = "abort",
) -> None:
    """Produce the records of a file that `topic export` (or `consume --format ndjson|csv`)
    wrote: keys, values, headers and timestamps (CreateTime; a LogAppendTime topic stamps
    its own) as they were, in the file's order."""
    from kafkatui.cli.consume_transfer import OnError, import_records, read_file

    if on_error not in ("abort", "skip"):
        raise typer.BadParameter("abort or skip", param_hint="--on-error")
    records = read_file(file, OnError(on_error))

    @backend_command("kafkatui topic import")
    async def body(backend: Backend) -> None:
        await import_records(backend, name, file, records, keep_partitions=keep_partitions)

    body(ctx)
