"""Keyed deadlines on the engine's clock: what a group's timers run on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable

from kafkatui.common.clock import Clock


class Deadlines:
    """Keyed deadlines on the clock (the new coordinator's `CoordinatorTimer`): one per key,
    re-scheduling replaces it. One task sleeps until the earliest; deadlines that only move
    later (heartbeats) cost no wake-up, the task just finds nothing due and sleeps again."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._deadlines: dict[Hashable, tuple[int, Callable[[], None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake_at: int | None = None
        self._firing = False

    def schedule(self, key: Hashable, delay_ms: int, callback: Callable[[], None]) -> None:
        deadline = self._clock.now_ms() + max(0, delay_ms)
        self._deadlines.pop(key, None)  # ties fire in scheduling order
        self._deadlines[key] = (deadline, callback)
        if self._firing:
            return  # the running loop looks again after the callback
        if self._task is None or self._wake_at is None or deadline < self._wake_at:
            if self._task is not None:
                self._task.cancel()
            self._wake_at = None
            self._task = asyncio.get_running_loop().create_task(self._run())

    def cancel(self, key: Hashable) -> None:
        self._deadlines.pop(key, None)

    def deadline(self, key: Hashable) -> int | None:
        entry = self._deadlines.get(key)
        return None if entry is None else entry[0]

    def close(self) -> None:
        self._deadlines.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        me = asyncio.current_task()
        while self._deadlines:
            key, (deadline, callback) = min(self._deadlines.items(), key=lambda kv: kv[1][0])
            now = self._clock.now_ms()
            if deadline > now:
                self._wake_at = deadline
                await self._clock.sleep((deadline - now) / 1000)
                continue
            del self._deadlines[key]
            self._firing = True
            try:
                callback()
            except Exception as error:  # a timer must not die silently, nor stop the others
                asyncio.get_running_loop().call_exception_handler(
                    {"message": f"timer {key!r} failed", "exception": error}
                )
            finally:
                self._firing = False
        if self._task is me:
            self._task = None
            self._wake_at = None
