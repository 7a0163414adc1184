"""`kafkatui broker ...`: list, stop (gracefully or as a crash) and start brokers.

A stopped broker is part of the cluster's persisted state: it stays stopped, its
partitions led elsewhere, until `kafkatui broker start`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.cli.context import cluster_command, console, err_console
from kafkatui.cli.output import human_bytes, print_json
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster import Cluster

CATCH_UP_SECONDS = 15  # how long `broker start` waits for the broker to rejoin its ISRs

app = typer.Typer(help="List, stop and start brokers (leaders move, ISRs change).", no_args_is_help=True)


def _leadership(cluster: Cluster) -> str:
    moved = []
    for name in cluster.topic_names():
        for p in cluster.describe_topic(name).partitions:
            moved.append(f"{name}-{p.partition}: leader {p.leader if p.leader >= 0 else 'none (offline)'}")
    return "; ".join(moved)


@app.command("list")
def list_brokers(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Brokers with status, controller, partitions led, replicas hosted and bytes on disk."""

    @cluster_command("kafkatui broker list")
    async def body(cluster: Cluster) -> None:
        backend = EmbeddedBackend(cluster)
        await backend.refresh_disk_usage()
        brokers = backend.brokers()
        if json_out:
            print_json(
                [
                    {
                        "broker_id": b.broker_id, "running": b.running, "state": str(b.state),
                        "controller": b.is_controller,
                        "partitions_led": b.partitions_led, "replicas": b.replicas_hosted,
                        "bytes_on_disk": b.bytes_on_disk,
                    }
                    for b in brokers
                ]
            )  # fmt: skip
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

    @cluster_command("kafkatui broker stop")
    async def body(cluster: Cluster) -> None:
        was_controller = cluster.controller_id == broker_id
        await cluster.stop_broker(broker_id, crash=crash)
        if not crash:
            console.print(f"Broker {broker_id} stopped. {_leadership(cluster)}", markup=False)
            return
        d = cluster.defaults
        wait = d.broker_session_timeout_ms + d.broker_heartbeat_interval_ms
        why = f"broker.session.timeout.ms={d.broker_session_timeout_ms}"
        if was_controller:
            wait += d.controller_quorum_election_timeout_ms
            why = (
                f"controller.quorum.election.timeout.ms={d.controller_quorum_election_timeout_ms}, then "
                + why
            )
        started = time.monotonic()
        with err_console.status(
            f"Broker {broker_id} crashed. Waiting for the controller to miss its heartbeats ({why})…"
        ):
            while cluster.broker_state(broker_id) != "stopped":
                if time.monotonic() - started > wait / 1000 + 10:
                    raise KafkaError(
                        ErrorCode.REQUEST_TIMED_OUT, f"broker {broker_id} was not fenced in time"
                    )
                await asyncio.sleep(0.05)
        took = time.monotonic() - started
        console.print(
            f"Broker {broker_id} crashed; the controller (broker {cluster.controller_id}) fenced it after "
            f"{took:.1f} s without heartbeats. {_leadership(cluster)}",
            markup=False,
        )

    body(ctx)


@app.command()
def start(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker to start again.")],
) -> None:
    """Start a stopped broker: it catches up as a follower and rejoins the ISR."""

    @cluster_command("kafkatui broker start")
    async def body(cluster: Cluster) -> None:
        await cluster.start_broker(broker_id)

        def behind() -> list[str]:
            return [
                f"{t}-{p.partition}"
                for t in cluster.topic_names()
                for p in cluster.describe_topic(t).partitions
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
        console.print(f"Broker {broker_id} started.{note} {_leadership(cluster)}", markup=False)

    body(ctx)
