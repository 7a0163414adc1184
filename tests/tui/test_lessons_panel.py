"""The Lessons panel driven as a learner drives it: keys and forms on the real cluster."""

from __future__ import annotations

from pathlib import Path

from kafkatui.course.progress import Progress
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from tests.tui.conftest import SIZE, make_app, until


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
