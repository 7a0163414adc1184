"""What every command shares: which cluster to open, and how errors leave the process.

Two kinds of command. Those a Kafka client can do (topics, produce, consume, groups'
lag) are `backend_command`s: they get a `Backend`, the data dir's engine
(`EmbeddedBackend`) or, with `--bootstrap-server` or when another kafkatui process owns
the data dir and serves it, any Kafka over the wire (`RemoteBackend`). The rest need the
engine itself (faults, the cleaner, lessons) and are `cluster_command`s; with
`--bootstrap-server` they stop at FEATURE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs
import typer
from rich.console import Console

from kafkatui.backends.base import Backend, FeatureUnavailable
from kafkatui.cli.pipe import EXIT_BROKEN_PIPE, closed_output
from kafkatui.common.errors import KafkaError
from kafkatui.engine.cluster import Cluster, DataDirLockedError
from kafkatui.engine.server.config import BrokerDefaults

if TYPE_CHECKING:
    from kafkatui.backends.remote import RemoteBackend

T = TypeVar("T")

DATA_DIR_ENV = "KAFKATUI_DATA_DIR"


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


console = _Console(highlight=False, soft_wrap=True)
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

    def resolved_data_dir(self) -> Path | None:
        if self.memory:
            return None
        return self.data_dir or default_data_dir(self.cluster_name)

    async def open(self, command: str, defaults: BrokerDefaults | None = None) -> Cluster:
        if self.bootstrap_server is not None:
            raise engine_only(command, self.bootstrap_server)
        return await Cluster.open(
            self.resolved_data_dir(), brokers=self.brokers, seed=self.seed, command=command, defaults=defaults
        )


def engine_only(command: str, bootstrap: str) -> FeatureUnavailable:
    return FeatureUnavailable(
        f"{command} needs kafkatui's own cluster (not available when attached to {bootstrap})"
    )


async def open_backend(opts: ClusterOptions, command: str, *, announce: bool = True) -> Backend:
    """The cluster a client-side command talks to: `--bootstrap-server`; else the data
    dir's own engine; else, when a live kafkatui process owns the data dir and serves it
    over the wire, that process (said on stderr). An owner without listeners
    (`--no-listen`) is still DATA_DIR_LOCKED. The attach notice goes to stderr if
    `announce`, and always to the backend's `notices` (the workbench shows those)."""
    from kafkatui.backends.embedded import EmbeddedBackend

    if opts.bootstrap_server is not None:
        return await _remote(opts.bootstrap_server)
    try:
        return EmbeddedBackend(await opts.open(command))
    except DataDirLockedError as error:
        listeners = error.owner.get("listeners")
        if not listeners:
            raise
        owner = f"the kafkatui process {error.owner.get('pid', '?')}"
        notice = f"attached to {owner} at {listeners} (it owns {error.data_dir})"
        if announce:
            err_console.print(notice, markup=False, highlight=False)
        backend = await _remote(listeners, attached_to=owner)
        backend.notices.append(notice)
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
    err_console.print(f"[bold red]error:[/] {name}: {message}", markup=True)
    return typer.Exit(code)


@contextlib.contextmanager
def kafka_errors() -> Iterator[None]:
    """Turn a KafkaError raised while checking arguments into the one-line error."""
    try:
        yield
    except KafkaError as error:
        raise fail(error.name, error.message) from None


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine, turning Kafka errors into one line and an exit code;
    a closed stdout ends it quietly with 141 (`pipe.closed_output`)."""
    try:
        return asyncio.run(_as_command(main))
    except BrokenPipeError:
        closed_output.close()  # a plain print() may have met the closed pipe first
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KafkaError as error:
        raise fail(error.name, error.message) from None
    except DataDirLockedError as error:
        raise fail(error.name, str(error)) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as error:
        # Typer/Click's own exits and usage errors carry an exit_code: let them through.
        # Anything else is a bug: never a traceback for users, KAFKATUI_DEBUG=1 shows it.
        if hasattr(error, "exit_code") or os.environ.get("KAFKATUI_DEBUG"):
            raise
        raise fail(
            "INTERNAL_ERROR",
            f"{type(error).__name__}: {error} (a kafkatui bug: rerun with KAFKATUI_DEBUG=1 "
            "for the traceback and report it)",
        ) from None


async def _as_command(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`main()` as the task a closed stdout stops (see `ClosedOutput.stop_here`)."""
    closed_output.command = asyncio.current_task()
    try:
        return await main()
    finally:
        closed_output.command = None


async def with_cluster(ctx: typer.Context, command: str, body: Callable[[Cluster], Awaitable[T]]) -> T:
    """Open the cluster, run `body`, close the cluster (even on error)."""
    cluster = await options(ctx).open(command)
    try:
        return await body(cluster)
    finally:
        await cluster.close()


def cluster_command(command: str) -> Callable[..., Any]:
    """Decorator for `async def body(cluster, ...)` helpers run under `with_cluster`."""

    def decorate(body: Callable[..., Awaitable[T]]) -> Callable[..., T]:
        @functools.wraps(body)
        def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> T:
            return run_async(lambda: with_cluster(ctx, command, lambda c: body(c, *args, **kwargs)))

        return wrapper

    return decorate


async def with_backend(ctx: typer.Context, command: str, body: Callable[[Backend], Awaitable[T]]) -> T:
    """Open the backend, run `body`, close it (even on error)."""
    backend = await open_backend(options(ctx), command)
    try:
        return await body(backend)
    finally:
        await backend.close()


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
