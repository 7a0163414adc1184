"""The Records panel: find records in a topic. A virtual table of a topic's records (all
partitions or one), filters (contains/regex, jq, time, partition and offsets) remembered
per topic across sessions (`records_saved`), seek by offset or time, a live tail, a
record's details and what can be done with it (copy, republish, export, reset a group
to it)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static, Switch
from textual.worker import Worker

from kafkatui.backends.base import Backend, LogRecordView
from kafkatui.common.clients import ConsumerConfig, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import Event, HighWatermarkAdvanced, TopicCreated, TopicDeleted
from kafkatui.ecosystem.browse.filters import ScanCounts
from kafkatui.ecosystem.browse.lines import ndjson_line
from kafkatui.ecosystem.browse.seek import PartitionRange, parse_time, plan
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.panels.groups_reset import RecordTarget, ResetOffsetsScreen
from kafkatui.tui.panels.log_topics import TopicPanel
from kafkatui.tui.panels.records_actions import ExportScreen, RepublishScreen, export_rows
from kafkatui.tui.panels.records_detail import RecordsDetail
from kafkatui.tui.panels.records_filter import (
    FIELDS,
    CompiledFilter,
    FilterSpec,
    as_consumer_record,
    compile_spec,
    scan,
    scan_summary,
)
from kafkatui.tui.panels.records_saved import SavedFilters
from kafkatui.tui.widgets.records_rows import MatchRows, RangeRows
from kafkatui.tui.widgets.records_table import RecordsTable

NO_TOPICS = "No topics yet — create one in Topics (2, then n)"
TAIL_LIMIT = 100_000  # rows the tail keeps (the oldest go)
RATE_WINDOW = 5.0  # seconds the tail's rate is measured over
_SPEC_INPUTS = {
    "records-text": "text", "records-jq": "jq", "records-from": "from_time", "records-to": "to_time",
    "records-partition": "partition", "records-offsets": "offsets",
}  # fmt: skip


class RecordsPanel(TopicPanel):
    """A topic's records as a table you can filter, seek, follow and act on."""

    NO_TOPICS = NO_TOPICS
    NO_TOPIC_CHOSEN = NO_TOPICS  # it shows the first topic at once

    PANEL_ID = "records"
    TITLE = "Records"
    TITLE_PT = "Registros"
    KEY = "0"
    TICK = 1.0  # the tail's rate

    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding("slash", "focus_filter", "Filter", id="records.filter", tooltip="Type what to look for"),
        Binding(
            "s", "focus_seek", "Seek", id="records.seek",
            tooltip="Start each partition (or the one chosen) at an offset, a time, the beginning or the end",
        ),
        Binding(
            "f", "follow", "Follow", id="records.follow",
            tooltip="Live tail: show new records as they arrive, the filter applied",
        ),
        Binding("p", "pause", "Pause", id="records.pause", tooltip="Pause or resume the live tail"),
        Binding(
            "c", "clear_filter", "Clear", id="records.clear_filter",
            tooltip="Empty this topic's filter fields and forget its saved filter",
        ),
        Binding("x", "cancel_scan", "Cancel scan", id="records.cancel", tooltip="Stop the filter's scan"),
        Binding("y", "copy", "Copy", id="records.copy", tooltip="Copy the record as an NDJSON line (OSC 52)"),
        Binding(
            "u", "republish", "Republish", id="records.republish",
            tooltip="Send the record again, edited first, to this topic or another",
        ),
        Binding(
            "e", "export", "Export", id="records.export",
            tooltip="Write the records shown to an NDJSON or CSV file",
        ),
        Binding(
            "o", "reset_group", "Reset group", id="records.reset_group",
            tooltip="Reset a consumer group to this record (a dry run first; only a group without members)",
        ),
        Binding(
            "escape", "close_details", "Close details", show=False, id="records.close_details",
            tooltip="Close the record details",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend, saved: SavedFilters | None = None) -> None:
        super().__init__(backend)
        self.saved = saved if saved is not None else SavedFilters()
        self.specs: dict[str, FilterSpec] | None = None  # per topic; read from `saved` on first use
        self.starts: dict[str, dict[int, int]] = {}  # where seek put each partition
        self.compiled: CompiledFilter | None = None
        self.scanner: Worker[None] | None = None
        self.tailer: Worker[None] | None = None
        self.scan_note = ""
        self.scanning = False
        self.paused = asyncio.Event()
        self.paused.set()  # set: running
        self._arrivals: deque[tuple[float, int]] = deque()
        self._bindings_state: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(id="records-bar"):
            yield Select[str]([], prompt="Topic", id="records-topic")
            yield Input(placeholder="seek: beginning, end, offset, -15m, ISO time", id="records-seek")
            yield Static("", id="records-status")
        with Horizontal(id="records-filters"):
            yield Input(placeholder="contains…", id="records-text")
            yield Select[str]([(f, f) for f in FIELDS], value="any", allow_blank=False, id="records-field")
            yield Static("regex", classes="records-label")
            yield Switch(id="records-regex")
            yield Input(placeholder="jq: select(.price > 10)", id="records-jq")
        with Horizontal(id="records-range"):
            yield Input(placeholder="from time", id="records-from")
            yield Input(placeholder="to time", id="records-to")
            yield Input(placeholder="partition", id="records-partition")
            yield Input(placeholder="offsets 100-200", id="records-offsets")
        yield Static("", id="records-error")
        yield Static(NO_TOPICS, id="records-empty")
        with Horizontal(id="records-body"):
            yield RecordsTable(self.backend, id="records-table")
            yield RecordsDetail(id="records-detail")

    @property
    def table(self) -> RecordsTable:
        return self.query_one("#records-table", RecordsTable)

    @property
    def detail(self) -> RecordsDetail:
        return self.query_one("#records-detail", RecordsDetail)

    @property
    def details_open(self) -> bool:
        return self.detail.has_class("-open")

    def on_show(self) -> None:
        if self.topic is not None:
            self.table.focus()  # arriving at the panel, the arrows move the cursor

    # --- what the app calls ----------------------------------------------------------

    async def refresh_data(self) -> None:
        self._reload_topics()
        if self.topic is None and self._topic_names:
            await self.show(self._topic_names[0])

    def on_engine_events(self, events: list[Event]) -> None:
        if any(isinstance(e, TopicCreated | TopicDeleted) for e in events):
            self._reload_topics()
            if self.topic is None and self._topic_names:
                self.run_worker(self.show(self._topic_names[0]), group="records-show", exclusive=True)
        if self.topic is not None and any(
            isinstance(e, HighWatermarkAdvanced) and e.topic == self.topic for e in events
        ):
            self._grown()

    def _grown(self) -> None:
        """New records below the HW: a range view that reached the HW grows with it (a
        filtered one is a snapshot: apply the filter again to rescan)."""
        ends = self._high_watermarks()
        self.table.appended(ends)
        rows = self.table.rows
        if isinstance(rows, RangeRows) and self.compiled is not None and not self.compiled.scans:
            grown = [
                PartitionRange(r.partition, r.start, ends.get(r.partition, r.end))
                for r in self.compiled.ranges
            ]
            if any(r.end != g.end for r, g in zip(self.compiled.ranges, grown, strict=True)):
                self.compiled.ranges = grown
                cursor = self.table.cursor
                self.table.rows = RangeRows(grown)
                self.table.rows_changed()
                self.table.cursor = cursor
                self._show_status()

    def on_tick(self) -> None:
        if self.tailer is not None and not self.tailer.is_finished:
            self._show_status()

    # --- the topic -------------------------------------------------------------------

    @reports_errors
    async def show(self, topic: str) -> None:
        """Show `topic` with its remembered filter and seek positions."""
        self.backend.describe_topic(topic)  # UNKNOWN_TOPIC_OR_PARTITION before anything changes
        self._stop_tail()
        self.topic = topic
        self._reload_topics()
        self._choose_in_select(topic)
        self._fill_filter_fields(self._specs().get(topic, FilterSpec()))
        self._refresh_bindings()
        await self.apply()

    def _refresh_bindings(self) -> None:
        """The footer again, if what its keys depend on changed since it was drawn: its
        rebuild is the dearest part of showing a topic (and Highlighted comes with every
        page read)."""
        state = (self.topic is None, not len(self.table.rows), self.details_open, self.scanning, self.tailing)
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def _specs(self) -> dict[str, FilterSpec]:
        if self.specs is None:
            self.specs = self.saved.load()
            for warning in self.saved.warnings:
                self.app.notify(warning, title="Saved filters", severity="warning", timeout=8)
        return self.specs

    def _remember(self, topic: str, spec: FilterSpec) -> None:
        self._specs()[topic] = spec
        try:
            self.saved.save(topic, spec)
        except OSError as error:  # kept for the session all the same
            self.app.notify(f"{self.saved.path}: {error}", title="Filter not saved", severity="warning")

    def _fill_filter_fields(self, spec: FilterSpec) -> None:
        for widget_id, name in _SPEC_INPUTS.items():
            field = self.query_one(f"#{widget_id}", Input)
            with field.prevent(Input.Changed):
                field.value = getattr(spec, name)
        with self.query_one("#records-field", Select).prevent(Select.Changed):
            self.query_one("#records-field", Select).value = spec.field
        with self.query_one("#records-regex", Switch).prevent(Switch.Changed):
            self.query_one("#records-regex", Switch).value = spec.regex

    def spec_from_fields(self) -> FilterSpec:
        spec = FilterSpec(
            **{name: self.query_one(f"#{widget_id}", Input).value for widget_id, name in _SPEC_INPUTS.items()}
        )
        field = self.query_one("#records-field", Select).value
        return spec.with_field("field", str(field)).with_field(
            "regex", self.query_one("#records-regex", Switch).value
        )

    def _high_watermarks(self) -> dict[int, int]:
        assert self.topic is not None
        return {
            p.partition: max(p.high_watermark, 0) for p in self.backend.describe_topic(self.topic).partitions
        }

    def _ranges(self) -> list[PartitionRange]:
        """Each partition from where seek put it (else its log start) to its HW."""
        assert self.topic is not None
        starts = self.starts.get(self.topic, {})
        ranges = []
        for p in self.backend.describe_topic(self.topic).partitions:
            log_start, hw = max(p.log_start_offset, 0), max(p.high_watermark, 0)
            start = min(max(starts.get(p.partition, log_start), log_start), hw)
            ranges.append(PartitionRange(p.partition, start, hw))
        return ranges

    # --- filtering -------------------------------------------------------------------

    async def apply(self) -> None:
        """Show the topic through the filter in the fields (its errors shown inline)."""
        if self.topic is None:
            return
        self._cancel_scan()
        spec = self.spec_from_fields()
        self._remember(self.topic, spec)
        error = self.query_one("#records-error", Static)
        try:
            compiled = compile_spec(spec, self._ranges())
        except KafkaError as problem:
            error.update(f"{problem.name}: {problem.message}")
            error.add_class("-shown")
            return
        error.update("")
        error.remove_class("-shown")
        self.compiled = compiled
        self.scan_note = ""
        ends = self._high_watermarks()
        if not compiled.scans:
            self.table.show(self.topic, RangeRows(compiled.ranges), ends)
        else:
            matches = MatchRows()
            self.table.show(self.topic, matches, ends)
            self.scanning = True
            self.scanner = self.run_worker(
                self._scan(self.topic, compiled, matches),
                group="records-scan",
                exclusive=True,
                exit_on_error=False,
            )
        self._show_status()

    async def _scan(self, topic: str, compiled: CompiledFilter, matches: MatchRows) -> None:
        try:
            async for found in scan(self.backend, topic, compiled):
                for partition, offset in found:
                    matches.append(partition, offset)
                if found and self.table.rows is matches:
                    self.table.rows_changed()
                self._show_status()
        except KafkaError as error:
            self.scan_note = f"stopped: {error.name}"
            self.report(error)
        else:
            self.scan_note = "done"
        finally:
            if self.compiled is compiled:  # not a newer scan's
                self.scanning = False
        self._show_status()

    @on(Input.Submitted)
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "records-seek":
            await self.seek(event.value)
            self.table.focus()
        elif event.input.id in _SPEC_INPUTS:
            await self.apply()
            if not self.query_one("#records-error", Static).has_class("-shown"):
                self.table.focus()

    @on(Select.Changed, "#records-field")
    @on(Switch.Changed, "#records-regex")
    async def _option_changed(self) -> None:
        if self.spec_from_fields().text:
            await self.apply()

    @on(Select.Changed, "#records-topic")
    async def _topic_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.topic:
            await self.show(event.value)
            self.table.focus()

    def _cancel_scan(self) -> None:
        if self.scanning and self.scanner is not None:
            self.scanner.cancel()
            self.scanning = False
            self.scan_note = "cancelled"

    async def action_clear_filter(self) -> None:
        if self.topic is None:
            return
        self._fill_filter_fields(FilterSpec())
        await self.apply()  # an empty filter: forgotten by `saved` too

    def action_cancel_scan(self) -> None:
        self._cancel_scan()
        self._show_status()

    def action_focus_filter(self) -> None:
        self.query_one("#records-text", Input).focus()

    def action_focus_seek(self) -> None:
        self.query_one("#records-seek", Input).focus()

    # --- seek ------------------------------------------------------------------------

    @reports_errors
    async def seek(self, where: str) -> None:
        """Start the partition in the partition field (else every one) at `where`:
        `beginning`, `end`, an offset, or a time (ListOffsets by timestamp, KIP-79)."""
        if self.topic is None:
            return
        where = where.strip()
        partitions = [r.partition for r in self._ranges()]
        chosen_text = self.query_one("#records-partition", Input).value.strip()
        if chosen_text:
            if not chosen_text.isdigit() or int(chosen_text) not in partitions:
                raise KafkaError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"the topic has no partition {chosen_text}"
                )
            partitions = [int(chosen_text)]
        start: int | str
        from_ms = None
        if where in ("beginning", "end", ""):
            start = where or "beginning"
        elif where.isdigit():
            start = int(where)
        else:
            start, from_ms = "beginning", parse_time(where)
        ranges = await plan(self.backend, self.topic, partitions, start=start, from_ms=from_ms)
        starts = self.starts.setdefault(self.topic, {})
        starts.update({r.partition: r.start for r in ranges})
        await self.apply()

    # --- live tail -------------------------------------------------------------------

    def action_follow(self) -> None:
        if self.tailer is not None and not self.tailer.is_finished:
            self._stop_tail()
            self.run_worker(self.apply, group="records-show", exclusive=True)
            return
        if self.topic is None or self.compiled is None:
            return
        self._cancel_scan()
        self.compiled.records.counts = ScanCounts()  # the tail counts what it sees
        rows = MatchRows(limit=TAIL_LIMIT)
        self.table.show(self.topic, rows, self._high_watermarks())
        self.table.following = True
        self.paused.set()
        self._arrivals.clear()
        self.tailer = self.run_worker(
            self._tail(self.topic, self.compiled, rows),
            group="records-tail",
            exclusive=True,
            exit_on_error=False,
        )
        self._show_status()

    def action_pause(self) -> None:
        if self.paused.is_set():
            self.paused.clear()
        else:
            self.paused.set()
        self._show_status()

    def _stop_tail(self) -> None:
        if self.tailer is not None and not self.tailer.is_finished:
            self.tailer.cancel()
        self.tailer = None
        self.paused.set()

    @property
    def tailing(self) -> bool:
        return self.tailer is not None and not self.tailer.is_finished

    async def _tail(self, topic: str, compiled: CompiledFilter, rows: MatchRows) -> None:
        """A consumer of its own (no group) from each partition's HW on, filter applied."""
        ends = self._high_watermarks()
        partitions = [r.partition for r in compiled.ranges]
        consumer = self.backend.consumer(ConsumerConfig(enable_auto_commit=False))
        try:
            consumer.assign([(topic, p) for p in partitions])
            for p in partitions:
                consumer.seek(TopicPartition(topic, p), ends[p])
            while True:
                await self.paused.wait()
                records = await consumer.poll(250)
                if not records:
                    continue
                await self.paused.wait()  # what arrived as the user paused shows on resume
                self._arrivals.append((time.monotonic(), len(records)))
                keep = compiled.select_consumed(records)
                for record, k in zip(records, keep, strict=True):
                    if k:
                        rows.append(record.partition, record.offset)
                if self.table.rows is rows:
                    self.table.appended(self._high_watermarks())
                    self.table.arrived({r.partition for r in records})
                    self.table.rows_changed()
                self._show_status()
        except KafkaError as error:
            self.report(error)
        finally:
            await consumer.close()

    def tail_rate(self) -> float:
        """Records a second reaching the tail over the last RATE_WINDOW seconds."""
        now = time.monotonic()
        while self._arrivals and self._arrivals[0][0] < now - RATE_WINDOW:
            self._arrivals.popleft()
        return sum(n for _, n in self._arrivals) / RATE_WINDOW

    # --- the status line ---------------------------------------------------------------

    def _show_status(self) -> None:
        status = self.query_one("#records-status", Static)
        compiled = self.compiled
        if self.topic is None or compiled is None:
            status.update("")
            return
        rows = len(self.table.rows)
        if self.tailing:
            state = "paused" if not self.paused.is_set() else f"{self.tail_rate():,.1f} rec/s"
            text = f"following · {state} · {rows:,} shown"
            if compiled.scans:
                text += f" · {scan_summary(compiled.counts)}"
        elif compiled.scans:
            counts = compiled.counts
            total = compiled.total
            done = f"{100 * counts.scanned // total}%" if total else "100%"
            note = f"scanning {done} (x cancels)" if self.scanning else self.scan_note or "done"
            text = f"{note} · {scan_summary(counts)}"
        else:
            text = f"{rows:,} record{'' if rows == 1 else 's'} in {len(compiled.ranges)} partition(s)"
        status.update(text)

    # --- a record --------------------------------------------------------------------

    def on_records_table_highlighted(self, message: RecordsTable.Highlighted) -> None:
        self._refresh_bindings()  # copy and republish need a record under the cursor
        if self.details_open and message.record is not None and message.record != self.detail.record:
            self.detail.record = message.record

    @reports_errors
    async def on_records_table_chosen(self, message: RecordsTable.Chosen) -> None:
        self.detail.record = await self.table.load_record(message.row)
        self.detail.add_class("-open")

    def on_records_table_read_failed(self, message: RecordsTable.ReadFailed) -> None:
        self.report(message.error)

    def selected(self) -> LogRecordView | None:
        return self.table.record_at(self.table.cursor)

    def action_close_details(self) -> None:
        self.detail.remove_class("-open")
        self.table.focus()

    def action_copy(self) -> None:
        record = self.selected()
        if record is None or self.topic is None:
            return
        self.app.copy_to_clipboard(ndjson_line(as_consumer_record(record, self.topic)).rstrip("\n"))
        self.app.notify(f"P{record.partition} offset {record.offset} as an NDJSON line.", title="Copied")

    def action_republish(self) -> None:
        record = self.selected()
        if record is None or self.topic is None:
            return
        self.app.push_screen(RepublishScreen(self.backend, self.topic, record, self.backend.topic_names()))

    @reports_errors
    async def action_reset_group(self) -> None:
        """kafka-consumer-groups.sh --reset-offsets --topic t:p --to-offset N, N this record's
        offset: the Groups panel's dialog, the group chosen in it."""
        record = self.selected()
        if record is None or self.topic is None:
            return
        groups = sorted(await self.backend.groups())
        if not groups:
            raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, "no consumer group to reset yet")
        target = RecordTarget(self.topic, record.partition, record.offset)
        self.app.push_screen(ResetOffsetsScreen(self.backend, target=target, groups=groups))

    def action_export(self) -> None:
        if self.topic is None or not len(self.table.rows):
            return
        topic, rows = self.topic, self.table.rows

        async def write(path: str | None) -> None:
            if path is None:
                return
            try:
                count = await export_rows(self.backend, topic, rows, path)
            except (KafkaError, OSError) as error:
                self.report(error)
                return
            self.app.notify(f"{count:,} records written to {path}.", title="Exported")

        self.app.push_screen(ExportScreen(topic, len(rows)), write)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_details":
            return self.details_open
        if action == "cancel_scan":
            return self.scanning
        if action == "pause":
            return self.tailing
        return super().check_action(action, parameters)

    def unavailable(self, action: str) -> str | None:
        if self.topic is None and action in (
            "follow", "copy", "republish", "export", "seek", "filter", "reset_group", "clear_filter",
        ):  # fmt: skip
            return "No topic shown: choose one above (or create one in Topics, 2 then n)."
        if action in ("copy", "republish", "reset_group") and not len(self.table.rows):
            return "No record under the cursor."  # one whose page is not read yet: the action does nothing
        return super().unavailable(action)
