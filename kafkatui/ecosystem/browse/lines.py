"""Records as lines of a file, losslessly: NDJSON (one object per line) and CSV (a header
row, then one row per record), what `topic export` writes, `topic import` reads and
`consume --format ndjson|csv` prints.

Bytes stay bytes. A key, value or header value that is UTF-8 is written as its text; one
that is not is base64 with `"key_encoding": "base64"` (NDJSON) or `base64` in the CSV's
`key_encoding` column (headers: `"encoding": "base64"` in the header's object). Null
(a tombstone's value, a null key or header value) is JSON null, and in CSV an empty
field with encoding `null`, so it never reads back as the empty string.

    {"partition": 0, "offset": 7, "timestamp": 1765000000000, "timestamp_type": "CreateTime",
     "key": "k1", "value": "{\\"price\\": 12}", "headers": [{"key": "trace", "value": "AQI=",
     "encoding": "base64"}], "key_encoding": null}
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kafkatui.common.clients import ConsumerRecord

CSV_COLUMNS = (
    "partition", "offset", "timestamp", "timestamp_type", "key", "key_encoding", "value", "value_encoding",
    "headers",
)  # fmt: skip
TIMESTAMP_TYPES = ("CreateTime", "LogAppendTime")


class LineError(ValueError):
    """A line that is not a record: `line` is its number in the file (from 1)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class FileRecord:
    """A record as a file holds it (what import sends)."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    timestamp: int | None = None
    partition: int | None = None
    offset: int | None = None
    timestamp_type: str | None = None


def encode_bytes(data: bytes | None) -> tuple[str | None, str | None]:
    """(text, encoding): UTF-8 as it is (encoding None), else base64."""
    if data is None:
        return None, None
    try:
        return data.decode(), None
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"


def decode_bytes(text: Any, encoding: Any, what: str) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{what} is {type(text).__name__}, not a string or null")
    if encoding in (None, "", "utf-8"):
        return text.encode()
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error as error:
            raise ValueError(f"{what} is not base64: {error}") from None
    raise ValueError(f"{what}: unknown encoding {encoding!r} (utf-8 or base64)")


def record_object(record: ConsumerRecord) -> dict[str, Any]:
    key, key_encoding = encode_bytes(record.key)
    value, value_encoding = encode_bytes(record.value)
    headers = []
    for name, data in record.headers:
        text, encoding = encode_bytes(data)
        header: dict[str, Any] = {"key": name, "value": text}
        if encoding:
            header["encoding"] = encoding
        headers.append(header)
    obj: dict[str, Any] = {
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": record.timestamp_type.config_name,
        "key": key,
        "value": value,
        "headers": headers,
    }
    if key_encoding:
        obj["key_encoding"] = key_encoding
    if value_encoding:
        obj["value_encoding"] = value_encoding
    return obj


def ndjson_line(record: ConsumerRecord) -> str:
    return json.dumps(record_object(record), ensure_ascii=False) + "\n"


def csv_header() -> str:
    return _csv_row(CSV_COLUMNS)


def csv_line(record: ConsumerRecord) -> str:
    obj = record_object(record)
    return _csv_row(
        [
            obj["partition"], obj["offset"], obj["timestamp"], obj["timestamp_type"],
            "" if obj["key"] is None else obj["key"], _csv_encoding(record.key, obj.get("key_encoding")),
            "" if obj["value"] is None else obj["value"],
            _csv_encoding(record.value, obj.get("value_encoding")),
            json.dumps(obj["headers"], ensure_ascii=False),
        ]
    )  # fmt: skip


def _csv_encoding(data: bytes | None, encoding: str | None) -> str:
    return "null" if data is None else encoding or ""


def _csv_row(fields: Any) -> str:
    out = io.StringIO()
    # RFC 4180's CRLF: the writer then quotes a field holding a lone \r too.
    csv.writer(out).writerow(fields)
    return out.getvalue()


def from_object(obj: Any) -> FileRecord:
    """A record from its NDJSON object (ValueError saying what is wrong)."""
    if not isinstance(obj, dict):
        raise ValueError(f"a record is a JSON object, not {type(obj).__name__}")
    if "value" not in obj:
        raise ValueError('no "value" (null for a tombstone)')
    key = decode_bytes(obj.get("key"), obj.get("key_encoding"), "key")
    value = decode_bytes(obj["value"], obj.get("value_encoding"), "value")
    raw_headers = obj.get("headers") or []
    if not isinstance(raw_headers, list):
        raise ValueError("headers is a list of {key, value, encoding} objects")
    headers = []
    for n, header in enumerate(raw_headers):
        if isinstance(header, list) and len(header) == 2:  # consume --format json's [key, value]
            header = {"key": header[0], "value": header[1]}
        if not isinstance(header, dict) or not isinstance(header.get("key"), str):
            raise ValueError(f"header {n} is not an object with a string key")
        name = header["key"]
        headers.append((name, decode_bytes(header.get("value"), header.get("encoding"), f"header {name}")))
    return FileRecord(
        key, value, tuple(headers),
        _int(obj.get("timestamp"), "timestamp"), _int(obj.get("partition"), "partition"),
        _int(obj.get("offset"), "offset"), _timestamp_type(obj.get("timestamp_type")),
    )  # fmt: skip


def _int(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} is not an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not an integer") from None
    if number < 0:
        raise ValueError(f"{what} {number} is negative")
    return number


def _timestamp_type(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in TIMESTAMP_TYPES:
        raise ValueError(f"timestamp_type {value!r} is not CreateTime or LogAppendTime")
    return str(value)


def read_ndjson(text: Iterator[str]) -> Iterator[tuple[int, FileRecord | LineError]]:
    """(line number, record or what is wrong with it); blank lines are skipped."""
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            yield number, from_object(json.loads(line))
        except ValueError as error:  # json.JSONDecodeError is one
            yield number, LineError(number, str(error))


def read_csv(text: Iterator[str]) -> Iterator[tuple[int, FileRecord | LineError]]:
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    if tuple(header) != CSV_COLUMNS:
        yield 1, LineError(1, f"the header row is not {','.join(CSV_COLUMNS)}")
        return
    for row in reader:
        number = reader.line_num
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            yield number, LineError(number, f"{len(row)} fields, not {len(CSV_COLUMNS)}")
            continue
        fields = dict(zip(CSV_COLUMNS, row, strict=True))
        try:
            obj: dict[str, Any] = {
                "partition": fields["partition"], "offset": fields["offset"],
                "timestamp": fields["timestamp"], "timestamp_type": fields["timestamp_type"],
                "key": None if fields["key_encoding"] == "null" else fields["key"],
                "key_encoding": None if fields["key_encoding"] == "null" else fields["key_encoding"],
                "value": None if fields["value_encoding"] == "null" else fields["value"],
                "value_encoding": None if fields["value_encoding"] == "null" else fields["value_encoding"],
                "headers": json.loads(fields["headers"]) if fields["headers"] else [],
            }  # fmt: skip
            yield number, from_object(obj)
        except ValueError as error:
            yield number, LineError(number, str(error))
