"""`kafkatui group ...`: consumer groups' committed offsets and lag, like
kafka-consumer-groups.sh: list, describe, reset-offsets (a dry run unless --execute),
delete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.base import Backend
from kafkatui.backends.offset_reset import ResetStrategy, execute_reset, plan_reset
from kafkatui.cli.context import backend_command, console
from kafkatui.cli.output import print_json
from kafkatui.common.errors import ErrorCode, KafkaError

app = typer.Typer(
    help="Consumer groups: committed offsets, lag, reset and delete (like kafka-consumer-groups.sh).",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
# kafka-consumer-groups.sh's reset scenarios, as options (the Streams reset tool takes them too).
ToEarliest = Annotated[bool, typer.Option("--to-earliest", help="Reset to the log start offset.")]
ToLatest = Annotated[bool, typer.Option("--to-latest", help="Reset to the high watermark.")]
ToOffset = Annotated[int | None, typer.Option("--to-offset", help="Reset to this offset.")]
ShiftBy = Annotated[
    int | None, typer.Option("--shift-by", help="Move the committed offset by N (negative goes back).")
]
ToDatetime = Annotated[
    str | None, typer.Option("--to-datetime", help="Reset to the first record at or after this ISO time.")
]
ByDuration = Annotated[
    str | None,
    typer.Option(
        "--by-duration", help="Reset to the first record at most this long ago (PnDTnHnMnS, e.g. PT15M)."
    ),
]


@app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[bool, typer.Option("--state", help="Show each group's state and member count.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Groups known to the coordinators (with members or committed offsets)."""

    @backend_command("kafkatui group list")
    async def body(backend: Backend) -> None:
        groups = [group for group, _ in await backend.groups()]
        if not state:
            if json_out:
                print_json(groups)
            elif not groups:
                console.print("No consumer groups yet.")
            else:
                for group in groups:
                    console.print(group, markup=False)
            return
        rows = []
        for group in groups:
            view = await backend.describe_group(group)
            shown = "Empty" if view.state == "Dead" else view.state  # offsets, no membership
            rows.append({"group": group, "state": shown, "members": len(view.members)})
        if json_out:
            print_json(rows)
            return
        table = Table("Group", "State", "Members")
        for row in rows:
            table.add_row(row["group"], row["state"], str(row["members"]))
        console.print(table)

    body(ctx)


@app.command()
def describe(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Group id.")],
    json_out: JsonOption = False,
) -> None:
    """Committed offset, log end offset (high watermark) and lag per partition."""

    @backend_command("kafkatui group describe")
    async def body(backend: Backend) -> None:
        view = await backend.describe_group(group)
        rows = [p for p in view.partitions if p.committed >= 0]
        membership = view.state not in ("Dead", "Unknown")
        if not membership and not rows:
            raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"group '{group}' does not exist")
        state = view.state if membership else "Empty"
        coordinator = view.coordinator
        members = [
            {"member_id": m.member_id, "group_instance_id": m.group_instance_id, "client_id": m.client_id}
            for m in view.members
        ]
        if json_out:
            print_json(
                {
                    "group": group, "coordinator": coordinator, "state": state,
                    "generation": max(view.generation_id, 0), "protocol": view.protocol, "members": members,
                    "partitions": [
                        {"topic": r.topic, "partition": r.partition, "committed_offset": r.committed,
                         "log_end_offset": r.high_watermark, "lag": r.lag}
                        for r in rows
                    ],
                    "total_lag": sum(max(r.lag, 0) for r in rows),
                }
            )  # fmt: skip
            return
        console.print(
            f"Group [bold]{group}[/]  state: {state}  coordinator: broker {coordinator}  "
            f"members: {len(members)}"
        )
        for m in members:
            console.print(f"  member {m['member_id']} (client {m['client_id']})", markup=False)
        if not rows:
            console.print("No committed offsets.")
            return
        table = Table("Topic", "Partition", "Current offset", "Log end offset", "Lag")
        for r in rows:
            table.add_row(r.topic, str(r.partition), str(r.committed), str(r.high_watermark), str(r.lag))
        console.print(table)
        console.print(f"Total lag: {sum(max(r.lag, 0) for r in rows)}")

    body(ctx)


def _parse_datetime(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date-time (e.g. 2026-11-30T10:00:00 or 2026-11-30T10:00:00+00:00)",
            param_hint="--to-datetime",
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as kafka-consumer-groups.sh takes it
    return int(moment.timestamp() * 1000)


# Java's Duration.parse for the days, hours, minutes and seconds kafka-consumer-groups.sh's
# --by-duration takes ("PnDTnHnMnS").
_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?", re.IGNORECASE
)


