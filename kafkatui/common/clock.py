"""Time for the engine: a real clock for people, a manual one for tests and demos.

Everything in the engine that waits (linger.ms, poll timeouts, later heartbeats and
session timeouts) waits on a `Clock`, never on wall time directly, so a scenario run
on a `ManualClock` plays out identically every time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

# 2026-01-01T00:00:00Z: a fixed, readable start for deterministic runs.
MANUAL_EPOCH_MS = 1_767_225_600_000


class Clock(Protocol):
    """Where the engine reads the time and how it waits."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class RealClock:
    """Wall-clock time and asyncio's sleep."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to (`advance`).

    Sleepers wake in deadline order, each seeing `now_ms()` equal to its own deadline,
    so timers interleave exactly as they would in real time.
    """

    def __init__(self, start_ms: int = MANUAL_EPOCH_MS) -> None:
        self._now_ms = start_ms
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._ticket = itertools.count()

    def now_ms(self) -> int:
        return self._now_ms

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        deadline = self._now_ms + max(1, round(seconds * 1000))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._ticket), future))
        await future

    @property
    def pending(self) -> int:
        """How many sleepers are waiting."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def advance(self, ms: int) -> None:
        """Move time forward by `ms`, waking every sleeper whose deadline passes."""
        target = self._now_ms + ms
        await _settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now_ms = max(self._now_ms, deadline)
            if not future.done():
                future.set_result(None)
                await _settle()
        self._now_ms = target
        await _settle()


async def _settle(rounds: int = 20) -> None:
    """Let woken tasks run until they block again (bounded, so a busy task can't hang us)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def wait_event(clock: Clock, event: asyncio.Event, timeout: float) -> bool:
    """Wait until `event` is set or `timeout` seconds of `clock` time pass; True if set."""
    if event.is_set():
        return True
    if timeout <= 0:
        return False
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(timeout))
    try:
        await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, sleeper):
            task.cancel()
    return event.is_set()
