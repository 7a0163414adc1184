"""The Produce panel over an embedded, seeded, manual-clock cluster with a 3-partition topic."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, Input, RadioButton, Select, Static, Switch

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.engine.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.partitioner import partition_for_key
from kafkatui.tui.panels.produce import AutoCounters, ProducePanel, RecordProduced
from kafkatui.tui.widgets.producer_path import ProducerPath, StepBox

KEY_PARTITION = partition_for_key(b"client-1", 3)


@pytest.fixture(autouse=True)
def quick_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the step-by-step reveal, at a pace that keeps the suite fast."""
    monkeypatch.setattr(ProducerPath, "STEP_DELAY", 0.01)


class Harness(App[None]):
    """The panel alone on a screen, over a cluster the app opens in its own event loop
    (so the same harness serves `run_test` and `snap_compare`)."""

    def __init__(self) -> None:
        super().__init__()
        self.backend: EmbeddedBackend | None = None
        self.produced: list[RecordProduced] = []

    def compose(self) -> ComposeResult:
        yield Footer()

    async def on_mount(self) -> None:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        self.backend = EmbeddedBackend(cluster)
        await self.backend.create_topic("sales", 3)
        await self.mount(ProducePanel(self.backend), before=0)

    async def on_unmount(self) -> None:
        if self.backend is None:
            return
        # A batch caught in flight by a topic deletion retries UNKNOWN_TOPIC_OR_PARTITION
        # (retriable, as in Kafka) until delivery.timeout.ms of engine time, and close()
        # waits for it; on the manual clock that time must be made to pass.
        closing = asyncio.ensure_future(self.backend.close())
        clock = self.backend.clock
        while not closing.done() and isinstance(clock, ManualClock):
            await clock.advance(1_000)
        await closing

    def on_record_produced(self, message: RecordProduced) -> None:
        self.produced.append(message)


async def ready(pilot: Pilot[None]) -> ProducePanel:
    app = pilot.app
    for _ in range(100):
        if (
            app.query(ProducePanel)
            and app.query_one(ProducePanel).query_one("#topic", Select).value == "sales"
        ):
            return app.query_one(ProducePanel)
        await pilot.pause(0.01)
    raise AssertionError("the panel never showed topic sales")


async def path_shown(pilot: Pilot[None], panel: ProducePanel) -> ProducerPath:
    """Wait for the send worker and the step-by-step reveal to finish."""
    path = panel.query_one(ProducerPath)
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        if path.complete:
            await pilot.pause()
            return path
        await pilot.pause(0.02)
    raise AssertionError(f"the producer path never completed: {path.outcome!r}")


async def fill(pilot: Pilot[None], panel: ProducePanel, **fields: str) -> None:
    """Fill the form's inputs (as a paste would: one change each), leaving focus in the last."""
    for name, text in fields.items():
        field = panel.query_one(f"#{name}", Input)
        field.focus()
        field.value = text
    await pilot.pause()


def records(app: Harness, topic: str = "sales") -> int:
    assert app.backend is not None
    return app.backend.describe_topic(topic).record_count


def text_of(panel: ProducePanel, selector: str) -> str:
    return str(panel.query_one(selector, Static).content)


async def test_keyed_json_record_walks_the_path_to_its_murmur2_partition() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#json", Switch).value = True
        panel.query_one("#key", Input).focus()
        await pilot.press(*"client-1")
        await fill(pilot, panel, value='{"id": 1, "total": 9.5}')
        await pilot.press("enter")  # enter in the value field sends
        path = await path_shown(pilot, panel)

        boxes = list(path.query(StepBox))
        assert [b.border_title for b in boxes] == ["send", "serialize", "partition", "write"]
        assert all(b.has_class("-done") for b in boxes)
        assert "murmur2(key)" in str(boxes[2].content)
        assert "JSON value" in str(boxes[1].content)
        assert f"partition {KEY_PARTITION} at offset 0" in path.outcome
        assert [m.trace.offset for m in app.produced] == [0]

        await pilot.press("ctrl+s")
        path = await path_shown(pilot, panel)
        assert f"partition {KEY_PARTITION} at offset 1" in path.outcome
        assert [(m.trace.partition, m.trace.offset) for m in app.produced] == [
            (KEY_PARTITION, 0),
            (KEY_PARTITION, 1),
        ]
        assert records(app) == 2


async def test_chosen_partition_is_honoured_and_headers_arrive() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        other = (partition_for_key(b"[client-1]", 3) + 1) % 3  # not where the key would go
        panel.query_one("#partition", Select).value = other
        await fill(pilot, panel, key="[client-1]", value="hello", headers="source=web, trace=abc")
        await pilot.click("#send")
        path = await path_shown(pilot, panel)

        assert f"partition {other} at offset 0" in path.outcome
        assert "chosen explicitly" in str(path.query_one("#step-partition", StepBox).content)
        assert app.backend is not None
        [record] = await app.backend.read_log("sales", other, 0, 10)
        assert (record.key, record.value) == (b"[client-1]", b"hello")
        assert "'[client-1]'" in str(path.query_one("#step-send", StepBox).content)
        assert record.headers == (("source", b"web"), ("trace", b"abc"))


async def test_partition_choices_follow_the_topic_and_refresh_keeps_the_selection() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        partitions = panel.query_one("#partition", Select)
        assert [v for _, v in partitions._options] == [-1, 0, 1, 2]
        partitions.value = 2
        assert app.backend is not None
        await app.backend.create_topic("audit", 1)  # sorts before "sales"
        await panel.refresh_data()
        await pilot.pause()
        assert panel.query_one("#topic", Select).value == "sales"
        assert partitions.value == 2

        panel.query_one("#topic", Select).value = "audit"
        await pilot.pause()
        assert [v for _, v in partitions._options] == [-1, 0]
        assert partitions.value == -1  # partition 2 does not exist in audit


