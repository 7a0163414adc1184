"""`kafkatui connect ...`: a Kafka Connect cluster from the command line, over the Connect
REST API (Apache Kafka's paths and JSON), so it works the same on the worker `kafkatui
serve` and the workbench run (127.0.0.1:8083) and on any Apache Kafka Connect cluster
(`--connect-url`). A refusal is one line naming what Connect answered, e.g.
`error: NOT_FOUND: Connector x not found (HTTP 404)`."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kafkatui.cli.context import console, fail, options, owner_url
from kafkatui.cli.output import print_json

DEFAULT_URL = "http://127.0.0.1:8083"
URL_ENV = "KAFKATUI_CONNECT_URL"
TIMEOUT_S = 30.0
# Connect answers HTTP statuses; the CLI names them (the one-line error rule).
_NAMES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 409: "CONFLICT", 500: "CONNECT_ERROR"}

app = typer.Typer(
    help="Kafka Connect: create, list, pause, resume, restart, delete connectors; status, plugins, offsets.",
    no_args_is_help=True,
)


def find_url(ctx: typer.Context, given: str | None) -> str:
    """Where the Connect REST API is (the --connect-url option's callback, so every
    command gets the URL found): --connect-url (here or before the command, or
    $KAFKATUI_CONNECT_URL); else the worker of the kafkatui process that owns the data
    dir (`kafkatui serve`, the workbench), as its lock file records it; else 8083."""
    opts = options(ctx)
    url = given or opts.connect_url or os.environ.get(URL_ENV) or owner_url(opts, "connect")
    return str(url or DEFAULT_URL)


UrlOption = Annotated[
    str | None,
    typer.Option(
        "--connect-url",
        help=f"The Connect REST API (or ${URL_ENV}; by default the worker of the `kafkatui serve` or "
        f"workbench that owns the data dir, else {DEFAULT_URL}). Any Apache Kafka Connect cluster works too.",
        show_default=False,
        callback=find_url,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print Connect's JSON answer, for scripts.")]
NameArgument = Annotated[str, typer.Argument(help="The connector's name.")]


class Connect:
    def __init__(self, url: str | None) -> None:
        self.url = (url or DEFAULT_URL).rstrip("/")

    def call(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        """Connect's JSON answer (None for 202/204 without a body); a refusal or an
        unreachable worker is the one-line error."""
        target = self.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(target, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            raise _refused(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise fail(
                "CONNECT_UNAVAILABLE",
                f"cannot reach Kafka Connect at {self.url} ({reason}): start a worker with `kafkatui serve` "
                "(or the workbench), or give --connect-url",
            ) from None
        return json.loads(raw) if raw.strip() else None


def _refused(error: urllib.error.HTTPError) -> typer.Exit:
    try:
        body = json.loads(error.read())
        message = str(body.get("message", "")) if isinstance(body, dict) else str(body)
    except (ValueError, OSError):
        message = error.reason or ""
    one_line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    return fail(_NAMES.get(error.code, f"HTTP_{error.code}"), f"{one_line} (HTTP {error.code})")


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


@app.command("list")
def list_connectors(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """List the connectors with their type, state and tasks (GET /connectors?expand=status)."""
    answer = Connect(url).call("GET", "/connectors", expand="status")
    if as_json:
        print_json(answer)
        return
    if not answer:
        console.print("no connectors (create one with `kafkatui connect create FILE`)")
        return
    table = Table("connector", "type", "state", "tasks running", box=None)
    for name, entry in sorted(answer.items()):
        status = entry["status"]
        tasks = status.get("tasks", [])
        running = sum(1 for t in tasks if t["state"] == "RUNNING")
        table.add_row(name, status.get("type", ""), status["connector"]["state"], f"{running}/{len(tasks)}")
    console.print(table)


@app.command()
def plugins(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """The connector plugins the worker has (GET /connector-plugins)."""
    answer = Connect(url).call("GET", "/connector-plugins")
    if as_json:
        print_json(answer)
        return
    table = Table("class", "type", "version", box=None)
    for plugin in answer:
        table.add_row(plugin["class"], plugin["type"], plugin.get("version", ""))
    console.print(table)


def _read_config(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text() if str(path) != "-" else typer.get_text_stream("stdin").read()
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}", param_hint="FILE") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail("BAD_REQUEST", f"{path} is not JSON: {error}") from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        name, config = data.get("name") or data["config"].get("name"), data["config"]
    elif isinstance(data, dict):
        name, config = data.get("name"), data
    else:
        raise fail("BAD_REQUEST", f'{path} must hold {{"name": ..., "config": {{...}}}} or a flat config')
    if not isinstance(name, str) or not name:
        raise fail("BAD_REQUEST", f'{path} names no connector: give "name"')
    return name, config


@app.command()
def create(
    file: Annotated[
        Path,
        typer.Argument(
            help='A JSON file as POST /connectors takes it, {"name": "n", "config": {...}}, or the '
            "flat config with its name (- for stdin).",
        ),
    ],
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a connector (POST /connectors). Connect checks the config first and lists
    every problem; `kafkatui connect plugins` shows the classes. Example file:

        {"name": "lines", "config": {"connector.class": "FileStreamSource",
         "file": "/tmp/in.txt", "topic": "lines"}}
    """
    name, config = _read_config(file)
    answer = Connect(url).call("POST", "/connectors", {"name": name, "config": config})
    if as_json:
        print_json(answer)
        return
    console.print(f"created connector {answer['name']} ({answer['type']}, {len(answer['tasks'])} task(s))")


