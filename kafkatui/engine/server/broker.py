"""A broker: Kafka's `BrokerServer`, its replicas (`ReplicaManager`) and the coordinators it
hosts on the internal topics' partitions it leads.

`Broker` is a `ReplicaManager` (produce, fetch, the replicas and their leadership, in
`replica_manager.py`) that also runs the group coordinator (`__consumer_offsets`), the
transaction coordinator (`__transaction_state`) and a block of producer ids, and tells the
coordinators which of their partitions it leads whenever the metadata changes. The rest of
the engine, the wire handlers and the coordinators themselves hold a `Broker`.
"""

from __future__ import annotations

from collections.abc import Callable

from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC, GroupCoordinator
from kafkatui.engine.coordinator.group.model import GroupConfig
from kafkatui.engine.coordinator.transaction.coordinator import (
    TRANSACTION_STATE_TOPIC,
    TransactionCoordinator,
)
from kafkatui.engine.coordinator.transaction.producer_ids import AllocateProducerIds, ProducerIdManager
from kafkatui.engine.log.records import encode_txn_marker
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.metadata.image import MetadataImage
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.replica_manager import ReplicaManager
from kafkatui.engine.server.requests import AlterPartition, ShrinkIsr


class Broker(ReplicaManager):
    """One Kafka broker with its own SQLite database."""

    def __init__(
        self,
        broker_id: int,
        storage: BrokerStorage,
        clock: Clock,
        bus: EventBus,
        *,
        network: Network | None = None,
        defaults: BrokerDefaults | None = None,
    ) -> None:
        super().__init__(broker_id, storage, clock, bus, network=network, defaults=defaults)
        group_config = GroupConfig(
            group_initial_rebalance_delay_ms=self.defaults.group_initial_rebalance_delay_ms
        )
        # The groups whose __consumer_offsets partition this broker leads.
        self.coordinator = GroupCoordinator(self, clock, bus, group_config)
        # The transactional ids whose __transaction_state partition this broker leads.
        self.txn_coordinator = TransactionCoordinator(self, clock, bus)
        self.producer_ids = ProducerIdManager(broker_id)

    def connect(
        self,
        peers: Callable[[int], Broker | None],
        expand_isr: AlterPartition | None = None,
        shrink_isr: ShrinkIsr | None = None,
        allocate_producer_ids: AllocateProducerIds | None = None,
    ) -> None:
        """How this broker reaches the others and the controller (`ReplicaManager.connect`),
        and where it gets producer ids (AllocateProducerIds, KIP-730)."""
        super().connect(peers, expand_isr, shrink_isr)
        self.producer_ids.allocate = allocate_producer_ids

    def _go_down(self) -> None:
        """Stopping or crashing: the coordinators unload (waiting requests get
        NOT_COORDINATOR), the producer id block is forgotten, then the replicas go."""
        self.coordinator.stop()
        self.txn_coordinator.stop()
        self.producer_ids.reset()
        super()._go_down()

    async def apply_metadata(self, image: MetadataImage) -> None:
        """Host the replicas the image names here; tell the coordinators which partitions
        of their internal topic this broker leads; then lead or follow each replica."""
        await self._host_replicas(image)
        offsets_topic = image.topics.get(OFFSETS_TOPIC)
        if offsets_topic is not None:
            led = {
                p.partition: p.leader_epoch for p in offsets_topic.partitions if p.leader == self.broker_id
            }
            self.coordinator.on_leadership(led, len(offsets_topic.partitions))
        txn_topic = image.topics.get(TRANSACTION_STATE_TOPIC)
        if txn_topic is not None:
            led = {p.partition: p.leader_epoch for p in txn_topic.partitions if p.leader == self.broker_id}
            self.txn_coordinator.on_leadership(led, len(txn_topic.partitions))
        self._apply_leadership(image)

    async def write_txn_marker(
        self,
        topic: str,
        partition: int,
        producer_id: int,
        producer_epoch: int,
        commit: bool,
        coordinator_epoch: int,
    ) -> None:
        """WriteTxnMarkers for one partition this broker leads: append a COMMIT or ABORT
        control batch with acks=all (the coordinator's side of EndTxn)."""
        marker = encode_txn_marker(
            producer_id, producer_epoch, commit, coordinator_epoch, self._clock.now_ms()
        )
        await self.produce(topic, partition, marker, acks=-1)
        if topic == OFFSETS_TOPIC:
            # The group coordinator materializes or drops the producer's pending offsets
            # (Kafka's `GroupCoordinator.scheduleHandleTxnCompletion`).
            await self.coordinator.complete_txn_offsets(partition, producer_id, commit)

    async def init_producer_id(self) -> tuple[int, int]:
        """InitProducerId without a transactional.id (KIP-98): a new producer id from
        this broker's block, epoch 0."""
        if not self.running:
            raise KafkaError(ErrorCode.NETWORK_EXCEPTION, f"broker {self.broker_id} is not running")
        return await self.producer_ids.generate(), 0
