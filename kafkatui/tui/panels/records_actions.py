"""What the Records panel does with records: republish one (edited first, to this topic or
another) and export the ones shown to a file in the formats `topic import` reads back
(`ecosystem/browse/lines.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, TextArea

from kafkatui.backends.base import Backend, LogRecordView, ProduceRequest
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.browse.lines import csv_header, csv_line, ndjson_line
from kafkatui.tui.panels.base import notify_error
from kafkatui.tui.panels.records_filter import as_consumer_record
from kafkatui.tui.widgets.log_pages import LogPages
from kafkatui.tui.widgets.records_rows import Rows


async def export_rows(backend: Backend, topic: str, rows: Rows, path: str) -> int:
    """Write every row's record to `path` (.csv: CSV, else NDJSON); how many were."""
    pages = LogPages(backend, topic)
    csv = path.endswith(".csv")
    written = 0
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        if csv:
            out.write(csv_header())
        for row in range(len(rows)):
            partition, offset = rows.at(row)
            if not pages.loaded(partition, offset):
                await pages.load(partition, offset // pages.page_size, offset + 1)
            record = pages.get(partition, offset)
            if record is None or record.batch.is_control:
                continue  # compacted away, or a transaction marker (no consumer sees it)
            consumed = as_consumer_record(record, topic)
            out.write(csv_line(consumed) if csv else ndjson_line(consumed))
            written += 1
    return written


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode(errors="replace")


def parse_headers(text: str) -> list[tuple[str, str]]:
    """`name=value, name2=value2` (INVALID_REQUEST for an entry without `=`)."""
    headers = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, equals, value = entry.partition("=")
        if not equals or not name.strip():
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"header {entry!r}: write name=value")
        headers.append((name.strip(), value.strip()))
    return headers


class RepublishScreen(ModalScreen[bool]):
    """A record's key, value and headers to edit, then send (ctrl+s) to a topic."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="republish.cancel"),
        Binding("ctrl+s", "send", "Send", id="republish.send"),
    ]

    def __init__(self, backend: Backend, topic: str, record: LogRecordView, topics: list[str]) -> None:
        super().__init__()
        self.backend = backend
        self.topic = topic
        self.record = record
        self.topics = topics

    def compose(self) -> ComposeResult:
        r = self.record
        with Vertical(id="republish-dialog"):
            yield Label(f"Republish {self.topic} P{r.partition} offset {r.offset}", id="republish-title")
            yield Select[str](
                [(t, t) for t in self.topics], value=self.topic, allow_blank=False, id="republish-topic"
            )
            yield Input(_text(r.key) or "", placeholder="key (empty: none)", id="republish-key")
            headers = ", ".join(f"{k}={_text(v) or ''}" for k, v in r.headers)
            yield Input(headers, placeholder="headers: name=value, …", id="republish-headers")
            yield TextArea(_text(r.value) or "", id="republish-value")
            yield Label("ctrl+s send · esc cancel", id="republish-hint")

    async def action_send(self) -> None:
        key = self.query_one("#republish-key", Input).value
        topic = str(self.query_one("#republish-topic", Select).value)
        try:
            request = ProduceRequest(
                topic,
                self.query_one("#republish-value", TextArea).text if self.record.value is not None else None,
                key or None,
                parse_headers(self.query_one("#republish-headers", Input).value),
            )
            trace = await self.backend.produce(request)
        except KafkaError as error:
            notify_error(self.app, error)
            return
        self.app.notify(f"To {topic}: P{trace.partition} offset {trace.offset}.", title="Republished")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ExportScreen(ModalScreen[str | None]):
    """Where to write the records shown (.ndjson or .csv)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="export.cancel")]

    def __init__(self, topic: str, count: int) -> None:
        super().__init__()
        self.topic = topic
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(f"Export {self.count:,} records of {self.topic}", id="export-title")
            yield Input(f"{self.topic}.ndjson", id="export-path")
            yield Label(".ndjson or .csv, read back by kafkatui topic import · enter write · esc cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
