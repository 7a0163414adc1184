"""What a cluster tells an admin client about itself (Kafka's admin result types in
`org.apache.kafka.clients.admin`): a topic and its partitions as DescribeTopics and
`topic describe` give them (`TopicDescription`, `TopicPartitionInfo`, with each
replica's log positions), a config as DescribeConfigs gives it (`ConfigEntry`), a
transaction as ListTransactions and DescribeTransactions give it (`TransactionListing`,
`TransactionDescription`, KIP-664), and a link between two brokers as the workbench
shows it. The engine builds these; the backends hand them to the TUI, the CLI and the
services unchanged."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaSnapshot:
    """A replica's log positions, for describe and the UI."""

    broker_id: int
    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int


@dataclass(frozen=True)
class PartitionDescription:
    """A partition as `topic describe` shows it."""

    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int
    replica_states: tuple[ReplicaSnapshot, ...]
    # Kafka's offlineReplicas: replicas whose broker's log dir is offline (KIP-112).
    offline_replicas: tuple[int, ...] = ()
    # New incarnations refetching their log from the leader (KIP-858), not in the ISR yet.
    rebuilding: tuple[int, ...] = ()
    # KIP-966: out of the ISR but holding every committed record, so eligible to lead
    # cleanly; and those dropped from it as they may have lost data (Kafka's
    # DescribeTopicPartitions `eligibleLeaderReplicas`, `lastKnownElr`).
    eligible_leader_replicas: tuple[int, ...] = ()
    last_known_elr: tuple[int, ...] = ()


@dataclass(frozen=True)
class TopicDescription:
    """A topic as `topic describe` shows it: its partitions and its config overrides."""

    name: str
    topic_id: str
    replication_factor: int
    partitions: tuple[PartitionDescription, ...]
    configs: dict[str, str]

    @property
    def record_count(self) -> int:
        """Records readable (high watermark minus log start), summed over partitions."""
        return sum(p.high_watermark - p.log_start_offset for p in self.partitions)

    @property
    def size_bytes(self) -> int:
        return sum(p.size_bytes for p in self.partitions)


class ConfigType(enum.Enum):
    """The value types of Kafka's ``ConfigDef.Type``."""

    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class ConfigSource(enum.StrEnum):
    """Where a described value comes from: the names of the admin client's
    ``ConfigEntry.ConfigSource`` that kafkatui has (Kafka has more: dynamic broker configs)."""

    DYNAMIC_TOPIC_CONFIG = "DYNAMIC_TOPIC_CONFIG"  # an override set on the topic
    STATIC_BROKER_CONFIG = "STATIC_BROKER_CONFIG"  # a broker's setting (server.properties)
    DEFAULT_CONFIG = "DEFAULT_CONFIG"  # Kafka's built-in default


@dataclass(frozen=True)
class ConfigEntry:
    """One config of a resource as ``DescribeConfigs`` reports it."""

    name: str
    value: str | None  # None when sensitive, as Kafka hides those values
    source: str  # a ConfigSource name
    is_default: bool
    read_only: bool
    sensitive: bool
    type: ConfigType
    doc: str


@dataclass(frozen=True)
class LinkState:
    """One link as the UI shows it."""

    a: int
    b: int
    latency_ms: int = 0
    loss: float = 0.0
    cut: bool = False


@dataclass(frozen=True)
class TransactionListing:
    """One transactional id as ListTransactions gives it (Kafka's `TransactionListing`),
    with the broker that answered: its transaction coordinator."""

    transactional_id: str
    coordinator: int
    producer_id: int
    state: str  # Kafka's TransactionState name: Empty, Ongoing, PrepareCommit, CompleteAbort…


@dataclass(frozen=True)
class TransactionDescription:
    """DescribeTransactions (Kafka's `TransactionDescription`): a snapshot of one
    transactional id's state at its coordinator. `start_ms` is -1 unless a transaction
    has begun; `partitions` are named only while it is Ongoing or Prepare*."""

    transactional_id: str
    coordinator: int
    producer_id: int
    producer_epoch: int
    state: str
    timeout_ms: int
    start_ms: int
    partitions: tuple[tuple[str, int], ...]
