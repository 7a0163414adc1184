"""`kafkatui lesson start N` as it opens the workbench: the lesson's own seeded cluster,
the lesson open at the step reached, and a manual_clock lesson's clock moving on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.cli.lesson import lesson_app
from kafkatui.common.clock import ManualClock
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import COURSE_DB_ENV, Progress
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from tests.course.pilot import SIZE, until


async def test_start_opens_the_lesson_on_its_own_cluster_and_its_clock_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(COURSE_DB_ENV, str(tmp_path / "course.db"))
    progress = Progress()
    lessons = load_lessons()
    for lesson in lessons[:6]:
        progress.mark_done(lesson.id)
    progress.save_step("groups", 1)
    groups = next(lesson for lesson in lessons if lesson.id == "groups")
    app = lesson_app(groups, language="pt")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        panel = app.query_one(LessonsPanel)
        await until(pilot, lambda: panel.run is not None and app.query(StepPane), "the lesson open")
        assert panel.run is not None and panel.run.lesson.id == "groups" and panel.run.step_index == 1
        assert app.current_panel_id == "groups"
        assert app.backend is not None and app.backend.topic_names() == ["orders"]
        assert app.backend.describe_topic("orders").record_count == 6
        assert "Um segundo membro" in str(app.query_one("#lesson-step-title").render())
        clock = app.backend.clock
        assert isinstance(clock, ManualClock)
        start = clock.now_ms()
        await until(pilot, lambda: clock.now_ms() > start, "the lesson's clock moving")
