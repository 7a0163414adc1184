"""What a broker's produce, fetch and ListOffsets paths take and answer, in process (Kafka's
`ProduceResponse.PartitionResponse`, `FetchRequest.PartitionData`, `FetchPartitionData`,
`ListOffsetsRequest`'s special timestamps and `IsolationLevel`), and the requests a broker
sends its controller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from kafkatui.common.errors import KafkaError
from kafkatui.engine.log.log_dir import LogDirFailure

# ListOffsets' special timestamps (ListOffsetsRequest.EARLIEST_TIMESTAMP / LATEST_TIMESTAMP).
EARLIEST = -2
LATEST = -1
VALID_ACKS = (-1, 0, 1)
READ_UNCOMMITTED = 0  # Fetch's isolation_level (KIP-98)
READ_COMMITTED = 1
REQUEST_TIMEOUT_MS = 30_000  # request.timeout.ms: how long acks=all waits for the ISR

# AlterPartition requests to the controller (topic, partition, replica(s), leader epoch).
AlterPartition = Callable[[str, int, int, int], Awaitable[None]]
ShrinkIsr = Callable[[str, int, Sequence[int], int], Awaitable[None]]
# A broker telling the controller its log dir is offline (KIP-112, in the heartbeat).
ReportLogDirFailure = Callable[[int, LogDirFailure], Awaitable[None]]


@dataclass(frozen=True)
class ProduceResult:
    """A partition's answer to a produce request (ProduceResponse.PartitionResponse)."""

    base_offset: int
    log_append_time: int  # -1 unless the topic uses LogAppendTime
    log_start_offset: int


@dataclass(frozen=True)
class FetchPartition:
    """One partition in a fetch request."""

    topic: str
    partition: int
    fetch_offset: int
    max_bytes: int = 1_048_576


@dataclass
class FetchedPartition:
    """One partition in a fetch response: its batches, or the error that stopped it."""

    topic: str
    partition: int
    high_watermark: int = -1
    log_start_offset: int = -1
    batches: list[bytes] = field(default_factory=list)
    error: KafkaError | None = None
    last_stable_offset: int = -1
    # read_committed: (producer id, first offset) of aborted transactions in the batches.
    aborted_transactions: list[tuple[int, int]] | None = None

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.batches)
