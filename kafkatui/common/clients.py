"""What a client gives a cluster and gets back, whichever cluster it is (Kafka's
`org.apache.kafka.clients` configs and results, and the record types they use from
`org.apache.kafka.common.record`): producer and consumer configs with Kafka's names and
checks, where an acknowledged record landed, a record as poll returns it. The engine's
in-process clients and the remote backend's confluent-kafka clients both take and give
these, so a front end or a service never holds an engine type."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from kafkatui.common.errors import ErrorCode, KafkaError

Headers = tuple[tuple[str, bytes | None], ...]
# ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE
MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5


class TimestampType(enum.IntEnum):
    """`message.timestamp.type`: who sets a record's timestamp."""

    CREATE_TIME = 0
    LOG_APPEND_TIME = 1

    @property
    def config_name(self) -> str:
        return "CreateTime" if self is TimestampType.CREATE_TIME else "LogAppendTime"

    @classmethod
    def from_config(cls, name: str) -> TimestampType:
        return cls.LOG_APPEND_TIME if name == "LogAppendTime" else cls.CREATE_TIME


class Compression(enum.IntEnum):
    """The codec in bits 0-2 of a batch's attributes (Kafka's `CompressionType`)."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


def compression_from_name(name: str) -> Compression:
    """`compression.type` as a producer names it: none, gzip, snappy, lz4, zstd."""
    try:
        return Compression[name.upper()]
    except KeyError:
        raise KafkaError(
            ErrorCode.INVALID_CONFIG,
            f"Invalid value {name} for configuration compression.type: "
            "String must be one of: none, gzip, snappy, lz4, zstd",
        ) from None


def serialize(value: Any) -> bytes | None:
    """The default serializer: bytes as they are, str as UTF-8, None as null."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(
        f"cannot serialize {type(value).__name__} with the default serializer; "
        "pass bytes or str, or use value_serializer=serialize_json"
    )


def serialize_json(value: Any) -> bytes | None:
    """JSON serializer (compact, UTF-8); None stays null so tombstones remain possible."""
    return None if value is None else json.dumps(value, separators=(",", ":")).encode()


def parse_acks(acks: str | int) -> int:
    """Kafka's `acks`: "all" or -1, 0, 1."""
    text = str(acks).strip().lower()
    if text in ("all", "-1"):
        return -1
    if text in ("0", "1"):
        return int(text)
    raise KafkaError(
        ErrorCode.INVALID_CONFIG,
        f"Invalid value {acks} for configuration acks: must be one of 0, 1, all",
    )


@dataclass(frozen=True)
class ProducerConfig:
    """Producer configs, named as Kafka's with '_' for '.' (defaults are Kafka 3.x's)."""

    acks: str = "all"
    linger_ms: int = 5
    batch_size: int = 16_384
    # buffer.memory: bytes of closed batches waiting for their acknowledgement before send() waits.
    buffer_memory: int = 33_554_432
    max_request_size: int = 1_048_576
    retries: int = 2_147_483_647
    retry_backoff_ms: int = 100
    delivery_timeout_ms: int = 120_000
    request_timeout_ms: int = 30_000  # how long the leader may hold an acks=all request
    partitioner: str = "default"  # default | round_robin
    # None = not set: Kafka's default (true), silently off when acks, retries or
    # max.in.flight.requests.per.connection do not allow it (Kafka 3.2+, KAFKA-13673).
    enable_idempotence: bool | None = None
    max_in_flight_requests_per_connection: int = 5
    # Transactions (KIP-98): a transactional.id implies idempotence.
    transactional_id: str | None = None
    transaction_timeout_ms: int = 60_000
    # none | gzip | snappy | lz4 | zstd, at the codec's Kafka default level. Batches still
    # close on their uncompressed size (Kafka estimates the compressed one).
    compression_type: str = "none"

    def __post_init__(self) -> None:
        parse_acks(self.acks)
        compression_from_name(self.compression_type)
        if self.max_in_flight_requests_per_connection < 1:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {self.max_in_flight_requests_per_connection} for configuration "
                "max.in.flight.requests.per.connection: must be at least 1",
            )
        if self.transactional_id is not None and self.enable_idempotence is False:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG, "Cannot set a transactional.id without also enabling idempotence."
            )
        if self.enable_idempotence or self.transactional_id is not None:
            for problem in self._idempotence_conflicts():
                raise KafkaError(ErrorCode.INVALID_CONFIG, f"{problem} (enable.idempotence=true)")
        if self.partitioner not in ("default", "round_robin"):
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {self.partitioner} for configuration partitioner: "
                "must be default or round_robin",
            )
        if self.delivery_timeout_ms < self.linger_ms + self.request_timeout_ms:
            # Kafka's ProducerConfig check, so a record gets at least one full attempt.
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms "
                f"({self.delivery_timeout_ms} < {self.linger_ms} + {self.request_timeout_ms})",
            )
        for name in ("linger_ms", "batch_size", "max_request_size", "retries", "retry_backoff_ms"):
            if getattr(self, name) < 0:
                raise KafkaError(
                    ErrorCode.INVALID_CONFIG,
                    f"Invalid value {getattr(self, name)} for configuration "
                    f"{name.replace('_', '.')}: must be at least 0",
                )

    def _idempotence_conflicts(self) -> list[str]:
        """Kafka's `postProcessAndValidateIdempotenceConfigs`, in its words."""
        problems = []
        if self.retries == 0:
            problems.append("Must set retries to non-zero when using the idempotent producer.")
        if parse_acks(self.acks) != -1:
            problems.append(
                "Must set acks to all in order to use the idempotent producer. "
                "Otherwise we cannot guarantee idempotence."
            )
        if self.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:
            problems.append(
                "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer."
            )
        return problems

    @property
    def compression(self) -> Compression:
        """The codec `compression.type` names."""
        return compression_from_name(self.compression_type)

    @property
    def idempotent(self) -> bool:
        """Whether this producer is idempotent: enable.idempotence as set, or by default
        whenever acks=all, retries > 0 and max.in.flight ≤ 5 allow it."""
        if self.transactional_id is not None:
            return True
        if self.enable_idempotence is None:
            return not self._idempotence_conflicts()
        return self.enable_idempotence


