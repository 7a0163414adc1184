"""`kafkatui certs create`: the certificates an SSL or SASL_SSL listener needs, made
locally (a CA, a broker certificate for 127.0.0.1 and localhost, a client certificate for
mutual TLS), and how each client connects with them.

By default they go in the data dir's `certs/`, where `kafkatui serve --security ssl`
looks for them; `--dir` puts them elsewhere (then give `serve` the same `--ssl-dir`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kafkatui.cli.context import console, fail, options

app = typer.Typer(
    help="Certificates for TLS listeners: a local CA, broker and client certificates.",
    no_args_is_help=True,
)

CERTS_DIR = "certs"


def default_certs_dir(ctx: typer.Context) -> Path | None:
    """The data dir's `certs/` (None for --memory: nowhere to keep them)."""
    data_dir = options(ctx).resolved_data_dir()
    return None if data_dir is None else data_dir / CERTS_DIR


@app.command("create")
def create(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to write the PEM files (default: the data dir's certs/)."),
    ] = None,
    client_cn: Annotated[
        str,
        typer.Option(
            "--client-cn",
            help="The client certificate's common name: its principal is User:CN=<this>,O=kafkatui.",
        ),
    ] = "client",
    bootstrap: Annotated[
        str,
        typer.Option("--client-bootstrap", help="The bootstrap servers to show in the client settings."),
    ] = "127.0.0.1:9092",
) -> None:
    """Make a CA, a broker certificate (SAN 127.0.0.1, localhost) and a client
    certificate, and print each client's SSL settings. Existing files are replaced.

        kafkatui certs create
        kafkatui serve --security ssl --ssl-client-auth required
    """
    from kafkatui.wire.security import certs

    where = directory or default_certs_dir(ctx)
    if where is None:
        raise typer.BadParameter("--memory has no data dir to keep certificates in", param_hint="--dir")
    try:
        made = certs.create(where.expanduser(), client_cn=client_cn)
    except OSError as error:
        raise fail("INVALID_CONFIG", f"cannot write certificates in {where}: {error.strerror}") from None
    console.print(f"CA certificate:     {made.ca}")
    console.print(f"broker certificate: {made.broker_cert} (key {made.broker_key})")
    console.print(f"client certificate: {made.client_cert} (key {made.client_key})")
    for client, text in certs.client_settings(made, bootstrap).items():
        console.print(f"\n[bold]{client}[/]")
        console.print(text, markup=False, highlight=False, soft_wrap=True)
