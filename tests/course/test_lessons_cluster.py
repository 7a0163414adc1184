"""Lessons 1-4 taken in the workbench as a learner takes them: brokers and the
controller, topics, partitions and keys, replication. Each begins with a wrong action:
its hint shows and the step stays open; then the lesson is done with keys and forms."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

from tests.course.pilot import SIZE, Learner, choose_broker, create_topic, lesson_app, send, until


async def test_brokers_lesson_crash_the_controller_then_restart_it(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "brokers")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("brokers")
        await learner.at_step(0)
        assert app.current_panel_id == "partitions"
        controller = learner.backend.controller_id
        other = next(b.broker_id for b in learner.backend.brokers() if b.broker_id != controller)
        await choose_broker(learner, other)  # wrong: not the controller
        await pilot.press("k")
        await learner.hinted()
        await choose_broker(learner, controller)
        await pilot.press("k")
        await learner.time_passes(lambda: learner.backend.controller_id not in (-1, controller))
        await learner.at_step(1)
        await pilot.press("r")
        await choose_broker(learner, other)
        await pilot.press("r")
        await learner.time_passes(lambda: all(b.running for b in learner.backend.brokers()))
        await learner.done()


async def test_topics_lesson_create_produce_and_a_keyed_record(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "topics")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("topics")
        await learner.at_step(0)
        assert app.current_panel_id == "topics"
        await create_topic(learner, "orders", 3)  # wrong: the step asks for 1 partition
        await learner.hinted()
        await pilot.press("d", "y")  # delete it, as the hint says
        await until(pilot, lambda: "orders" not in learner.backend.topic_names(), "orders deleted")
        await create_topic(learner, "orders", 1)
        await learner.at_step(1)
        assert app.current_panel_id == "produce"
        await until(pilot, lambda: app.screen.query_one("#topic", Select).value == "orders", "orders chosen")
        await send(learner, "first", times=3)
        await learner.at_step(2)
        await send(learner, "keyed", key="client-1")
        await learner.done()


async def test_partitions_lesson_predict_the_partition_and_keep_the_order(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "partitions")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("partitions")
        await learner.at_step(0)
        await send(learner, "wrong key", key="client-2")  # wrong: the step asks for client-1
        await learner.hinted()
        await send(learner, "third", key="client-1")
        await learner.at_step(1)
        await send(learner, "other", key="client-2")
        await learner.at_step(2)
        await send(learner, "more", key="client-1", times=2)  # 2 seeded + 1 + 2 = 5
        await learner.done()


async def test_replication_lesson_crash_the_leader_see_the_new_one_and_the_isr(tmp_path: Path) -> None:
    app = lesson_app(tmp_path, "replication")
    async with app.run_test(size=SIZE) as pilot:
        learner = Learner(app, pilot)
        await learner.start("replication")
        await learner.at_step(0)
        backend = learner.backend
        leader = backend.describe_topic("payments").partitions[0].leader
        other = next(b.broker_id for b in backend.brokers() if b.broker_id != leader)
        await choose_broker(learner, other)  # wrong: a follower
        await pilot.press("k")
        await learner.hinted()
        await pilot.press("r")
        await learner.time_passes(lambda: len(backend.describe_topic("payments").partitions[0].isr) == 3)
        await choose_broker(learner, leader)
        await pilot.press("k")
        await learner.at_step(1)
        await learner.time_passes(lambda: backend.describe_topic("payments").partitions[0].leader != leader)
        await learner.at_step(2)
        await pilot.press("r")
        await learner.time_passes(lambda: len(backend.describe_topic("payments").partitions[0].isr) == 3)
        await learner.done()
