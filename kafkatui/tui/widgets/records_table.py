"""The Records panel's table: one line per record (partition, offset, timestamp and its
type, key, headers, size, schema id, value preview).

Virtual (`log_paged.PagedLogWidget`, as the log view): `rows` says which record a line
shows (`records_rows`), and only the pages of the log under the visible lines are read
through `Backend.read_log` into a bounded LRU (`log_pages.LogPages`), so opening or
scrolling a topic of millions of records reads what the screen shows and keeps at most a
few pages.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from kafkatui.backends.base import Backend, LogRecordView
from kafkatui.tui.registry import looks_framed
from kafkatui.tui.widgets.log_paged import PagedLogWidget
from kafkatui.tui.widgets.log_pages import PAGE_CAPACITY, LogPages
from kafkatui.tui.widgets.record_detail import iso_timestamp
from kafkatui.tui.widgets.record_text import control_label, fit, key_style, printable
from kafkatui.tui.widgets.records_rows import RangeRows, Rows

PREFETCH = 128  # rows above and below the screen read ahead
# (title, width); the value takes what is left. Narrower than WIDE (the details open
# beside the table), the time of day only and no header count, timestamp type or schema.
COLUMNS = (("P", 3), ("offset", 9), ("timestamp", 24), ("T", 1), ("key", 16), ("hdr", 3), ("size", 7),
           ("schema", 6))  # fmt: skip
NARROW = (("P", 3), ("offset", 9), ("time", 12), ("key", 12), ("size", 6))
WIDE = 110
VALUE_MIN = 10


def columns(width: int) -> tuple[tuple[str, int], ...]:
    return COLUMNS if width >= WIDE else NARROW


def record_size(record: LogRecordView) -> int:
    """The record's key, value and headers in bytes (what a consumer receives)."""
    size = len(record.key or b"") + len(record.value or b"")
    return size + sum(len(k.encode()) + len(v or b"") for k, v in record.headers)


def schema_id(value: bytes | None) -> int | None:
    """The schema id of a value in Confluent's wire format (magic 0, 4-byte id)."""
    return int.from_bytes(value[1:5], "big") if value is not None and looks_framed(value) else None


def header_line(width: int) -> str:
    cells = [fit(title, w) for title, w in columns(width)]
    return fit(" ".join([*cells, "value"]), width)


