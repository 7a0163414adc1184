"""Lessons 7 and 8 taken in the workbench as a learner takes them: consumer groups
and rebalances, offsets, commits and lag. Each with a wrong action first (hint, step
open); the clock moves as a learner waits."""

from __future__ import annotations

from pathlib import Path

from tests.course.pilot import SIZE, Learner, lesson_app, preview, send, until


async def test_groups_lesson_members_join_partitions_move_a_crash_times_out(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "groups")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("groups")
        await learner.at_step(0)
        assert app.current_panel_id == "groups"
        for step in range(3):  # one member, two, three
            if step == 1:  # wrong: stop the consumer instead of adding one
                await pilot.press("x")
                await learner.hinted()
                await learner.time_passes(lambda: not learner.backend.consumers("workbench"))
                await pilot.press("a")
            await pilot.press("a")
            await learner.time_passes(lambda s=step: learner.run.step_index > s)
        await learner.at_step(3)
        await pilot.press("k")  # the consumer just added is the one selected
        await learner.time_passes(lambda: learner.run.done)
        await learner.done()


async def test_offsets_lesson_commit_lag_and_reset(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "offsets")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("offsets")
        await learner.at_step(0)
        await pilot.press("a")
        await learner.time_passes(lambda: learner.run.step_index > 0)  # joined, read, committed
        await learner.at_step(1)
        await pilot.press("p", "4")  # pause it, then to the Produce panel
        await send(learner, "late click", times=3)
        await learner.at_step(2)
        await pilot.press("7", "a")  # wrong: a new member, the group cannot be reset now
        await learner.hinted()
        backend = learner.backend
        await pilot.press("x")  # the new one, selected
        await pilot.press("x")  # and the paused one
        await learner.time_passes(lambda: all(c.status != "polling" for c in backend.consumers("workbench")))
        await learner.time_passes(lambda: not backend.consumers("workbench"))
        await pilot.press("o")
        await until(pilot, lambda: type(app.screen).__name__ == "ResetOffsetsScreen", "the reset dialog")
        await until(pilot, lambda: "ctrl+e executes" in preview(app), "the dry run")
        await pilot.press("ctrl+e")
        await learner.done()
