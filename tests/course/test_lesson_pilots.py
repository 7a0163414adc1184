"""Every lesson taken in the workbench as a learner takes it (keys and forms, the clock
moved as a learner waits), and per lesson one wrong action: the hint shows, the step
stays open. The checks watch the real cluster; nothing here calls a lesson's internals."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

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
