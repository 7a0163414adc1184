"""`kafkatui broker ...`: list and describe brokers (any Kafka), stop them (gracefully or
as a crash) and start them (kafkatui's own cluster only: `Backend.engine_controls`).

A stopped broker is part of the cluster's persisted state: it stays stopped, its
partitions led elsewhere, until `kafkatui broker start`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.base import Backend, BrokerState, BrokerView, Feature
from kafkatui.cli.context import backend_command, console, err_console
from kafkatui.cli.output import human_bytes, print_json
from kafkatui.common.errors import ErrorCode, KafkaError

CATCH_UP_SECONDS = 15  # how long `broker start` waits for the broker to rejoin its ISRs

app = typer.Typer(help="List, stop and start brokers (leaders move, ISRs change).", no_args_is_help=True)


def _leadership(backend: Backend) -> str:
    moved = []
    for name in backend.topic_names():
        for p in backend.describe_topic(name).partitions:
            moved.append(f"{name}-{p.partition}: leader {p.leader if p.leader >= 0 else 'none (offline)'}")
    return "; ".join(moved)


@app.command("list")
def list_brokers(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Brokers with status, controller, partitions led, replicas hosted and bytes on disk."""

    @backend_command("kafkatui broker list")
    async def body(backend: Backend) -> None:
        await backend.refresh_disk_usage()
        brokers = backend.brokers()
        if json_out:
            print_json([_broker_json(b) for b in brokers])
            return
        table = Table(
            "Broker", "Status", "Controller", "Partitions led", "Replicas", "On disk", title="Brokers"
        )
        for b in brokers:
            table.add_row(
                str(b.broker_id), str(b.state), "★" if b.is_controller else "",
                str(b.partitions_led), str(b.replicas_hosted), human_bytes(b.bytes_on_disk),
            )  # fmt: skip
        console.print(table)

    body(ctx)


def _broker_json(b: BrokerView) -> dict[str, object]:
    return {
        "broker_id": b.broker_id, "running": b.running, "state": str(b.state), "controller": b.is_controller,
        "partitions_led": b.partitions_led, "replicas": b.replicas_hosted, "bytes_on_disk": b.bytes_on_disk,
    }  # fmt: skip


def _broker(backend: Backend, broker_id: int) -> BrokerView:
    found = next((b for b in backend.brokers() if b.broker_id == broker_id), None)
    if found is None:
        known = ", ".join(str(b.broker_id) for b in backend.brokers())
        raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"there is no broker {broker_id} (brokers: {known})")
    return found


@app.command()
def describe(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker to describe.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """A broker's status and its configs, like kafka-configs.sh --describe --entity-type
    brokers --all (DescribeConfigs)."""

    @backend_command("kafkatui broker describe")
    async def body(backend: Backend) -> None:
        await backend.refresh_disk_usage()
        b = _broker(backend, broker_id)
        configs = await backend.broker_configs(broker_id)
        if json_out:
            print_json({**_broker_json(b), "configs": {c.name: c.value for c in configs}})
            return
        role = ", the active controller" if b.is_controller else ""
        console.print(
            f"Broker [bold]{broker_id}[/]: {b.state}{role}; leads {b.partitions_led} partition(s), "
            f"hosts {b.replicas_hosted} replica(s)"
        )
        table = Table("Config", "Value", "Source", title=f"Broker {broker_id} configs")
        for c in configs:
            table.add_row(c.name, "(sensitive)" if c.value is None else c.value, c.source)
        console.print(table)

    body(ctx)


async def _fencing_wait(backend: Backend, broker_id: int) -> tuple[int, str]:
    """How long the controller takes to notice a crash of `broker_id` (ms) and why: the
    broker's session timeout, and a controller election first if it held the role."""
    configs = {c.name: c.value for c in await backend.broker_configs(broker_id)}

    def ms(name: str) -> int:
        return int(configs.get(name) or 0)

    session = ms("broker.session.timeout.ms")
    wait = session + ms("broker.heartbeat.interval.ms")
    why = f"broker.session.timeout.ms={session}"
    if backend.controller_id == broker_id:
        election = ms("controller.quorum.election.timeout.ms")
        wait += election
        why = f"controller.quorum.election.timeout.ms={election}, then " + why
    return wait, why


@app.command()
def stop(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker to stop.")],
    crash: Annotated[
        bool, typer.Option("--crash", help="Die without a controlled shutdown (like kill -9).")
    ] = False,
) -> None:
    """Stop a broker: its partitions get new leaders from their in-sync replicas.

    A graceful stop hands leadership over at once (controlled shutdown). With --crash
    nothing happens until the controller misses the broker's heartbeats for
    broker.session.timeout.ms (9 s); this command waits for that, as the cluster does.
    """

    @backend_command("kafkatui broker stop")
    async def body(backend: Backend) -> None:
        controls = backend.engine_controls(Feature.STOP_BROKER)
        wait, why = await _fencing_wait(backend, broker_id)
        await controls.stop_broker(broker_id, crash=crash)
        if not crash:
            console.print(f"Broker {broker_id} stopped. {_leadership(backend)}", markup=False)
            return
        started = time.monotonic()
        with err_console.status(
            f"Broker {broker_id} crashed. Waiting for the controller to miss its heartbeats ({why})…"
        ):
            while _broker(backend, broker_id).state is not BrokerState.STOPPED:
                if time.monotonic() - started > wait / 1000 + 10:
                    raise KafkaError(
                        ErrorCode.REQUEST_TIMED_OUT, f"broker {broker_id} was not fenced in time"
                    )
                await asyncio.sleep(0.05)
        took = time.monotonic() - started
        console.print(
            f"Broker {broker_id} crashed; the controller (broker {backend.controller_id}) fenced it after "
            f"{took:.1f} s without heartbeats. {_leadership(backend)}",
            markup=False,
        )

    body(ctx)


@app.command()
def start(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker to start again.")],
) -> None:
    """Start a stopped broker: it catches up as a follower and rejoins the ISR."""

    @backend_command("kafkatui broker start")
    async def body(backend: Backend) -> None:
        await backend.engine_controls(Feature.STOP_BROKER).start_broker(broker_id)

        def behind() -> list[str]:
            return [
                f"{t}-{p.partition}"
                for t in backend.topic_names()
                for p in backend.describe_topic(t).partitions
                if broker_id in p.replicas and broker_id not in p.isr and p.leader != -1
            ]

        started = time.monotonic()
        with err_console.status(
            f"Broker {broker_id} started; catching up with its leaders to rejoin the ISR…"
        ):
            while behind() and time.monotonic() - started < CATCH_UP_SECONDS:
                await asyncio.sleep(0.05)
        lagging = behind()
        note = f" Still catching up (not in the ISR yet): {', '.join(lagging)}." if lagging else ""
        console.print(f"Broker {broker_id} started.{note} {_leadership(backend)}", markup=False)

    body(ctx)
