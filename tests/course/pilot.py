"""Taking a lesson as a learner does: the course map's keys, the panels' keys and forms,
on the workbench's seeded manual-clock cluster. Time moves only when a test moves the
clock (`advance_until`), as a learner waits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import Progress
from kafkatui.course.session import LessonRun
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from tests.tui.conftest import make_app, until

__all__ = [
    "SIZE",
    "Learner",
    "choose_broker",
    "create_topic",
    "lesson_app",
    "lose_next_ack_and_send",
    "preview",
    "send",
    "typed",
    "until",
]

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
        field = self.app.screen.query_one(selector, Input)
        await until(self.pilot, lambda: self.app.focused is field, f"{selector} focused")
        await self.pilot.press("end", "ctrl+u")
        await typed(self.pilot, text)
        await until(self.pilot, lambda: self.app.screen.query_one(selector, Input).value == text, text)


async def typed(pilot: Pilot[None], text: str) -> None:
    """`text` as a terminal delivers a quick typist's keys: one Key event a character,
    in order, to the focused widget, without `Pilot.press`'s wait for the process to
    idle after each one (~80 ms a key on a busy core, most of a pilot's time)."""
    driver = pilot.app._driver
    assert driver is not None
    for char in text:
        key = events.Key(char if char.isalnum() else _character_to_key(char), char)
        key.set_sender(pilot.app)
        driver.send_message(key)
    await pilot.pause()


# --- what learners do on the panels -------------------------------------------------


async def choose_broker(learner: Learner, broker_id: int) -> None:
    """←/→ on the Partitions panel until the summary says `broker_id` is selected."""
    panel = learner.app.panel("partitions")
    for _ in range(len(learner.backend.brokers())):
        if panel.selected_broker == broker_id:  # type: ignore[attr-defined]
            return
        await learner.pilot.press("right")
    assert panel.selected_broker == broker_id  # type: ignore[attr-defined]


async def create_topic(learner: Learner, name: str, partitions: int) -> None:
    """n on the Topics panel, the dialog's name and partitions, Create."""
    await learner.pilot.press("n")
    await until(learner.pilot, lambda: isinstance(learner.app.screen, CreateTopicScreen), "the create dialog")
    await learner.pilot.press(*name)
    await learner.type_into("#partitions", str(partitions))
    await learner.pilot.click("#create")
    await until(learner.pilot, lambda: name in learner.backend.topic_names(), f"topic {name}")


async def send(learner: Learner, value: str, key: str = "", times: int = 1) -> None:
    """The Produce form's key and value, ctrl+s `times` times."""
    await learner.type_into("#key", key)
    await learner.type_into("#value", value)
    for _ in range(times):
        await learner.pilot.press("ctrl+s")
        await learner.pilot.pause()


async def lose_next_ack_and_send(learner: Learner, value: str, step: int) -> None:
    """Lose next ack, send: the producer hears nothing and retries after its backoff
    (the clock moves while the learner waits for the lesson to see it)."""
    await learner.pilot.click("#drop-ack")
    await send(learner, value)
    await learner.time_passes(lambda: learner.run.step_index > step or learner.run.done)


def preview(app: KafkaTuiApp) -> str:
    return str(app.screen.query_one("#reset-preview", Static).render())
