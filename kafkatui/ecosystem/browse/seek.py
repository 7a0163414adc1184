"""Where a search starts and ends in each partition: by offset, or by time through
ListOffsets (KIP-79: the first offset whose timestamp is at or after a given time), and
reading that range with any `ConsumerClient`.

A time is ISO-8601 (`2026-12-07T06:00:00Z`; without a zone, local time, as Kafka's
`kafka-consumer-groups.sh --to-datetime` reads it), relative to now (`-15m`, `-2h`,
`-30s`, `-1d`, `-1w`) or epoch milliseconds (kcat's `s@1700000000000`).
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from kafkatui.backends.base import Backend, ConsumerClient
from kafkatui.backends.views import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from kafkatui.common.clients import ConsumerRecord, TopicPartition
from kafkatui.common.errors import ErrorCode, KafkaError

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_EMPTY_POLLS = 4  # before any record: the range holds none a consumer sees
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_time(text: str, now_ms: int | None = None) -> int:
    """Epoch milliseconds for `text` (INVALID_REQUEST when it is none of the forms)."""
    text = text.strip()
    now = int(time.time() * 1000) if now_ms is None else now_ms
    relative = _RELATIVE.match(text)
    if relative:
        return now - int(float(relative.group(1)) * _UNIT_MS[relative.group(2)])
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise KafkaError(
            ErrorCode.INVALID_REQUEST,
            f"'{text}' is not a time: give ISO-8601 (2026-12-07T06:00:00Z), relative (-15m, -2h, -1d) "
            "or epoch milliseconds",
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as Kafka's tools read a datetime
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class PartitionRange:
    partition: int
    start: int  # the first offset to read
    end: int | None  # read up to (excluding) this offset; None: keep following

    @property
    def size(self) -> int:
        return 0 if self.end is None else max(0, self.end - self.start)


async def plan(
    backend: Backend,
    topic: str,
    partitions: Sequence[int],
    *,
    start: int | str,
    from_ms: int | None = None,
    to_ms: int | None = None,
    follow: bool = False,
) -> list[PartitionRange]:
    """Each partition's range: from `start` (an offset, 'beginning' or 'end') or the first
    offset at `from_ms`, to the high watermark now or the first offset after `to_ms`
    (None with `follow`). A time past the newest record finds no offset (-1): that
    partition starts, or ends, at its high watermark."""
    ends = await backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)
    if from_ms is not None:
        starts = await backend.list_offsets(topic, partitions, from_ms)
        starts = {p: ends[p] if o < 0 else o for p, o in starts.items()}
    elif start == "beginning":
        starts = await backend.list_offsets(topic, partitions, EARLIEST_TIMESTAMP)
    elif start == "end":
        starts = dict(ends)
    else:
        assert isinstance(start, int)
        earliest = await backend.list_offsets(topic, partitions, EARLIEST_TIMESTAMP)
        starts = {p: min(max(start, earliest[p]), ends[p]) for p in partitions}
    stops: dict[int, int | None] = {p: None if follow else ends[p] for p in partitions}
    if to_ms is not None and not follow:
        after = await backend.list_offsets(topic, partitions, to_ms + 1)
        stops = {p: ends[p] if o < 0 else min(o, ends[p]) for p, o in after.items()}
    return [PartitionRange(p, starts[p], stops[p]) for p in partitions]


async def read_ranges(
    consumer: ConsumerClient, topic: str, ranges: Sequence[PartitionRange], *, poll_ms: int = 500
) -> AsyncIterator[list[ConsumerRecord]]:
    """The records of each range, in batches as polled; ends when every bounded range is
    read (never, if one follows)."""
    open_ranges = {r.partition: r for r in ranges if r.end is None or r.start < r.end}
    if not open_ranges:
        return
    consumer.assign([(topic, p) for p in open_ranges])
    for r in open_ranges.values():
        consumer.seek(TopicPartition(topic, r.partition), r.start)
    # A range whose last offsets hold no record a consumer sees (a transaction marker,
    # compacted away, aborted under read_committed) never delivers offset end - 1. Below
    # the high watermark a fetch answers at once, so a poll that waited and got nothing
    # means every range is read, once polls have worked (a remote consumer's first ones
    # may come back empty while it connects).
    worked, empty = False, 0
    while open_ranges:
        records = await consumer.poll(poll_ms)
        if not records:
            empty += 1
            if all(r.end is not None for r in open_ranges.values()) and (worked or empty >= _EMPTY_POLLS):
                return
            continue
        worked, empty = True, 0
        batch = []
        for record in records:
            r = open_ranges.get(record.partition)
            if r is None or (r.end is not None and record.offset >= r.end):
                continue
            batch.append(record)
            if r.end is not None and record.offset >= r.end - 1:
                del open_ranges[record.partition]
        if batch:
            yield batch
