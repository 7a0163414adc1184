"""`kafkatui broker ...`: list and describe brokers (any Kafka), stop them (gracefully or
as a crash), start them, and check or repair their databases (kafkatui's own cluster
only: `Backend.engine_controls`).

A stopped broker is part of the cluster's persisted state: it stays stopped, its
partitions led elsewhere, until `kafkatui broker start`. A broker whose database is
damaged runs with its log dir offline until `kafkatui broker repair` rebuilds it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.base import Backend, BrokerCheck, BrokerState, BrokerView, Feature
from kafkatui.cli.context import backend_command, console, err_console
from kafkatui.cli.output import human_bytes, print_json
from kafkatui.common.errors import ErrorCode, KafkaError

CATCH_UP_SECONDS = 15  # how long `broker start` waits for the broker to rejoin its ISRs

app = typer.Typer(
    help="List, stop, start, check and repair brokers (leaders move, ISRs change).", no_args_is_help=True
)


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
            status = f"{b.state} · log dir offline" if b.log_dir_offline is not None else str(b.state)
            table.add_row(
                str(b.broker_id), status, "★" if b.is_controller else "",
                str(b.partitions_led), str(b.replicas_hosted), human_bytes(b.bytes_on_disk),
            )  # fmt: skip
        console.print(table)

    body(ctx)


def _broker_json(b: BrokerView) -> dict[str, object]:
    return {
        "broker_id": b.broker_id, "running": b.running, "state": str(b.state), "controller": b.is_controller,
        "partitions_led": b.partitions_led, "replicas": b.replicas_hosted, "bytes_on_disk": b.bytes_on_disk,
        "log_dir_offline": b.log_dir_offline,
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


def _check_json(check: BrokerCheck) -> dict[str, object]:
    return {
        "broker_id": check.broker_id, "path": check.path, "log_dir_online": check.online,
        "offline_reason": check.offline_reason, "directory_id": check.directory_id,
        "database_directory_id": check.database_directory_id,
        "sqlite_integrity": list(check.sqlite) or ["ok"],
        "unreadable": check.unreadable, "damaged": check.damaged,
        "replicas": [
            {
                "topic": r.topic, "partition": r.partition, "status": r.status, "detail": r.detail,
                "batches": r.batches, "first_offset": r.first_offset, "last_offset": r.last_offset,
            }
            for r in check.replicas
        ],
    }  # fmt: skip


@app.command()
def check(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker whose database to check.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Read every batch of a broker's database: what is damaged, per partition replica.

    Each batch is checked against its CRC-32C and the offsets it is indexed by, offsets
    must run without gaps, and SQLite's integrity check runs over the whole file. Exits
    with KAFKA_STORAGE_ERROR when anything is damaged (`kafkatui broker repair` then
    rebuilds the database from the other replicas).
    """

    @backend_command("kafkatui broker check")
    async def body(backend: Backend) -> None:
        found = await backend.engine_controls(Feature.BROKER_STORAGE).check_broker(broker_id)
        if json_out:
            print_json(_check_json(found))
        else:
            state = "online" if found.online else f"offline ({found.offline_reason})"
            console.print(f"Broker {broker_id}: {found.path}; log dir {state}", markup=False)
            directory = found.database_directory_id or "unreadable"
            integrity = "; ".join(found.sqlite) or ("unreadable" if found.unreadable else "ok")
            console.print(
                f"Directory id {directory} (the controller's: {found.directory_id or 'none yet'}); "
                f"SQLite integrity: {integrity}",
                markup=False,
            )
            table = Table(
                "Partition", "Status", "Batches", "Offsets", "Detail", title=f"Broker {broker_id} replicas"
            )
            for r in found.replicas:
                offsets = f"{r.first_offset}..{r.last_offset}" if r.batches else "-"
                table.add_row(f"{r.topic}-{r.partition}", r.status, str(r.batches), offsets, r.detail)
            console.print(table)
        if found.damaged:
            bad = [f"{r.topic}-{r.partition}" for r in found.replicas if r.status == "damaged"]
            what = f"{len(bad)} replica(s) damaged ({', '.join(bad[:5])})" if bad else "the file is damaged"
            raise KafkaError(
                ErrorCode.KAFKA_STORAGE_ERROR,
                f"{found.path}: {what}; `kafkatui broker repair {broker_id}` rebuilds it from the other "
                "replicas",
            )

    body(ctx)


@app.command()
def repair(
    ctx: typer.Context,
    broker_id: Annotated[int, typer.Argument(help="Broker whose database to rebuild.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Repair even where no other in-sync replica holds the records."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Rebuild a broker's database from the other replicas.

    The broker stops, its database is dropped and it starts on a new one: a new
    incarnation (KIP-858) that leads nothing and refetches every replica from its
    leader, rejoining each ISR when caught up. Refused where the broker holds a
    partition's only in-sync copy, unless --force.
    """

    @backend_command("kafkatui broker repair")
    async def body(backend: Backend) -> None:
        rebuilt = await backend.engine_controls(Feature.BROKER_STORAGE).repair_broker(broker_id, force=force)

        def behind() -> list[str]:
            out = []
            for name, partition in rebuilt:
                p = backend.describe_topic(name).partitions[partition]
                if broker_id not in p.isr and p.leader != -1:
                    out.append(f"{name}-{partition}")
            return out

        started = time.monotonic()
        with err_console.status(f"Broker {broker_id} restarted on a new database; refetching its replicas…"):
            while behind() and time.monotonic() - started < CATCH_UP_SECONDS:
                await asyncio.sleep(0.05)
        lagging = behind()
        if json_out:
            print_json(
                {
                    "broker_id": broker_id,
                    "rebuilt": [f"{n}-{p}" for n, p in rebuilt],
                    "catching_up": lagging,
                }
            )
            return
        note = f" Still catching up (not in the ISR yet): {', '.join(lagging)}." if lagging else ""
        console.print(
            f"Broker {broker_id} repaired: a new database, {len(rebuilt)} replica(s) refetched from their "
            f"leaders.{note} {_leadership(backend)}",
            markup=False,
        )

    body(ctx)
