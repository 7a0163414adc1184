"""Every lesson taken in the workbench as a learner takes it (keys and forms, the clock
moved as a learner waits), and per lesson one wrong action: the hint shows, the step
stays open. The checks watch the real cluster; nothing here calls a lesson's internals."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Static

from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from tests.course.pilot import SIZE, Learner, lesson_app, until

# --- 1 brokers ---------------------------------------------------------------------


async def _choose_broker(learner: Learner, broker_id: int) -> None:
    """←/→ on the Partitions panel until the summary says `broker_id` is selected."""
    panel = learner.app.panel("partitions")
    for _ in range(len(learner.backend.brokers())):
        if panel.selected_broker == broker_id:  # type: ignore[attr-defined]
            return
        await learner.pilot.press("right")
    assert panel.selected_broker == broker_id  # type: ignore[attr-defined]


async def test_brokers_lesson_crash_the_controller_then_restart_it(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "brokers")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("brokers")
        await learner.at_step(0)
        assert app.current_panel_id == "partitions"
        controller = learner.backend.controller_id
        other = next(b.broker_id for b in learner.backend.brokers() if b.broker_id != controller)
        await _choose_broker(learner, other)  # wrong: not the controller
        await pilot.press("k")
        await learner.hinted()
        await _choose_broker(learner, controller)
        await pilot.press("k")
        await learner.time_passes(lambda: learner.backend.controller_id not in (-1, controller))
        await learner.at_step(1)
        await pilot.press("r")
        await _choose_broker(learner, other)
        await pilot.press("r")
        await learner.time_passes(lambda: all(b.running for b in learner.backend.brokers()))
        await learner.done()


# --- 2 topics ----------------------------------------------------------------------


async def _create_topic(learner: Learner, name: str, partitions: int) -> None:
    """n on the Topics panel, the dialog's name and partitions, Create."""
    await learner.pilot.press("n")
    await until(learner.pilot, lambda: isinstance(learner.app.screen, CreateTopicScreen), "the create dialog")
    await learner.pilot.press(*name)
    await learner.type_into("#partitions", str(partitions))
    await learner.pilot.click("#create")
    await until(learner.pilot, lambda: name in learner.backend.topic_names(), f"topic {name}")


async def _send(learner: Learner, value: str, key: str = "", times: int = 1) -> None:
    """The Produce form's key and value, ctrl+s `times` times."""
    await learner.type_into("#key", key)
    await learner.type_into("#value", value)
    for _ in range(times):
        await learner.pilot.press("ctrl+s")
        await learner.pilot.pause()


async def test_topics_lesson_create_produce_and_a_keyed_record(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "topics")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("topics")
        await learner.at_step(0)
        assert app.current_panel_id == "topics"
        await _create_topic(learner, "orders", 3)  # wrong: the step asks for 1 partition
        await learner.hinted()
        await pilot.press("d", "y")  # delete it, as the hint says
        await until(pilot, lambda: "orders" not in learner.backend.topic_names(), "orders deleted")
        await _create_topic(learner, "orders", 1)
        await learner.at_step(1)
        assert app.current_panel_id == "produce"
        await until(pilot, lambda: app.screen.query_one("#topic", Select).value == "orders", "orders chosen")
        await _send(learner, "first", times=3)
        await learner.at_step(2)
        await _send(learner, "keyed", key="client-1")
        await learner.done()


# --- 3 partitions ------------------------------------------------------------------


async def test_partitions_lesson_predict_the_partition_and_keep_the_order(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "partitions")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("partitions")
        await learner.at_step(0)
        await _send(learner, "wrong key", key="client-2")  # wrong: the step asks for client-1
        await learner.hinted()
        await _send(learner, "third", key="client-1")
        await learner.at_step(1)
        await _send(learner, "other", key="client-2")
        await learner.at_step(2)
        await _send(learner, "more", key="client-1", times=2)  # 2 seeded + 1 + 2 = 5
        await learner.done()


# --- 4 replication -----------------------------------------------------------------


