"""A lesson run on the engine, without the workbench: evaluations one at a time."""

from __future__ import annotations

import asyncio

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.course.model import load_lessons
from kafkatui.course.session import LessonRun


async def test_two_evaluations_at_once_move_one_step_not_two() -> None:
    """The panel starts an evaluation per burst of events; two that overlap must not
    both take the step they saw hold (the second finished the lesson here)."""
    compaction = next(lesson for lesson in load_lessons() if lesson.id == "compaction")
    backend = await EmbeddedBackend.open(None, brokers=3, clock=ManualClock(), seed=0)
    try:
        run = LessonRun(backend, compaction)
        await run.reset()
        run.step_index = 1  # the tombstone step
        await backend.produce(ProduceRequest("prices", None, key="pear"))
        await asyncio.gather(run.evaluate(), run.evaluate())
        assert run.step_index == 2 and not run.done  # key_gone: the tombstone is still there
        run.close()
    finally:
        await backend.close()
