"""`kafkatui user add|list|delete`: the SASL users of the cluster in the data dir, as
`kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]' --entity-type
users` manages them in Kafka: salted, hashed SCRAM credentials only, never the password.

They live in the data dir's `scram-credentials.json`, read on each authentication, so a
user added while `kafkatui serve` runs can log in at once. PLAIN logins are checked
against the user's SCRAM-SHA-512 credential.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kafkatui.cli.context import console, fail, options
from kafkatui.cli.output import print_json

if TYPE_CHECKING:
    from kafkatui.wire.security.credentials import CredentialStore

app = typer.Typer(help="SASL users (SCRAM credentials): add, list, delete.", no_args_is_help=True)


class Mechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


def _store(ctx: typer.Context) -> CredentialStore:
    from kafkatui.wire.security.credentials import CredentialStore

    data_dir = options(ctx).resolved_data_dir()
    if data_dir is None:
        raise typer.BadParameter("--memory has no data dir to keep users in", param_hint="--data-dir")
    return CredentialStore.in_data_dir(data_dir)


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
        int, typer.Option("--iterations", help="SCRAM iterations (Kafka's minimum 4096).", min=4096)
    ] = 4096,
) -> None:
    """Add a user, or set its password: `kafkatui user add alice --password s3cret`."""
    chosen = tuple(m.value for m in (mechanisms or list(Mechanism)))
    try:
        _store(ctx).add(name, password, chosen, iterations)
    except ValueError as error:
        raise fail("INVALID_REQUEST", str(error)) from None
    except OSError as error:
        raise fail("INVALID_CONFIG", f"cannot write the users file: {error.strerror}") from None
    console.print(f"user {name}: credentials for {', '.join(sorted(chosen))}")


@app.command("list")
def list_users(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every user and the SCRAM mechanisms it has credentials for."""
    users = _store(ctx).users()
    if json_out:
        print_json([{"user": u, "mechanisms": m} for u, m in users.items()])
        return
    table = Table("User", "Mechanisms", box=None)
    for user, mechanisms in users.items():
        shown = [*mechanisms, *(["PLAIN"] if "SCRAM-SHA-512" in mechanisms else [])]
        table.add_row(user, ", ".join(shown))
    console.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to delete.")],
) -> None:
    """Delete a user's credentials (open connections stay authenticated, as in Kafka)."""
    if not _store(ctx).delete(name):
        raise fail("RESOURCE_NOT_FOUND", f"user {name} has no SCRAM credentials")
    console.print(f"user {name}: deleted")
