"""What makes a seed replay exactly: SQLite calls that finish before anything else runs.

The cluster runs on a `ManualClock`, which wakes sleepers in deadline order with a few
event-loop turns after each, so the engine's own timers interleave the same way every
time. SQLite does not: aiosqlite runs each call on its connection's thread and hands
the answer back whenever that thread is done, so two brokers' appends, or a consumer's
fetches from two leaders, finish in an order the machine's load decides, and a seed's
run drifts (other acks, other commits). `Cluster.settle` only waits for such calls to
end, with real-time pauses; it cannot fix their order.

So, during a run, each SQLite call is made synchronous: the call is queued on its
connection's thread as aiosqlite does, and the event loop waits for the answer before
running anything else. Every call then finishes in the order it was made, and a run is
a function of its seed. The price is that runs sharing one event loop do not overlap
their SQLite work, which costs little: the calls are short and the GIL serialised most
of it anyway.

This wraps aiosqlite's `Connection._execute` (where every call but connect and close
passes) once per process; calls made outside a run (a context variable says which, and
tasks inherit it from the run that created them) go through unchanged. The engine-side
hook that would make this unnecessary is a storage layer that can run its calls inline.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Iterator
from typing import Any

import aiosqlite

_INLINE: contextvars.ContextVar[bool] = contextvars.ContextVar("kafkatui_chaos_inline_sqlite", default=False)
_original: Any = None


def _install() -> None:
    global _original
    if _original is not None:
        return
    _original = aiosqlite.Connection._execute

    async def _execute(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not _INLINE.get():
            return await _original(self, fn, *args, **kwargs)
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return _call_on_thread(self, functools.partial(fn, *args, **kwargs))

    aiosqlite.Connection._execute = _execute  # type: ignore[method-assign]


def _call_on_thread(connection: aiosqlite.Connection, function: Any) -> Any:
    """Run `function` on the connection's own thread (sqlite3 objects belong to it) and
    block until it answers."""
    done = threading.Event()
    outcome: list[Any] = []

    def job() -> None:
        try:
            outcome.append((True, function()))
        except BaseException as error:  # handed back to the caller, as aiosqlite does
            outcome.append((False, error))
        finally:
            done.set()

    connection._tx.put_nowait((None, job))
    done.wait()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@contextlib.contextmanager
def inline_sqlite() -> Iterator[None]:
    """Make the SQLite calls of everything started inside synchronous (this task and the
    tasks it creates, which copy its context)."""
    _install()
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)
