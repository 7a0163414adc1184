"""What a cluster is made of, wired together, and how to find things in it; `Cluster`
(`cluster.py`) is the facade built on it, with the parts in `coordinator_apis.py`,
`faults.py` and `scenario.py`.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from kafkatui.common.admin import LinkState
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus, LinkChanged
from kafkatui.engine.controller.controller import Controller
from kafkatui.engine.controller.quorum import ControllerQuorum
from kafkatui.engine.lockfile import DataDirLock
from kafkatui.engine.log.cleaner import LogHousekeeping
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.metadata.image import MetadataImage, MetadataLog, TopicInfo
from kafkatui.engine.server.broker import Broker
from kafkatui.engine.server.network import Network


class ClusterCore:
    """A small Kafka cluster's parts: N brokers with their own SQLite databases, the
    controller and its quorum, the network between brokers, the log housekeeping, the
    data dir's lock, one clock, RNG and event bus."""

    def __init__(
        self,
        data_dir: Path | None,
        clock: Clock,
        rng: random.Random,
        bus: EventBus,
        controller: Controller,
        metadata_log: MetadataLog,
        lock: DataDirLock | None,
        network: Network | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.rng = rng
        self.bus = bus
        self.controller = controller
        self._metadata_log = metadata_log
        self._lock = lock
        self.brokers: dict[int, Broker] = {}
        self.defaults = controller.defaults
        self.network = network or Network(random.Random())
        self.network.on_change = self._link_changed
        self.quorum = ControllerQuorum(controller, self.brokers, self.network, clock, bus, self.defaults)
        self.errors: list[BaseException] = []
        self.quorum.on_error = self.errors.append
        self._txn_timeouts: asyncio.Task[None] | None = None
        self.housekeeping = LogHousekeeping(
            self.brokers, self._topic_config, clock, bus,
            cleaner_backoff_ms=self.defaults.log_cleaner_backoff_ms,
            retention_check_interval_ms=self.defaults.log_retention_check_interval_ms,
        )  # fmt: skip
        # Topic admin and ElectLeaders are the controller's own requests, which it answers
        # only while the quorum has an active controller (NOT_CONTROLLER otherwise).
        self.create_topic = self.quorum.through_active(controller.create_topic)
        self.delete_topic = self.quorum.through_active(controller.delete_topic)
        self.create_partitions = self.quorum.through_active(controller.create_partitions)
        self.alter_topic_configs = self.quorum.through_active(controller.alter_topic_configs)
        self.elect_leaders = self.quorum.through_active(controller.elect_leaders)

    def _topic_config(self, name: str) -> TopicConfig | None:
        info = self.metadata.topics.get(name)
        return None if info is None else info.config

    def _link_changed(self, link: LinkState) -> None:
        self.bus.publish(
            LinkChanged(
                timestamp_ms=self.clock.now_ms(), a=link.a, b=link.b, latency_ms=link.latency_ms,
                loss=link.loss, cut=link.cut,
            )
        )  # fmt: skip

    # --- metadata --------------------------------------------------------------------

    @property
    def metadata(self) -> MetadataImage:
        return self.controller.image

    def topic(self, name: str) -> TopicInfo:
        """The topic's metadata, or UNKNOWN_TOPIC_OR_PARTITION."""
        return self.controller.topic(name)

    def topic_names(self, *, include_internal: bool = False) -> list[str]:
        return sorted(n for n, t in self.metadata.topics.items() if include_internal or not t.is_internal)

    def leader(self, topic: str, partition: int) -> Broker:
        """The broker leading a partition (as clients find it through Metadata)."""
        info = self.topic(topic)
        if not 0 <= partition < len(info.partitions):
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic '{topic}' has no partition {partition} "
                f"(it has {len(info.partitions)}: 0..{len(info.partitions) - 1})",
            )
        leader = info.partitions[partition].leader
        if leader not in self.brokers:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, f"{topic}-{partition} has no leader right now")
        return self.brokers[leader]

    def _broker(self, broker_id: int) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            raise KafkaError(
                ErrorCode.BROKER_NOT_AVAILABLE,
                f"there is no broker {broker_id} (brokers: {', '.join(map(str, sorted(self.brokers)))})",
            )
        return broker

    @property
    def controller_id(self) -> int:
        """The broker holding the active controller role, or -1 during an election."""
        return self.quorum.active