async def test_invalid_json_is_refused_with_an_inline_message() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#json", Switch).value = True
        await fill(pilot, panel, value='{"a": 1 "b": 2}')
        assert text_of(panel, "#value-msg") == "invalid JSON: Expecting ',' delimiter at line 1 col 9"
        assert panel.query_one("#value-msg").has_class("-error")
        assert panel.query_one("#send").disabled

        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert records(app) == 0
        assert not panel.query_one(ProducerPath).complete
        assert app.produced == []

        # The same text is fine as a plain-text value.
        panel.query_one("#json", Switch).value = False
        await pilot.pause()
        assert text_of(panel, "#value-msg") == ""
        assert not panel.query_one("#send").disabled
        await pilot.press("ctrl+s")
        await path_shown(pilot, panel)
        assert records(app) == 1


async def test_malformed_headers_are_refused_inline() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        await fill(pilot, panel, value="v", headers="source=web, [oops")
        assert "header 2 ('[oops') must be key=value" in text_of(panel, "#headers-msg")
        assert panel.query_one("#send").disabled
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        assert records(app) == 0


async def test_acks_0_lands_without_an_offset() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#acks-0", RadioButton).value = True
        await pilot.pause()
        assert "no offset" in text_of(panel, "#acks-help")
        await fill(pilot, panel, key="client-1", value="fire and forget")
        await pilot.press("enter")
        path = await path_shown(pilot, panel)
        assert f"sent to partition {KEY_PARTITION}" in path.outcome
        assert "no offset" in path.outcome
        assert "acks=0" in str(path.query_one("#step-send", StepBox).content)


async def test_auto_produce_sends_at_a_rate_until_toggled_off() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        await fill(pilot, panel, value="tick", rate="50")
        # Started with the switch; while records flow, the pilot's own waits for an idle
        # CPU would stretch each key press to a second, so only the stop uses a key.
        panel.query_one("#auto", Switch).value = True
        await pilot.pause(0.05)
        assert panel.auto_running
        await pilot.pause(0.5)
        assert records(app) > 0

        panel.query_one("#send").focus()
        await pilot.press("a")  # stops at once
        assert not panel.auto_running
        assert not panel.query_one("#auto", Switch).value
        await pilot.pause(0.1)
        stopped_at = records(app)
        await pilot.pause(0.3)
        assert records(app) == stopped_at
        assert panel.auto_sent == stopped_at
        assert f"sent {stopped_at:,} · errors 0" in panel.query_one(AutoCounters).text
        assert app.produced == []  # auto-produced records are not announced one by one

        assert app.backend is not None
        logged = await app.backend.read_log("sales", 0, 0, 1000)
        logged += await app.backend.read_log("sales", 1, 0, 1000)
        logged += await app.backend.read_log("sales", 2, 0, 1000)
        assert {r.value for r in logged} == {f"tick #{n}".encode() for n in range(1, stopped_at + 1)}


async def test_auto_produce_refuses_an_invalid_rate() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        for bad in ("0", "20001", "-5"):
            await fill(pilot, panel, rate=bad)
            assert "more than 0 and at most 20,000" in text_of(panel, "#rate-msg")
        panel.query_one("#send").focus()
        await pilot.press("a")
        await pilot.pause(0.2)
        assert not panel.auto_running
        assert not panel.query_one("#auto", Switch).value
        assert records(app) == 0


async def test_send_error_is_a_notification_and_an_inline_line() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        assert app.backend is not None
        await app.backend.delete_topic("sales")  # under the panel, which still shows it
        await fill(pilot, panel, value="lost")
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

        [note] = list(app._notifications)
        assert note.title == "UNKNOWN_TOPIC_OR_PARTITION"
        assert note.severity == "error"
        path = panel.query_one(ProducerPath)
        assert "not produced: UNKNOWN_TOPIC_OR_PARTITION" in path.outcome
        assert app.is_running and app.produced == []


async def test_auto_produce_error_stops_it_and_is_reported_once() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        await fill(pilot, panel, rate="200")
        panel.action_toggle_auto()
        await pilot.pause(0.2)
        assert panel.auto_running
        assert app.backend is not None
        await app.backend.delete_topic("sales")
        await pilot.pause(0.3)

        assert not panel.auto_running
        assert not panel.query_one("#auto", Switch).value
        assert [n.title for n in app._notifications] == ["UNKNOWN_TOPIC_OR_PARTITION"]
        assert panel.auto_errors > 0


async def test_small_terminal_still_sends() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await ready(pilot)
        assert panel.has_class("-narrow")
        await fill(pilot, panel, key="client-1", value="small")
        await pilot.press("enter")
        path = await path_shown(pilot, panel)
        assert f"partition {KEY_PARTITION} at offset 0" in path.outcome


def test_snapshot_after_one_send(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def send_one(pilot: Pilot[None]) -> None:
        panel = await ready(pilot)
        panel.query_one("#json", Switch).value = True
        await fill(pilot, panel, key="client-1", value='{"id": 1, "total": 9.5}', headers="source=web")
        await pilot.press("enter")
        await path_shown(pilot, panel)
        pilot.app.set_focus(None)  # no blinking cursor in the picture
        await pilot.pause()

    assert snap_compare(Harness(), terminal_size=(120, 36), run_before=send_one)
