"""The Processor API (Kafka's `org.apache.kafka.streams.processor.api`): a `Processor`
gets `init(context)`, then `process(record)` per record, and forwards what it makes with
`context.forward`; `context.schedule` calls a punctuator on stream time or wall-clock
time; `context.get_state_store` reaches the stores the topology connected to it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kafkatui.ecosystem.streams.records import Record, RecordMetadata


class PunctuationType(enum.Enum):
    # STREAM_TIME advances only with records' timestamps (event time); WALL_CLOCK_TIME
    # with the system clock, records or not (Kafka's PunctuationType).
    STREAM_TIME = "STREAM_TIME"
    WALL_CLOCK_TIME = "WALL_CLOCK_TIME"


STREAM_TIME = PunctuationType.STREAM_TIME
WALL_CLOCK_TIME = PunctuationType.WALL_CLOCK_TIME


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class ProcessorContext(Protocol):
    """What a processor sees of its task (Kafka's `api.ProcessorContext`)."""

    @property
    def application_id(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    def forward(self, record: Record, child: str | None = None) -> None: ...
    def schedule(
        self, interval_ms: int, type: PunctuationType, punctuator: Callable[[int], None]
    ) -> Cancellable: ...
    def get_state_store(self, name: str) -> Any: ...
    def record_metadata(self) -> RecordMetadata | None: ...
    def current_stream_time_ms(self) -> int: ...
    def current_system_time_ms(self) -> int: ...
    def commit(self) -> None: ...


class Processor:
    """A custom node: subclass it and override `process` (and `init` to schedule
    punctuators or fetch stores, `close` to let go of what it holds)."""

    context: ProcessorContext

    def init(self, context: ProcessorContext) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


ProcessorSupplier = Callable[[], Processor]
