"""The Produce panel over an embedded, seeded, manual-clock cluster with a 3-partition topic."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import NamedTuple

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, Input, RadioButton, Select, Static, Switch

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.engine.clients.partitioner import partition_for_key
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.panels.produce import AutoCounters, ProducePanel, RecordProduced
from kafkatui.tui.stylesheets import component_stylesheets
from kafkatui.tui.widgets.acks_latency import AcksLatency, AcksLatencyStats
from kafkatui.tui.widgets.producer_path import ProducerPath, StepBox
from tests.tui.conftest import notices, record_notifications, until

KEY_PARTITION = partition_for_key(b"client-1", 3)
Registered = Sequence[tuple[str, str, str]]  # (subject, schema type, schema), registered in order


async def register(backend: EmbeddedBackend, schemas: Registered) -> None:
    """What any client of the registry does: register versions over its REST API."""
    url = backend.schema_registry_url()
    assert url is not None
    client = RegistryClient(url)
    try:
        for subject, schema_type, schema in schemas:
            body = {"schema": schema, "schemaType": schema_type}
            await client.request("POST", f"/subjects/{subject}/versions", body)
    finally:
        await client.close()


@pytest.fixture(autouse=True)
def quick_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the step-by-step reveal, at a pace that keeps the suite fast."""
    monkeypatch.setattr(ProducerPath, "STEP_DELAY", 0.01)


class Harness(App[None]):
    """The panel alone on a screen, over a cluster the app opens in its own event loop
    (so the same harness serves `run_test` and `snap_compare`); with `schema_registry`,
    the Schema Registry runs beside it as the workbench runs it (on a free port), holding
    the subjects `registered` gives it, in order."""

    CSS_PATH = component_stylesheets()

    def __init__(self, *, schema_registry: bool = False, registered: Registered = ()) -> None:
        super().__init__()
        record_notifications(self)
        self.backend: EmbeddedBackend | None = None
        self.produced: list[RecordProduced] = []
        self.schema_registry = schema_registry
        self.registered = registered

    def compose(self) -> ComposeResult:
        yield Footer()

    async def on_mount(self) -> None:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        self.backend = EmbeddedBackend(cluster)
        await self.backend.create_topic("sales", 3)
        if self.schema_registry:
            services = ServiceHost(cluster)
            await services.listen_registry(0, backend=self.backend)
            self.backend.attach_listeners(services)
            await register(self.backend, self.registered)
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


class LatencyRow(NamedTuple):
    """One row of the acks latency view, as read on screen."""

    chosen: bool  # marked ▸: the setting new sends use
    sends: int
    median: str  # "–" before the first send
    p95: str
    bar: str


def latency_rows(panel: ProducePanel) -> dict[str, LatencyRow]:
    lines = panel.query_one(AcksLatency).render().plain.splitlines()
    assert lines[0].split()[:4] == ["acks", "sends", "median", "p95"]
    rows = {}
    for line in lines[1:]:
        chosen = line.startswith("▸")
        acks, sends, median, p95, *bar = [cell for cell in line.lstrip("▸").split() if cell != "ms"]
        count = 0 if sends == "–" else int(sends.replace(",", ""))
        rows[acks] = LatencyRow(chosen, count, median, p95, "".join(bar))
    return rows


def sends_by_acks(panel: ProducePanel) -> dict[str, int]:
    return {acks: row.sends for acks, row in latency_rows(panel).items()}


def chosen_acks(panel: ProducePanel) -> str:
    [acks] = [acks for acks, row in latency_rows(panel).items() if row.chosen]
    return acks


async def send_with_acks(pilot: Pilot[None], panel: ProducePanel, acks: str) -> None:
    panel.query_one(f"#acks-{acks}", RadioButton).value = True
    await pilot.pause()
    panel.action_send()
    await path_shown(pilot, panel)


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

        [note] = notices(app)
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
        # Stacked under the form, the acks latency view gets the full width, bars included.
        assert panel.query_one(AcksLatency).size.width >= 70
        assert sends_by_acks(panel)["all"] == 1


async def test_acks_latency_counts_sends_per_acks_setting() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        assert sends_by_acks(panel) == {"0": 0, "1": 0, "all": 0}
        assert chosen_acks(panel) == "all"
        assert "every in-sync replica has fetched the batch" in text_of(panel, "#acks-latency-note")

        await fill(pilot, panel, key="client-1", value="v")
        for acks in ("1", "all", "1", "0"):
            await send_with_acks(pilot, panel, acks)
        assert sends_by_acks(panel) == {"0": 1, "1": 2, "all": 1}
        assert chosen_acks(panel) == "0"
        # On the manual clock no time passes while a record is acknowledged.
        assert {acks: (row.median, row.p95) for acks, row in latency_rows(panel).items()} == {
            "0": ("0.0", "0.0"),
            "1": ("0.0", "0.0"),
            "all": ("0.0", "0.0"),
        }


