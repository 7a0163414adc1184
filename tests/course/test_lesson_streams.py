"""Lesson 12 (Kafka Streams) taken as a learner takes it: the course map and `s`, the
Streams panel's start form, lines sent from the Produce panel, `x` to stop, the form
again to restart; each step completes only when the cluster shows it (the app's group,
the counts in its output topic). A line sent to the wrong topic brings the hint and
completes nothing. The streams runtime waits on the backend's clock, so the cluster runs
on a ManualClock that the Streams panel tests' `until` moves 100 ms a round."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.common.events import Event
from kafkatui.course.checks import CHECKS, CheckContext, Snapshot
from kafkatui.course.model import load_lessons
from kafkatui.course.progress import Progress
from kafkatui.ecosystem.streams.runtime import RUNNING
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.lessons_step import StepPane
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.panels.streams import StreamsPanel
from kafkatui.tui.panels.streams_start import StartExampleScreen
from tests.tui.conftest import SIZE
from tests.tui.test_streams_panel import streams_app, until

INPUT = "streams-plaintext-input"


def _app(tmp_path: Path) -> KafkaTuiApp:
    app = streams_app()
    app.course_db = tmp_path / "course.db"
    progress = Progress(app.course_db)
    for lesson in load_lessons():  # the lessons before it are done: this one is open
        if lesson.order < 12:
            progress.mark_done(lesson.id)
    return app


async def send_line(pilot: Pilot[None], app: KafkaTuiApp, topic: str, line: str) -> None:
    """The Produce panel's form: topic, no key, the line as the value, enter sends."""
    produce = app.query_one(ProducePanel)
    await until(pilot, lambda: topic in [v for _, v in produce.query_one("#topic", Select)._options], topic)
    produce.query_one("#topic", Select).value = topic
    await pilot.pause()
    field = produce.query_one("#value", Input)
    field.focus()
    field.value = line
    await pilot.pause()
    before = produce.backend.describe_topic(topic).record_count
    await pilot.press("enter")
    await until(pilot, lambda: produce.backend.describe_topic(topic).record_count > before, f"{line!r} sent")
    await app.workers.wait_for_complete()


async def start_from_the_form(pilot: Pilot[None], app: KafkaTuiApp) -> None:
    """n on the Streams panel; the word count and its defaults are what the step asks."""
    await pilot.press("n")
    await until(
        pilot,
        lambda: isinstance(app.screen, StartExampleScreen) and bool(app.screen.query("#start")),
        "the start dialog",
    )
    await pilot.pause()
    await pilot.click("#start")


async def test_the_streams_lesson_completes_step_by_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # what the panels save stays here
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("L")
        await pilot.pause()
        lessons = app.query_one(LessonsPanel)
        await until(pilot, lambda: lessons.selected is not None, "the course map")
        while lessons.selected is not None and lessons.selected.id != "streams":
            await pilot.press("down")
        await pilot.press("s")
        await until(pilot, lambda: lessons.run is not None and app.current_panel_id == "streams", "step 1")
        run = lessons.run
        assert run is not None and run.lesson.id == "streams"
        assert app.query_one(StepPane).step_index == 0

        await start_from_the_form(pilot, app)
        await until(pilot, lambda: run.step_index == 1, "step 2: the application running", rounds=1500)
        await until(pilot, lambda: app.current_panel_id == "produce", "the next step's panel")

        # The wrong topic: the hint shows and the step stays.
        await send_line(pilot, app, "streams-wordcount-output", "kafka kafka")
        await until(pilot, lambda: run.hinted, "the hint")
        assert run.step_index == 1

        await send_line(pilot, app, INPUT, "hello kafka")
        await send_line(pilot, app, INPUT, "kafka streams")
        await until(pilot, lambda: run.step_index == 2, "step 3: kafka counted twice", rounds=1500)
        await until(pilot, lambda: app.current_panel_id == "streams", "the next step's panel")

        await pilot.press("x")
        await until(pilot, lambda: run.step_index == 3, "step 4: the application stopped", rounds=1500)

        streams = app.query_one(StreamsPanel)
        await start_from_the_form(pilot, app)
        await until(
            pilot, lambda: streams.runs["streams-wordcount"].state == RUNNING, "running again", rounds=1500
        )
        await pilot.press("4")
        await send_line(pilot, app, INPUT, "kafka again")
        await until(pilot, lambda: run.done, "the lesson done: the count went on to 3", rounds=1500)
        again = streams.runs["streams-wordcount"]
        assert again.store("counts-store").get("kafka") == 3
        assert lessons.progress.status(lessons.lessons, "streams").state.name == "DONE"


def _long(n: int) -> bytes:
    return n.to_bytes(8, "big", signed=True)  # Serdes.long(), what count() writes


async def test_count_continued_tells_a_count_that_went_on_from_one_that_started_over() -> None:
    """The restart step's check on hand-written counts: 2 then 3 carried on; 2 then 1 (a
    store lost, counting from zero again) did not."""
    backend = EmbeddedBackend(await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3))
    try:
        await backend.create_topic("counts", 1, 1)
        await backend.produce(ProduceRequest("counts", _long(2), key="kafka"))
        params = {"topic": "counts", "key": "kafka"}
        for after, continued in ((1, False), (3, True)):
            events: list[Event] = []
            unlisten = backend.bus.listen(events.append)
            snapshot = Snapshot.take(backend)
            ctx = CheckContext(backend, snapshot, snapshot, events=events)
            assert not await CHECKS["count_continued"].holds(ctx, params)  # nothing new yet
            await backend.produce(ProduceRequest("counts", _long(after), key="kafka"))
            unlisten()
            assert await CHECKS["count_continued"].holds(ctx, params) is continued
            assert await CHECKS["count_at_least"].holds(ctx, {**params, "count": after})
    finally:
        await backend.close()
