"""A log's time index, as Kafka keeps one per segment (`TimeIndex`, `.timeindex` files):
an entry (largest timestamp so far, offset) each time a batch raises the log's largest
timestamp. Both columns only grow, so ListOffsets by time is a binary search, not a scan
of the log; the batch found is the first whose max timestamp reaches the target (every
batch before it stays below, whatever order CreateTime timestamps came in).

Kept in memory per log (two arrays of 64-bit integers, 16 bytes an entry), built from the
database's batch rows the first time a log is asked, extended on append, cut on
truncation. Retention and the cleaner leave it right: batches they drop or shrink never
rise above the timestamps indexed, so the first batch at or after the entry's offset
whose max timestamp reaches the target is still the answer (the lookup reads forward
from there)."""

from __future__ import annotations

from array import array
from bisect import bisect_left


class TimeIndex:
    __slots__ = ("_offsets", "_timestamps")

    def __init__(self) -> None:
        self._timestamps = array("q")
        self._offsets = array("q")

    def __len__(self) -> int:
        return len(self._timestamps)

    def add(self, max_timestamp: int, base_offset: int) -> None:
        """A batch appended after every batch already indexed."""
        if not self._timestamps or max_timestamp > self._timestamps[-1]:
            self._timestamps.append(max_timestamp)
            self._offsets.append(base_offset)

    def truncate(self, offset: int) -> None:
        """Forget the entries of batches from `offset` on (a follower's truncation)."""
        keep = bisect_left(self._offsets, offset)
        del self._timestamps[keep:]
        del self._offsets[keep:]

    def lookup(self, timestamp: int) -> int | None:
        """The base offset of the first batch whose max timestamp is at least `timestamp`
        (None: no batch is that recent)."""
        at = bisect_left(self._timestamps, timestamp)
        return None if at == len(self._timestamps) else self._offsets[at]