async def test_acks_all_is_slower_when_replication_lags() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        assert app.backend is not None
        cluster = app.backend.cluster
        await app.backend.create_topic("replicated", 1, 3)
        await panel.refresh_data()
        panel.query_one("#topic", Select).value = "replicated"
        await fill(pilot, panel, value="v")

        async def send_on_the_clock(acks: str, n: int) -> None:
            """Send with `acks`, moving cluster time 5 ms at a time until it is measured."""
            panel.query_one(f"#acks-{acks}", RadioButton).value = True
            await pilot.pause()
            panel.action_send()
            await cluster.settle()
            while sends_by_acks(panel)[acks] < n:
                await cluster.clock.advance(5)  # type: ignore[attr-defined]
                await cluster.settle()

        cluster.set_latency(40)  # a follower's fetch round trip takes 40 ms of cluster time
        for n in (1, 2, 3):
            await send_on_the_clock("1", n)
            await send_on_the_clock("all", n)
            await send_on_the_clock("0", n)
        rows = latency_rows(panel)
        assert float(rows["all"].median) >= 40
        assert float(rows["1"].median) == float(rows["0"].median) == 0.0
        assert rows["all"].bar and rows["1"].bar == rows["0"].bar == ""  # only acks=all has a bar


async def test_acks_latency_builds_up_live_for_the_setting_switched_to() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#acks-1", RadioButton).value = True
        await fill(pilot, panel, value="tick", rate="100")
        panel.query_one("#auto", Switch).value = True
        # Bounded waits, not fixed pauses: a loaded machine sends fewer records a second.
        await until(pilot, lambda: sends_by_acks(panel)["1"] > 0, "acks=1 sends")
        running = sends_by_acks(panel)
        assert running["1"] > 0 and running["0"] == running["all"] == 0

        panel.query_one("#acks-0", RadioButton).value = True  # while records flow
        await until(pilot, lambda: sends_by_acks(panel)["0"] > 0, "acks=0 sends")
        assert panel.auto_running
        first = sends_by_acks(panel)
        assert chosen_acks(panel) == "0"
        assert first["0"] > 0
        await until(pilot, lambda: sends_by_acks(panel)["0"] > first["0"], "more acks=0 sends")
        second = sends_by_acks(panel)
        assert second["0"] > first["0"]  # redrawn while auto-produce runs, not only at the end
        assert second["1"] == first["1"]  # the new records went out with acks=0

        panel.query_one("#send").focus()
        await pilot.press("a")
        await pilot.pause(0.2)
        assert sum(sends_by_acks(panel).values()) == panel.auto_sent


def test_acks_latency_keeps_a_window_of_recent_sends() -> None:
    stats = AcksLatencyStats(window=200)
    for ms in range(1, 301):
        stats.record("1", float(ms))
    stats.record("all", 7.0)
    zero, one, every = stats.summaries()
    assert (zero.sends, one.sends, every.sends) == (0, 300, 1)
    assert (one.median_ms, one.p95_ms) == (200.5, 290.0)  # over sends 101..300
    assert (every.median_ms, every.p95_ms) == (7.0, 7.0)


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


async def _send_through_a_lost_ack(
    pilot: Pilot[None], app: Harness, panel: ProducePanel, *, button: bool = False
) -> None:
    """Arm the lost-ack fault (d, or its button), send the form, and move the clock through the retry."""
    assert app.backend is not None
    panel.query_one("#send").focus()
    if button:
        await pilot.click("#drop-ack")
        await pilot.pause()
        panel.query_one("#send").focus()
    else:
        await pilot.press("d")
    assert "next ack(s) to lose: 1" in text_of(panel, "#idempotence-msg")
    before = len(app.produced)
    await pilot.press("ctrl+s")
    await app.backend.cluster.advance_until(lambda: len(app.produced) > before, limit_ms=30_000)
    await path_shown(pilot, panel)


async def test_idempotence_drops_the_retry_of_a_lost_ack_and_off_it_is_written_twice() -> None:
    app = Harness()
    async with app.run_test(size=(120, 60)) as pilot:
        panel = await ready(pilot)
        assert "first send asks for a producer id" in text_of(panel, "#idempotence-msg")
        await fill(pilot, panel, key="client-1", value="v1")
        await _send_through_a_lost_ack(pilot, app, panel)
        assert records(app) == 1  # the retry was recognised and dropped
        shown = text_of(panel, "#idempotence-msg")
        assert "producer id" in shown and "duplicates dropped by brokers: 1" in shown
        assert f"P{KEY_PARTITION} 1" in shown  # the next batch there gets sequence 1

        panel.query_one("#idempotence", Switch).value = False
        await pilot.pause()
        assert "writes the record again" in text_of(panel, "#idempotence-msg")
        await _send_through_a_lost_ack(pilot, app, panel, button=True)
        assert records(app) == 3  # written, lost ack, written again
        assert "duplicates dropped by brokers: 1" in text_of(panel, "#idempotence-msg")

        panel.query_one("#acks-1", RadioButton).value = True
        await pilot.pause()
        assert panel.query_one("#idempotence", Switch).disabled
        assert "needs acks=all" in text_of(panel, "#idempotence-msg")


async def test_compression_type_is_what_the_batch_carries() -> None:
    app = Harness()
    async with app.run_test(size=(120, 60)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#compression", Select).value = "zstd"
        await fill(pilot, panel, key="client-1", value="squeeze me " * 20)
        panel.action_send()
        path = await path_shown(pilot, panel)
        assert "zstd" in str(path.query(StepBox).first().content)
        assert app.backend is not None
        [record] = await app.backend.read_log("sales", KEY_PARTITION, 0, 10)
        assert record.batch.compression == "zstd" and record.value == b"squeeze me " * 20
