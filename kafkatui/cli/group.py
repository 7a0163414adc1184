"""`kafkatui group ...`: consumer groups' committed offsets and lag, like
kafka-consumer-groups.sh: list, describe, reset-offsets (a dry run unless --execute),
delete."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.base import Backend
from kafkatui.backends.offset_reset import ResetStrategy, execute_reset, plan_reset
from kafkatui.cli.context import backend_command, console
from kafkatui.cli.options import EXPANDED, reset_options
from kafkatui.cli.output import print_json
from kafkatui.common.errors import ErrorCode, KafkaError

app = typer.Typer(
    help="Consumer groups: committed offsets, lag, reset and delete (like kafka-consumer-groups.sh).",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


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


@app.command("reset-offsets")
@reset_options(default=None)
def reset_offsets(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Group id.")],
    topic: Annotated[str, typer.Option("--topic", help="Topic, or TOPIC:0,2 for some partitions.")],
    strategy: tuple[ResetStrategy, int | None] = EXPANDED,
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
    strategy, value = strategy
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
