"""`kafkatui streams run|describe APP`: a Kafka Streams application written with
kafkatui's streams package, run against kafkatui's own cluster or any Kafka
(`--bootstrap-server`), or its topology printed in Kafka Streams' describe() text.
`kafkatui streams list|status|reset APPLICATION_ID`: the applications on a cluster seen
from outside, as Kafka's tools see them (`ecosystem/streams/admin.py`).

APP is a Python file or an importable module with a `topology(builder)` function (or an
`app` object: a Topology or a StreamsBuilder) and optionally a `CONFIG` dict of Kafka
Streams settings. A refusal is one line: `error: INVALID_CONFIG: …` for settings and
modules, `error: STREAMS_EXCEPTION: …` when the application stops on an error (Kafka's
StreamsException)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from typing import Annotated, Any

import typer

from kafkatui.backends.base import Backend
from kafkatui.backends.offset_reset import ResetStrategy
from kafkatui.cli.context import backend_command, console, err_console, fail
from kafkatui.cli.options import EXPANDED, reset_options

app = typer.Typer(
    help="Kafka Streams: run an application module on the cluster, describe its topology, list the "
    "applications, show one's status, reset one (like kafka-streams-application-reset.sh).",
    no_args_is_help=True,
)

AppArgument = Annotated[
    str,
    typer.Argument(
        help="A Python file (app.py) or module (kafkatui.ecosystem.streams.examples.word_count) with a "
        "`topology(builder)` function or an `app` (Topology or StreamsBuilder), and optionally CONFIG."
    ),
]


def _load(target: str) -> tuple[Any, dict[str, Any]]:
    from kafkatui.ecosystem.streams.app_module import AppError, config_of, load_module, topology_of
    from kafkatui.ecosystem.streams.topology import TopologyError

    try:
        module = load_module(target)
        return topology_of(module), config_of(module)
    except (AppError, TopologyError) as error:
        raise fail("INVALID_CONFIG", str(error)) from None


@app.command("describe")
def describe(
    ctx: typer.Context,
    target: AppArgument,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="For a topology with joins, check on the cluster that the topics each join reads "
            "together have one partition count (Kafka Streams' co-partitioning); --no-check "
            "connects to nothing.",
        ),
    ] = True,
) -> None:
    """Print the application's topology as Kafka Streams' Topology#describe() does: its
    sub-topologies, source, processor and sink nodes, stores and topics. A join whose
    topics are not co-partitioned is refused as the application's start would refuse it
    (Kafka's TopologyException), naming the topics and their partition counts."""
    topology, _ = _load(target)
    typer.echo(str(topology.describe()), nl=False)
    if not check or not topology.copartition_groups:
        return  # nothing the cluster could refuse: no connection needed

    @backend_command("kafkatui streams describe")
    async def body(backend: Backend) -> None:
        from kafkatui.ecosystem.streams.joins_copartition import CopartitionError, check_copartitioning

        try:
            missing = check_copartitioning(topology, backend)
        except CopartitionError as error:
            raise fail("STREAMS_EXCEPTION", str(error)) from None
        if missing:  # on stderr: stdout stays the topology text alone, for the visualisers
            err_console.print(
                f"note: not on the cluster yet, so not checked: {', '.join(missing)}",
                markup=False, highlight=False,
            )  # fmt: skip

    body(ctx)


@app.command("run")
def run(
    ctx: typer.Context,
    target: AppArgument,
    application_id: Annotated[
        str | None,
        typer.Option(
            "--application-id",
            help="application.id: the consumer group and the prefix of its internal topics "
            "(default: the module's CONFIG).",
        ),
    ] = None,
    state_dir: Annotated[
        str | None,
        typer.Option("--state-dir", help="state.dir: where each task's SQLite state file is kept."),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--config",
            "-c",
            help="A Kafka Streams setting, key=value (commit.interval.ms=1000, "
            "default.deserialization.exception.handler=logAndContinue, …); repeatable.",
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            help="Stop cleanly (commit, close) after this many seconds; default: until Ctrl-C, "
            "which also stops cleanly.",
        ),
    ] = None,
) -> None:
    """Run the application until Ctrl-C (or --duration): tasks per input partition, state
    restored from the changelogs at start, offsets committed every commit.interval.ms.
    Prints what it did when it stops: tasks, records processed, restored and dropped."""
    topology, config = _load(target)
    for setting in settings or []:
        key, sep, value = setting.partition("=")
        if not sep:
            raise fail("INVALID_CONFIG", f"--config {setting!r} is not key=value")
        config[key.strip()] = value.strip()
    if application_id:
        config["application.id"] = application_id
    if state_dir:
        config["state.dir"] = state_dir

    @backend_command("kafkatui streams run")
    async def body(backend: Backend) -> None:
        from kafkatui.ecosystem.streams.runtime import KafkaStreams
        from kafkatui.ecosystem.streams.task import StreamsError

        try:
            streams = KafkaStreams(topology, config, backend)
        except ValueError as error:
            raise fail("INVALID_CONFIG", str(error)) from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, stop.set)
        try:
            await streams.start()
        except StreamsError as error:
            raise fail("STREAMS_EXCEPTION", str(error)) from None
        console.print(f"streams {streams.config.application_id}: running (Ctrl-C stops)", highlight=False)
        waiting = loop.create_task(streams.wait())
        stopping = loop.create_task(stop.wait())
        await asyncio.wait([waiting, stopping], timeout=duration, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await streams.close()
        if waiting.done() and not waiting.cancelled():
            waiting.exception()  # retrieved here: streams.error says it below
        else:
            waiting.cancel()
        summary = streams.summary()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        console.print(summary, highlight=False)
        if streams.error is not None:
            raise fail("STREAMS_EXCEPTION", str(streams.error))

    body(ctx)


ApplicationId = Annotated[str, typer.Argument(help="The application.id (its consumer group).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@app.command("list")
def list_command(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """The Streams applications on the cluster: groups with StreamThread members or
    internal topics of their name (`<application.id>-…-changelog`, `-repartition`)."""

    @backend_command("kafkatui streams list")
    async def body(backend: Backend) -> None:
        from rich.table import Table

        from kafkatui.cli.output import print_json
        from kafkatui.ecosystem.streams.admin import applications

        found = await applications(backend)
        if json_out:
            print_json(
                [
                    {"application_id": a.application_id, "state": a.state, "members": a.members,
                     "input_topics": list(a.input_topics), "internal_topics": list(a.internal_topics),
                     "lag": a.lag}
                    for a in found
                ]
            )  # fmt: skip
            return
        if not found:
            console.print("No Streams applications yet (`kafkatui streams run APP` starts one).")
            return
        table = Table("Application", "State", "Members", "Input topics", "Internal topics", "Lag")
        for a in found:
            table.add_row(
                a.application_id, a.state, str(a.members), ", ".join(a.input_topics) or "-",
                str(len(a.internal_topics)), str(a.lag),
            )  # fmt: skip
        console.print(table)

    body(ctx)


@app.command("status")
def status(ctx: typer.Context, application_id: ApplicationId, json_out: JsonOption = False) -> None:
    """One application: its group's state and members with the partitions each reads,
    committed offset and lag per input partition, and its internal topics."""

    @backend_command("kafkatui streams status")
    async def body(backend: Backend) -> None:
        from rich.table import Table

        from kafkatui.backends.base import LATEST_TIMESTAMP
        from kafkatui.cli.output import print_json
        from kafkatui.ecosystem.streams.admin import application, member_tasks

        app_, view = await application(backend, application_id)
        tasks = {m.member_id: m for m in await member_tasks(backend, application_id)} if view.members else {}
        inputs = [p for p in view.partitions if p.topic in app_.input_topics]
        internal = []
        for topic in app_.internal_topics:
            count = len(backend.describe_topic(topic).partitions)
            ends = await backend.list_offsets(topic, range(count), LATEST_TIMESTAMP)
            internal.append({"topic": topic, "partitions": count, "end_offsets": sum(ends.values())})
        members = [
            {
                "member_id": m.member_id,
                "client_id": m.client_id,
                "partitions": [f"{t}-{p}" for t, p in m.partitions],
                "active_tasks": list(tasks[m.member_id].active) if m.member_id in tasks else [],
                "standby_tasks": list(tasks[m.member_id].standby) if m.member_id in tasks else [],
            }
            for m in view.members
        ]
        if json_out:
            print_json(
                {
                    "application_id": application_id, "state": app_.state, "members": members,
                    "partitions": [
                        {"topic": p.topic, "partition": p.partition, "committed_offset": p.committed,
                         "log_end_offset": p.high_watermark, "lag": p.lag}
                        for p in inputs
                    ],
                    "lag": app_.lag, "internal_topics": internal,
                }
            )  # fmt: skip
            return
        console.print(
            f"Application [bold]{application_id}[/]  state: {app_.state}  "
            f"members: {len(members)}  lag: {app_.lag}"
        )
        for m in members:
            reads = ", ".join(m["partitions"]) or "nothing"
            runs = ", ".join(m["active_tasks"]) or "none"
            standby = f"; standby {', '.join(m['standby_tasks'])}" if m["standby_tasks"] else ""
            console.print(f"  member {m['client_id']} reads {reads}; tasks {runs}{standby}", markup=False)
        if inputs:
            table = Table("Input topic", "Partition", "Committed offset", "Log end offset", "Lag")
            for p in inputs:
                committed, lag = ("-", "-") if p.committed < 0 else (str(p.committed), str(p.lag))
                table.add_row(p.topic, str(p.partition), committed, str(p.high_watermark), lag)
            console.print(table)
        else:
            console.print("No committed offsets yet.")
        if internal:
            table = Table("Internal topic", "Partitions", "Records (end offsets)")
            for row in internal:
                table.add_row(row["topic"], str(row["partitions"]), str(row["end_offsets"]))
            console.print(table)

    body(ctx)


@app.command("reset")
@reset_options(default=ResetStrategy.TO_EARLIEST)
def reset(
    ctx: typer.Context,
    application_id: ApplicationId,
    input_topics: Annotated[
        list[str] | None,
        typer.Option(
            "--input-topic",
            help="An input topic whose committed offsets go back (repeatable, or comma-separated). "
            "Default: every topic the application committed offsets on, except its internal ones.",
        ),
    ] = None,
    intermediate_topics: Annotated[
        list[str] | None,
        typer.Option(
            "--intermediate-topic",
            help="A topic the application writes and reads back (through()): its offsets go to the end.",
        ),
    ] = None,
    internal_topics: Annotated[
        list[str] | None,
        typer.Option(
            "--internal-topic", help="Delete only these internal topics (default: all the application's)."
        ),
    ] = None,
    strategy: tuple[ResetStrategy, int | None] = EXPANDED,
    state_dir: Annotated[
        str | None,
        typer.Option(
            "--state-dir",
            help="Also delete the local state under this state.dir (<state.dir>/<application.id>, what "
            "KafkaStreams#cleanUp does); without it the local stores are left as they are.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print what the reset would do.")] = False,
) -> None:
    """Reset an application to reprocess its input from scratch, like
    kafka-streams-application-reset.sh: refused while it runs; input offsets to the
    earliest (or another scenario), intermediate topics to their end, internal topics
    (changelogs, repartition topics) deleted. Output topics are left alone."""
    strategy, value = strategy

    def split(values: list[str] | None) -> list[str] | None:
        return None if values is None else [t.strip() for v in values for t in v.split(",") if t.strip()]

    @backend_command("kafkatui streams reset")
    async def body(backend: Backend) -> None:
        from pathlib import Path

        from kafkatui.ecosystem.streams.admin import execute_application_reset, plan_application_reset

        plan = await plan_application_reset(
            backend, application_id, strategy=strategy, value=value, input_topics=split(input_topics),
            intermediate_topics=split(intermediate_topics) or (), internal_topics=split(internal_topics),
            state_dir=None if state_dir is None else Path(state_dir).expanduser(),
        )  # fmt: skip
        say = functools.partial(console.print, markup=False, highlight=False)
        if dry_run:
            say(
                "----Dry run displays the actions which will be performed when running Streams Reset Tool----"
            )
        if plan.input_topics:
            inferred = " (the topics it committed offsets on)" if plan.inferred_inputs else ""
            say(f"Reset-offsets for input topics [{', '.join(plan.input_topics)}]{inferred}")
        if plan.intermediate_topics:
            say(f"Seek-to-end for intermediate topics [{', '.join(plan.intermediate_topics)}]")
        if not plan.offsets:
            say("No input or intermediate topics specified. Skipping seek.")
        else:
            say(f"Following input topics offsets will be reset to (for consumer group {application_id})")
            for r in plan.offsets:
                say(f"Topic: {r.topic} Partition: {r.partition} Offset: {r.new}")
        if not dry_run:
            await execute_application_reset(backend, plan)
        say("Done.")
        say(f"Deleting inferred internal topics [{', '.join(plan.delete_topics)}]")
        say("Done.")
        if plan.local_state is not None:
            say(f"Deleting local state {plan.local_state}")
        else:
            say(
                "Local state not deleted: before the next start, delete <state.dir>/"
                f"{application_id} (or pass --state-dir), or the stores keep what they counted."
            )

    body(ctx)
