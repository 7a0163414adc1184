"""The Records panel: a topic's records as a virtual table, filtered, sought, followed and
acted on, over a seeded manual-clock cluster."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.offset_reset import ResetStrategy
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.browse.lines import read_ndjson
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.panels.groups_reset import ResetOffsetsScreen, dry_run_text, plan_group
from kafkatui.tui.panels.records import RecordsPanel
from kafkatui.tui.panels.records_actions import ExportScreen, RepublishScreen
from kafkatui.tui.panels.records_detail import hex_dump
from kafkatui.tui.panels.records_filter import FilterSpec
from kafkatui.tui.panels.records_saved import SavedFilters
from kafkatui.tui.stylesheets import component_stylesheets
from kafkatui.tui.widgets.records_rows import MatchRows, RangeRows

SIZE = (130, 40)
Setup = Callable[[EmbeddedBackend, ManualClock], Awaitable[None]]

ORDERS = [  # (partition, key, value, ms after the previous)
    (0, "client-1", {"price": 10, "product": "keyboard"}, 0),
    (1, "client-2", {"price": 7, "product": "mouse"}, 60_000),
    (0, "client-1", {"price": 11, "product": "monitor"}, 60_000),
    (2, None, "not json", 60_000),
    (1, "client-2", {"price": 25, "product": "headset"}, 60_000),
]


class RecordsApp(App[None]):
    """Just the Records panel over a fresh cluster prepared by `setup`."""

    CSS_PATH = component_stylesheets()

    def __init__(self, setup: Setup | None = None, saved: SavedFilters | None = None) -> None:
        super().__init__()
        self.setup = setup
        self.saved = saved
        self.ready = asyncio.Event()

    async def on_mount(self) -> None:
        self.clock = ManualClock()
        cluster = await Cluster.open(None, brokers=1, clock=self.clock, seed=7)
        self.backend = EmbeddedBackend(cluster)
        if self.setup is not None:
            await self.setup(self.backend, self.clock)
        self.panel = RecordsPanel(self.backend, self.saved)
        await self.mount(self.panel)
        await self.panel.refresh_data()
        self.panel.table.focus()
        self.ready.set()

    async def on_unmount(self) -> None:
        await self.backend.close()


async def orders(backend: EmbeddedBackend, clock: ManualClock) -> None:
    await backend.create_topic("orders", 3, 1)
    for partition, key, value, later in ORDERS:
        await clock.advance(later)
        text = value if isinstance(value, str) else json.dumps(value)
        headers = [("trace", f"t-{partition}")] if key else []
        await backend.produce(ProduceRequest("orders", text, key=key, partition=partition, headers=headers))


async def settle(pilot: Pilot[None]) -> None:
    """Let key handlers, scans and page reads finish (not the tail: it never does)."""
    await pilot.app.ready.wait()  # type: ignore[attr-defined]
    for _ in range(3):
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.group != "records-tail" and not w.is_finished]
        if busy:
            await pilot.app.workers.wait_for_complete(busy)
    await pilot.pause()


def screen_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def detail_text(panel: RecordsPanel) -> str:
    """All of the record detail (the screen shows its top only)."""
    console = Console(width=58, record=True, file=io.StringIO())
    console.print(panel.detail.render_record(panel.detail.record))
    return console.export_text()


def status(panel: RecordsPanel) -> str:
    return str(panel.query_one("#records-status", Static).render())


def shown(panel: RecordsPanel) -> list[tuple[int, int]]:
    rows = panel.table.rows
    return [rows.at(i) for i in range(len(rows))]


async def type_into(pilot: Pilot[None], widget_id: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


def test_range_rows_find_a_row_without_holding_records() -> None:
    from kafkatui.ecosystem.browse.seek import PartitionRange

    rows = RangeRows([PartitionRange(0, 5, 10_000_000), PartitionRange(1, 0, 0), PartitionRange(2, 3, 6)])
    assert len(rows) == 10_000_000 - 5 + 3
    assert rows.at(0) == (0, 5) and rows.at(9_999_994) == (0, 9_999_999)
    assert rows.at(9_999_995) == (2, 3) and rows.find(2, 5) == 9_999_997
    matches = MatchRows(limit=10)
    for offset in range(12):
        matches.append(0, offset)
    assert len(matches) == 10 and matches.at(0) == (0, 2) and matches.dropped == 2


async def test_the_table_shows_every_partition() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        assert shown(panel) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
        text = screen_text(app)
        assert "5 records in 3 partition(s)" in text
        assert "client-1" in text
        assert '{"price": 10, "product": "keyboard"}' in text
        assert "(null)" in text and "not json" in text


async def test_a_filter_scans_and_counts() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        await type_into(pilot, "records-jq", "select(.price > 10)")
        assert shown(panel) == [(0, 1), (1, 1)]
        assert status(panel) == "done · scanned 5 · matched 2 · 1 not JSON"
        await type_into(pilot, "records-text", "client-2")
        assert shown(panel) == [(1, 1)]  # both must hold
        await type_into(pilot, "records-jq", "")
        assert shown(panel) == [(1, 0), (1, 1)]
        app.query_one("#records-field", Select).value = "header"
        await settle(pilot)
        assert shown(panel) == []  # the key's text is in no header
        await type_into(pilot, "records-text", "t-0")
        assert shown(panel) == [(0, 0), (0, 1)]
        # Remembered per topic: another topic starts empty, back here the filter is back.
        await app.backend.create_topic("other", 1, 1)
        await panel.show("other")
        await settle(pilot)
        assert app.query_one("#records-text", Input).value == ""
        await panel.show("orders")
        await settle(pilot)
        assert app.query_one("#records-text", Input).value == "t-0"
        assert shown(panel) == [(0, 0), (0, 1)]


async def test_partition_and_offset_range_narrow_without_a_scan() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        await type_into(pilot, "records-partition", "0")
        assert shown(panel) == [(0, 0), (0, 1)]
        await type_into(pilot, "records-offsets", "1-")
        assert shown(panel) == [(0, 1)]
        assert isinstance(panel.table.rows, RangeRows)


async def test_a_jq_error_is_shown_inline_with_its_position() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        await type_into(pilot, "records-jq", "select(.price >)")
        text = screen_text(app)
        assert "INVALID_REQUEST: jq:" in text and "column" in text
        assert "Traceback" not in text
        assert shown(panel) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]  # the view is kept
        assert app.focused is app.query_one("#records-jq", Input)  # to fix it


async def test_seek_by_time_across_partitions() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        first = app.backend.read_log
        records = [r for p in range(3) for r in await first("orders", p, 0, 10)]
        third = sorted(records, key=lambda r: r.timestamp)[2]  # P0 offset 1
        await type_into(pilot, "records-seek", str(third.timestamp))
        # Digits are an offset (here past every partition's end); a time is ISO or relative.
        assert shown(panel) == []
        from datetime import UTC, datetime

        iso = datetime.fromtimestamp(third.timestamp / 1000, tz=UTC).isoformat()
        await type_into(pilot, "records-seek", iso)
        assert shown(panel) == [(0, 1), (1, 1), (2, 0)]
        await type_into(pilot, "records-seek", "beginning")
        assert len(shown(panel)) == 5
        await type_into(pilot, "records-partition", "1")
        await type_into(pilot, "records-seek", "end")
        assert shown(panel) == []
        await type_into(pilot, "records-partition", "")
        assert shown(panel) == [(0, 0), (0, 1), (2, 0)]  # only P1 was moved


async def test_tail_follows_new_records_with_the_filter() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        await type_into(pilot, "records-jq", ".price > 100")
        panel.table.focus()
        await pilot.press("f")
        await settle(pilot)
        assert panel.tailing and shown(panel) == []
        for price in (50, 150, 250):
            request = ProduceRequest("orders", json.dumps({"price": price}), partition=price % 3)
            await app.backend.produce(request)
        for _ in range(50):
            await asyncio.sleep(0.02)
            if len(shown(panel)) == 2:
                break
        assert [p for p, _ in shown(panel)] == [0, 1]  # 150 -> P0, 250 -> P1
        await settle(pilot)
        assert "following" in status(panel) and "scanned 3 · matched 2" in status(panel)
        assert panel.table.cursor == 1  # on the newest
        await pilot.press("p")
        assert "paused" in screen_text(app) or not panel.paused.is_set()
        await app.backend.produce(ProduceRequest("orders", json.dumps({"price": 999}), partition=2))
        await asyncio.sleep(0.3)
        assert len(shown(panel)) == 2  # paused
        await pilot.press("p")
        for _ in range(50):
            await asyncio.sleep(0.02)
            if len(shown(panel)) == 3:
                break
        assert len(shown(panel)) == 3
        await pilot.press("f")  # stop following
        await settle(pilot)
        assert not panel.tailing


async def test_detail_shows_json_hex_headers_and_batch() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        text = detail_text(app.panel)
        assert '"product": "monitor"' in text  # pretty-printed
        value = json.dumps(ORDERS[2][2]).encode()
        assert f"Value bytes · {len(value)} B" in text and "7b 22 70 72" in text
        assert "trace" in text and "t-0" in text
        assert "producer id" in text and "compression" in text
        await pilot.press("y")
        assert json.loads(app.clipboard)["offset"] == 1
        await pilot.press("escape")
        await settle(pilot)
        assert not app.panel.details_open


def test_hex_dump_reads_like_xxd() -> None:
    lines = hex_dump(b'{"a":1}\x00\xff').splitlines()
    assert lines == ['0000  7b 22 61 22 3a 31 7d 00  {"a":1}.', "0008  ff                       ."]


async def test_republish_an_edited_record_to_another_topic() -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await app.backend.create_topic("replay", 1, 1)
        await app.panel.refresh_data()
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RepublishScreen)
        screen.query_one("#republish-topic", Select).value = "replay"
        screen.query_one("#republish-value", TextArea).text = '{"price": 99}'
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, RepublishScreen)
        (record,) = await app.backend.read_log("replay", 0, 0, 10)
        assert record.key == b"client-1" and record.value == b'{"price": 99}'
        assert record.headers == (("trace", b"t-0"),)


async def test_export_writes_the_rows_shown(tmp_path: Path) -> None:
    app = RecordsApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "records-text", "client-1")
        app.panel.table.focus()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        path = tmp_path / "found.ndjson"
        await type_into(pilot, "export-path", str(path))
        with path.open() as lines:
            records = [r for _, r in read_ndjson(lines)]
        assert [(r.partition, r.offset, r.key) for r in records] == [(0, 0, b"client-1"), (0, 1, b"client-1")]


async def reset_setup(backend: EmbeddedBackend) -> None:
    """Group `batch`, no members, committed at 1 on each of three 4-record partitions."""
    await backend.create_topic("jobs", 3, 1)
    for partition in range(3):
        for n in range(4):
            await backend.produce(ProduceRequest("jobs", f"job {n}", partition=partition))
    await backend.alter_group_offsets("batch", {("jobs", p): 1 for p in range(3)})


async def test_groups_reset_offsets_dry_run_then_execute() -> None:
    from tests.tui.conftest import make_app

    app = make_app(reset_setup)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.pause()
        await pilot.press("7")
        await pilot.pause(0.2)
        await pilot.press("o")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, ResetOffsetsScreen)
        screen.query_one("#reset-to", Select).value = "to-offset"
        await pilot.pause()
        await type_into(pilot, "reset-value", "3")
        preview = str(screen.query_one("#reset-preview", Static).render())
        assert "jobs                    0         1         3        3        1" in preview
        view = await app.backend.describe_group("batch")
        assert {p.committed for p in view.partitions} == {1}  # a dry run changes nothing
        await pilot.press("ctrl+e")
        await pilot.pause(0.2)
        view = await app.backend.describe_group("batch")
        assert {(p.partition, p.committed, p.lag) for p in view.partitions} == {
            (0, 3, 1),
            (1, 3, 1),
            (2, 3, 1),
        }
        assert not isinstance(app.screen, ResetOffsetsScreen)


async def test_reset_plans_earliest_latest_and_time() -> None:
    clock = ManualClock()
    cluster = await Cluster.open(None, brokers=1, clock=clock, seed=7)
    backend = EmbeddedBackend(cluster)
    try:
        await reset_setup(backend)
        await clock.advance(60_000)
        await backend.produce(ProduceRequest("jobs", "late", partition=0))
        view = await backend.describe_group("batch")
        assert [r.new for r in await plan_group(backend, view, ResetStrategy.TO_EARLIEST)] == [0, 0, 0]
        assert [r.new for r in await plan_group(backend, view, ResetStrategy.TO_LATEST)] == [5, 4, 4]
        late = str(clock.now_ms() - 1)  # epoch ms: only the last record is that recent
        plan = await plan_group(backend, view, ResetStrategy.TO_DATETIME, late)
        assert [r.new for r in plan] == [4, 4, 4]  # P1 and P2 have none: their end
        marks = {(p.topic, p.partition): p.high_watermark for p in view.partitions}
        assert dry_run_text(plan, marks).splitlines()[1].split() == ["jobs", "0", "1", "4", "4", "1"]
        assert [r.new for r in await plan_group(backend, view, ResetStrategy.SHIFT_BY, "-5")] == [0, 0, 0]
    finally:
        await backend.close()


async def test_a_topics_filter_is_there_in_the_next_session_until_cleared(tmp_path: Path) -> None:
    path = tmp_path / "filters.json"
    app = RecordsApp(orders, SavedFilters(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "records-text", "client-1")
        await type_into(pilot, "records-jq", "select(.price > 10)")
        assert shown(app.panel) == [(0, 1)]
    assert json.loads(path.read_text())["topics"] == {
        "orders": {"text": "client-1", "jq": "select(.price > 10)"}
    }

    app = RecordsApp(orders, SavedFilters(path))  # a new session: a new cluster, the same file
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.panel.query_one("#records-jq", Input).value == "select(.price > 10)"
        assert shown(app.panel) == [(0, 1)]
        await pilot.press("c")
        await settle(pilot)
        assert app.panel.query_one("#records-text", Input).value == "" and len(shown(app.panel)) == 5
    assert json.loads(path.read_text())["topics"] == {}
    assert SavedFilters(path).load() == {}


async def test_an_unreadable_filters_file_is_a_warning_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "filters.json"
    path.write_text('{"version": 1, "topics": {"orders": {"jq": 5}, "other": {"text": "x", "regex": true}}}')
    saved = SavedFilters(path)
    assert saved.load() == {"other": FilterSpec(text="x", regex=True)}
    assert saved.warnings == [f"{path}: the filter of topic 'orders' is not one; left out"]
    path.write_text("{not json")
    app = RecordsApp(orders, SavedFilters(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [n.title for n in app._notifications] == ["Saved filters"]
        assert len(shown(app.panel)) == 5  # empty filters, the panel works
        await type_into(pilot, "records-text", "mouse")
    assert json.loads(path.read_text())["topics"] == {"orders": {"text": "mouse"}}


async def committed(backend: EmbeddedBackend, group: str) -> dict[int, int]:
    return {p.partition: p.committed for p in (await backend.describe_group(group)).partitions}


async def test_a_group_is_reset_to_the_selected_record_after_a_dry_run() -> None:
    async def setup(backend: EmbeddedBackend, clock: ManualClock) -> None:
        await reset_setup(backend)
        await backend.alter_group_offsets("other", {("jobs", 0): 0})

    app = RecordsApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.panel.table.cursor = app.panel.table.rows.find(1, 2)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResetOffsetsScreen)
        assert "--topic jobs:1 --to-offset 2" in str(screen.query_one("#reset-title", Static).render())
        screen.query_one("#reset-group", Select).value = "batch"
        await settle(pilot)
        lines = str(screen.query_one("#reset-preview", Static).render()).splitlines()
        assert lines[1].split() == ["jobs", "1", "1", "2", "3", "2"] and len(lines) == 4  # P1 only
        assert await committed(app.backend, "batch") == {0: 1, 1: 1, 2: 1}  # a dry run changes nothing
        screen.query_one("#reset-group", Select).value = "other"  # no offset on P1 yet: lag from its HW
        await settle(pilot)
        lines = str(screen.query_one("#reset-preview", Static).render()).splitlines()
        assert lines[1].split() == ["jobs", "1", "-", "2", "-", "2"]
        screen.query_one("#reset-group", Select).value = "batch"
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert not isinstance(app.screen, ResetOffsetsScreen)
        assert await committed(app.backend, "batch") == {0: 1, 1: 2, 2: 1}

        # A group with a member: Kafka resets only an inactive group, and nothing is executed.
        await app.backend.add_consumer("batch", "jobs", "range")
        await app.backend.cluster.settle()  # the JoinGroup arrives: PreparingRebalance
        app.panel.table.cursor = app.panel.table.rows.find(2, 3)
        await pilot.press("o")
        await settle(pilot)
        app.screen.query_one("#reset-group", Select).value = "batch"
        await settle(pilot)
        preview = str(app.screen.query_one("#reset-preview", Static).render())
        assert preview.startswith(
            "NON_EMPTY_GROUP: Assignments can only be reset if the group 'batch' is inactive"
        )
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, ResetOffsetsScreen)
        assert (await committed(app.backend, "batch"))[2] == 1


async def many(backend: EmbeddedBackend, clock: ManualClock) -> None:
    """20,000 JSON records in one partition, in batches of 500 (one produce each would be slow)."""
    from kafkatui.common.clients import ProducerConfig
    from kafkatui.engine.clients.producer import Producer

    await backend.create_topic("big", 1, 1)
    producer = Producer(backend.cluster, ProducerConfig(acks="1", linger_ms=5, batch_size=64 * 1024))
    for n in range(20_000):
        await producer.send("big", json.dumps({"n": n}).encode(), key=b"k")
    await producer.flush()
    await producer.close()


async def test_a_large_topic_reads_only_what_the_screen_shows() -> None:
    app = RecordsApp(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.panel.table
        assert len(table.rows) == 20_000
        assert table.pages is not None and table.pages.records_fetched < 2_000
        await pilot.press("end")
        await settle(pilot)
        record = table.record_at(19_999)
        assert record is not None and json.loads(record.value or b"") == {"n": 19_999}
        await pilot.press("pageup", "pageup")
        await settle(pilot)
        assert table.pages.records_fetched < 4_000  # the start and the end, not the middle
        assert table.pages.cached_pages <= table.pages.capacity


async def test_a_topic_shown_asks_for_its_first_page_before_it_is_drawn() -> None:
    """Showing a topic starts the read of the pages under the screen at once, so the
    read overlaps the layout and drawing instead of waiting for the first render."""

    async def two(backend: EmbeddedBackend, clock: ManualClock) -> None:
        await orders(backend, clock)
        await backend.create_topic("another", 1, 1)
        await backend.produce(ProduceRequest("another", "a value", partition=0))

    app = RecordsApp(two)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.panel.topic == "another"
        await app.panel.show("orders")  # nothing drawn meanwhile: show() never yields
        table = app.panel.table
        assert table.pages is not None and table.pages.topic == "orders"
        reading = [w for w in app.workers if w.group == table.PAGES_GROUP and not w.is_finished]
        assert reading or table.pages.loaded(0, 0)
        await settle(pilot)
        assert table.record_at(0) is not None and "keyboard" in screen_text(app)


async def test_a_scan_can_be_cancelled() -> None:
    app = RecordsApp(many)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        panel.query_one("#records-jq", Input).value = ".n % 2 == 0"
        await panel.apply()
        assert panel.scanning
        await pilot.press("x")
        await settle(pilot)
        assert not panel.scanning and status(panel).startswith("cancelled")
        assert panel.compiled is not None and panel.compiled.counts.scanned < 20_000


async def test_over_the_wire_filter_and_tail(tmp_path: Path) -> None:
    """The same panel on a RemoteBackend (librdkafka) against a served cluster."""
    from tests.tui.conftest import make_remote_app, sales
    from tests.wire.conftest import ServedCluster

    served = ServedCluster()
    try:
        app = make_remote_app(served.bootstrap, sales)
        async with app.run_test(size=SIZE) as pilot:
            await app.ready.wait()
            await pilot.press("0")
            await pilot.pause(0.2)
            panel = app.panel("records")
            assert isinstance(panel, RecordsPanel)
            await panel.show("sales")
            panel.query_one("#records-jq", Input).value = "select(.price > 10)"
            await panel.apply()
            await settle(pilot)
            prices = []
            for row in range(len(panel.table.rows)):
                record = await panel.table.load_record(row)
                assert record is not None
                prices.append(json.loads(record.value or b"")["price"])
            assert sorted(prices) == [11, 25, 120]
            panel.table.focus()
            await pilot.press("f")
            await pilot.pause(0.5)
            await app.backend.produce(ProduceRequest("sales", json.dumps({"price": 500}), key="client-9"))
            await app.backend.produce(ProduceRequest("sales", json.dumps({"price": 1}), key="client-9"))
            for _ in range(100):
                await pilot.pause(0.1)
                if len(panel.table.rows) and panel.compiled and panel.compiled.counts.scanned == 2:
                    break
            assert len(panel.table.rows) == 1
            record = await panel.table.load_record(0)
            assert record is not None and record.value == b'{"price": 500}'
            await pilot.press("f")
            await settle(pilot)
    finally:
        served.close()


async def mixed_times(backend: EmbeddedBackend, clock: ManualClock) -> None:
    """P0 written under CreateTime, then the topic switched to LogAppendTime for P1."""
    await backend.create_topic("mixed", 2, 1)
    for n in range(3):
        await clock.advance(60_000)
        await backend.produce(ProduceRequest("mixed", f"create {n}", partition=0))
    await backend.alter_topic_configs("mixed", {"message.timestamp.type": "LogAppendTime"})
    for n in range(3):
        await clock.advance(60_000)
        await backend.produce(ProduceRequest("mixed", f"append {n}", partition=1))


async def test_seek_by_time_with_create_and_log_append_time() -> None:
    from datetime import UTC, datetime

    app = RecordsApp(mixed_times)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.panel
        types = {(await panel.table.load_record(r)).batch.timestamp_type for r in range(6)}  # type: ignore[union-attr]
        assert types == {"CreateTime", "LogAppendTime"}
        p0 = await app.backend.read_log("mixed", 0, 0, 10)
        p1 = await app.backend.read_log("mixed", 1, 0, 10)
        # Just after P1's first record: P0 (CreateTime) has nothing that recent, P1 from 1.
        moment = p1[0].timestamp + 1
        assert p0[-1].timestamp < moment < p1[1].timestamp
        await type_into(pilot, "records-seek", datetime.fromtimestamp(moment / 1000, tz=UTC).isoformat())
        assert shown(panel) == [(1, 1), (1, 2)]
        assert "L " in screen_text(app)  # the timestamp type column
