"""The `kafkatui` command: global options and the workbench. The commands themselves
are listed in `kafkatui.cli.root`, which imports each one when it is used."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kafkatui import __version__
from kafkatui.cli.root import RootGroup

if TYPE_CHECKING:
    from kafkatui.cli.context import ClusterOptions

app = typer.Typer(
    name="kafkatui",
    help=(
        "A terminal workbench for Apache Kafka with a real little Kafka cluster inside.\n\n"
        "Each broker keeps its partitions in its own SQLite database under the data dir, "
        "so what you produce is still there next time."
    ),
    cls=RootGroup,
    # Click's plain help: Typer 0.29's Rich help shows every flag as taking a value
    # (`--memory <bool>`) and keeps a docstring's line breaks (its "rich" markup mode);
    # plain help shows flags as flags and reflows paragraphs to the terminal's width.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kafkatui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            "-d",
            envvar="KAFKATUI_DATA_DIR",
            help="Where the cluster's databases live (default: your user data dir, per --cluster).",
        ),
    ] = None,
    memory: Annotated[
        bool, typer.Option("--memory", help="A throwaway in-memory cluster; nothing is saved.")
    ] = False,
    brokers: Annotated[
        int | None,
        typer.Option(
            "--brokers",
            help="Number of brokers for a new cluster (default 3); may add brokers to an existing one.",
        ),
    ] = None,
    cluster_name: Annotated[
        str, typer.Option("--cluster", help="Name of the cluster under the default data dir.")
    ] = "default",
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed the cluster's random choices (placement, sticky partitions) for repeatable runs.",
        ),
    ] = None,
    bootstrap_server: Annotated[
        str | None,
        typer.Option(
            "--bootstrap-server",
            envvar="KAFKATUI_BOOTSTRAP_SERVER",
            metavar="HOST:PORT",
            help="Work against this Kafka (any: Apache Kafka, a `kafkatui serve`…) over the wire "
            "instead of the data dir's own cluster. Faults, the log cleaner and lessons need "
            "kafkatui's own cluster and are unavailable.",
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            help="Workbench theme: kafkatui-dark, kafkatui-light, kafkatui-high-contrast, or your own.",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="Workbench language: en or pt (default: from your locale)."),
    ] = None,
    listen: Annotated[
        bool,
        typer.Option(
            "--listen/--no-listen",
            help="Workbench: also serve the cluster to real Kafka clients (kcat, client libraries) "
            "over the wire protocol, as `kafkatui serve` does.",
        ),
    ] = True,
    port_base: Annotated[
        int,
        typer.Option(
            "--port-base",
            help="Workbench: broker 1 listens here for Kafka clients, broker 2 on the next port, and "
            "so on; if they are taken, free ports are used (the workbench says which).",
            min=0,
            max=65535,
        ),
    ] = 9092,
    registry_port: Annotated[
        int,
        typer.Option(
            "--schema-registry-port",
            help="Workbench: the Schema Registry's port (Confluent's REST API); if it is taken, a "
            "free one is used (the workbench says which).",
            min=0,
            max=65535,
        ),
    ] = 8081,
    schema_registry: Annotated[
        bool,
        typer.Option(
            "--schema-registry/--no-schema-registry",
            help="Workbench: run the Schema Registry beside the brokers (with --listen).",
        ),
    ] = True,
    rest_port: Annotated[
        int,
        typer.Option(
            "--rest-port",
            help="Workbench: the REST Proxy's port (Confluent's v2 API); if it is taken, a free one "
            "is used (the workbench says which).",
            min=0,
            max=65535,
        ),
    ] = 8082,
    rest_proxy: Annotated[
        bool,
        typer.Option(
            "--rest-proxy/--no-rest-proxy",
            help="Workbench: run the REST Proxy beside the brokers (with --listen).",
        ),
    ] = True,
    connect_port: Annotated[
        int,
        typer.Option(
            "--connect-port",
            help="Workbench: Kafka Connect's REST API port; if it is taken, a free one is used "
            "(the workbench says which).",
            min=0,
            max=65535,
        ),
    ] = 8083,
    connect: Annotated[
        bool,
        typer.Option(
            "--connect/--no-connect",
            help="Workbench: run a Kafka Connect worker beside the brokers (with --listen).",
        ),
    ] = True,
    ksql_port: Annotated[
        int,
        typer.Option(
            "--ksql-port",
            help="Workbench: ksqlDB's REST API port; if it is taken, a free one is used "
            "(the workbench says which).",
            min=0,
            max=65535,
        ),
    ] = 8088,
    ksql: Annotated[
        bool,
        typer.Option(
            "--ksql/--no-ksql",
            help="Workbench: run a ksqlDB server beside the brokers (with --listen).",
        ),
    ] = True,
    connect_url: Annotated[
        str | None,
        typer.Option(
            "--connect-url",
            envvar="KAFKATUI_CONNECT_URL",
            metavar="URL",
            help="A Kafka Connect cluster's REST API (any Apache Kafka Connect) for the Connect panel "
            "and `kafkatui connect`: over --bootstrap-server, or instead of the workbench's own worker. "
            "Attached to a `kafkatui serve`, its worker is found without it.",
        ),
    ] = None,
    ksql_url: Annotated[
        str | None,
        typer.Option(
            "--ksql-url",
            envvar="KAFKATUI_KSQL_URL",
            metavar="URL",
            help="A ksqlDB server's REST API for the ksqlDB panel: over --bootstrap-server, or instead "
            "of the workbench's own. Attached to a `kafkatui serve`, its ksqlDB is found without it.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Without a command, open the workbench (the Textual app) on the cluster."""
    from kafkatui.cli.context import ClusterOptions

    ctx.obj = ClusterOptions(data_dir, memory, brokers, cluster_name, seed, bootstrap_server, connect_url)
    if ctx.invoked_subcommand is None:
        if language is not None and language not in ("en", "pt"):
            raise typer.BadParameter("must be en or pt", param_hint="--language")
        run_workbench(
            ctx.obj,
            theme=theme,
            language=language,
            port_base=port_base if listen else None,
            registry_port=registry_port if listen and schema_registry else None,
            rest_port=rest_port if listen and rest_proxy else None,
            # A Connect cluster of the user's own takes the built-in worker's place.
            connect_port=connect_port if listen and connect and connect_url is None else None,
            # Likewise a ksqlDB server of the user's own.
            ksql_port=ksql_port if listen and ksql and ksql_url is None else None,
            ksql_url=ksql_url,
        )


