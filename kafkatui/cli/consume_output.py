"""Where `kafkatui consume` and `kafkatui topic export` put the records they keep: stdout
or a file, in one of five formats, with a progress bar on stderr while a file is written,
and the scan's summary line (scanned N, matched M) at the end."""

from __future__ import annotations

import contextlib
import enum
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from kafkatui.cli.consume_decode import Shown
from kafkatui.cli.context import console, err_console
from kafkatui.cli.output import bytes_to_json
from kafkatui.common.clients import ConsumerRecord
from kafkatui.ecosystem.browse.lines import csv_header, csv_line, ndjson_line


class Format(enum.StrEnum):
    text = "text"  # for people: partition, offset, key, value, headers
    json = "json"  # for scripts: one object per line, decoded keys and values with their schema
    ndjson = "ndjson"  # lossless, one object per line (what `topic import` reads)
    csv = "csv"  # lossless, a header row then one row per record
    raw = "raw"  # the value's bytes as they are, one per line (kcat's default)


LOSSLESS = (Format.ndjson, Format.csv, Format.raw)  # the bytes as stored, never decoded


def format_of(path: Path) -> Format | None:
    """The format a file's name asks for (`.ndjson`/`.jsonl`, `.csv`)."""
    return {".ndjson": Format.ndjson, ".jsonl": Format.ndjson, ".csv": Format.csv}.get(path.suffix.lower())


class RecordWriter:
    """Writes kept records in `fmt` to `path` (stdout if None). `print_key` and
    `print_headers` put the key and the headers before a raw value, tab-separated, as
    kcat's `-f '%h\\t%k\\t%s\\n'` does (the other formats always have them)."""

    def __init__(
        self, fmt: Format, path: Path | None, *, print_key: bool = False, print_headers: bool = False
    ) -> None:
        self.fmt = fmt
        self.path = path
        self.print_key = print_key
        self.print_headers = print_headers
        self.written = 0
        self._file: IO[Any] | None = None
        if path is not None:
            # A file that cannot be written fails before anything is read.
            binary = fmt is Format.raw
            self._file = path.open("wb") if binary else path.open("w", encoding="utf-8", newline="")
        if fmt is Format.csv:
            self._write_text(csv_header())

    def write(self, record: ConsumerRecord, key: Shown, value: Shown) -> None:
        self.written += 1
        if self.fmt is Format.raw:
            self._write_raw(record)
        elif self.fmt is Format.ndjson:
            self._write_text(ndjson_line(record))
        elif self.fmt is Format.csv:
            self._write_text(csv_line(record))
        elif self.fmt is Format.json:
            self._write_text(json.dumps(json_object(record, key, value), ensure_ascii=False) + "\n")
        elif self._file is None:
            console.print(text_line(record, key, value), markup=False)
        else:
            self._file.write(text_line(record, key, value) + "\n")

    def _write_text(self, text: str) -> None:
        if self._file is not None:
            self._file.write(text)
        else:
            sys.stdout.write(text)

    def _write_raw(self, record: ConsumerRecord) -> None:
        parts = []
        if self.print_headers:
            parts.append(b",".join(k.encode() + b"=" + (v or b"") for k, v in record.headers))
        if self.print_key:
            parts.append(record.key or b"")
        parts.append(record.value or b"")
        data = b"\t".join(parts) + b"\n"
        if self._file is not None:
            self._file.write(data)
        else:
            sys.stdout.buffer.write(data)

    def flush(self) -> None:
        (self._file or sys.stdout).flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        else:
            sys.stdout.flush()


def json_object(record: ConsumerRecord, key_shown: Shown, value_shown: Shown) -> dict[str, Any]:
    obj = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": record.timestamp_type.config_name,
        "key": _json(key_shown),
        "value": _json(value_shown),
        "headers": [[k, bytes_to_json(v)[0]] for k, v in record.headers],
    }
    for side, shown in (("key", key_shown), ("value", value_shown)):
        if shown.decoded:
            obj[f"{side}_schema"] = shown.schema
        elif bytes_to_json(shown.data)[1]:
            obj[f"{side}_encoding"] = "base64"
    return obj


def text_line(record: ConsumerRecord, key_shown: Shown, value_shown: Shown) -> str:
    headers = [[k, bytes_to_json(v)[0]] for k, v in record.headers]
    shown_headers = "  headers=" + ",".join(f"{k}={v}" for k, v in headers) if headers else ""
    return (
        f"partition={record.partition} offset={record.offset} key={_text(key_shown)} "
        f"value={_text(value_shown)}{shown_headers}"
    )


def _json(shown: Shown) -> Any:
    """A side for scripts: decoded as its JSON, else its bytes as text or base64."""
    return shown.value if shown.decoded else bytes_to_json(shown.data)[0]


def _text(shown: Shown) -> str:
    """A side for people: decoded as compact JSON, else its bytes as text or base64."""
    if shown.decoded:
        return json.dumps(shown.value, ensure_ascii=False, separators=(",", ":"))
    text, _ = bytes_to_json(shown.data)
    return text if text is not None else "(null)"


@contextlib.contextmanager
def scan_progress(what: str, total: int | None, *, shown: bool) -> Iterator[Progress]:
    """A bar on stderr (records read of `total`; a count when following), when `shown`
    and stderr is a terminal. Use `progress.update(task_id, completed=…)`."""
    columns: list[Any] = [TextColumn(what)]
    if total is not None:
        columns += [BarColumn(), TaskProgressColumn()]
    columns += [TextColumn("{task.completed:,} read, {task.fields[matched]:,} kept"), TimeElapsedColumn()]
    progress = Progress(
        *columns, console=err_console, transient=True, disable=not shown or not err_console.is_terminal
    )
    with progress:
        progress.add_task(what, total=total, matched=0)
        yield progress