def _parse_duration(text: str) -> int:
    """An ISO-8601 duration such as PT15M or P1DT2H, in ms."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()) or text.strip().upper().endswith("T"):
        raise typer.BadParameter(
            f"{text!r} is not a duration like PnDTnHnMnS (e.g. PT15M, PT1H30M, P2D)",
            param_hint="--by-duration",
        )
    d, h, m, sec = (float(match.group(g) or 0) for g in "dhms")
    return int((((d * 24 + h) * 60 + m) * 60 + sec) * 1000)


def reset_strategy(
    to_earliest: bool,
    to_latest: bool,
    to_offset: int | None,
    shift_by: int | None,
    to_datetime: str | None,
    by_duration: str | None,
    *,
    default: ResetStrategy | None,
) -> tuple[ResetStrategy, int | None]:
    """The one reset scenario the options choose, and its value (a moment or a duration
    in ms); `default` when none is given (None: one must be)."""
    chosen = [
        (strategy, value)
        for strategy, flag, value in (
            (ResetStrategy.TO_EARLIEST, to_earliest, None),
            (ResetStrategy.TO_LATEST, to_latest, None),
            (ResetStrategy.TO_OFFSET, to_offset is not None, to_offset),
            (ResetStrategy.SHIFT_BY, shift_by is not None, shift_by),
            (ResetStrategy.TO_DATETIME, to_datetime is not None, to_datetime),
            (ResetStrategy.BY_DURATION, by_duration is not None, by_duration),
        )
        if flag
    ]
    if not chosen and default is not None:
        return default, None
    if len(chosen) != 1:
        raise typer.BadParameter(
            "choose exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime, "
            "--by-duration",
            param_hint="strategy",
        )
    strategy, raw = chosen[0]
    if isinstance(raw, str):  # a moment or a duration: in ms
        return strategy, (
            _parse_datetime(raw) if strategy is ResetStrategy.TO_DATETIME else _parse_duration(raw)
        )
    return strategy, raw


@app.command("reset-offsets")
def reset_offsets(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Group id.")],
    topic: Annotated[str, typer.Option("--topic", help="Topic, or TOPIC:0,2 for some partitions.")],
    to_earliest: ToEarliest = False,
    to_latest: ToLatest = False,
    to_offset: ToOffset = None,
    shift_by: ShiftBy = None,
    to_datetime: ToDatetime = None,
    by_duration: ByDuration = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the new offsets (the default, as in Kafka).")
    ] = False,
    execute: Annotated[
        bool, typer.Option("--execute", help="Commit the new offsets (default: dry run).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Plan (and with --execute, commit) new offsets for a group: exactly one strategy.

    Works on any Kafka (ListOffsets, AlterConsumerGroupOffsets); refused, as by
    kafka-consumer-groups.sh, while the group has members.
    """
    strategy, value = reset_strategy(
        to_earliest, to_latest, to_offset, shift_by, to_datetime, by_duration, default=None
    )
    if dry_run and execute:
        raise typer.BadParameter("give --dry-run or --execute, not both", param_hint="--execute")
    name, _, parts = topic.partition(":")
    try:
        partitions = [int(p) for p in parts.split(",")] if parts else None
    except ValueError:
        raise typer.BadParameter(
            f"{topic!r}: partitions are numbers, as in sales:0,2", param_hint="--topic"
        ) from None

    @backend_command("kafkatui group reset-offsets")
    async def body(backend: Backend) -> None:
        plan = await plan_reset(backend, group, name, strategy, value, partitions)
        if execute:
            await execute_reset(backend, group, plan)
        if json_out:
            rows = [{"topic": r.topic, "partition": r.partition, "old": r.old, "new": r.new} for r in plan]
            print_json({"group": group, "executed": execute, "partitions": rows})
            return
        table = Table("Topic", "Partition", "Current offset", "New offset", title=f"Group {group}")
        for r in plan:
            table.add_row(r.topic, str(r.partition), "-" if r.old < 0 else str(r.old), str(r.new))
        console.print(table)
        if execute:
            console.print(f"Committed {len(plan)} offset(s) for group {group}.", markup=False)
        else:
            console.print("Dry run: nothing changed. Add --execute to commit these offsets.")

    body(ctx)


@app.command()
def delete(ctx: typer.Context, group: Annotated[str, typer.Argument(help="Group id.")]) -> None:
    """Delete an empty group and its committed offsets (DeleteGroups: tombstones in
    __consumer_offsets); refused while it has members."""

    @backend_command("kafkatui group delete")
    async def body(backend: Backend) -> None:
        committed = sum(1 for p in (await backend.describe_group(group)).partitions if p.committed >= 0)
        await backend.delete_group(group)
        console.print(f"Deleted group {group} ({committed} committed offset(s)).", markup=False)

    body(ctx)
