"""What flows between nodes: a `Record` (Kafka's `org.apache.kafka.streams.processor.api.
Record`: key, value, timestamp, headers), where it came from (`RecordMetadata`), and a
windowed key (`Windowed`, `TimeWindow`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Record:
    key: Any
    value: Any
    timestamp: int
    headers: tuple[tuple[str, bytes | None], ...] = field(default=())

    def with_key(self, key: Any) -> Record:
        return replace(self, key=key)

    def with_value(self, value: Any) -> Record:
        return replace(self, value=value)

    def with_timestamp(self, timestamp: int) -> Record:
        return replace(self, timestamp=timestamp)


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """The input record being processed: `ProcessorContext.recordMetadata()`."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True, order=True)
class TimeWindow:
    """[start, end): Kafka's TimeWindow (end exclusive)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Windowed:
    """A key in a window; prints as Kafka's `Windowed.toString()`."""

    key: Any
    window: TimeWindow

    def __str__(self) -> str:
        return f"[{self.key}@{self.window.start}/{self.window.end}]"
