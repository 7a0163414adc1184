"""`kafkatui transactions list|describe`: the cluster's transactions as an operator sees
them, like Kafka's `kafka-transactions.sh` (KIP-664), on kafkatui's own cluster or any
Kafka (ListTransactions and DescribeTransactions, brokers 3.0 and later).

`list` shows every transactional id the coordinators hold, with its coordinator, producer
id and state; `describe` one or more ids in full, with the partitions an Ongoing
transaction has written to and how long it has been running.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kafkatui.backends.base import Backend
from kafkatui.cli.context import backend_command, console
from kafkatui.cli.output import print_json
from kafkatui.common.admin import TransactionDescription

app = typer.Typer(
    help="Transactions: list them, or describe them by transactional.id (as Kafka's own tool does).",
    no_args_is_help=True,
)


@app.command("list")
def list_transactions(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every transactional id: its coordinator, producer id and state (ListTransactions)."""

    @backend_command("kafkatui transactions list")
    async def body(backend: Backend) -> None:
        listed = await backend.list_transactions()
        if json_out:
            print_json(
                [
                    {"transactional_id": t.transactional_id, "coordinator": t.coordinator,
                     "producer_id": t.producer_id, "state": t.state}
                    for t in listed
                ]
            )  # fmt: skip
            return
        table = Table("TransactionalId", "Coordinator", "ProducerId", "TransactionState", box=None)
        for t in listed:
            table.add_row(t.transactional_id, str(t.coordinator), str(t.producer_id), t.state)
        console.print(table)

    body(ctx)


@app.command("describe")
def describe_transactions(
    ctx: typer.Context,
    transactional_ids: Annotated[list[str], typer.Argument(help="The transactional.id(s) to describe.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Each id's producer id and epoch, state, timeout, when its transaction started and
    the partitions it has written to (DescribeTransactions at its coordinator)."""

    @backend_command("kafkatui transactions describe")
    async def body(backend: Backend) -> None:
        described = await backend.describe_transactions(transactional_ids)
        now = backend.clock.now_ms()
        if json_out:
            print_json([_json(d, now) for d in described])
            return
        table = Table(
            "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
            "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs",
            "TopicPartitions", box=None,
        )  # fmt: skip
        for d in described:
            started = d.start_ms >= 0
            table.add_row(
                str(d.coordinator), d.transactional_id, str(d.producer_id), str(d.producer_epoch), d.state,
                str(d.timeout_ms), str(d.start_ms) if started else "None",
                str(_duration(d, now)) if started else "None",
                ",".join(f"{t}-{p}" for t, p in d.partitions),
            )  # fmt: skip
        console.print(table)

    body(ctx)


def _duration(d: TransactionDescription, now: int) -> int:
    # Kafka's tool: now minus the transaction's start, on the caller's clock.
    return max(0, now - d.start_ms)


def _json(d: TransactionDescription, now: int) -> dict[str, object]:
    started = d.start_ms >= 0
    return {
        "coordinator_id": d.coordinator, "transactional_id": d.transactional_id,
        "producer_id": d.producer_id, "producer_epoch": d.producer_epoch, "state": d.state,
        "timeout_ms": d.timeout_ms, "start_ms": d.start_ms if started else None,
        "duration_ms": _duration(d, now) if started else None,
        "partitions": [{"topic": t, "partition": p} for t, p in d.partitions],
    }  # fmt: skip
