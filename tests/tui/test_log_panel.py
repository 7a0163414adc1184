"""The Log panel: partitions as rows of offset boxes, over a seeded manual-clock cluster."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select

from kafkatui.backends.base import BatchView, LogRecordView, ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.panels.log import NO_TOPICS, LogPanel
from kafkatui.tui.screens.jump import JumpScreen
from kafkatui.tui.stylesheets import component_stylesheets
from kafkatui.tui.widgets.log_pages import PAGE_SIZE, Cursor, LogPages, PartitionBounds
from kafkatui.tui.widgets.log_view import LogView

SIZE = (120, 36)
Setup = Callable[[EmbeddedBackend], Awaitable[None]]

ORDERS = [  # (partition, key, value)
    (0, "client-1", {"price": 10, "product": "keyboard"}),
    (0, "client-1", {"price": 11, "product": "monitor"}),
    (0, None, "no key"),
    (1, "client-2", {"price": 7, "product": "mouse"}),
    (1, "client-2", {"price": 25, "product": "headset"}),
]


class LogApp(App[None]):
    """Just the Log panel over a fresh three-broker cluster prepared by `setup`."""

    CSS_PATH = component_stylesheets()

    def __init__(self, setup: Setup | None = None) -> None:
        super().__init__()
        self.setup = setup
        self.ready = asyncio.Event()

    async def on_mount(self) -> None:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        self.backend = EmbeddedBackend(cluster)
        if self.setup is not None:
            await self.setup(self.backend)
        self.panel = LogPanel(self.backend)
        await self.mount(self.panel)
        await self.panel.refresh_data()
        self.panel.log_view.focus()
        self.ready.set()

    async def on_unmount(self) -> None:
        await self.backend.close()


async def orders(backend: EmbeddedBackend) -> None:
    await backend.create_topic("orders", 3, 1)
    for partition, key, value in ORDERS:
        text = value if isinstance(value, str) else json.dumps(value)
        await backend.produce(ProduceRequest("orders", text, key=key, partition=partition))


async def settle(pilot: Pilot[None]) -> None:
    """Let key handlers, log reads and the redraws after them finish."""
    await pilot.app.ready.wait()  # type: ignore[attr-defined]
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def parts(app: LogApp) -> tuple[LogPanel, LogView]:
    return app.panel, app.panel.log_view


async def test_records_sit_at_their_partition_and_offset() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _, view = parts(app)
        assert view.topic == "orders"
        assert [(b.log_end, b.high_watermark) for b in view.bounds] == [(3, 3), (2, 2), (0, 0)]
        assert view.cursor == Cursor(0, 2)  # the last record, following the log
        record = view.record_at(Cursor(0, 1))
        assert record is not None and record.key == b"client-1"
        assert json.loads(record.value or b"") == {"price": 11, "product": "monitor"}
        assert view.record_at(Cursor(1, 0)).key == b"client-2"  # type: ignore[union-attr]
        text = screen_text(app)
        assert "P0  leader" in text and "HW 3 │ LEO 3" in text
        assert "┌0─────────┐┌1─────────┐┌2─────────┐╎HW 3" in text
        assert "│client-1  ││client-1  ││(null)    │╎LEO 3" in text
        assert '└{"price":…┘' in text and "└no key────┘" in text
        assert "empty: nothing produced yet" in text  # P2
        assert "P0 · offset 2 · key (null)" in text


async def test_no_topics_says_where_to_create_one() -> None:
    app = LogApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert NO_TOPICS in screen_text(app)
        await app.backend.create_topic("fresh", 1, 1)
        await app.panel.refresh_data()
        await settle(pilot)
        text = screen_text(app)
        assert NO_TOPICS not in text
        assert "empty: nothing produced yet" in text
        events = app.backend.bus.subscribe()
        await app.backend.delete_topic("fresh")
        app.panel.on_engine_events(events.drain())
        await settle(pilot)
        assert app.panel.topic is None
        assert NO_TOPICS in screen_text(app)


async def test_keys_move_the_cursor() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _, view = parts(app)
        await pilot.press("left")
        assert view.cursor == Cursor(0, 1)
        await pilot.press("home")
        assert view.cursor == Cursor(0, 0)
        await pilot.press("right")
        assert view.cursor == Cursor(0, 1)
        await pilot.press("down")
        assert view.cursor == Cursor(1, 1)
        await pilot.press("down")  # P2 is empty: the cursor rests on its log start
        assert view.cursor == Cursor(2, 0)
        await pilot.press("up", "up")  # back to the offset it came from
        assert view.cursor == Cursor(0, 1)
        await pilot.press("end")
        assert view.cursor == Cursor(0, 2)
        await pilot.press("right")  # no further than the last record
        assert view.cursor == Cursor(0, 2)
        await pilot.press("pageup")
        assert view.cursor == Cursor(0, 0)
        await pilot.press("pagedown")
        assert view.cursor == Cursor(0, 2)


async def test_click_selects_a_box_and_clicking_it_again_opens_it() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel, view = parts(app)
        # P1 is the second row: its boxes are lines 5-7; offset 1 is the second box.
        await pilot.click(LogView, offset=(1 + 12 + 3, 4 + 2))
        assert view.cursor == Cursor(1, 1)
        assert not panel.details_open
        await pilot.click(LogView, offset=(1 + 12 + 3, 4 + 2))
        await settle(pilot)
        assert panel.details_open
        assert panel.detail.record is not None and panel.detail.record.offset == 1


async def test_jump_to_an_offset_and_out_of_range_is_a_message() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _, view = parts(app)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)
        await pilot.press("4", "2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)  # still open, with the reason
        error = str(app.screen.query_one("#jump-error", Label).render())
        assert "Offset 42 is out of range: P0 holds 0…2" in error
        app.screen.query_one(Input).value = "1"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, JumpScreen)
        assert view.cursor == Cursor(0, 1)
        await pilot.press("g", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, JumpScreen)
        assert view.cursor == Cursor(0, 1)


async def test_enter_shows_the_record_and_its_batch() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel, _ = parts(app)
        await pilot.press("home", "enter")
        await settle(pilot)
        assert panel.details_open
        text = screen_text(app)
        assert "offset         0" in text or "offset    0" in text
        assert '"product": "keyboard"' in text  # pretty-printed JSON
        assert "2026-01-01T00:00:00.000Z" in text
        for field in ("base offset", "last offset", "records", "size", "CRC-32C", "leader epoch"):
            assert field in text
        for field in ("producer id", "producer epoch", "base sequence", "transactional", "control"):
            assert field in text
        assert "compression    none" in text and "timestamp type CreateTime" in text
        await pilot.press("right")  # the open detail follows the cursor
        await settle(pilot)
        assert panel.detail.record is not None and panel.detail.record.offset == 1
        await pilot.press("escape")
        assert not panel.details_open


async def test_live_records_move_the_end_marker_and_a_cursor_at_the_end_follows() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel, view = parts(app)
        events = app.backend.bus.subscribe()
        await app.backend.produce(ProduceRequest("orders", "new", key="client-9", partition=0))
        panel.on_engine_events(events.drain())
        await settle(pilot)
        assert view.cursor == Cursor(0, 3)
        text = screen_text(app)
        assert "HW 4 │ LEO 4" in text and "╎LEO 4" in text and "│client-9  │" in text
        await pilot.press("home")
        await app.backend.produce(ProduceRequest("orders", "later", key="client-9", partition=0))
        panel.on_engine_events(events.drain())
        await settle(pilot)
        assert view.cursor == Cursor(0, 0)  # not following: stays put
        assert "HW 5 │ LEO 5" in screen_text(app)


async def test_records_past_the_high_watermark_are_dimmed() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _, view = parts(app)
        view.update_bounds([PartitionBounds(0, 1, 0, 2, 3), *view.bounds[1:]])
        await pilot.press("home")
        await settle(pilot)
        segments = list(view.render_line(2))  # the key line of P0
        dimmed = {s.text for s in segments if s.style and s.style.dim}
        assert "(null)    " in dimmed  # offset 2 >= HW 2
        assert "client-1  " not in dimmed
        assert "HW 2 │ LEO 3" in screen_text(app)


async def test_read_errors_are_notifications_not_tracebacks() -> None:
    async def setup(backend: EmbeddedBackend) -> None:
        await orders(backend)

        async def broken(*_: object) -> list[object]:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, "orders-0 has no leader right now")

        backend.read_log = broken  # type: ignore[method-assign]

    app = LogApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [n.title for n in app._notifications]
        assert "LEADER_NOT_AVAILABLE" in titles
        assert "│…         │" in screen_text(app)  # unread boxes stay placeholders


async def test_a_large_partition_jumps_anywhere_reading_only_what_it_shows() -> None:
    total = 100_000

    async def big(backend: EmbeddedBackend) -> None:
        await backend.create_topic("big", 2, 1)
        producer = Producer(backend.cluster, ProducerConfig(linger_ms=0, batch_size=64 * 1024))
        for i in range(total):
            await producer.send("big", f"v{i}", key=f"k{i % 7}", partition=0)
        await producer.close()

    app = LogApp(big)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _, view = parts(app)
        assert view.cursor == Cursor(0, total - 1)
        for target in (99_999, 50_000):
            await pilot.press("g", *str(target), "enter")
            await settle(pilot)
            assert view.cursor == Cursor(0, target)
            assert f"┌{target}" in screen_text(app)
            record = view.record_at(view.cursor)
            assert record is not None and record.value == f"v{target}".encode()
        for target in (0, 73_512, 31_337):
            view.move_to(0, target)
            await settle(pilot)
            record = view.record_at(view.cursor)
            assert record is not None and record.value == f"v{target}".encode()
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert view.record_at(view.cursor) is not None
        pages = view.pages
        assert pages.reads <= 6
        assert pages.records_fetched <= 6 * PAGE_SIZE
        assert pages.cached_records <= pages.capacity * PAGE_SIZE < total // 4


def test_snapshot_of_records_and_details(snap_compare: Callable[..., bool]) -> None:
    async def open_second_record(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("home", "right", "enter")
        await settle(pilot)

    assert snap_compare(LogApp(orders), terminal_size=SIZE, run_before=open_second_record)


def test_same_key_same_colour() -> None:
    from kafkatui.tui.widgets.record_text import KEY_PALETTE, key_style

    assert key_style(b"client-1") == key_style(b"client-1")
    assert {key_style(f"k{i}".encode()) for i in range(200)} == {Style(color=c) for c in KEY_PALETTE}


class FakeLog:
    """`read_log` over an in-memory log of two partitions, batches of 7 records."""

    ends = (1000, 40)

    def __init__(self) -> None:
        self.reads = 0

    async def read_log(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
        self.reads += 1
        first = offset - offset % 7  # whole batches: may start before `offset`
        last = min(self.ends[partition], max(offset + limit, first + 7))
        batch = BatchView(first, first + 6, 7, 100, 0, 0, -1, -1, -1, False, False, "none", "CreateTime", 0)
        return [
            LogRecordView(partition, o, 0, None, f"{partition}:{o}".encode(), (), batch)
            for o in range(first, last)
        ]


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 6),
    page_size=st.sampled_from([5, 16, 64]),
    reads=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1100)), max_size=30),
)
def test_pages_stay_bounded_and_hold_the_right_records(
    capacity: int, page_size: int, reads: list[tuple[int, int]]
) -> None:
    log = FakeLog()
    pages = LogPages(log, "t", page_size=page_size, capacity=capacity)  # type: ignore[arg-type]

    async def run() -> None:
        for partition, offset in reads:
            end = log.ends[partition]
            for index in pages.claim(partition, offset, offset):
                await pages.load(partition, index, end)
            assert pages.cached_pages <= capacity
            record = pages.get(partition, offset)
            if offset < end:
                assert record is not None and record.value == f"{partition}:{offset}".encode()
            else:
                assert record is None
        for partition, offset in reads:  # whatever is cached is right
            record = pages.get(partition, offset)
            assert record is None or (record.partition, record.offset) == (partition, offset)

    asyncio.run(run())
    assert pages.records_fetched <= len(reads) * (page_size + 7)


def test_transaction_markers_are_named() -> None:
    from kafkatui.engine.log.records import decode_batch, encode_txn_marker
    from kafkatui.tui.widgets.record_text import control_label

    commit = decode_batch(encode_txn_marker(7, 0, True, 0, 0)).records[0]
    abort = decode_batch(encode_txn_marker(7, 0, False, 0, 0)).records[0]
    assert control_label(commit.key) == "✔ COMMIT"
    assert control_label(abort.key) == "✘ ABORT"
    assert control_label(None) == control_label(b"\x00") == "(control)"


async def test_escape_leaves_the_topic_field_before_it_closes_the_details() -> None:
    app = LogApp(orders)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # details open
        await settle(pilot)
        app.query_one("#log-topic", Select).focus()
        await pilot.press("escape")
        assert app.focused is app.panel and app.panel.details_open
        await pilot.press("escape")
        assert not app.panel.details_open
