"""What the log view reads: one topic's log in pages of offsets, read on demand through
`Backend.read_log` into a bounded LRU, and a partition's bounds (log start, high
watermark, log end) and the cursor on one record. No Textual here: the widget asks.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from kafkatui.backends.base import Backend, LogRecordView
from kafkatui.common.admin import PartitionDescription
from kafkatui.common.errors import KafkaError

PAGE_SIZE = 512  # offsets per page read (read_log decodes whole batches anyway)
PAGE_CAPACITY = 32  # pages kept; raised if the screen needs more at once


class Cursor(NamedTuple):
    partition: int
    offset: int


@dataclass(frozen=True)
class PartitionBounds:
    """A partition's log start, high watermark and log end offset (LEO)."""

    partition: int
    leader: int
    log_start: int
    high_watermark: int
    log_end: int

    @classmethod
    def of(cls, p: PartitionDescription) -> PartitionBounds:
        # -1 means no leader to ask; draw that as an empty log.
        start = max(p.log_start_offset, 0)
        return cls(p.partition, p.leader, start, max(p.high_watermark, start), max(p.log_end_offset, start))

    @property
    def empty(self) -> bool:
        return self.log_end <= self.log_start

    @property
    def last(self) -> int:
        """The last offset (or the log start when empty)."""
        return max(self.log_start, self.log_end - 1)


@dataclass
class _Page:
    records: dict[int, LogRecordView]
    complete: bool  # the log already reached the page's end when it was read
    stale: bool = False


class LogPages:
    """A bounded LRU of one topic's log pages (`page_size` offsets each)."""

    def __init__(
        self, backend: Backend, topic: str, page_size: int = PAGE_SIZE, capacity: int = PAGE_CAPACITY
    ) -> None:
        self.backend = backend
        self.topic = topic
        self.page_size = page_size
        self.capacity = capacity
        self._pages: OrderedDict[tuple[int, int], _Page] = OrderedDict()
        self._reading: set[tuple[int, int]] = set()
        self._failed: set[tuple[int, int]] = set()
        self.reads = 0
        self.records_fetched = 0

    @property
    def cached_records(self) -> int:
        return sum(len(p.records) for p in self._pages.values())

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def get(self, partition: int, offset: int) -> LogRecordView | None:
        page = self._pages.get((partition, offset // self.page_size))
        return None if page is None else page.records.get(offset)

    def loaded(self, partition: int, offset: int) -> bool:
        return (partition, offset // self.page_size) in self._pages

    def claim(self, partition: int, first: int, last: int) -> list[int]:
        """Pages over offsets [first, last] to read now (absent or stale, not already being read).

        Marks them as being read; also makes the present ones most recently used.
        """
        claimed = []
        for index in range(first // self.page_size, last // self.page_size + 1):
            key = (partition, index)
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            if (page is None or page.stale) and key not in self._reading and key not in self._failed:
                self._reading.add(key)
                claimed.append(index)
        return claimed

    async def load(self, partition: int, index: int, log_end: int) -> None:
        """Read one page (raises KafkaError, and then leaves it alone until `forget_failures`)."""
        key = (partition, index)
        start = index * self.page_size
        end = start + self.page_size
        self._reading.add(key)
        try:
            records = await self.backend.read_log(self.topic, partition, start, self.page_size)
        except KafkaError:
            self._failed.add(key)
            raise
        finally:
            self._reading.discard(key)
        self.reads += 1
        self.records_fetched += len(records)
        complete = log_end >= end or any(r.offset >= end - 1 for r in records)
        self._pages[key] = _Page({r.offset: r for r in records if start <= r.offset < end}, complete)
        self._pages.move_to_end(key)
        while len(self._pages) > self.capacity:
            self._pages.popitem(last=False)

    def appended(self, partition: int) -> None:
        """New records in `partition`: its unfinished pages need reading again."""
        for (p, _), page in self._pages.items():
            if p == partition and not page.complete:
                page.stale = True

    def forget_failures(self) -> None:
        self._failed.clear()

    def clear(self) -> None:
        """Read everything again (the log cleaner rewrote old records)."""
        self._pages.clear()
        self._failed.clear()
