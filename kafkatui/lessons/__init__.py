"""Guided scenarios (sample data, demos). They reach a cluster only through the backend
interface: a `Backend`, and for what only kafkatui's own cluster can do (crash a broker,
lose an ack, step a ManualClock) its `EngineControls`. The demos open an in-memory
embedded cluster with `EmbeddedBackend.open`."""

from __future__ import annotations

from collections.abc import Callable

from kafkatui.backends.base import Backend, Feature
from kafkatui.common.clock import Clock


class Story:
    """A lesson's narration: every line is kept (for `--json` and tests) and handed to
    `narrate` as it is told, stamped with the lesson's clock time if a `stamp` is given."""

    def __init__(
        self,
        narrate: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        stamp: Callable[[int], str] | None = None,
        lines: list[str] | None = None,
    ) -> None:
        self.lines: list[str] = [] if lines is None else lines
        self._narrate = narrate
        self._clock = clock
        self._stamp = stamp
        self._start = clock.now_ms() if clock is not None else 0

    def say(self, line: str) -> None:
        if self._stamp is not None and self._clock is not None:
            line = f"{self._stamp(self._clock.now_ms() - self._start)}  {line}"
        self.lines.append(line)
        if self._narrate is not None:
            self._narrate(line)


async def close_lesson(backend: Backend) -> None:
    """Close a lesson's cluster once nothing moves: a lesson stopped midway (a closed
    stdout cancels it) leaves appends and metadata changes in flight, and a database
    closed under them would answer after the event loop is gone."""
    await backend.engine_controls(Feature.SCENARIO).settle()
    await backend.close()