class RecordsTable(PagedLogWidget):
    """Records, a line each under a line of column titles, with a cursor; `rows`
    chooses which."""

    PAGES_GROUP = "records-pages"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Previous record", show=False, id="records.up"),
        Binding("down", "move(1)", "Next record", show=False, id="records.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="records.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="records.page_down"),
        Binding("home", "first", "First record", show=False, id="records.first"),
        Binding("end", "last", "Last record", show=False, id="records.last"),
        Binding("enter", "choose", "Details", id="records.details"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "records-table--header",
        "records-table--cursor",
        "records-table--dim",
        "records-table--marker",
    }

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        def __init__(self, row: int, record: LogRecordView | None) -> None:
            super().__init__()
            self.row = row
            self.record = record

    class Chosen(Message):
        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    class ReadFailed(PagedLogWidget.ReadFailed):
        pass

    def __init__(self, backend: Backend, *, id: str | None = None) -> None:
        super().__init__(backend, id=id)
        self.rows: Rows = RangeRows([])
        self.pages: LogPages | None = None
        self.log_ends: dict[int, int] = {}
        self.following = False  # the cursor stays on the last row as rows arrive

    # --- what the panel sets ---------------------------------------------------------

    def show(self, topic: str, rows: Rows, log_ends: dict[int, int]) -> None:
        """Show `rows` of `topic` (a new topic: its pages are read afresh)."""
        if topic != self.topic or self.pages is None:
            self.pages = LogPages(self.backend, topic)
        self.topic = topic
        self.log_ends = log_ends
        self.rows = rows
        self.following = False
        self.set_reactive(RecordsTable.cursor, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.rows_changed()
        # The first screen's pages now, not at the first render: their read (SQLite, in
        # aiosqlite's thread) overlaps the layout and the drawing of everything else.
        self.read_visible()

    def rows_changed(self) -> None:
        """`rows` grew (a scan, the tail): the table's height follows; the cursor too
        when it follows."""
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)  # + the titles
        if self.following and len(self.rows):
            # After the layout has taken the new height: scrolling now would stop at the old end.
            self.call_after_refresh(self._to_last)
        self.refresh()

    def _to_last(self) -> None:
        if self.following and len(self.rows):
            self.cursor = len(self.rows) - 1
            self.scroll_to_region(Region(0, self.cursor, 1, 2), animate=False, immediate=True)

    def appended(self, log_ends: dict[int, int]) -> None:
        """New records: pages read before them are read again when shown."""
        if self.pages is not None:
            for partition, end in log_ends.items():
                if end != self.log_ends.get(partition):
                    self.pages.appended(partition)
        self.log_ends = log_ends

    def arrived(self, partitions: set[int]) -> None:
        """Records a consumer saw in these partitions: pages read before them are read
        again (the HW the topic's description gives may not have moved yet)."""
        if self.pages is not None:
            for partition in partitions:
                self.pages.appended(partition)

    def record_at(self, row: int) -> LogRecordView | None:
        if self.pages is None or not 0 <= row < len(self.rows):
            return None
        return self.pages.get(*self.rows.at(row))

    async def load_record(self, row: int) -> LogRecordView | None:
        """The record on `row`, read now if its page is not."""
        if self.pages is None or not 0 <= row < len(self.rows):
            return None
        partition, offset = self.rows.at(row)
        record = self.pages.get(partition, offset)
        if record is None:  # not read yet, or read before this record was written
            end = max(self.log_ends.get(partition, 0), offset + 1)
            await self.pages.load(partition, offset // self.pages.page_size, end)
            record = self.pages.get(partition, offset)
        return record

    # --- the cursor ------------------------------------------------------------------

    def validate_cursor(self, row: int) -> int:
        return min(max(row, 0), max(len(self.rows) - 1, 0))

    def watch_cursor(self, row: int) -> None:
        # Row r is virtual line r + 1 (under the titles, which never scroll): both lines
        # in view keep it below them.
        self.scroll_to_region(Region(0, row, 1, 2), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(row, self.record_at(row)))

    def action_move(self, delta: int) -> None:
        self.following = False
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.following = False
        self.cursor += direction * max(1, self.size.height - 2)

    def action_first(self) -> None:
        self.following = False
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_choose(self) -> None:
        if len(self.rows):
            self.post_message(self.Chosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        row = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= row < len(self.rows):
            again = row == self.cursor
            self.following = False
            self.cursor = row
            if again or event.chain > 1:
                self.post_message(self.Chosen(row))

    # --- reading ---------------------------------------------------------------------

    def read_visible(self) -> None:
        pages = self.pages
        if pages is None or not len(self.rows):
            return
        top = max(0, self.scroll_offset.y - PREFETCH)
        bottom = min(len(self.rows), self.scroll_offset.y + self.size.height + PREFETCH)
        wanted: dict[int, tuple[int, int]] = {}  # partition -> first and last offset
        for row in range(top, bottom):
            partition, offset = self.rows.at(row)
            first, last = wanted.get(partition, (offset, offset))
            wanted[partition] = (min(first, offset), max(last, offset))
        if not wanted:
            return
        # A filter's matches may lie a page apart each: keep every page the screen needs.
        needed = sum(
            last // pages.page_size - first // pages.page_size + 1 for first, last in wanted.values()
        )
        pages.capacity = max(PAGE_CAPACITY, 2 * min(needed, bottom - top))
        for partition, (first, last) in wanted.items():
            end = self.log_ends.get(partition, last + 1)
            self.read_pages(pages, partition, pages.claim(partition, first, last), end)

    def current_pages(self) -> LogPages | None:
        return self.pages

    def page_read(self, pages: LogPages, partition: int, index: int) -> None:
        self.post_message(self.Highlighted(self.cursor, self.record_at(self.cursor)))

    # --- rendering -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if not self._paint:
            self.prepare_render()
        paint = self._paint
        width = self.scrollable_content_region.width
        base = paint["base"]
        if y == 0:
            return Strip([Segment(header_line(width), paint["records-table--header"])]).crop_extend(
                0, width, base
            )
        row = y - 1 + self.scroll_offset.y
        if row >= len(self.rows):
            return Strip.blank(width, base)
        partition, offset = self.rows.at(row)
        record = self.pages.get(partition, offset) if self.pages is not None else None
        cursor = row == self.cursor and self.has_focus
        segments = self._cells(partition, offset, record, paint, width)
        strip = Strip(segments).crop_extend(0, width, base)
        if row == self.cursor:
            style = (
                paint["records-table--cursor"]
                if cursor
                else paint["records-table--dim"] + Style(reverse=True)
            )
            strip = strip.apply_style(style)
        return strip

    def _cells(
        self, partition: int, offset: int, record: LogRecordView | None, paint: dict[str, Style], width: int
    ) -> list[Segment]:
        base, dim = paint["base"], paint["records-table--dim"]
        chosen = columns(width)
        widths = [w for _, w in chosen]
        value_width = max(VALUE_MIN, width - sum(widths) - len(widths))
        lead = [
            Segment(fit(str(partition), widths[0]) + " ", base),
            Segment(fit(str(offset), widths[1]) + " ", base),
        ]
        if record is None:
            loaded = self.pages is not None and self.pages.loaded(partition, offset)
            note = "no record at this offset (compacted or deleted)" if loaded else "…"
            return [*lead, Segment(note, dim)]
        b = record.batch
        wide = chosen is COLUMNS
        moment = iso_timestamp(record.timestamp)
        ts = Segment(fit(moment if wide else moment[11:23], widths[2]) + " ", base)
        kind = [Segment(("L" if b.timestamp_type == "LogAppendTime" else "C") + " ", dim)] if wide else []
        if b.is_control:
            return [*lead, ts, *kind, Segment(control_label(record.key), paint["records-table--marker"])]
        key_width = widths[4 if wide else 3]
        if record.key is None:
            key = Segment(fit("(null)", key_width) + " ", dim)
        else:
            key = Segment(fit(printable(record.key), key_width) + " ", base + key_style(record.key))
        size = Segment(fit(f"{record_size(record)}", widths[6 if wide else 4]) + " ", base)
        sid = schema_id(record.value)
        extra = []
        if wide:
            count = str(len(record.headers)) if record.headers else ""
            extra = [
                Segment(fit(count, widths[5]) + " ", base),
                size,
                Segment(fit("" if sid is None else str(sid), widths[7]) + " ", base),
            ]
        if record.value is None:
            value = Segment(fit("null (tombstone)", value_width), dim)
        elif sid is not None:
            value = Segment(fit(f"framed: {len(record.value) - 5} B payload", value_width), dim)
        else:
            value = Segment(fit(printable(record.value), value_width), base)
        return [*lead, ts, *kind, key, *(extra or [size]), value]
