"""A SQLite database as the engine keeps one (each broker's log, the metadata log's
image): opened in WAL mode with `synchronous=NORMAL` and its schema brought up to date
by numbered migrations (`PRAGMA user_version`); and the two wrappers a broker's
storage calls go through, which take the database offline on an I/O error or damage
(KIP-112's log dir failure) and count the call while it waits on SQLite's thread.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import aiosqlite

from kafkatui.engine.log.in_flight import InFlight
from kafkatui.engine.log.log_dir import LogDirFailure, is_damage, is_storage_failure

MEMORY = ":memory:"


async def open_database(path: Path | str, migrations: Sequence[str]) -> aiosqlite.Connection:
    """Open (or create) a database in WAL mode and bring its schema up to date."""
    return (await open_database_created(path, migrations))[0]


async def open_database_created(
    path: Path | str, migrations: Sequence[str]
) -> tuple[aiosqlite.Connection, bool]:
    """`open_database`, also saying whether the database was new (no schema yet: a
    missing or empty file)."""
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        if str(path) != MEMORY:
            await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        async with db.execute("PRAGMA user_version") as cursor:
            (version,) = await cursor.fetchone()  # type: ignore[misc]
        if version > len(migrations):
            raise RuntimeError(
                f"{path} was written by a newer kafkatui (schema {version} > {len(migrations)})"
            )
        for number, script in enumerate(migrations[version:], start=version + 1):
            await db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
    except BaseException:
        await db.close()
        raise
    return db, version == 0


class GuardedStore(Protocol):
    """What `guarded` and `counted` need of a store: `BrokerStorage` is one."""

    def fail(self, reason: str, *, damaged: bool) -> LogDirFailure: ...
    def _busy(self) -> InFlight: ...


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=GuardedStore)


def guarded(
    method: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """A storage call whose disk or file fails takes the database offline (KIP-112):
    the caller gets `LogDirFailure` (KAFKA_STORAGE_ERROR), and so does every later call."""

    @functools.wraps(method)
    async def guarded(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except LogDirFailure:
            raise
        except Exception as error:
            if not is_storage_failure(error):
                raise
            raise self.fail(str(error), damaged=is_damage(error)) from error

    return guarded


def counted(
    method: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Count the call in `in_flight` while it waits on SQLite's thread: `Cluster.settle`
    calls a cluster idle only when nothing is, so every call must be counted."""

    @functools.wraps(method)
    async def counted(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._busy():
            return await method(self, *args, **kwargs)

    return counted
