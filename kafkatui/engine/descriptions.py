"""What `describe_topic` answers: a topic and its partitions as `topic describe`, the TUI and
the backends show them (Kafka's `TopicDescription` and `TopicPartitionInfo`, with each
replica's log positions)."""

from __future__ import annotations

from dataclasses import dataclass

from kafkatui.engine.server.partition import ReplicaSnapshot


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
