"""The details of one record: its fields, its value (JSON pretty-printed) and its batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from kafkatui.backends.base import LogRecordView
from kafkatui.tui.widgets.framing import RecordFraming, framing_renderable

MAX_VALUE_BYTES = 64 * 1024  # beyond this the detail shows the start only


def iso_timestamp(timestamp_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds (UTC so that snapshots do not depend on the machine)."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bytes_text(data: bytes | None) -> Text:
    """A key or header value: text if UTF-8, hex otherwise, dim `null` for None."""
    if data is None:
        return Text("null", style="dim italic")
    try:
        return Text(data.decode())
    except UnicodeDecodeError:
        return Text(f"0x{data.hex()} ({len(data)} bytes, not UTF-8)")


def value_renderable(value: bytes | None) -> RenderableType:
    """The value: JSON objects and arrays pretty-printed and highlighted, text as is."""
    if value is None:
        return Text("null (a tombstone when the record has a key)", style="dim italic")
    shown = value[:MAX_VALUE_BYTES]
    try:
        text = shown.decode()
    except UnicodeDecodeError:
        return Text(f"0x{shown[:512].hex()}… ({len(value)} bytes, not UTF-8)")
    if text.lstrip()[:1] in ("{", "[") and len(shown) == len(value):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return JSON(text, indent=2)
    suffix = f"\n… ({len(value)} bytes in all)" if len(shown) < len(value) else ""
    return Text(text + suffix)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


class RecordDetail(VerticalScroll):
    """One record as Kafka stores it: the record, then its RecordBatch header (v2). A key
    or value in Confluent's wire format shows its framing beside the decoded value once
    the panel has read it (`framing`, for the record shown)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"record-detail--section", "record-detail--field"}

    record: reactive[LogRecordView | None] = reactive(None, init=False)
    framing: reactive[RecordFraming | None] = reactive(None, init=False)

    def compose(self) -> ComposeResult:
        yield Static(Text("No record selected.", style="dim"), id="record-detail-body")

    def watch_record(self, record: LogRecordView | None) -> None:
        self.query_one("#record-detail-body", Static).update(self.render_record(record))

    def watch_framing(self) -> None:
        self.watch_record(self.record)

    def render_record(self, record: LogRecordView | None) -> RenderableType:
        if record is None:
            return Text("No record here.", style="dim")
        section = self.get_component_rich_style("record-detail--section")
        field = self.get_component_rich_style("record-detail--field")
        b = record.batch
        headers: RenderableType = Text("none", style="dim")
        if record.headers:
            headers = self._grid(field, [(name, bytes_text(value)) for name, value in record.headers])
        framing = self.framing if self.framing is not None and self.framing.record == record else None
        framed_key = framing.key if framing is not None else None
        framed_value = framing.value if framing is not None else None
        key_parts: list[RenderableType] = []
        if framed_key is not None:
            key_parts = [
                Text(""),
                Text("Key · Confluent framing", style=section),
                framing_renderable(framed_key, field),
            ]
        return Group(
            Text("Record", style=section),
            self._grid(
                field,
                [
                    ("partition", str(record.partition)),
                    ("offset", str(record.offset)),
                    ("timestamp", iso_timestamp(record.timestamp)),
                    ("", f"{record.timestamp} ms · {b.timestamp_type}"),
                    ("key", "framed: see below" if framed_key is not None else bytes_text(record.key)),
                ],
            ),
            *key_parts,
            Text(""),
            Text("Value · Confluent framing" if framed_value is not None else "Value", style=section),
            value_renderable(record.value)
            if framed_value is None
            else framing_renderable(framed_value, field),
            Text(""),
            Text("Headers", style=section),
            headers,
            Text(""),
            Text("Batch (RecordBatch v2)", style=section),
            self._grid(
                field,
                [
                    ("base offset", str(b.base_offset)),
                    ("last offset", str(b.last_offset)),
                    ("records", str(b.record_count)),
                    ("size", f"{b.size_bytes} B"),
                    ("CRC-32C", f"0x{b.crc:08x}"),
                    ("leader epoch", str(b.partition_leader_epoch)),
                    ("producer id", str(b.producer_id)),
                    ("producer epoch", str(b.producer_epoch)),
                    ("base sequence", str(b.base_sequence)),
                    ("transactional", _yes_no(b.is_transactional)),
                    ("control", _yes_no(b.is_control)),
                    ("compression", b.compression),
                    ("timestamp type", b.timestamp_type),
                    ("max timestamp", f"{b.max_timestamp} ms"),
                ],
            ),
        )

    @staticmethod
    def _grid(field: Style, rows: list[tuple[str, str | Text]]) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style=field, no_wrap=True)
        grid.add_column(overflow="fold")
        for name, value in rows:
            grid.add_row(name, value)
        return grid