class TransactionState(enum.Enum):
    """The client's side of a transaction (Kafka's `TransactionManager.State`)."""

    UNINITIALIZED = "UNINITIALIZED"
    READY = "READY"
    IN_TRANSACTION = "IN_TRANSACTION"
    COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
    ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
    ABORTABLE_ERROR = "ABORTABLE_ERROR"
    FATAL_ERROR = "FATAL_ERROR"


@dataclass(frozen=True)
class ConsumerGroupMetadata:
    """What a transactional producer tells the group coordinator about the consumer whose
    offsets it commits (Kafka's `ConsumerGroupMetadata`, KIP-447): TxnOffsetCommit v3+
    carries it, and the coordinator refuses a zombie of an older generation
    (ILLEGAL_GENERATION), a member no longer in the group (UNKNOWN_MEMBER_ID) or a static
    member replaced by another (FENCED_INSTANCE_ID). Generation -1 and no member is the
    group id alone, which nothing checks."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None


class RecordMetadata(NamedTuple):
    """Where an acknowledged record landed. Offset -1 with acks=0 (nobody told us)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    serialized_key_size: int
    serialized_value_size: int


class TopicPartition(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


class ConsumerRecord(NamedTuple):
    """A record as `poll` returns it."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: TimestampType
    key: Any
    value: Any
    headers: Headers
    leader_epoch: int


@dataclass(frozen=True)
class ConsumerConfig:
    """Consumer configs, named as Kafka's with '_' for '.' (defaults are Kafka 3.x's)."""

    auto_offset_reset: str = "latest"  # earliest | latest | none
    max_poll_records: int = 500
    fetch_max_wait_ms: int = 500
    fetch_min_bytes: int = 1
    max_partition_fetch_bytes: int = 1_048_576
    group_id: str | None = None
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000
    # Group membership (subscribe): Kafka 3.x defaults, but only the eager assignors
    # (Kafka's default list is range, cooperative-sticky; the group picks range).
    client_id: str = "kafkatui-consumer"
    group_instance_id: str | None = None
    partition_assignment_strategy: tuple[str, ...] = ("range",)
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    # read_committed (KIP-98): only records of committed transactions, up to the LSO.
    isolation_level: str = "read_uncommitted"

    def __post_init__(self) -> None:
        if self.auto_offset_reset not in ("earliest", "latest", "none"):
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {self.auto_offset_reset} for configuration auto.offset.reset: "
                "String must be one of: latest, earliest, none",
            )
        if self.isolation_level not in ("read_uncommitted", "read_committed"):
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {self.isolation_level} for configuration isolation.level: "
                "String must be one of: read_committed, read_uncommitted",
            )
        if self.max_poll_records < 1:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {self.max_poll_records} for configuration max.poll.records: "
                "Value must be at least 1",
            )
