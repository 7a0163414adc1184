"""Teacher mode (`kafkatui lesson present N`): the step as a slide beside its panel, moved
by the presenter's keys, the checks still live on the cluster (✓ once it shows a step
done), on a seeded manual-clock cluster."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_present import PresenterPane
from kafkatui.tui.panels.lessons_step import StepPane
from tests.course.pilot import Learner, until

SIZE = (150, 40)


def present_app(tmp_path: Path, lesson: str, language: str = "en") -> KafkaTuiApp:
    """What `kafkatui lesson present` opens, on the tests' seeded manual-clock cluster
    (nothing done in the course: a presenter may show any lesson)."""

    async def factory() -> EmbeddedBackend:
        return EmbeddedBackend(await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7))

    return KafkaTuiApp(
        factory, settings=Settings(), language=language, welcome=False, event_interval=0.05,
        course_db=tmp_path / "course.db", lesson=lesson, present=True,
    )  # fmt: skip


def _text(app: KafkaTuiApp, selector: str) -> str:
    return str(app.query_one(selector).render())


async def _presenting(pilot: Pilot[None]) -> PresenterPane:
    app = pilot.app
    assert isinstance(app, KafkaTuiApp)
    await app.ready.wait()
    panel = app.query_one(LessonsPanel)
    await until(pilot, lambda: panel.run is not None and bool(app.query(PresenterPane)), "the slide")
    pane = app.query_one(PresenterPane)
    await until(pilot, lambda: app.focused is pane, "the slide focused")
    return pane


async def test_the_presenter_moves_the_steps_and_the_cluster_ticks_them(tmp_path: Path) -> None:
    app = present_app(tmp_path, "partitions")  # lesson 3: locked for a new learner, not for a class
    async with app.run_test(size=SIZE) as pilot:
        pane = await _presenting(pilot)
        panel = app.query_one(LessonsPanel)
        run = panel.run
        assert run is not None and run.lesson.id == "partitions"
        assert not app.query(StepPane)  # the slide replaces the learner's pane
        assert pane.shown == 0 and "Step 1/3" in _text(app, "#present-title")
        assert app.current_panel_id == "produce" and "waiting" in _text(app, "#present-status")

        # The presenter sends the step's record from the panel: the check ticks the step,
        # the slide stays until the presenter moves on.
        learner = Learner(app, pilot)
        await learner.type_into("#key", "client-1")
        await learner.type_into("#value", "third")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: 0 in panel.done_steps, "step 1 done on the cluster")
        await until(pilot, lambda: "✓" in _text(app, "#present-status"), "the ✓")
        assert pane.shown == 0 and run.step_index == 1

        await pilot.click("#present-title")  # the slide takes the keys back from the form
        await pilot.press("right")
        await until(pilot, lambda: pane.shown == 1, "step 2 shown")
        assert "Step 2/3" in _text(app, "#present-title") and "waiting" in _text(app, "#present-status")
        assert run.step_index == 1  # the step the checks already watch

        await pilot.press("space")  # on past a step the cluster has not shown: it is watched now
        await until(pilot, lambda: pane.shown == 2, "step 3 shown")
        assert run.step_index == 2 and 1 not in panel.done_steps

        await pilot.press("left", "left")  # back to a done step: shown again, the run stays
        await until(pilot, lambda: pane.shown == 0, "step 1 shown again")
        assert "✓" in _text(app, "#present-status") and run.step_index == 1
        await pilot.press("pagedown", "pagedown", "pagedown")  # a clicker's key, past the end
        await until(pilot, lambda: pane.finished, "the closing slide")
        assert "1/3 ✓" in _text(app, "#present-title")


async def test_out_of_teacher_mode_the_arrows_stay_the_panels(tmp_path: Path) -> None:
    app = KafkaTuiApp(
        present_app(tmp_path, "brokers")._backend_factory, settings=Settings(), language="en",
        welcome=False, course_db=tmp_path / "course.db", lesson="brokers",
    )  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        lessons = app.query_one(LessonsPanel)
        await until(pilot, lambda: lessons.run is not None and bool(app.query(StepPane)), "the lesson")
        assert not app.present and not app.query(PresenterPane)
        partitions = app.panel("partitions")
        await until(pilot, lambda: app.focused is partitions, "the Partitions panel focused")
        before = partitions.selected_broker  # type: ignore[attr-defined]
        await pilot.press("right")  # the panel's: the next broker, not a step
        await until(pilot, lambda: partitions.selected_broker != before, "another broker")  # type: ignore[attr-defined]
        assert lessons.run is not None and lessons.run.step_index == 0


def test_snapshot_teacher_mode_step(snap_compare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = present_app(tmp_path, "partitions", language="pt")

    async def run_before(pilot: Pilot[None]) -> None:
        await _presenting(pilot)
        await app.workers.wait_for_complete()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