@app.command()
def status(name: NameArgument, url: UrlOption = None, as_json: JsonOption = False) -> None:
    """The connector's and its tasks' states, with the worker running each and a failed
    one's error (GET /connectors/NAME/status; --json for the whole trace)."""
    answer = Connect(url).call("GET", f"/connectors/{_quote(name)}/status")
    if as_json:
        print_json(answer)
        return
    connector = answer["connector"]
    console.print(
        f"connector {answer['name']} ({answer.get('type', '')}): {connector['state']} "
        f"on {connector['worker_id']}"
    )
    if connector.get("trace"):
        console.print(f"  error: {_last_line(connector['trace'])}")
    for task in answer["tasks"]:
        console.print(f"  task {task['id']}: {task['state']} on {task['worker_id']}")
        if task.get("trace"):
            console.print(f"    error: {_last_line(task['trace'])}")


def _last_line(trace: str) -> str:
    """A Python traceback's last line says what went wrong."""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _target(verb: str, past: str) -> Any:
    def command(name: NameArgument, url: UrlOption = None) -> None:
        Connect(url).call("PUT", f"/connectors/{_quote(name)}/{verb}")
        console.print(f"connector {name} {past}")

    return command


app.command("pause", help="Pause the connector and its tasks (PUT /connectors/NAME/pause).")(
    _target("pause", "paused")
)
app.command("resume", help="Resume a paused or stopped connector (PUT /connectors/NAME/resume).")(
    _target("resume", "resumed")
)
app.command("stop", help="Stop the connector: its tasks shut down (PUT /connectors/NAME/stop, KIP-875).")(
    _target("stop", "stopped")
)


