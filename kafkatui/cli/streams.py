"""`kafkatui streams run|describe APP`: a Kafka Streams application written with
kafkatui's streams package, run against kafkatui's own cluster or any Kafka
(`--bootstrap-server`), or its topology printed in Kafka Streams' describe() text.

APP is a Python file or an importable module with a `topology(builder)` function (or an
`app` object: a Topology or a StreamsBuilder) and optionally a `CONFIG` dict of Kafka
Streams settings. A refusal is one line: `error: INVALID_CONFIG: …` for settings and
modules, `error: STREAMS_EXCEPTION: …` when the application stops on an error (Kafka's
StreamsException)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated, Any

import typer

from kafkatui.backends.base import Backend
from kafkatui.cli.context import backend_command, console, fail

app = typer.Typer(
    help="Kafka Streams: run an application module on the cluster, or describe its topology.",
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
def describe(target: AppArgument) -> None:
    """Print the application's topology as Kafka Streams' Topology#describe() does: its
    sub-topologies, source, processor and sink nodes, stores and topics."""
    topology, _ = _load(target)
    typer.echo(str(topology.describe()), nl=False)


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
