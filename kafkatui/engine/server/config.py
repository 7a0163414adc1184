"""The broker's own settings (Kafka's `KafkaConfig`, from server.properties): the
defaults topics inherit, liveness and replication timings, the internal topics' sizes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from kafkatui.common.errors import ErrorCode, KafkaError

# The one setting whose field is not its Kafka name with dots as underscores.
_SECONDS = {"leader.imbalance.check.interval.seconds": "leader_imbalance_check_interval_ms"}


@dataclass(frozen=True)
class BrokerDefaults:
    """Broker-level defaults that topics inherit (server.properties)."""

    num_partitions: int = 1  # num.partitions
    default_replication_factor: int = 1  # default.replication.factor
    # A Metadata request for an unknown topic creates it (clients ask for it: producers
    # and consumers by default), with num.partitions and default.replication.factor.
    auto_create_topics_enable: bool = True  # auto.create.topics.enable
    # Liveness (KIP-631): brokers heartbeat the active controller; one silent for the
    # session timeout is fenced. The quorum elects a new controller when it dies.
    broker_heartbeat_interval_ms: int = 2_000  # broker.heartbeat.interval.ms
    broker_session_timeout_ms: int = 9_000  # broker.session.timeout.ms
    controller_quorum_election_timeout_ms: int = 1_000  # controller.quorum.election.timeout.ms
    # A follower that has not caught up with its leader for this long leaves the ISR.
    replica_lag_time_max_ms: int = 30_000  # replica.lag.time.max.ms
    replica_fetch_wait_max_ms: int = 500  # replica.fetch.wait.max.ms (a follower's long-poll)
    replica_fetch_backoff_ms: int = 1_000  # replica.fetch.backoff.ms (after a failed fetch)
    # Preferred leaders get their partitions back when a broker leads too few of them.
    auto_leader_rebalance_enable: bool = True  # auto.leader.rebalance.enable
    leader_imbalance_check_interval_ms: int = 300_000  # leader.imbalance.check.interval.seconds
    leader_imbalance_per_broker_percentage: int = 10  # leader.imbalance.per.broker.percentage
    # __consumer_offsets, created on the first FindCoordinator.
    group_initial_rebalance_delay_ms: int = 3_000  # group.initial.rebalance.delay.ms (0 in dev)
    log_cleaner_backoff_ms: int = 15_000  # log.cleaner.backoff.ms
    log_retention_check_interval_ms: int = 300_000  # log.retention.check.interval.ms
    offsets_topic_num_partitions: int = 50  # offsets.topic.num.partitions
    offsets_topic_replication_factor: int = 3  # offsets.topic.replication.factor
    # __transaction_state, created on the first FindCoordinator(TRANSACTION).
    transaction_state_log_num_partitions: int = 50  # transaction.state.log.num.partitions
    transaction_state_log_replication_factor: int = 3  # transaction.state.log.replication.factor
    # Idempotent producers' state is forgotten after this long without a batch (KIP-854).
    producer_id_expiration_ms: int = 86_400_000  # producer.id.expiration.ms (1 day)
    producer_id_expiration_check_interval_ms: int = 600_000  # producer.id.expiration.check.interval.ms

    # The socket server (Kafka's SocketServer and ConnectionQuotas): a frame announcing
    # more than this is refused and its connection closed; a connection with no request
    # in flight and no bytes arriving for the idle time is closed; per broker (all its
    # listeners) at most max.connections are served at once, the next wait for a slot,
    # and one client address holds at most max.connections.per.ip (Kafka refuses more).
    socket_request_max_bytes: int = 104_857_600  # socket.request.max.bytes (100 MiB)
    connections_max_idle_ms: int = 600_000  # connections.max.idle.ms (10 min)
    max_connections: int = 2_147_483_647  # max.connections
    max_connections_per_ip: int = 2_147_483_647  # max.connections.per.ip

    def __post_init__(self) -> None:
        # Kafka refuses both at startup (KafkaConfig): an idle follower long-polling
        # longer than the lag limit would leave the ISR; heartbeats must beat the session.
        if self.replica_fetch_wait_max_ms >= self.replica_lag_time_max_ms:
            raise ValueError("replica.fetch.wait.max.ms should always be less than replica.lag.time.max.ms")
        if self.broker_heartbeat_interval_ms >= self.broker_session_timeout_ms:
            raise ValueError("broker.heartbeat.interval.ms must be less than broker.session.timeout.ms")

    @classmethod
    def from_properties(cls, properties: Mapping[str, str | int | bool]) -> BrokerDefaults:
        """Kafka's defaults with these server.properties settings, by Kafka's names
        (`broker.session.timeout.ms=6000`); an unknown name or a bad value is
        INVALID_CONFIG, as KafkaConfig refuses it at start-up."""
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        names = {f.replace("_", "."): f for f in types if f not in _SECONDS.values()} | _SECONDS
        values: dict[str, int | bool] = {}
        for name, raw in properties.items():
            field = names.get(name)
            if field is None:
                raise KafkaError(ErrorCode.INVALID_CONFIG, f"Unknown broker configuration {name}")
            text = str(raw).strip().lower()
            if types[field] == "bool" and text in ("true", "false"):
                values[field] = text == "true"
            elif types[field] == "int" and text.lstrip("-").isdigit():
                values[field] = int(text) * (1000 if name in _SECONDS else 1)
            else:
                raise KafkaError(ErrorCode.INVALID_CONFIG, f"Invalid value {raw} for configuration {name}")
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValueError as error:  # the checks KafkaConfig makes between settings
            raise KafkaError(ErrorCode.INVALID_CONFIG, str(error)) from None
