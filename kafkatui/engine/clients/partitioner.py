"""Choosing a partition for a record, the way Kafka's Java producer does.

- Keyed records: `toPositive(murmur2(key)) % numPartitions` (Java-compatible murmur2),
  so a key always lands on the same partition while the partition count is unchanged.
- Keyless records: the sticky partitioner (KIP-480, made uniform in KIP-794): stay on
  one partition until about `batch.size` bytes went there, then move to another, so
  batches fill up instead of being scattered one record each.
- An explicit partition wins over both.
"""

from __future__ import annotations

import random

from kafkatui.common.utils import murmur2, to_positive


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a keyed record."""
    return to_positive(murmur2(key)) % num_partitions


class StickyPartitioner:
    """Sticky partitioning for keyless records (KIP-480 / KIP-794's built-in partitioner).

    Kafka switches once `batch.size` bytes have been produced to the sticky partition;
    like KIP-480 it never picks the same partition twice in a row when there is a choice.
    """

    def __init__(self, rng: random.Random, batch_size: int = 16384) -> None:
        self._rng = rng
        self._batch_size = batch_size
        self._sticky: dict[str, tuple[int, int]] = {}  # topic -> (partition, bytes produced)

    def partition(self, topic: str, num_partitions: int) -> int:
        current = self._sticky.get(topic)
        if current is None or current[0] >= num_partitions:
            return self._switch(topic, num_partitions, None)
        return current[0]

    def record_appended(self, topic: str, partition: int, size: int, num_partitions: int) -> None:
        """Count bytes produced to the sticky partition; switch when a batch's worth went."""
        current = self._sticky.get(topic)
        if current is None or current[0] != partition:
            return
        produced = current[1] + size
        if produced >= self._batch_size:
            self._switch(topic, num_partitions, partition)
        else:
            self._sticky[topic] = (partition, produced)

    def _switch(self, topic: str, num_partitions: int, previous: int | None) -> int:
        if num_partitions <= 1 or previous is None:
            chosen = self._rng.randrange(num_partitions)
        else:
            chosen = self._rng.randrange(num_partitions - 1)
            if chosen >= previous:
                chosen += 1
        self._sticky[topic] = (chosen, 0)
        return chosen


class RoundRobinPartitioner:
    """Kafka's `RoundRobinPartitioner`: every record to the next partition in turn."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def partition(self, topic: str, num_partitions: int) -> int:
        n = self._next.get(topic, 0)
        self._next[topic] = n + 1
        return n % num_partitions
