"""Which Schema Registry a command talks to, and its refusals as one line.

`--schema-registry-url` (any Confluent-compatible one, or $KAFKATUI_SCHEMA_REGISTRY_URL);
else the one the kafkatui process that owns the data dir serves (`kafkatui serve`, the
workbench: its URL is in the lock file); else one started inside the command for as long
as it runs, over the cluster the command would otherwise open (the data dir's own, the
owner's listeners, `--bootstrap-server`). A registry keeps nothing but the `_schemas`
topic, so each of these is the same registry. The command speaks Confluent's REST API
to it, whichever it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from kafkatui.cli.context import ClusterOptions, err_console, fail, open_backend, options, run_async
from kafkatui.ecosystem.http import HttpError
from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.compatibility import Reason, read_messages
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

# What to do about a refusal, when the command line has the answer.
_HINTS = {
    errors.SUBJECT_NOT_SOFT_DELETED: "delete it without --permanent first",
    errors.SCHEMAVERSION_NOT_SOFT_DELETED: "delete it without --permanent first",
    errors.SUBJECT_SOFT_DELETED: "it is soft-deleted already: --permanent removes it for good",
    errors.SCHEMAVERSION_SOFT_DELETED: "it is soft-deleted already: --permanent removes it for good",
}


@contextlib.asynccontextmanager
async def registry_url(opts: ClusterOptions, command: str) -> AsyncIterator[str]:
    """The URL of the data dir owner's registry, or of one run here until the block ends."""
    from kafkatui.backends.base import Backend
    from kafkatui.cli.context import DataDirOwner, open_data_dir
    from kafkatui.ecosystem.registry.service import RegistryService

    backend: Backend | None = None
    if opts.bootstrap_server is None:
        opened = await open_data_dir(opts, command)
        if not isinstance(opened, DataDirOwner):
            backend = opened
        elif (served := opened.schema_registry) is not None:
            err_console.print(
                f"attached to the Schema Registry of {opened.name} at {served} (it owns {opened.data_dir})",
                markup=False,
            )
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


def refused(error: RegistryClientError) -> typer.Exit:
    """The registry's refusal as `error: NAME: message (error code N)`; an incompatible
    schema's as its reasons, not Confluent's list of `{errorType:…}` items."""
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
    hint = _HINTS.get(error.error_code)
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
    opts = options(ctx)

    async def main() -> T:
        try:
            async with contextlib.AsyncExitStack() as stack:
                where = (
                    url if url is not None else await stack.enter_async_context(registry_url(opts, command))
                )
                client = RegistryClient(where)
                stack.push_async_callback(client.close)
                return await body(client)
        except RegistryClientError as error:
            raise refused(error) from None
        except HttpError as error:  # the in-process registry could not start (its _schemas topic)
            raise fail(errors.error_name(error.error_code), error.message) from None

    return run_async(main)


def reason_text(reason: Reason) -> str:
    against = f" (against version {reason.version})" if reason.version is not None else ""
    return f"{reason.description}{against}"
