"""StreamsConfig: Kafka Streams' settings by their Kafka names, with Kafka's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafkatui.ecosystem.streams.serdes import Serde, StringSerde, serde_of
from kafkatui.ecosystem.streams.task import HANDLERS

AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE_V2 = "exactly_once_v2"


@dataclass
class StreamsConfig:
    application_id: str
    state_dir: Path
    commit_interval_ms: int
    processing_guarantee: str
    default_key_serde: Serde
    default_value_serde: Serde
    deserialization_handler: str
    replication_factor: int | None  # replication.factor for internal topics (-1: the broker's default)
    num_standby_replicas: int = 0
    application_server: str | None = None  # host:port this instance answers queries on (KIP-67)
    session_timeout_ms: int = 45_000  # the consumer's defaults (KIP-735)
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000  # the rebalance timeout of a Streams member
    client_id: str | None = None  # client.id; Kafka's default: <application.id>-<processId>
    # KIP-441's defaults: a task moves only to an instance within this lag of its changelogs
    # (else a warm-up restores there first), at most this many warm-ups at once, and a
    # probing rebalance this long after an assignment with warm-ups.
    acceptable_recovery_lag: int = 10_000
    max_warmup_replicas: int = 2
    probing_rebalance_interval_ms: int = 600_000
    # How long a task with several input partitions waits for one that has nothing
    # buffered before it processes the others out of timestamp order (KIP-353, KIP-695):
    # 0 waits only for records known to be on the broker, -1 never waits.
    max_task_idle_ms: int = 0

    @classmethod
    def of(cls, config: dict[str, Any]) -> StreamsConfig:
        known = {
            "application.id", "state.dir", "commit.interval.ms", "processing.guarantee", "default.key.serde",
            "default.value.serde", "default.deserialization.exception.handler", "replication.factor",
            "num.stream.threads", "num.standby.replicas", "application.server", "session.timeout.ms",
            "heartbeat.interval.ms", "max.poll.interval.ms", "client.id", "acceptable.recovery.lag",
            "max.warmup.replicas", "probing.rebalance.interval.ms", "max.task.idle.ms",
        }  # fmt: skip
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown streams config {unknown[0]!r} (known: {', '.join(sorted(known))})")
        if not config.get("application.id"):
            raise ValueError('Missing required configuration "application.id" which has no default value.')
        guarantee = config.get("processing.guarantee", AT_LEAST_ONCE)
        if guarantee not in (AT_LEAST_ONCE, EXACTLY_ONCE_V2):
            raise ValueError(
                f"Invalid value {guarantee} for configuration processing.guarantee: "
                "String must be one of: at_least_once, exactly_once_v2"
            )
        handler = config.get("default.deserialization.exception.handler", "logAndFail")
        if handler not in HANDLERS:
            raise ValueError(
                f"Invalid value {handler} for default.deserialization.exception.handler: "
                "logAndContinue or logAndFail"
            )
        if int(config.get("num.stream.threads", 1)) != 1:
            raise ValueError("num.stream.threads: one stream thread per instance here")
        rf = int(config.get("replication.factor", -1))
        standbys = int(config.get("num.standby.replicas", 0))
        if standbys < 0:
            raise ValueError(f"Invalid value {standbys} for configuration num.standby.replicas")
        warmup = {
            name: int(config.get(name, default))
            for name, default in (
                ("acceptable.recovery.lag", 10_000), ("max.warmup.replicas", 2),
                ("probing.rebalance.interval.ms", 600_000),
            )
        }  # fmt: skip
        # Kafka's validators: atLeast(0), atLeast(1), atLeast(60 s) (the last relaxed to
        # 1 ms here, so a test or a lesson can watch a probing rebalance happen).
        for name, least in (
            ("acceptable.recovery.lag", 0), ("max.warmup.replicas", 1), ("probing.rebalance.interval.ms", 1),
        ):  # fmt: skip
            if warmup[name] < least:
                raise ValueError(f"Invalid value {warmup[name]} for configuration {name}: at least {least}")
        idle = int(config.get("max.task.idle.ms", 0))
        if idle < -1:
            raise ValueError(f"Invalid value {idle} for configuration max.task.idle.ms: -1 or more")
        server = config.get("application.server") or None
        if server is not None and not str(server).rpartition(":")[2].isdigit():
            raise ValueError(f"Invalid value {server} for configuration application.server: it is host:port")
        return cls(
            application_id=str(config["application.id"]),
            # Kafka's default is ${java.io.tmpdir}/kafka-streams
            state_dir=Path(config.get("state.dir", Path.home() / ".cache" / "kafkatui" / "kafka-streams")),
            # Kafka's default: 30 s, but 100 ms under exactly-once (each commit ends a transaction)
            commit_interval_ms=int(
                config.get("commit.interval.ms", 100 if guarantee == EXACTLY_ONCE_V2 else 30_000)
            ),
            processing_guarantee=guarantee,
            default_key_serde=serde_of(config.get("default.key.serde"), StringSerde()),
            default_value_serde=serde_of(config.get("default.value.serde"), StringSerde()),
            deserialization_handler=handler,
            replication_factor=None if rf == -1 else rf,
            num_standby_replicas=standbys,
            application_server=None if server is None else str(server),
            session_timeout_ms=int(config.get("session.timeout.ms", 45_000)),
            heartbeat_interval_ms=int(config.get("heartbeat.interval.ms", 3_000)),
            max_poll_interval_ms=int(config.get("max.poll.interval.ms", 300_000)),
            client_id=config.get("client.id") or None,
            acceptable_recovery_lag=warmup["acceptable.recovery.lag"],
            max_warmup_replicas=warmup["max.warmup.replicas"],
            probing_rebalance_interval_ms=warmup["probing.rebalance.interval.ms"],
            max_task_idle_ms=idle,
        )