def where(ctx: typer.Context) -> None:
    """Print the data dir this command line would use."""
    from kafkatui.cli.context import default_data_dir

    opts: ClusterOptions = ctx.find_root().obj
    path = opts.resolved_data_dir()
    typer.echo("(in memory)" if path is None else str(path or default_data_dir(opts.cluster_name)))


def run_workbench(
    opts: ClusterOptions,
    *,
    theme: str | None,
    language: str | None,
    port_base: int | None = None,
    registry_port: int | None = None,
    rest_port: int | None = None,
    connect_port: int | None = None,
    ksql_port: int | None = None,
    ksql_url: str | None = None,
) -> None:
    """Open the Textual workbench; it owns the cluster (and its data dir) while it runs,
    and serves it over the wire protocol unless `port_base` is None (and the Schema
    Registry on `registry_port`, the REST Proxy on `rest_port`, unless None). With
    --bootstrap-server, or when another kafkatui process owns the data dir and serves it,
    it works over the wire instead (RemoteBackend, re-read every second)."""
    from kafkatui.backends.base import Backend
    from kafkatui.backends.embedded import EmbeddedBackend
    from kafkatui.backends.remote import RemoteBackend
    from kafkatui.cli.context import open_backend
    from kafkatui.serve.host import serve_backend
    from kafkatui.tui.app import KafkaTuiApp

    async def open_workbench_backend() -> Backend:
        backend = await open_backend(opts, "kafkatui (workbench)", announce=False)
        if isinstance(backend, RemoteBackend):
            backend.watch()
            return backend
        if port_base is not None and isinstance(backend, EmbeddedBackend):
            try:
                await serve_backend(
                    backend,
                    port_base,
                    registry_port=registry_port,
                    rest_port=rest_port,
                    connect_port=connect_port,
                    ksql_port=ksql_port,
                )
            except BaseException:
                await backend.close()
                raise
        return backend

    app = KafkaTuiApp(open_workbench_backend, theme=theme, language=language, ksql_url=ksql_url)
    app.run()
    if app.return_code:
        raise typer.Exit(app.return_code)


def run() -> None:
    """Console-script entry point. Every command's output that meets a closed pipe
    (`| head`) ends it quietly with status 141 (see `kafkatui.cli.pipe`)."""
    from kafkatui.cli.pipe import EXIT_BROKEN_PIPE, closed_output

    try:
        app()
    except BrokenPipeError:  # Typer turns EPIPE into exit 1 itself; this is the rest
        closed_output.close()
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except SystemExit:
        if closed_output.closed:
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise
    if closed_output.closed:
        raise SystemExit(EXIT_BROKEN_PIPE)
