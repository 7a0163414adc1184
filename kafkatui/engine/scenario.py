"""Stepping a cluster deterministically, for scripted scenarios (the lessons, the tests,
the screenshots): wait until nothing moves without the clock, and move a `ManualClock` a
controller tick at a time until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster_core import ClusterCore
from kafkatui.engine.log.in_flight import InFlight

# Quiet rounds of the event loop, with other work still ready, after which a settle on a
# ManualClock checks by the clock (chains of awaits take a few rounds; another cluster in
# the same loop keeps it busy for good).
_BUSY_ROUNDS = 20


class ScenarioDriver(ClusterCore):
    """`progress`, `settle` and `advance_until`; part of `Cluster`."""

    def progress(self) -> tuple[object, ...]:
        """A fingerprint of everything that can move: logs, HWs, metadata, sleepers.

        Unchanged over a few real-time checks means the cluster is idle until the
        clock moves (see `settle`)."""
        logs = tuple(
            (b.broker_id, key, log.log_end_offset, log.high_watermark)
            for b in self.brokers.values()
            for key, log in sorted(b.logs.items())
        )
        busy = sum(calls.count for calls in self._sqlite_calls())
        return (logs, self.metadata.offset, getattr(self.clock, "pending", None), busy)

    def _sqlite_calls(self) -> list[InFlight]:
        return [b.storage.calls for b in self.brokers.values()] + [self._metadata_log.calls]

    async def settle(self, checks: int = 3, interval: float = 0.002) -> None:
        """Wait until nothing moves without the clock: deterministic steps on a ManualClock
        (SQLite answers from its own threads, so 'idle' must be observed, not assumed):
        `checks` quiet checks `interval` apart.

        On a ManualClock the checks cost no wall time while they can: the cluster is idle
        once no SQLite call is in flight and the event loop has nothing else ready to run
        (CPython's loop keeps those callbacks in `_ready`). Sleeping `interval` per check
        made the demos spend 90% of their time waiting. Only when other work keeps the loop
        busy for `_BUSY_ROUNDS` quiet rounds (other clusters in the same loop) does it
        check by the clock again."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None) if isinstance(self.clock, ManualClock) else None
        busy = 0 if ready is not None else _BUSY_ROUNDS
        stable = 0
        last = self.progress()
        while stable < checks:
            quick = busy < _BUSY_ROUNDS
            if last[-1]:  # wait for SQLite's thread to answer, without polling for it
                await asyncio.gather(*(calls.idle() for calls in self._sqlite_calls()))
            await asyncio.sleep(0 if quick else interval)
            now = self.progress()
            if now != last or now[-1]:
                stable = 0
            elif quick and ready:  # quiet here, but the loop has more to run first
                busy += 1
                stable = 0
            else:
                stable += 1
            last = now

    async def advance_until(
        self, check: Callable[[], bool], *, limit_ms: int = 120_000, step_ms: int | None = None
    ) -> int:
        """On a ManualClock: move time a controller tick (or `step_ms`) at a time, settling
        between steps, until `check()` holds; returns the clock time that took. For
        scripted scenarios (a crash is only noticed after broker.session.timeout.ms of
        cluster time). Steps of 1 ms keep chains of short waits (replication over a slow
        link) in step: each wait ends, and its SQLite calls answer, before the next ms."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance_until drives a ManualClock; on a real clock, wait instead")
        start = clock.now_ms()
        await self.settle()
        while not check():
            if clock.now_ms() - start >= limit_ms:
                raise TimeoutError(f"condition not reached within {limit_ms} ms of cluster time")
            await clock.advance(step_ms or self.quorum.tick_ms)
            await self.settle()
        return clock.now_ms() - start
