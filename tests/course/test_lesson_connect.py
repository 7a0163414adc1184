"""The Connect lesson taken as a learner takes it, in the workbench with its own Connect
worker: a FileStreamSource created from the Connect panel's form, lines appended to its
file, a FileStreamSink whose task dies (its directory is missing) and is restarted with
R once the directory exists, then the source's offset in connect-offsets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from kafkatui.common.clock import ManualClock
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import Progress
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.screens.new_connector import NewConnectorScreen
from tests.course.pilot import typed
from tests.tui.conftest import SIZE, until
from tests.tui.test_connect_panel import make_connect_app, open_dialog, panel

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


async def _advancing(pilot: Pilot[None], app: KafkaTuiApp, condition: Callable[[], bool], what: str) -> None:
    """Wait while the cluster's ManualClock moves half a second at a time (a learner's
    real clock moves by itself)."""
    assert app.backend is not None and isinstance(app.backend.clock, ManualClock)
    for _ in range(240):
        if condition():
            return
        await app.backend.clock.advance(500)
        await pilot.pause(0.05)
    raise AssertionError(f"never saw {what}")


def _step(app: KafkaTuiApp) -> int:
    run = app.query_one(LessonsPanel).run
    assert run is not None
    return len(run.lesson.steps) if run.done else run.step_index


async def _type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    entry = pilot.app.screen.query_one(selector, Input)
    entry.focus()
    await pilot.pause()
    await typed(pilot, text)  # a file's path is long: keys at a typist's pace, not one idle wait each
    await until(pilot, lambda: entry.value == text, text)


async def _create(pilot: Pilot[None], plugin: str, name: str, fields: dict[str, str]) -> None:
    app = pilot.app
    screen = await open_dialog(pilot, plugin)
    await _type_into(pilot, "#connect-name", name)
    for field, text in fields.items():
        await _type_into(pilot, f"#field-{[f.name for f in screen.fields].index(field)}", text)
    await pilot.press("ctrl+s")
    await until(
        pilot, lambda: not isinstance(app.screen, NewConnectorScreen), "the dialog closed", rounds=1500
    )


async def test_a_learner_completes_the_connect_lesson(tmp_path: Path) -> None:
    app = make_connect_app()
    app.course_db = tmp_path / "course.db"
    lessons = load_lessons()
    connect = next(lesson for lesson in lessons if lesson.id == "connect")
    progress = Progress(app.course_db)
    for lesson in lessons:
        if lesson.order < connect.order:
            progress.mark_done(lesson.id)
    source, out = tmp_path / "lines.txt", tmp_path / "out" / "lines.txt"
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("L")
        await pilot.pause()
        await app.query_one(LessonsPanel).action_start("connect")
        await pilot.pause()
        assert app.current_panel_id == "connect"

        await _create(pilot, "org.apache.kafka.connect.file.FileStreamSourceConnector", "lines-in",
                      {"file": str(source), "topic": "lines"})  # fmt: skip
        await until(pilot, lambda: _step(app) >= 1, "step 2: records", rounds=1500)

        source.write_text("one\ntwo\nthree\n")
        await until(pilot, lambda: _step(app) >= 2, "step 3: the sink", rounds=1500)

        await _create(pilot, FILE_SINK, "lines-out", {"topics": "lines", "file": str(out)})
        await until(pilot, lambda: _step(app) >= 3, "step 4: the task FAILED", rounds=1500)
        await until(pilot, lambda: "FAILED" in str(panel(app).connectors.get("lines-out")), "FAILED shown")

        out.parent.mkdir()
        panel(app).selected = "lines-out"
        panel(app).query_one("#connect-connectors").focus()
        await pilot.press("R")
        # The restarted task joins its consumer group, as cluster time passes.
        await _advancing(pilot, app, lambda: _step(app) >= 4, "step 5: the internal topics")
        assert out.read_text().splitlines() == ["one", "two", "three"]
        await until(pilot, lambda: app.current_panel_id == "log", "the next step's panel")

        # The source commits its offset each offset.flush.interval.ms of cluster time.
        assert app.backend is not None and isinstance(app.backend.clock, ManualClock)
        await app.backend.clock.advance(60_000)
        await until(pilot, lambda: _step(app) >= 5, "the lesson done", rounds=1500)
