"""Taking a lesson as a learner does: the course map's keys, the panels' keys and forms,
on the workbench's seeded manual-clock cluster. Time moves only when a test moves the
clock (`advance_until`), as a learner waits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import Progress
from kafkatui.course.session import LessonRun
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from tests.tui.conftest import make_app, until

__all__ = ["SIZE", "Learner", "lesson_app", "until"]

SIZE = (130, 40)


def lesson_app(tmp_path: Path, lesson_id: str, language: str = "en") -> KafkaTuiApp:
    """The workbench with every lesson before `lesson_id` done (so it is open)."""
    app = make_app(language=language)
    app.course_db = tmp_path / "course.db"
    progress = Progress(app.course_db)
    for lesson in load_lessons():
        if lesson.id == lesson_id:
            break
        progress.mark_done(lesson.id)
    return app


class Learner:
    """The keys a learner presses, and what the learner sees come back."""

    def __init__(self, app: KafkaTuiApp, pilot: Pilot[None]) -> None:
        self.app = app
        self.pilot = pilot

    @property
    def backend(self) -> EmbeddedBackend:
        assert isinstance(self.app.backend, EmbeddedBackend)
        return self.app.backend

    @property
    def lessons(self) -> LessonsPanel:
        return self.app.query_one(LessonsPanel)

    @property
    def run(self) -> LessonRun:
        run = self.lessons.run
        assert run is not None, "no lesson is open"
        return run

    @property
    def pane(self) -> StepPane:
        return self.app.query_one(StepPane)

    async def start(self, lesson_id: str) -> None:
        """L, the lesson's row with ↓, s: the lesson starts on its starting cluster."""
        await self.app.ready.wait()
        await self.pilot.press("L")
        await self.pilot.pause()
        table = self.lessons.query_one("#course-map", DataTable)
        table.focus()
        row = [lesson.id for lesson in self.lessons.lessons].index(lesson_id)
        await self.pilot.press(*(["down"] * (row - table.cursor_row)))
        await self.pilot.press("s")
        await until(
            self.pilot,
            lambda: self.lessons.run is not None and self.lessons.run.lesson.id == lesson_id,
            f"lesson {lesson_id} open",
        )
        await self.pilot.pause()

    async def at_step(self, index: int) -> None:
        await until(self.pilot, lambda: self.run.step_index == index or self.run.done, f"step {index + 1}")
        assert not self.run.done and self.run.step_index == index, (self.run.done, self.run.step_index)
        await until(self.pilot, lambda: self.pane.step_index == index, f"the pane on step {index + 1}")

    async def done(self) -> None:
        await until(self.pilot, lambda: self.run.done, "the lesson done")
        await until(self.pilot, lambda: self.pane.done, "the pane saying so")
        assert Progress(self.app.course_db).status(self.lessons.lessons, self.run.lesson.id).state == "done"

    async def hinted(self) -> None:
        """The step's hint on screen (its check contradicted), the step still open."""
        await until(self.pilot, lambda: self.pane.query_one("#lesson-step-hint").display, "the hint")
        assert self.run.hinted and not self.run.done

    async def time_passes(self, condition: Callable[[], bool], limit_ms: int = 60_000) -> None:
        """Wait, as a learner waits: the manual clock moves until `condition` holds."""
        await self.backend.cluster.advance_until(condition, limit_ms=limit_ms)
        await self.pilot.pause()

    async def wait(self, ms: int) -> None:
        """Let `ms` of cluster time pass."""
        clock = self.backend.clock
        assert isinstance(clock, ManualClock)
        await clock.advance(ms)
        await self.pilot.pause()

    async def type_into(self, selector: str, text: str) -> None:
        """Scroll to a field, click it, clear it, type `text`."""
        self.app.screen.query_one(selector).scroll_visible(animate=False)
        await self.pilot.pause()
        await self.pilot.click(selector)
        await self.pilot.press("end", "ctrl+u", *text)
        await until(self.pilot, lambda: self.app.screen.query_one(selector, Input).value == text, text)
