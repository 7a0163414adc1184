"""The Lessons panel driven as a learner drives it: keys and forms on the real cluster."""

from __future__ import annotations

from pathlib import Path

from kafkatui.course.progress import Progress
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from tests.tui.conftest import SIZE, make_app, sales, until


def _app(tmp_path: Path) -> KafkaTuiApp:
    app = make_app()
    app.course_db = tmp_path / "course.db"
    Progress(app.course_db).mark_done("brokers")  # lesson 2 opens once lesson 1 is done
    return app


async def test_topics_lesson_first_step_completes_when_the_topic_exists(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("L")
        await pilot.pause()
        panel = app.query_one(LessonsPanel)
        await panel.action_start("topics")
        await pilot.pause()
        assert app.query_one(StepPane).step_index == 0
        assert app.current_panel_id == "topics"
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CreateTopicScreen), "the create dialog")
        await pilot.press(*"orders")
        await pilot.click("#partitions")
        await pilot.press("end", "backspace", "1")
        await pilot.click("#create")
        assert panel.run is not None
        await until(pilot, lambda: panel.run is not None and panel.run.step_index == 1, "step 2")
        assert app.current_panel_id == "produce"


async def test_starting_a_lesson_over_the_users_topics_asks_first(tmp_path: Path) -> None:
    app = make_app(sales)  # topics sales and clients: not the course's
    app.course_db = tmp_path / "course.db"
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("L")
        await pilot.pause()
        panel = app.query_one(LessonsPanel)
        panel.query_one("#course-map").focus()
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        await pilot.pause()
        assert panel.run is None and {"sales", "clients"} <= set(app.backend.topic_names())  # type: ignore[union-attr]
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question again")
        await pilot.press("y")
        await until(pilot, lambda: panel.run is not None and panel.run.lesson.id == "brokers", "lesson 1")
        assert app.backend is not None and app.backend.topic_names() == ["payments"]
