"""`kafkatui user add|list|delete`: the SASL users of the cluster, as `kafka-configs.sh
--alter --add-config 'SCRAM-SHA-512=[password=...]' --entity-type users` manages them in
Kafka: salted, hashed SCRAM credentials only, never the password.

They are UserScramCredentialRecords in the cluster's metadata log (KIP-554), changed
with Describe/AlterUserScramCredentials: on the data dir's cluster itself, or over the
wire when a `kafkatui serve` owns it (the PLAINTEXT listener its lock file names), so a
user added while it runs can log in at once. PLAIN logins are checked against the
user's SCRAM-SHA-512 credential.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kafkatui.cli.context import backend_command, console, fail
from kafkatui.cli.output import print_json

if TYPE_CHECKING:
    from kafkatui.backends.base import Backend

app = typer.Typer(help="SASL users (SCRAM credentials): add, list, delete.", no_args_is_help=True)

SCRAM_SHA_512 = "SCRAM-SHA-512"
MIN_ITERATIONS = 4096  # Kafka's ScramMechanism.minIterations
MAX_ITERATIONS = 16384  # its ScramFormatter's limit for AlterUserScramCredentials


class Mechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


def _check_name(name: str) -> None:
    if not name or "," in name or "=" in name:
        # RFC 5802 would escape them as =2C / =3D; a name like that is a mistake far more
        # often than a wish.
        raise fail("UNACCEPTABLE_CREDENTIAL", f"user name {name!r} must be non-empty without ',' or '='")


async def _raise_first(outcomes: dict[str, object]) -> None:
    from kafkatui.common.errors import KafkaError

    for error in outcomes.values():
        if isinstance(error, KafkaError):
            raise fail(error.name, error.message)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (its principal is User:<name>).")],
    password: Annotated[
        str,
        typer.Option("--password", prompt=True, hide_input=True, help="The password (asked if not given)."),
    ],
    mechanisms: Annotated[
        list[Mechanism] | None,
        typer.Option(
            "--mechanism",
            help="SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (checked with SCRAM-SHA-512's credential); "
            "repeat for several; default: all.",
        ),
    ] = None,
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations",
            help="SCRAM iterations (Kafka's range 4096-16384).",
            min=MIN_ITERATIONS,
            max=MAX_ITERATIONS,
        ),
    ] = MIN_ITERATIONS,
) -> None:
    """Add a user, or set its password: `kafkatui user add alice --password s3cret`."""
    from kafkatui.common.scram import UserScramUpsertion

    _check_name(name)
    chosen = tuple(m.value for m in (mechanisms or list(Mechanism)))
    scram = sorted({SCRAM_SHA_512 if m == Mechanism.PLAIN else m for m in chosen})
    upsertions = [UserScramUpsertion(name, m, iterations, password) for m in scram]

    @backend_command("kafkatui user add")
    async def body(backend: Backend) -> None:
        await _raise_first(await backend.alter_user_scram_credentials(upsertions))
        console.print(f"user {name}: credentials for {', '.join(sorted(chosen))}")

    body(ctx)


@app.command("list")
def list_users(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every user, the SCRAM mechanisms it has credentials for and their iterations."""

    @backend_command("kafkatui user list")
    async def body(backend: Backend) -> None:
        users = await backend.describe_user_scram_credentials()
        if json_out:
            print_json([{"user": u, "mechanisms": sorted(m), "iterations": m} for u, m in users.items()])
            return
        table = Table("User", "Mechanisms", "Iterations", box=None)
        for user, mechanisms in users.items():
            shown = [*mechanisms, *(["PLAIN"] if SCRAM_SHA_512 in mechanisms else [])]
            table.add_row(user, ", ".join(shown), ", ".join(str(i) for i in mechanisms.values()))
        console.print(table)

    body(ctx)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to delete.")],
) -> None:
    """Delete a user's credentials (open connections stay authenticated, as in Kafka)."""
    from kafkatui.common.scram import UserScramDeletion

    @backend_command("kafkatui user delete")
    async def body(backend: Backend) -> None:
        users = await backend.describe_user_scram_credentials()
        if name not in users:
            raise fail("RESOURCE_NOT_FOUND", f"user {name} has no SCRAM credentials")
        deletions = [UserScramDeletion(name, m) for m in users[name]]
        await _raise_first(await backend.alter_user_scram_credentials([], deletions))
        console.print(f"user {name}: deleted")

    body(ctx)
