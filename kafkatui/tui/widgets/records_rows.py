"""Which record each row of the Records panel's table shows, without holding the records:
a row is a (partition, offset) worked out on demand, so a 10M-record topic costs a few
integers per partition until a row is drawn. No Textual here.

- `RangeRows`: each partition's range of offsets (`seek.PartitionRange`), one after the
  other (partition 0's, then 1's…): a row is found by bisecting the ranges' starts.
  Order across partitions is not time order; Kafka keeps none, and merging partitions by
  time would need every record read first.
- `MatchRows`: the rows a filter scan or the live tail found, as two packed arrays (16
  bytes a match), the oldest dropped past `limit`.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from typing import Protocol

from kafkatui.ecosystem.browse.seek import PartitionRange


class Rows(Protocol):
    def __len__(self) -> int: ...
    def at(self, row: int) -> tuple[int, int]:
        """The (partition, offset) shown on `row` (0 <= row < len)."""
        ...

    def find(self, partition: int, offset: int) -> int | None:
        """The row showing this record, or None."""
        ...


class RangeRows:
    """Bounded ranges of offsets, partition after partition."""

    def __init__(self, ranges: Sequence[PartitionRange]) -> None:
        self.ranges = [r for r in ranges if r.size > 0]
        self._firsts: list[int] = []
        total = 0
        for r in self.ranges:
            self._firsts.append(total)
            total += r.size
        self._total = total

    def __len__(self) -> int:
        return self._total

    def at(self, row: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._firsts, row) - 1
        r = self.ranges[i]
        return r.partition, r.start + row - self._firsts[i]

    def find(self, partition: int, offset: int) -> int | None:
        for first, r in zip(self._firsts, self.ranges, strict=True):
            if r.partition == partition and r.start <= offset < r.start + r.size:
                return first + offset - r.start
        return None


class MatchRows:
    """Records found one by one (a scan's matches, the tail's arrivals), in that order."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._partitions = array("i")
        self._offsets = array("q")
        self.dropped = 0  # the oldest, past `limit`

    def __len__(self) -> int:
        return len(self._offsets)

    def append(self, partition: int, offset: int) -> None:
        self._partitions.append(partition)
        self._offsets.append(offset)
        if len(self._offsets) > self.limit:
            # Drop a tenth at once: deleting from an array's front moves all of it.
            cut = max(1, self.limit // 10)
            del self._partitions[:cut]
            del self._offsets[:cut]
            self.dropped += cut

    def at(self, row: int) -> tuple[int, int]:
        return self._partitions[row], self._offsets[row]

    def find(self, partition: int, offset: int) -> int | None:
        for row in range(len(self._offsets)):
            if self._offsets[row] == offset and self._partitions[row] == partition:
                return row
        return None
