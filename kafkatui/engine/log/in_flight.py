"""Calls waiting on SQLite's thread, counted so a scripted scenario can wait for them."""

from __future__ import annotations

import asyncio


class InFlight:
    """How many calls wait on SQLite's thread, and a way to wait until none does.

    `Cluster.settle` calls a cluster idle only when nothing waits on SQLite: it awaits
    `idle()` instead of polling the count, so a settle costs no CPU while SQLite works
    (polling with `sleep(0)` took the GIL from SQLite's own thread and made a 1 s demo
    take 25)."""

    __slots__ = ("_idle", "count")

    def __init__(self) -> None:
        self.count = 0
        self._idle: asyncio.Future[None] | None = None

    def __enter__(self) -> None:
        self.count += 1

    def __exit__(self, *_: object) -> None:
        self.count -= 1
        if self.count == 0 and self._idle is not None:
            if not self._idle.done():
                self._idle.set_result(None)
            self._idle = None

    async def idle(self) -> None:
        """Return once no call is in flight (at once if none is)."""
        if self.count == 0:
            return
        if self._idle is None:
            self._idle = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._idle)