@app.command()
def restart(
    name: NameArgument,
    task: Annotated[int | None, typer.Option("--task", help="Restart only this task.", min=0)] = None,
    include_tasks: Annotated[
        bool, typer.Option("--include-tasks", help="Restart the tasks too (includeTasks, KIP-745).")
    ] = False,
    only_failed: Annotated[
        bool, typer.Option("--only-failed", help="Restart only what is FAILED (onlyFailed).")
    ] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restart the connector (POST /connectors/NAME/restart), or one task with --task."""
    connect = Connect(url)
    if task is not None:
        connect.call("POST", f"/connectors/{_quote(name)}/tasks/{task}/restart")
        console.print(f"task {name}-{task} restarted")
        return
    query = {"includeTasks": str(include_tasks).lower(), "onlyFailed": str(only_failed).lower()}
    answer = connect.call("POST", f"/connectors/{_quote(name)}/restart", **query)
    if as_json:
        print_json(answer)
        return
    if answer is None:
        console.print(f"connector {name} restarted")
        return
    restarting = [f"task {t['id']}" for t in answer["tasks"] if t["state"] == "RESTARTING"]
    if answer["connector"]["state"] == "RESTARTING":
        restarting.insert(0, "the connector")
    console.print(f"connector {name}: restarting {', '.join(restarting) or 'nothing (none failed)'}")


@app.command()
def delete(name: NameArgument, url: UrlOption = None) -> None:
    """Delete the connector: its tasks stop (DELETE /connectors/NAME). Its offsets stay."""
    Connect(url).call("DELETE", f"/connectors/{_quote(name)}")
    console.print(f"connector {name} deleted")


@app.command()
def offsets(name: NameArgument, url: UrlOption = None, as_json: JsonOption = False) -> None:
    """The connector's committed offsets (GET /connectors/NAME/offsets, KIP-875): a source's
    from connect-offsets, a sink's its consumer group connect-NAME's."""
    answer = Connect(url).call("GET", f"/connectors/{_quote(name)}/offsets")
    if as_json:
        print_json(answer)
        return
    if not answer["offsets"]:
        console.print(f"connector {name} has committed no offsets yet")
        return
    table = Table("partition", "offset", box=None)
    for entry in answer["offsets"]:
        table.add_row(_compact(entry["partition"]), _compact(entry["offset"]))
    console.print(table)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@app.command()
def worker(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", help="The REST API's port (rest.port; 0: any free one).")
    ] = 8083,
    host: Annotated[
        str, typer.Option("--host", help="Where to listen; also rest.advertised.host.name.")
    ] = "127.0.0.1",
    group_id: Annotated[
        str, typer.Option("--group-id", help="The Connect cluster (group.id).")
    ] = "connect-cluster",
    config_topic: Annotated[str, typer.Option("--config-storage-topic")] = "connect-configs",
    offset_topic: Annotated[str, typer.Option("--offset-storage-topic")] = "connect-offsets",
    status_topic: Annotated[str, typer.Option("--status-storage-topic")] = "connect-status",
    session_timeout_ms: Annotated[int, typer.Option("--session-timeout-ms")] = 10_000,
    heartbeat_interval_ms: Annotated[int, typer.Option("--heartbeat-interval-ms")] = 3_000,
    scheduled_delay_ms: Annotated[
        int,
        typer.Option(
            "--scheduled-rebalance-max-delay-ms",
            help="How long a departed worker's connectors and tasks wait before they move (KIP-415).",
        ),
    ] = 300_000,
    exactly_once: Annotated[
        str,
        typer.Option(
            "--exactly-once-source-support",
            help="KIP-618: disabled, preparing (fencing records only) or enabled (source tasks "
            "write records and offsets in transactions).",
        ),
    ] = "disabled",
) -> None:
    """Run a distributed Connect worker on its own: it joins GROUP_ID on the cluster the
    global options name (--bootstrap-server, or kafkatui's own, attached to `kafkatui
    serve` when that owns the data dir) and shares its connectors and tasks with the
    group's other workers. Ctrl-C stops its tasks and leaves the group at once."""
    from kafkatui.cli.context import open_backend, options, run_async, stop_signal
    from kafkatui.ecosystem.connect.worker import WorkerConfig

    config = WorkerConfig(
        group_id=group_id,
        config_storage_topic=config_topic,
        offset_storage_topic=offset_topic,
        status_storage_topic=status_topic,
        distributed=True,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        scheduled_rebalance_max_delay_ms=scheduled_delay_ms,
        exactly_once_source_support=exactly_once,
    )
    if exactly_once not in ("disabled", "preparing", "enabled"):
        raise fail(
            "INVALID_CONFIG",
            f"Invalid value {exactly_once} for configuration exactly.once.source.support: "
            "String must be one of: disabled, preparing, enabled",
        )

    async def main() -> None:
        from kafkatui.ecosystem.connect.service import ConnectService
        from kafkatui.ecosystem.http import HttpListenError

        backend = await open_backend(options(ctx), "connect worker")
        try:
            service = ConnectService(backend, config, port_flag="--port")
            try:
                url = await service.start(port, host)
            except HttpListenError as error:
                raise fail(error.name, str(error)) from None
            try:
                with stop_signal() as stop:
                    console.print(f"kafka connect worker: [bold]{url}[/]", highlight=False)
                    console.print(
                        f"worker id: {service.worker.config.worker_id} · group.id: {group_id}",
                        highlight=False,
                    )
                    console.file.flush()
                    await stop.wait()
            finally:
                await service.close()
        finally:
            await backend.close()
        console.print("kafka connect worker: stopped, left the group")

    run_async(main)


@app.command()
def standalone(
    ctx: typer.Context,
    worker_properties: Annotated[
        Path,
        typer.Argument(
            metavar="WORKER_PROPERTIES",
            help="The worker's properties (offset.storage.file.filename, rest.port, ...).",
        ),
    ],
    connector_files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="CONNECTOR_FILE",
            help='Connector configs: Java properties, or JSON ({"name", "config"} or flat).',
        ),
    ] = None,
) -> None:
    """Run a standalone Connect worker, as connect-standalone.sh does: the connectors in
    the files, their configs and statuses in memory (no connect-configs or
    connect-status topic), source offsets in offset.storage.file.filename, so a source
    started again resumes where it stopped; the REST API on rest.port (8083). The
    cluster is bootstrap.servers if the worker file sets it, else the global options'.
    Ctrl-C stops the tasks (they commit their offsets)."""
    from dataclasses import replace

    from kafkatui.cli.context import open_backend, options, run_async, stop_signal
    from kafkatui.ecosystem.connect.standalone import StandaloneError, read_connector_file, read_worker_config
    from kafkatui.ecosystem.connect.worker import ConnectError, WorkerConfig

    try:
        settings = read_worker_config(worker_properties)
        connectors = [(path, *read_connector_file(path)) for path in connector_files or []]
    except StandaloneError as error:
        raise fail("INVALID_CONFIG", str(error)) from None
    seen: dict[str, Path] = {}
    for path, name, _ in connectors:
        if name in seen:
            raise fail("INVALID_CONFIG", f"{path}: connector {name} is also in {seen[name]}")
        seen[name] = path
    defaults = WorkerConfig()
    config = WorkerConfig(
        offset_storage_file=str(settings.offset_storage_file),
        offset_flush_interval_ms=settings.offset_flush_interval_ms,
        task_shutdown_graceful_timeout_ms=settings.task_shutdown_graceful_timeout_ms,
        key_converter=settings.key_converter or defaults.key_converter,
        value_converter=settings.value_converter or defaults.value_converter,
    )
    opts = options(ctx)
    if settings.bootstrap_servers and opts.bootstrap_server is None:
        opts = replace(opts, bootstrap_server=settings.bootstrap_servers)

    async def main() -> None:
        from kafkatui.ecosystem.connect.service import ConnectService
        from kafkatui.ecosystem.http import HttpListenError

        backend = await open_backend(opts, "connect standalone")
        try:
            service = ConnectService(backend, config, port_flag="rest.port")
            try:
                url = await service.start(settings.port, settings.host)
            except HttpListenError as error:
                raise fail(error.name, str(error)) from None
            except StandaloneError as error:
                raise fail("INVALID_CONFIG", str(error)) from None
            try:
                console.print(f"kafka connect standalone: [bold]{url}[/]", highlight=False)
                console.print(f"offsets: {settings.offset_storage_file}", highlight=False)
                for path, name, props in connectors:
                    try:
                        await service.worker.put_connector(name, props)
                    except ConnectError as error:
                        problems = "; ".join(line for line in error.message.splitlines()[1:-1] if line)
                        raise fail("INVALID_CONFIG", f"{path}: {problems or error.message}") from None
                    except Exception as error:  # an unknown plugin class, say
                        raise fail("INVALID_CONFIG", f"{path}: {error}") from None
                    console.print(f"connector {name} ({path.name}): created", highlight=False)
                console.file.flush()
                with stop_signal() as stop:
                    await stop.wait()
            finally:
                await service.close()
        finally:
            await backend.close()
        console.print("kafka connect standalone: stopped, offsets saved")

    run_async(main)
