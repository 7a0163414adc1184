"""`kafkatui lesson start N` as it opens the workbench: the lesson's own seeded cluster,
the lesson open at the step reached, and a manual_clock lesson's clock moving on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kafkatui.cli.lesson import lesson_app
from kafkatui.cli.main import app as main_app
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


async def test_the_ksql_lesson_starts_a_ksqldb_server_a_shell_reaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kafkatui lesson start 13` runs ksqlDB beside the lesson's cluster (its lesson.toml's
    `services`), says where in a notice, and `kafkatui ksql --ksql-url …` from a shell
    does the lesson's steps: the checks read the command topic the CLI's statements went to."""
    monkeypatch.setenv(COURSE_DB_ENV, str(tmp_path / "course.db"))
    progress = Progress()
    lessons = load_lessons()
    for lesson in lessons:
        if lesson.id == "ksql":
            break
        progress.mark_done(lesson.id)
    ksql = next(lesson for lesson in lessons if lesson.id == "ksql")
    assert ksql.cluster.services == ("ksql",)
    app = lesson_app(ksql, language="en", ksql_port=0)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        panel = app.query_one(LessonsPanel)
        await until(pilot, lambda: panel.run is not None, "the lesson open")
        assert app.backend is not None
        url = app.backend.ksql_url()
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert f"kafkatui ksql --ksql-url {url}" in " ".join(app.backend.notices)
        # The shell's command, run beside the workbench (its own event loop, in a thread).
        statement = (
            "CREATE STREAM sales (client_id VARCHAR KEY, price DOUBLE) "
            "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
        )
        result = await asyncio.to_thread(
            CliRunner().invoke, main_app, ["ksql", "--ksql-url", url, "-e", statement]
        )
        assert result.exit_code == 0, result.output
        assert "Stream created" in result.output
        await until(pilot, lambda: panel.run is not None and panel.run.step.id == "table", "step 2")


def test_a_lesson_naming_an_unknown_service_is_refused(tmp_path: Path) -> None:
    from kafkatui.course.model import LessonError, load_lesson

    lesson = tmp_path / "99-x"
    lesson.mkdir()
    (lesson / "lesson.toml").write_text(
        'id = "x"\norder = 99\n[title]\nen = "X"\npt = "X"\n[cluster]\nservices = ["kqsl"]\n'
        '[[steps]]\nid = "a"\ncheck = "topic_exists"\nparams = { topic = "t" }\n'
    )
    for language in ("en", "pt"):
        (lesson / f"{language}.md").write_text("intro\n\n## a · A\n\nbody\n\n> hint\n")
    with pytest.raises(LessonError, match=r"99-x/lesson.toml: \[cluster\] services: unknown \['kqsl'\]"):
        load_lesson(lesson)
