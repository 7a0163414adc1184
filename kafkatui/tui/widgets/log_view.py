"""The log view: each partition of a topic is a row of offset boxes, one box per record.

Virtualized (`log_paged.PagedLogWidget`, as the Records panel's table): only the boxes
on screen are rendered (Textual's Line API), and only the pages of the log around them
are read through `Backend.read_log` into a bounded LRU (`log_pages.LogPages`), so a
million-record partition costs what the screen shows. Every row shows the same window of
offsets, which follows the cursor, so offsets line up vertically. How a record's bytes
read as text: `record_text.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from kafkatui.backends.base import Backend, LogLayout, LogRecordView, StableOffsets
from kafkatui.tui.widgets.log_paged import PagedLogWidget
from kafkatui.tui.widgets.log_pages import PAGE_CAPACITY, Cursor, LogPages, PartitionBounds
from kafkatui.tui.widgets.record_text import control_label, fit, key_style, printable

PREFETCH = 64  # offsets either side of the window read ahead, so scrolling rarely waits
ROW_HEIGHT = 4  # info line + the three lines of a box
BOX_WIDTH = 12
GUTTER = 1


class LogView(PagedLogWidget):
    """A topic's partitions as rows of offset boxes, with a cursor on one record."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_offset(-1)", "Previous offset", show=False, id="log.previous_offset"),
        Binding("right", "move_offset(1)", "Next offset", show=False, id="log.next_offset"),
        Binding("up", "move_partition(-1)", "Previous partition", show=False, id="log.previous_partition"),
        Binding("down", "move_partition(1)", "Next partition", show=False, id="log.next_partition"),
        Binding("pageup", "move_page(-1)", "Page back", show=False, id="log.page_back"),
        Binding("pagedown", "move_page(1)", "Page forward", show=False, id="log.page_forward"),
        Binding("home", "log_start", "Log start", show=False, id="log.start"),
        Binding("end", "log_end", "Last offset", show=False, id="log.end"),
        Binding("enter", "choose", "Details", id="log.details"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--cursor",
        "log-view--label",
        "log-view--label-cursor",
        "log-view--info",
        "log-view--null-key",
        "log-view--placeholder",
        "log-view--value",
        "log-view--marker",
        "log-view--reader",
        "log-view--segment",
        "log-view--cleaned",
        "log-view--aborted",
        "log-view--open-txn",
    }

    class Highlighted(Message):
        """The cursor moved, or the record under it was just read (`record` is None if unread)."""

        def __init__(self, cursor: Cursor, record: LogRecordView | None) -> None:
            super().__init__()
            self.cursor = cursor
            self.record = record

    class Chosen(Message):
        """The user asked for the details of the record under the cursor (enter, click)."""

        def __init__(self, cursor: Cursor) -> None:
            super().__init__()
            self.cursor = cursor

    class ReadFailed(PagedLogWidget.ReadFailed):
        pass

    cursor: reactive[Cursor] = reactive(Cursor(0, 0), always_update=True, init=False)

    def __init__(self, backend: Backend, *, id: str | None = None) -> None:
        super().__init__(backend, id=id)
        self.bounds: tuple[PartitionBounds, ...] = ()
        self.pages = LogPages(backend, "")
        self.window_start = 0
        # partition -> (consumer, the offset its next poll returns): the group panel's
        # consumers, drawn where they read.
        self.readers: dict[int, tuple[tuple[str, int], ...]] = {}
        # partition -> segments and the dirty split (compacted topics), and the offsets
        # the log cleaner just removed (drawn as "cleaned" for a moment, then gaps).
        self.log_layout: dict[int, LogLayout] = {}
        self.cleaned: dict[int, frozenset[int]] = {}
        # Transactions (KIP-98): per partition the LSO and the open and aborted
        # transactions; read_committed draws only what such a consumer is given.
        self.stable: dict[int, StableOffsets] = {}
        self.read_committed = False
        self._goal: int | None = None  # offset kept while moving across partitions
        self._center = False
        # Sizes for one render, computed once in render_lines, not per line.
        self._width = 0
        self._slots = 1

    # --- state -----------------------------------------------------------------------

    def show_topic(self, topic: str, bounds: Sequence[PartitionBounds], cursor: Cursor | None = None) -> None:
        """Show `topic` from scratch; without a cursor, at the last offset of partition 0."""
        self.topic = topic
        self.bounds = tuple(bounds)
        self.pages = LogPages(self.backend, topic)
        self.virtual_size = Size(0, len(self.bounds) * ROW_HEIGHT)
        self.window_start = 0
        self._goal = None
        self._center = cursor is not None
        self.cursor = cursor or Cursor(0, self.bounds[0].last if self.bounds else 0)

    def update_bounds(self, bounds: Sequence[PartitionBounds], appended: Collection[int] = ()) -> None:
        """New HW/LEO per partition; a cursor on the last record stays on the last record."""
        following = self.following
        self.bounds = tuple(bounds)
        self.virtual_size = Size(0, len(self.bounds) * ROW_HEIGHT)
        for partition in appended:
            self.pages.appended(partition)
        self.pages.forget_failures()
        if following and self.bounds:
            self.cursor = Cursor(self.cursor.partition, self.bounds[self.cursor.partition].last)
        else:
            self.cursor = self.cursor  # re-clamped if the log shrank
        self.refresh()

    def set_layout(self, layout: dict[int, LogLayout]) -> None:
        if layout != self.log_layout:
            self.log_layout = layout
            self.refresh()

    def set_stable_offsets(self, stable: dict[int, StableOffsets]) -> None:
        if stable != self.stable:
            self.stable = stable
            self.refresh()

    def set_read_committed(self, on: bool) -> None:
        self.read_committed = on
        self.refresh()

    def visible_end(self, b: PartitionBounds) -> int:
        """Where this view's consumer stops: the LSO (read_committed) or the HW."""
        stable = self.stable.get(b.partition)
        if self.read_committed and stable is not None and stable.last_stable_offset >= 0:
            return min(stable.last_stable_offset, b.high_watermark)
        return b.high_watermark

    def txn_status(self, record: LogRecordView) -> str | None:
        """A transactional record's fate ("aborted", "open"), None otherwise."""
        if not record.batch.is_transactional or record.batch.is_control:
            return None
        stable = self.stable.get(record.partition)
        return stable.status(record.batch.producer_id, record.offset) if stable is not None else None

    def _lso_mark(self, b: PartitionBounds) -> int:
        """The offset to mark as the LSO: only while an open transaction holds it below the HW."""
        stable = self.stable.get(b.partition)
        if stable is None or not 0 <= stable.last_stable_offset < b.high_watermark:
            return -1
        return stable.last_stable_offset

    def show_cleaned(self, cleaned: dict[int, frozenset[int]]) -> None:
        """The cleaner rewrote the log: read it again, marking the offsets it removed."""
        self.cleaned = cleaned
        self.pages.clear()
        self.refresh()

    def set_readers(self, readers: dict[int, tuple[tuple[str, int], ...]]) -> None:
        """Where consumers read now (partition -> (name, next offset)); redrawn if it moved."""
        if readers != self.readers:
            self.readers = readers
            self.refresh()

    def move_to(self, partition: int, offset: int) -> None:
        """Put the cursor on `offset` (clamped to the log), a third into the window."""
        self._goal = None
        self._center = True
        self.cursor = Cursor(partition, offset)

    @property
    def following(self) -> bool:
        """The cursor is on its partition's last record, so it moves on with new records."""
        if not self.bounds:
            return False
        return self.cursor.offset >= self.bounds[self.cursor.partition].last

    @property
    def slots(self) -> int:
        """How many boxes fit side by side."""
        return max(1, (self.scrollable_content_region.width - GUTTER) // BOX_WIDTH)

    def record_at(self, cursor: Cursor) -> LogRecordView | None:
        """The record at `cursor` if it has been read."""
        return self.pages.get(cursor.partition, cursor.offset)

    async def load_record(self, cursor: Cursor) -> LogRecordView | None:
        """The record at `cursor`, reading its page if needed (raises KafkaError)."""
        if not self.bounds or not self.pages.loaded(*cursor):
            if not self.bounds or self.bounds[cursor.partition].empty:
                return None
            index = cursor.offset // self.pages.page_size
            await self.pages.load(cursor.partition, index, self.bounds[cursor.partition].log_end)
        return self.pages.get(*cursor)

    def validate_cursor(self, cursor: Cursor) -> Cursor:
        if not self.bounds:
            return Cursor(0, 0)
        partition = min(max(cursor.partition, 0), len(self.bounds) - 1)
        b = self.bounds[partition]
        return Cursor(partition, min(max(cursor.offset, b.log_start), b.last))

    def watch_cursor(self, cursor: Cursor) -> None:
        self._follow_cursor()
        self.refresh()
        self.post_message(self.Highlighted(cursor, self.record_at(cursor)))

    def _follow_cursor(self) -> None:
        """Move the window (horizontally) and scroll (vertically) to show the cursor."""
        n = self.slots
        partition, offset = self.cursor
        start = self.window_start
        if self._center:
            start = offset - n // 3
            self._center = False
        elif offset < start:
            start = offset
        elif offset >= start + n:
            start = offset - n + 1
        if self.bounds and n > 2 and offset == self.bounds[partition].last and offset == start + n - 1:
            start += 1  # leave room for the LEO marker
        if self.bounds:
            end = max(b.log_end for b in self.bounds)  # the rightmost LEO marker
            if end < start + n - 1:
                start = min(offset, end - n + 1)  # no blank space while there is log to the left
        self.window_start = max(0, start)
        self.scroll_to_region(
            Region(0, partition * ROW_HEIGHT, 1, ROW_HEIGHT), animate=False, immediate=True, x_axis=False
        )

    def on_resize(self, _: events.Resize) -> None:
        if self.bounds:
            self._follow_cursor()

    # --- actions ---------------------------------------------------------------------

    def action_move_offset(self, delta: int) -> None:
        self._goal = None
        self.cursor = Cursor(self.cursor.partition, self.cursor.offset + delta)

    def action_move_page(self, direction: int) -> None:
        self._goal = None
        n = self.slots
        self.window_start = max(0, self.window_start + direction * n)
        self.cursor = Cursor(self.cursor.partition, self.cursor.offset + direction * n)

    def action_move_partition(self, delta: int) -> None:
        goal = self.cursor.offset if self._goal is None else self._goal
        self.cursor = Cursor(self.cursor.partition + delta, goal)
        self._goal = goal

    def action_log_start(self) -> None:
        self._goal = None
        if self.bounds:
            self.cursor = Cursor(self.cursor.partition, self.bounds[self.cursor.partition].log_start)

    def action_log_end(self) -> None:
        self._goal = None
        if self.bounds:
            self.cursor = Cursor(self.cursor.partition, self.bounds[self.cursor.partition].last)

    def action_choose(self) -> None:
        if self.bounds and not self.bounds[self.cursor.partition].empty:
            self.post_message(self.Chosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        where = event.get_content_offset(self)
        if where is None or not self.bounds or where.x < GUTTER:
            return
        partition, line = divmod(where.y + self.scroll_offset.y, ROW_HEIGHT)
        offset = self.window_start + (where.x - GUTTER) // BOX_WIDTH
        if partition >= len(self.bounds):
            return
        b = self.bounds[partition]
        if line == 0 or not b.log_start <= offset < b.log_end:
            return
        target = Cursor(partition, offset)
        again = target == self.cursor
        self._goal = None
        self.cursor = target
        if again or event.chain > 1:
            self.post_message(self.Chosen(target))

    # --- reading ---------------------------------------------------------------------

    def read_visible(self) -> None:
        """Start reading the pages the visible rows need, and the next ones before they show."""
        if not self.bounds or self.topic is None:
            return
        n = self.slots
        margin = max(n, PREFETCH)
        top = self.scroll_offset.y // ROW_HEIGHT
        bottom = min(len(self.bounds), (self.scroll_offset.y + self.size.height) // ROW_HEIGHT + 1)
        pages = self.pages
        pages.capacity = max(PAGE_CAPACITY, 2 * (bottom - top) * (2 + (n + 2 * margin) // pages.page_size))
        for b in self.bounds[top:bottom]:
            first = max(b.log_start, self.window_start - margin)
            last = min(b.log_end - 1, self.window_start + n + margin)
            if first > last:
                continue
            self.read_pages(pages, b.partition, pages.claim(b.partition, first, last), b.log_end)

    def current_pages(self) -> LogPages | None:
        return self.pages

    def page_read(self, pages: LogPages, partition: int, index: int) -> None:
        if self.cursor.partition == partition and self.cursor.offset // pages.page_size == index:
            self.post_message(self.Highlighted(self.cursor, self.record_at(self.cursor)))

    # --- rendering -------------------------------------------------------------------

    def prepare_render(self) -> None:
        super().prepare_render()
        self._width = self.scrollable_content_region.width
        self._slots = self.slots

    def render_line(self, y: int) -> Strip:
        if not self._paint:
            self.prepare_render()
        width = self._width
        base = self._paint["base"]
        partition, line = divmod(y + self.scroll_offset.y, ROW_HEIGHT)
        if partition >= len(self.bounds):
            return Strip.blank(width, base)
        b = self.bounds[partition]
        segments = self._info_line(b) if line == 0 else self._box_line(b, line)
        return Strip(segments).crop_extend(0, width, base)

    def _info_line(self, b: PartitionBounds) -> list[Segment]:
        paint = self._paint
        here = b.partition == self.cursor.partition
        leader = f"leader {b.leader}" if b.leader >= 0 else "no leader"
        segments = [
            Segment(f" P{b.partition} ", paint["log-view--label-cursor" if here else "log-view--label"]),
            Segment(
                f" {leader} · log start {b.log_start} · HW {b.high_watermark} │ LEO {b.log_end}",
                paint["log-view--info"],
            ),
        ]
        if here and self.following and not b.empty:
            segments.append(Segment(" · following", paint["log-view--marker"]))
        stable = self.stable.get(b.partition)
        if stable is not None and (self.read_committed or stable.last_stable_offset < b.high_watermark):
            text = f" · LSO {stable.last_stable_offset}"
            if stable.open_transactions:
                text += f" ({len(stable.open_transactions)} open transaction(s))"
            if self.read_committed:
                text += " · read_committed reads below it"
            segments.append(Segment(text, paint["log-view--open-txn"]))
        layout = self.log_layout.get(b.partition)
        if layout is not None and len(layout.segment_bases) > 1:
            text = f" · {len(layout.segment_bases)} segments (╒ starts one)"
            if layout.first_dirty is not None and layout.first_dirty > b.log_start:
                text += f" · cleaned below {layout.first_dirty}, dirty ┄ from there"
            elif layout.first_dirty is not None:
                text += " · not cleaned yet (┄ dirty)"
            segments.append(Segment(text, paint["log-view--info"]))
        for name, offset in self.readers.get(b.partition, ()):
            lag = max(0, b.high_watermark - offset)
            segments.append(Segment(f" · {name} ▸ {offset} (lag {lag})", paint["log-view--reader"]))
        return segments

    def _box_line(self, b: PartitionBounds, line: int) -> list[Segment]:
        paint = self._paint
        segments = [Segment(" " * GUTTER, paint["base"])]
        n = self._slots
        start = self.window_start
        note = ""
        if b.empty:
            note = "empty: nothing produced yet" if b.log_end == 0 else f"empty: log starts at {b.log_start}"
        elif b.log_end < start:
            note = f"◂ last offset {b.last}"
        elif b.log_start >= start + n:
            note = f"log starts at {b.log_start} ▸"
        if note:
            if line == 2:
                segments.append(Segment(note, paint["log-view--info"]))
            return segments
        blank = Segment(" " * BOX_WIDTH, paint["base"])
        for offset in range(start, start + n):
            if offset == b.log_end:
                segments.append(self._marker(b, line))
            elif b.log_start <= offset < b.log_end:
                segments.extend(self._box(b, offset, line))
            else:
                segments.append(blank)
        return segments

    def _marker(self, b: PartitionBounds, line: int) -> Segment:
        caught_up = [name for name, offset in self.readers.get(b.partition, ()) if offset >= b.log_end]
        if line == 3 and caught_up:  # consumers waiting for the next record
            return Segment(fit("▴" + ",".join(caught_up), BOX_WIDTH), self._paint["log-view--reader"])
        text = {1: f"╎HW {b.high_watermark}", 2: f"╎LEO {b.log_end}", 3: "╎"}[line]
        return Segment(fit(text, BOX_WIDTH), self._paint["log-view--marker"])

    def _box(self, b: PartitionBounds, offset: int, line: int) -> list[Segment]:
        paint = self._paint
        record = self.pages.get(b.partition, offset)
        inner = BOX_WIDTH - 2
        layout = self.log_layout.get(b.partition)
        if record is None:
            border = text = value = paint["log-view--placeholder"]
            label = "…" if not self.pages.loaded(b.partition, offset) else "(gap)"
            if label == "(gap)" and offset in self.cleaned.get(b.partition, ()):
                border = text = value = paint["log-view--cleaned"]
                label = "✂ cleaned"
        elif record.batch.is_control:
            border = text = paint["log-view--marker"]
            value = paint["log-view--value"]
            label = control_label(record.key)
        elif record.key is None:
            border = text = paint["log-view--null-key"]
            value = paint["log-view--value"]
            label = "(null)"
        else:
            border = paint["base"] + key_style(record.key)
            text = border + Style(bold=True)
            value = paint["log-view--value"]
            label = printable(record.key)
        txn = self.txn_status(record) if record is not None else None
        hidden = self.read_committed and record is not None and (record.batch.is_control or txn == "aborted")
        if hidden:  # a read_committed consumer never sees it: markers, aborted records
            border = text = value = paint["log-view--placeholder"]
        elif txn == "aborted":
            border, text, value = (
                border + Style(dim=True),
                paint["log-view--aborted"],
                paint["log-view--aborted"],
            )
        elif txn == "open":
            text, value = text + Style(italic=True), paint["log-view--open-txn"]
        if (b.partition, offset) == self.cursor:
            border = text = value = paint["log-view--cursor"]
        elif offset >= self.visible_end(b):
            dim = Style(dim=True)
            border, text, value = border + dim, text + dim, value + dim
        if line == 1:
            top = str(offset)
            top = top if len(top) <= inner else "…" + top[-(inner - 1) :]
            corner, dash = "┌", "─"
            if layout is not None:
                if offset in layout.segment_bases[1:]:
                    corner = "╒"  # a segment starts here
                if layout.first_dirty is not None and offset >= layout.first_dirty:
                    dash = "┄"  # not cleaned yet
            reading = [name for name, at in self.readers.get(b.partition, ()) if at == offset]
            mark, mark_style = "", paint["log-view--reader"]
            if reading:  # the next record these consumers read
                mark = f"▾{','.join(reading)}"
            elif offset == self._lso_mark(b):  # read_committed consumers stop here
                mark, mark_style = "▾LSO", paint["log-view--open-txn"]
            if mark:
                if cell_len(mark) > inner - len(top):
                    mark = fit(mark, inner - len(top))
                return [
                    Segment(corner + top, border),
                    Segment(mark, mark_style),
                    Segment(dash * (inner - len(top) - cell_len(mark)) + "┐", border),
                ]
            if corner == "╒":
                return [
                    Segment(corner, paint["log-view--segment"]),
                    Segment(top + dash * (inner - len(top)) + "┐", border),
                ]
            return [Segment(corner + top + dash * (inner - len(top)) + "┐", border)]
        if line == 2:
            if hidden:
                label = "skipped"
            return [Segment("│", border), Segment(fit(label, inner), text), Segment("│", border)]
        preview = ""
        if record is not None and record.batch.is_control:
            preview = f"pid {record.batch.producer_id}"  # whose transaction it ends
        elif txn == "aborted":
            preview = "✘ aborted"
        elif txn == "open":
            preview = "◌ open txn"
        elif record is not None:
            tombstone = "∅tombstone" if layout is not None and layout.compacted else "∅ null"
            preview = tombstone if record.value is None else printable(record.value)
        preview = fit(preview, inner) if cell_len(preview) > inner else preview
        return [
            Segment("└", border),
            Segment(preview, value),
            Segment("─" * (inner - cell_len(preview)) + "┘", border),
        ]
