"""What the Records panel searches for, and the scan that finds it. No Textual here.

A `FilterSpec` is what the user typed (remembered per topic for the session); `compile`
turns it into the ecosystem's `RecordFilter` (jq compiled once, a time range) plus a
contains-or-regex match on one field, and narrows the partitions and offsets to read.
A scan reads the chosen ranges page by page through `Backend.read_log` (the records a
consumer would see: control records are skipped) and hands on the matches' positions,
so the table reads them again only when they are shown.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from kafkatui.backends.base import Backend, LogRecordView
from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.browse.filters import JqFilter, RecordFilter, ScanCounts
from kafkatui.ecosystem.browse.seek import PartitionRange, parse_time

SCAN_PAGE = 1024  # offsets read per call
FIELDS = ("any", "key", "value", "header")
_OFFSETS = re.compile(r"^\s*(\d*)\s*(?:-|\.\.)\s*(\d*)\s*$")


@dataclass(frozen=True)
class FilterSpec:
    """The Records panel's filter fields as typed."""

    text: str = ""  # contains (or, with `regex`, a regular expression)
    regex: bool = False
    field: str = "any"  # any | key | value | header (name or value)
    jq: str = ""  # over the value decoded as JSON: `select(.price > 10)`
    from_time: str = ""  # ISO-8601, relative (-15m) or epoch ms
    to_time: str = ""
    partition: str = ""  # empty: all
    offsets: str = ""  # "100-200", "100-", "-200" (inclusive)

    def with_field(self, name: str, value: str | bool) -> FilterSpec:
        return replace(self, **{name: value})

    @property
    def scans(self) -> bool:
        """Does this filter need records read (not only ranges narrowed)?"""
        return bool(self.text or self.jq.strip() or self.from_time.strip() or self.to_time.strip())


class TextMatch:
    """Contains (or a regex) in the key, the value, a header's name or value, or any of
    them, over the bytes, so binary records can be searched too."""

    def __init__(self, text: str, regex: bool, field: str) -> None:
        pattern = text if regex else re.escape(text)
        try:
            self.search = re.compile(pattern.encode()).search
        except re.error as error:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"regex {text!r}: {error}") from None
        self.field = field

    def matches(self, record: ConsumerRecord) -> bool:
        search, field = self.search, self.field
        if field in ("any", "key") and record.key is not None and search(record.key):
            return True
        if field in ("any", "value") and record.value is not None and search(record.value):
            return True
        if field in ("any", "header"):
            return any(search(k.encode()) or (v is not None and search(v)) for k, v in record.headers)
        return False


@dataclass
class CompiledFilter:
    """A spec ready to run: which ranges to read, and which records in them match."""

    ranges: list[PartitionRange]
    records: RecordFilter
    text: TextMatch | None

    @property
    def scans(self) -> bool:
        return self.text is not None or self.records.active

    @property
    def counts(self) -> ScanCounts:
        return self.records.counts

    @property
    def total(self) -> int:
        return sum(r.size for r in self.ranges)

    def select(self, records: Sequence[LogRecordView]) -> list[bool]:
        """Per record (control records already left out), does it match? Counted."""
        return self.select_consumed([as_consumer_record(r) for r in records])

    def select_consumed(self, records: Sequence[ConsumerRecord]) -> list[bool]:
        """The same over records as a consumer polled them (the live tail)."""
        if self.text is None:
            return self.records.select(records)
        hits = [self.text.matches(r) for r in records]
        chosen = [r for r, hit in zip(records, hits, strict=True) if hit]
        keep = iter(self.records.select(chosen))
        self.records.counts.scanned += len(records) - len(chosen)  # select counted the others
        return [hit and next(keep) for hit in hits]


def scan_summary(counts: ScanCounts) -> str:
    """`scanned 1,000 · matched 12 · 3 not JSON`: what the status line says."""
    parts = [f"scanned {counts.scanned:,}", f"matched {counts.matched:,}"]
    if counts.not_json:
        parts.append(f"{counts.not_json:,} not JSON")
    if counts.failed:
        parts.append(f"{counts.failed:,} failed jq")
    return " · ".join(parts)


def as_consumer_record(record: LogRecordView, topic: str = "") -> ConsumerRecord:
    kind = TimestampType.from_config(record.batch.timestamp_type)
    return ConsumerRecord(
        topic, record.partition, record.offset, record.timestamp, kind, record.key, record.value,
        record.headers, record.batch.partition_leader_epoch,
    )  # fmt: skip


def compile_spec(spec: FilterSpec, ranges: Sequence[PartitionRange]) -> CompiledFilter:
    """The spec over `ranges` (where seek put each partition); KafkaError INVALID_REQUEST
    saying what is wrong (a jq error with its line and column)."""
    chosen = list(ranges)
    if spec.partition.strip():
        try:
            partition = int(spec.partition)
        except ValueError:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"partition {spec.partition!r} is not a number"
            ) from None
        chosen = [r for r in chosen if r.partition == partition]
        if not chosen:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"the topic has no partition {partition}")
    if spec.offsets.strip():
        bounds = _OFFSETS.match(spec.offsets)
        if bounds is None:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"offsets {spec.offsets!r}: give first-last, first- or -last"
            )
        first = int(bounds.group(1)) if bounds.group(1) else 0
        last = int(bounds.group(2)) if bounds.group(2) else None
        chosen = [_narrow(r, first, last) for r in chosen]
    jq = JqFilter(spec.jq) if spec.jq.strip() else None
    from_ms = parse_time(spec.from_time) if spec.from_time.strip() else None
    to_ms = parse_time(spec.to_time) if spec.to_time.strip() else None
    text = TextMatch(spec.text, spec.regex, spec.field) if spec.text else None
    return CompiledFilter(chosen, RecordFilter(jq, None, from_ms, to_ms), text)


def _narrow(r: PartitionRange, first: int, last: int | None) -> PartitionRange:
    start = max(r.start, first)
    end = r.end if last is None else (last + 1 if r.end is None else min(r.end, last + 1))
    return PartitionRange(r.partition, start, end if end is None else max(start, end))


async def scan(
    backend: Backend, topic: str, compiled: CompiledFilter, page: int = SCAN_PAGE
) -> AsyncIterator[list[tuple[int, int]]]:
    """The matches' (partition, offset), a page of the log at a time (an empty list for
    a page without any, so the caller can show progress and stop between pages)."""
    for r in compiled.ranges:
        offset, end = r.start, r.end if r.end is not None else r.start
        while offset < end:
            records = await backend.read_log(topic, r.partition, offset, min(page, end - offset))
            if not records:
                break  # the log ends before the range did (deleted under us)
            shown = [x for x in records if x.offset < end and not x.batch.is_control]
            keep = compiled.select(shown)
            yield [(x.partition, x.offset) for x, k in zip(shown, keep, strict=True) if k]
            offset = records[-1].offset + 1
