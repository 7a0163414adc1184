"""Lessons 5, 6 and 9 taken in the workbench as a learner takes them: acks,
idempotent producers, compaction. Each with a wrong action first (hint, step open)."""

from __future__ import annotations

from pathlib import Path

from tests.course.pilot import SIZE, Learner, lesson_app, lose_next_ack_and_send, send, until


async def test_acks_lesson_send_with_each_acks(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "acks")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("acks")
        await learner.at_step(0)
        await send(learner, "all")  # wrong: the form's default is acks=all
        await learner.hinted()
        for index, acks in enumerate(("0", "1", "all")):
            await learner.at_step(index) if index else None
            learner.app.screen.query_one(f"#acks-{acks}").scroll_visible(animate=False)
            await pilot.click(f"#acks-{acks}")
            await send(learner, f"acks {acks}")
        await learner.done()


async def test_idempotence_lesson_a_retry_duplicated_then_dropped(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "idempotence")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("idempotence")
        await learner.at_step(0)
        await pilot.click("#idempotence")  # wrong: off, the step wants idempotent sends
        await send(learner, "not idempotent")
        await learner.hinted()
        await pilot.click("#idempotence")
        await send(learner, "transfer", times=2)
        await learner.at_step(1)
        assert "producer id" in str(app.screen.query_one("#idempotence-msg").render())
        await pilot.click("#idempotence")
        await lose_next_ack_and_send(learner, "twice", 1)
        await learner.at_step(2)
        await pilot.click("#idempotence")
        await lose_next_ack_and_send(learner, "once", 2)
        await learner.done()
        values = [r.value for r in await learner.backend.read_log("transfers", 0, 0, 100)]
        assert values.count(b"twice") == 2 and values.count(b"once") == 1


async def test_compaction_lesson_latest_value_a_tombstone_and_its_end(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "compaction")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("compaction")
        await learner.at_step(0)
        assert app.current_panel_id == "log"
        await pilot.press("c")
        await learner.at_step(1)
        assert app.current_panel_id == "produce"
        await send(learner, "apple v4", key="apple")  # wrong: the tombstone is for pear
        await learner.hinted()
        await learner.type_into("#key", "pear")
        await learner.type_into("#value", "")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the tombstone question")
        await pilot.press("y")
        await learner.at_step(2)
        await pilot.press("4")
        await send(learner, "kiwi v3", key="kiwi", times=2)  # the tombstone's segment closes
        await pilot.press("escape", "3", "c")  # out of the value field, to the Log panel
        await learner.wait(1_100)  # delete.retention.ms
        await pilot.press("c")
        await learner.done()
