"""A task's input buffer over several partitions (Kafka's PartitionGroup and its
RecordQueues): the records fetched for each of the task's partitions wait in a queue,
and the task takes next the head record with the lowest timestamp, so a join's two
topics, or a co-partitioned pair, are read in event-time order across partitions.

Whether to go on while some partition has nothing buffered is `max.task.idle.ms`
(KIP-353, KIP-695), as `PartitionGroup#readyToProcess`: a partition whose lag is not
known to be zero is waited for (its records may be on the way); one caught up is waited
for up to `max.task.idle.ms` of wall-clock time (0: not at all, the default), then the
task processes what it has ("enforced processing"); -1 never waits. Kafka learns the
lag from the consumer's last fetch (`Consumer#currentLag`); here the stream thread
tells (`runtime.py`: a partition the last poll brought nothing of, with the consumer's
fetched records all handed out, is caught up)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

MAX_TASK_IDLE_MS_DISABLED = -1  # StreamsConfig.MAX_TASK_IDLE_MS_DISABLED

TopicPartitionKey = tuple[str, int]


class PartitionGroup:
    def __init__(self, partitions: Iterable[TopicPartitionKey], max_task_idle_ms: int) -> None:
        self.queues: dict[TopicPartitionKey, deque[Any]] = {tp: deque() for tp in sorted(partitions)}
        self.max_task_idle_ms = max_task_idle_ms
        self._idle_deadlines: dict[TopicPartitionKey, int] = {}
        self.enforced = 0  # Kafka's enforced-processing-total: times it went on without a partition

    def add(self, tp: TopicPartitionKey, record: Any) -> None:
        """A fetched record (anything with a `timestamp`), in its partition's offset order."""
        self.queues[tp].append(record)

    def buffered(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def clear(self) -> None:
        """Forget what is buffered (the consumer is sought back to what was processed)."""
        for queue in self.queues.values():
            queue.clear()
        self._idle_deadlines.clear()

    def ready(self, wall_clock_ms: int, caught_up: Callable[[TopicPartitionKey], bool]) -> bool:
        """Kafka's readyToProcess: every partition has a record, or those without are
        caught up and have been idle for max.task.idle.ms (and some record waits)."""
        queued = False
        enforced = False
        for tp, queue in self.queues.items():
            if queue:
                self._idle_deadlines.pop(tp, None)
                queued = True
                continue
            if self.max_task_idle_ms == MAX_TASK_IDLE_MS_DISABLED:
                continue
            if not caught_up(tp):  # records known (or not known not) to be on the broker
                self._idle_deadlines.pop(tp, None)
                return False
            deadline = self._idle_deadlines.setdefault(tp, wall_clock_ms + self.max_task_idle_ms)
            if wall_clock_ms < deadline:
                return False
            enforced = True
        if enforced and queued:
            self.enforced += 1
        return queued

    def next(self) -> Any:
        """The head record with the lowest timestamp (the first partition on a tie)."""
        best: deque[Any] | None = None
        for queue in self.queues.values():
            if queue and (best is None or queue[0].timestamp < best[0].timestamp):
                best = queue
        assert best is not None, "next() after ready()"
        return best.popleft()