async def test_replication_lesson_crash_the_leader_see_the_new_one_and_the_isr(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "replication")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("replication")
        await learner.at_step(0)
        backend = learner.backend
        leader = backend.describe_topic("payments").partitions[0].leader
        other = next(b.broker_id for b in backend.brokers() if b.broker_id != leader)
        await _choose_broker(learner, other)  # wrong: a follower
        await pilot.press("k")
        await learner.hinted()
        await pilot.press("r")
        await learner.time_passes(lambda: len(backend.describe_topic("payments").partitions[0].isr) == 3)
        await _choose_broker(learner, leader)
        await pilot.press("k")
        await learner.at_step(1)
        await learner.time_passes(lambda: backend.describe_topic("payments").partitions[0].leader != leader)
        await learner.at_step(2)
        await pilot.press("r")
        await learner.time_passes(lambda: len(backend.describe_topic("payments").partitions[0].isr) == 3)
        await learner.done()


# --- 5 acks ------------------------------------------------------------------------


async def test_acks_lesson_send_with_each_acks(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "acks")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("acks")
        await learner.at_step(0)
        await _send(learner, "all")  # wrong: the form's default is acks=all
        await learner.hinted()
        for index, acks in enumerate(("0", "1", "all")):
            await learner.at_step(index) if index else None
            learner.app.screen.query_one(f"#acks-{acks}").scroll_visible(animate=False)
            await pilot.click(f"#acks-{acks}")
            await _send(learner, f"acks {acks}")
        await learner.done()


# --- 6 idempotence -----------------------------------------------------------------


async def _lose_next_ack_and_send(learner: Learner, value: str, step: int) -> None:
    """Lose next ack, send: the producer hears nothing and retries after its backoff
    (the clock moves while the learner waits for the lesson to see it)."""
    await learner.pilot.click("#drop-ack")
    await _send(learner, value)
    await learner.time_passes(lambda: learner.run.step_index > step or learner.run.done)


async def test_idempotence_lesson_a_retry_duplicated_then_dropped(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "idempotence")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("idempotence")
        await learner.at_step(0)
        await pilot.click("#idempotence")  # wrong: off, the step wants idempotent sends
        await _send(learner, "not idempotent")
        await learner.hinted()
        await pilot.click("#idempotence")
        await _send(learner, "transfer", times=2)
        await learner.at_step(1)
        assert "producer id" in str(app.screen.query_one("#idempotence-msg").render())
        await pilot.click("#idempotence")
        await _lose_next_ack_and_send(learner, "twice", 1)
        await learner.at_step(2)
        await pilot.click("#idempotence")
        await _lose_next_ack_and_send(learner, "once", 2)
        await learner.done()
        values = [r.value for r in await learner.backend.read_log("transfers", 0, 0, 100)]
        assert values.count(b"twice") == 2 and values.count(b"once") == 1


# --- 7 consumer groups -------------------------------------------------------------


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


# --- 8 offsets ---------------------------------------------------------------------


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
        await _send(learner, "late click", times=3)
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
        await until(pilot, lambda: "ctrl+e executes" in _preview(app), "the dry run")
        await pilot.press("ctrl+e")
        await learner.done()


def _preview(app: KafkaTuiApp) -> str:
    return str(app.screen.query_one("#reset-preview", Static).render())


# --- 9 compaction ------------------------------------------------------------------


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
        await _send(learner, "apple v4", key="apple")  # wrong: the tombstone is for pear
        await learner.hinted()
        await learner.type_into("#key", "pear")
        await learner.type_into("#value", "")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", "the tombstone question")
        await pilot.press("y")
        await learner.at_step(2)
        await pilot.press("4")
        await _send(learner, "kiwi v3", key="kiwi", times=2)  # the tombstone's segment closes
        await pilot.press("escape", "3", "c")  # out of the value field, to the Log panel
        await learner.wait(1_100)  # delete.retention.ms
        await pilot.press("c")
        await learner.done()
