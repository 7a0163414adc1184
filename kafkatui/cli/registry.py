"""Which Schema Registry a command talks to, and its refusals as one line.

`--schema-registry-url` (any Confluent-compatible one, or $KAFKATUI_SCHEMA_REGISTRY_URL);
else the one the kafkatui process that owns the data dir serves (`kafkatui serve`, the
workbench: its URL is in the lock file); else one started inside the command for as long
as it runs, over the cluster the command would otherwise open (the data dir's own, the
owner's listeners, `--bootstrap-server`). A registry keeps nothing but the `_schemas`
topic, so each of these is the same registry. The command speaks Confluent's REST API
to it, whichever it is. `produce` and `consume`, which have their cluster open already,
get theirs from `command_registry` (the same order, over that cluster).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from kafkatui.cli.context import ClusterOptions, err_console, fail, open_backend, options, run_async

# The registry's code (aiohttp, the schema types) and the backends load when a command
# needs them: `produce` and `consume` take --schema-registry-url from here.
if TYPE_CHECKING:
    from kafkatui.backends.base import Backend
    from kafkatui.ecosystem.registry.compatibility import Reason
    from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError

T = TypeVar("T")

URL_ENV = "KAFKATUI_SCHEMA_REGISTRY_URL"
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--schema-registry-url",
        envvar=URL_ENV,
        metavar="URL",
        help="A Confluent-compatible Schema Registry (default: the one of the kafkatui process that "
        "owns the data dir, else one run by this command over the cluster's _schemas topic).",
    ),
]


def _hints() -> dict[int, str]:
    """What to do about a refusal, when the command line has the answer."""
    from kafkatui.ecosystem.registry import errors

    return {
        errors.SUBJECT_NOT_SOFT_DELETED: "delete it without --permanent first",
        errors.SCHEMAVERSION_NOT_SOFT_DELETED: "delete it without --permanent first",
        errors.SUBJECT_SOFT_DELETED: "it is soft-deleted already: --permanent removes it for good",
        errors.SCHEMAVERSION_SOFT_DELETED: "it is soft-deleted already: --permanent removes it for good",
    }


@contextlib.asynccontextmanager
async def registry_url(opts: ClusterOptions, command: str) -> AsyncIterator[str]:
    """The URL of the data dir owner's registry, or of one run here until the block ends."""
    from kafkatui.cli.context import DataDirOwner, open_data_dir
    from kafkatui.ecosystem.registry.service import RegistryService

    backend: Backend | None = None
    if opts.bootstrap_server is None:
        opened = await open_data_dir(opts, command)
        if not isinstance(opened, DataDirOwner):
            backend = opened
        elif (served := opened.schema_registry) is not None:
            _say_attached(opened.name, served, opened.data_dir)
            yield served
            return
    if backend is None:  # the owner's listeners (said on stderr), or --bootstrap-server
        backend = await open_backend(opts, command)
    try:
        service = RegistryService(backend)
        url = await service.start(0)
        try:
            yield url
        finally:
            await service.close()
    finally:
        await backend.close()


def refused(error: RegistryClientError, hint: str | None = None) -> typer.Exit:
    """The registry's refusal as `error: NAME: message (error code N)`; an incompatible
    schema's as its reasons, not Confluent's list of `{errorType:…}` items. `hint`: what
    to do, when the command knows better than the error code."""
    from kafkatui.ecosystem.registry import errors
    from kafkatui.ecosystem.registry.compatibility import read_messages

    if error.status == 0:
        return fail("NETWORK_EXCEPTION", error.message)
    message = error.message.rstrip(". ")
    if error.error_code == errors.INCOMPATIBLE_SCHEMA:
        reasons, level = read_messages(message)
        subject = message.partition('for subject "')[2].partition('"')[0] or "the subject"
        if reasons:
            message = f"{subject} refuses the schema under {level or 'its compatibility level'}: " + (
                "; ".join(reason_text(r) for r in reasons)
            )
    hint = hint or _hints().get(error.error_code)
    return fail(
        errors.error_name(error.error_code),
        f"{message} ({hint}; error code {error.error_code})"
        if hint
        else f"{message} (error code {error.error_code})",
    )


def registry_command(
    ctx: typer.Context, url: str | None, command: str, body: Callable[[RegistryClient], Awaitable[T]]
) -> T:
    """Run `body` with a client of the registry this command line means; its refusals
    leave as one line and exit code 1."""
    from kafkatui.ecosystem.serde.client import RegistryClient

    opts = options(ctx)

    async def main() -> T:
        with registry_errors():
            async with contextlib.AsyncExitStack() as stack:
                where = (
                    url if url is not None else await stack.enter_async_context(registry_url(opts, command))
                )
                client = RegistryClient(where)
                stack.push_async_callback(client.close)
                return await body(client)

    return run_async(main)


@contextlib.contextmanager
def registry_errors() -> Iterator[None]:
    """A registry's refusal, or one that cannot be reached or started, as one line."""
    from kafkatui.ecosystem.http import HttpError
    from kafkatui.ecosystem.registry import errors
    from kafkatui.ecosystem.serde.client import RegistryClientError

    try:
        yield
    except RegistryClientError as error:
        raise refused(error) from None
    except HttpError as error:  # the in-process registry could not start (its _schemas topic)
        raise fail(errors.error_name(error.error_code), error.message) from None


@contextlib.asynccontextmanager
async def command_registry(
    backend: Backend, opts: ClusterOptions, url: str | None, *, create: bool = True
) -> AsyncIterator[RegistryClient | None]:
    """A client of the registry meant by a command that has `backend` open already
    (`produce`, `consume`): `url`; else the owner's, when `backend` is attached to the
    kafkatui process that owns the data dir and it serves one; else one run here over
    `backend` until the block ends. With `create` False and no `_schemas` topic on the
    cluster (nothing was ever registered there) there is none: None, and nothing made."""
    from kafkatui.ecosystem.registry.service import RegistryService
    from kafkatui.ecosystem.registry.store import TOPIC
    from kafkatui.ecosystem.serde.client import RegistryClient

    async with contextlib.AsyncExitStack() as stack:
        where = url or _owner_registry(backend, opts)
        if where is None:
            if not create and TOPIC not in backend.topic_names(include_internal=True):
                yield None
                return
            service = RegistryService(backend)
            where = await service.start(0)
            stack.push_async_callback(service.close)
        client = RegistryClient(where)
        stack.push_async_callback(client.close)
        yield client


def _owner_registry(backend: Backend, opts: ClusterOptions) -> str | None:
    """The registry the data dir's owner serves, if `backend` is attached to that owner
    (`open_backend` recorded it on the backend from the owner's lock file)."""
    from kafkatui.backends.remote import RemoteBackend

    data_dir = opts.resolved_data_dir()
    if opts.bootstrap_server is not None or data_dir is None or not isinstance(backend, RemoteBackend):
        return None
    served = backend.schema_registry_url()
    if served and backend.attached_to is not None:
        _say_attached(backend.attached_to, served, data_dir)
    return served or None


def _say_attached(owner: str, url: str, data_dir: Path) -> None:
    err_console.print(
        f"attached to the Schema Registry of {owner} at {url} (it owns {data_dir})", markup=False
    )


def reason_text(reason: Reason) -> str:
    against = f" (against version {reason.version})" if reason.version is not None else ""
    return f"{reason.description}{against}"
