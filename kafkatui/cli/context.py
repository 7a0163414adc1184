"""What every command shares: which cluster to open, and how errors leave the process.

Every command that works on a cluster is a `backend_command`: it gets a `Backend`, the
data dir's engine (`EmbeddedBackend`) or, with `--bootstrap-server` or when another
kafkatui process owns the data dir and serves it, any Kafka over the wire
(`RemoteBackend`). What only kafkatui's own cluster can do (faults, the cleaner) it asks
of `Backend.engine_controls`, which over the wire stops at FEATURE_UNAVAILABLE with the
reason. The demos and `serve` run an engine of their own (`ClusterOptions.open`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs
import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from kafkatui.cli.pipe import EXIT_BROKEN_PIPE, closed_output
from kafkatui.common.data_dir import DataDirLockedError, DataDirOwner, Service
from kafkatui.common.errors import ErrorCode, KafkaError

# The engine, the backends and confluent-kafka load when a command runs, not when the
# command line is parsed (tests/cli/test_startup_imports.py).
if TYPE_CHECKING:
    import asyncio

    from kafkatui.backends.base import Backend, FeatureUnavailable
    from kafkatui.backends.embedded import EmbeddedBackend
    from kafkatui.backends.remote import RemoteBackend

T = TypeVar("T")

DATA_DIR_ENV = "KAFKATUI_DATA_DIR"
# Wide enough for any table kafkatui prints; narrow enough that nothing which fills the
# width (none does on stdout today) writes megabytes of spaces.
PIPE_WIDTH = 10_000


class _Console(Console):
    """Rich's Console, but a closed pipe stops the command (`pipe.closed_output`) instead
    of raising SystemExit wherever the write happened (in a lesson, that is inside the
    engine's event listeners, and the command would wait forever for the task it killed)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if closed_output.closed:
            closed_output.stop_here()
            return
        super().print(*objects, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        closed_output.close(self.file)
        closed_output.stop_here()


class _StdoutConsole(_Console):
    """And off a terminal (`| cat`, a file) as wide as what it prints: Rich would fit a
    table into 80 columns and cut its headers to `Part…`."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)


console = _StdoutConsole(highlight=False, soft_wrap=True)
err_console = _Console(stderr=True, highlight=False, soft_wrap=True)


def default_data_dir(cluster_name: str) -> Path:
    """`$KAFKATUI_DATA_DIR`, else the user's data dir: .../kafkatui/clusters/<name>."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_data_path("kafkatui") / "clusters" / cluster_name


@dataclass
class ClusterOptions:
    """The global options: where the cluster lives and how big it is."""

    data_dir: Path | None = None
    memory: bool = False
    brokers: int | None = None
    cluster_name: str = "default"
    seed: int | None = None
    bootstrap_server: str | None = None  # any Kafka, over the wire, instead of the data dir
    connect_url: str | None = None  # a Connect cluster's REST API (--connect-url), over any of them

    def resolved_data_dir(self) -> Path | None:
        if self.memory:
            return None
        return self.data_dir or default_data_dir(self.cluster_name)

    async def open(
        self, command: str, broker_configs: Mapping[str, str | int | bool] | None = None
    ) -> EmbeddedBackend:
        """The data dir's own cluster (`EmbeddedBackend.open`), locked by `command`;
        `broker_configs` by Kafka's server.properties names."""
        from kafkatui.backends.embedded import EmbeddedBackend

        if self.bootstrap_server is not None:
            raise engine_only(command, self.bootstrap_server)
        return await EmbeddedBackend.open(
            self.resolved_data_dir(),
            brokers=self.brokers,
            seed=self.seed,
            broker_configs=broker_configs,
            command=command,
        )


def engine_only(command: str, bootstrap: str) -> FeatureUnavailable:
    from kafkatui.backends.base import FeatureUnavailable

    return FeatureUnavailable(
        f"{command} needs kafkatui's own cluster (not available when attached to {bootstrap})"
    )


def owner_of(opts: ClusterOptions) -> DataDirOwner | None:
    """The live owner of the data dir and what it serves, as its lock file records it
    (`backends/data_dir.py`), or None: no owner, an in-memory cluster, or
    --bootstrap-server. The CLI's one reader of it."""
    from kafkatui.backends.data_dir import data_dir_owner

    if opts.bootstrap_server is not None:
        return None
    data_dir = opts.resolved_data_dir()
    return None if data_dir is None else data_dir_owner(data_dir)


def owner_url(opts: ClusterOptions, service: Service) -> str | None:
    """Where the data dir's live owner serves `service` ("connect", "ksql" …)."""
    owner = owner_of(opts)
    return None if owner is None else owner.url(service)


async def open_data_dir(opts: ClusterOptions, command: str) -> EmbeddedBackend | DataDirOwner:
    """The data dir's own engine, or, when another kafkatui process owns the data dir,
    that owner and what it serves, as its lock file records it."""
    try:
        return await opts.open(command)
    except DataDirLockedError as error:
        return DataDirOwner.of(error)


async def open_backend(opts: ClusterOptions, command: str, *, announce: bool = True) -> Backend:
    """The cluster a client-side command talks to: `--bootstrap-server`; else the data
    dir's own engine; else, when a live kafkatui process owns the data dir and serves it
    over the wire, that process (said on stderr). An owner without listeners
    (`--no-listen`) is still DATA_DIR_LOCKED. The attach notice goes to stderr if
    `announce`, and always to the backend's `notices` (the workbench shows those).
    `--connect-url` names the Connect cluster over any of them (over the owner's)."""
    if opts.bootstrap_server is not None:
        remote = await _remote(opts.bootstrap_server)
        remote.connect = opts.connect_url
        return remote
    opened = await open_data_dir(opts, command)
    if isinstance(opened, DataDirOwner):
        attached = await _attach(opened, announce=announce)
        attached.connect = opts.connect_url or attached.connect
        return attached
    for notice in opened.notices:  # a broker database offline or replaced at start-up
        err_console.print(f"warning: {notice}", markup=False, highlight=False)
    opened.connect = opts.connect_url
    return opened


async def _attach(owner: DataDirOwner, *, announce: bool = True) -> RemoteBackend:
    """A Kafka client of the data dir's owner, at its listeners (DATA_DIR_LOCKED if it
    serves none)."""
    if owner.listeners is None:
        raise owner.locked
    notice = f"attached to {owner.name} at {owner.listeners} (it owns {owner.data_dir})"
    if announce:
        err_console.print(notice, markup=False, highlight=False)
    backend = await _remote(owner.listeners, attached_to=owner.name)
    backend.notices.append(notice)
    backend.schema_registry = owner.schema_registry
    backend.rest_proxy = owner.rest_proxy
    backend.connect = owner.connect
    backend.ksql = owner.ksql
    return backend


async def _remote(bootstrap: str, attached_to: str | None = None) -> RemoteBackend:
    # Imported here: the engine's commands never load librdkafka.
    from kafkatui.backends.remote import RemoteBackend

    return await RemoteBackend.connect(bootstrap, attached_to=attached_to)


def options(ctx: typer.Context) -> ClusterOptions:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, ClusterOptions) else ClusterOptions()


def fail(name: str, message: str, code: int = 1) -> typer.Exit:
    """Print `error: NAME: message` on stderr; return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {name}: {escape(message)}", markup=True)
    return typer.Exit(code)


@contextlib.contextmanager
def kafka_errors() -> Iterator[None]:
    """Turn a KafkaError raised while checking arguments into the one-line error."""
    try:
        yield
    except KafkaError as error:
        raise fail(error.name, error.message) from None


def partitions_of(backend: Backend, topic: str, partition: int | None = None) -> list[int]:
    """The topic's partitions, or only `partition` when one is named:
    UNKNOWN_TOPIC_OR_PARTITION when the topic has no such partition (nor the topic)."""
    count = len(backend.describe_topic(topic).partitions)
    if partition is not None and not 0 <= partition < count:
        raise KafkaError(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            f"topic '{topic}' has no partition {partition} (it has {count}: 0..{count - 1})",
        )
    return list(range(count)) if partition is None else [partition]


@contextlib.contextmanager
def stop_signal() -> Iterator[asyncio.Event]:
    """An event that SIGINT or SIGTERM sets while the block runs: how a command that
    serves until stopped (Ctrl-C, or `kill`) ends cleanly, closing what it opened. The
    handlers are removed when the block ends."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; any error leaves as one line and an exit code, and a
    closed stdout ends it quietly with 141 (`pipe.closed_output`)."""
    import asyncio

    try:
        return asyncio.run(_as_command(main))
    except BrokenPipeError:
        closed_output.close()  # a plain print() may have met the closed pipe first
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as error:
        # Typer/Click's own exits and usage errors carry an exit_code: let them through.
        if hasattr(error, "exit_code"):
            raise
        name, message = error_line(error)
        # KAFKATUI_DEBUG=1 shows the traceback of anything that is not a Kafka error.
        if os.environ.get("KAFKATUI_DEBUG") and not isinstance(error, KafkaError):
            raise
        raise fail(name, message) from None


async def _as_command(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`main()` as the task a closed stdout stops (see `ClosedOutput.stop_here`)."""
    import asyncio

    closed_output.command = asyncio.current_task()
    try:
        return await main()
    finally:
        closed_output.command = None


# What the OS says when a disk or a directory cannot be used (the CLI's own files are
# the data dir's: it reads no other).
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def error_line(error: Exception) -> tuple[str, str]:
    """`(NAME, message)` for `error: NAME: message`. A storage failure is Kafka's
    KAFKA_STORAGE_ERROR (what a broker answers when a log dir fails); INTERNAL_ERROR, and
    the request to report it, is only for what can only be a kafkatui bug."""
    if isinstance(error, KafkaError):
        return error.name, error.message
    if isinstance(error, DataDirLockedError):
        return error.name, str(error)
    # SQLite's own failures (disk full, read-only, damaged file); not its IntegrityError
    # or ProgrammingError, which are bugs.
    if type(error) in (sqlite3.DatabaseError, sqlite3.OperationalError):
        return ErrorCode.KAFKA_STORAGE_ERROR.name, f"the data dir's databases failed: {error}"
    if isinstance(error, OSError) and error.errno in _STORAGE_ERRNOS:
        where = f": {error.filename}" if error.filename else ""
        return ErrorCode.KAFKA_STORAGE_ERROR.name, f"{error.strerror}{where}"
    return (
        "INTERNAL_ERROR",
        f"{type(error).__name__}: {error} (a kafkatui bug: rerun with KAFKATUI_DEBUG=1 "
        "for the traceback and report it)",
    )


async def with_backend(ctx: typer.Context, command: str, body: Callable[[Backend], Awaitable[T]]) -> T:
    """Open the backend, run `body`, close it (even on error)."""
    backend = await open_backend(options(ctx), command)
    stop_warning = backend.bus.listen(_warn_of_log_dir_failure)
    try:
        return await body(backend)
    finally:
        stop_warning()
        await backend.close()


def _warn_of_log_dir_failure(event: object) -> None:
    """A broker database failing while the command runs is said as it happens (KIP-112:
    the cluster goes on without it), naming the file, the broker and what to do."""
    from kafkatui.backends.embedded import log_dir_notice
    from kafkatui.common.events import LogDirFailed

    if isinstance(event, LogDirFailed):
        err_console.print(f"warning: {log_dir_notice(event)}", markup=False, highlight=False)


def backend_command(command: str) -> Callable[..., Any]:
    """Decorator for `async def body(backend, ...)` helpers run under `with_backend`:
    commands a Kafka client can do, so they work over the wire too."""

    def decorate(body: Callable[..., Awaitable[T]]) -> Callable[..., T]:
        @functools.wraps(body)
        def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> T:
            return run_async(lambda: with_backend(ctx, command, lambda b: body(b, *args, **kwargs)))

        return wrapper

    return decorate


def stdin_is_interactive() -> bool:
    return sys.stdin is None or sys.stdin.isatty()
