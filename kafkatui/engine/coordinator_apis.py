"""The requests a coordinator answers, sent to the broker that coordinates the key: the
leader of the group's `__consumer_offsets` partition, or of the transactional id's
`__transaction_state` partition (`abs(hashCode) % partitions`), each topic created on first
use. Kafka's clients find that broker with FindCoordinator and its `KafkaApis` hands the
request to the `GroupCoordinator` or `TransactionCoordinator`; in process, `Cluster` does both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kafkatui.common.admin import TransactionDescription
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster_core import ClusterCore
from kafkatui.engine.coordinator.group.coordinator import (
    OFFSETS_TOPIC,
    OFFSETS_TOPIC_CONFIGS,
    GroupCoordinator,
    OffsetAndMetadata,
)
from kafkatui.engine.coordinator.group.model import GroupDescription, JoinResult, LeaveResult
from kafkatui.engine.coordinator.runtime import partition_for
from kafkatui.engine.coordinator.transaction.coordinator import (
    ABORT_TIMED_OUT_INTERVAL_MS,
    DEFAULT_TRANSACTION_TIMEOUT_MS,
    TRANSACTION_STATE_TOPIC,
    TRANSACTION_STATE_TOPIC_CONFIGS,
    TransactionCoordinator,
    transaction_partition_for,
)
from kafkatui.engine.metadata.image import TopicInfo


class CoordinatorApis(ClusterCore):
    """FindCoordinator, offsets, the classic group protocol, InitProducerId and the
    transaction APIs; part of `Cluster`."""

    # --- idempotent producers (KIP-98) ------------------------------------------------

    async def init_producer_id(
        self,
        transactional_id: str | None = None,
        transaction_timeout_ms: int = DEFAULT_TRANSACTION_TIMEOUT_MS,
        expected: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """InitProducerId. Without a transactional id: a producer id never handed out
        before in this data dir, with epoch 0, from a broker (here the lowest running
        one). With one: from its transaction coordinator, the same producer id as
        before with the epoch bumped, which fences the previous producer (its ongoing
        transaction is aborted); `expected` is the (producer id, epoch) a producer
        bumping its own epoch names (KIP-360), PRODUCER_FENCED if it is not current."""
        if transactional_id is not None:
            coordinator = await self._txn_coordinator(transactional_id)
            return await coordinator.init_producer_id(
                transactional_id,
                transaction_timeout_ms,
                coordinator._broker.producer_ids.generate,
                expected,
            )
        running = [b for _, b in sorted(self.brokers.items()) if b.running]
        if not running:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, "no broker is running to ask for a producer id")
        return await running[0].init_producer_id()

    # --- transactions (KIP-98) --------------------------------------------------------

    async def find_transaction_coordinator(self, transactional_id: str) -> int:
        """FindCoordinator(TRANSACTION): the broker leading the id's `__transaction_state`
        partition (the topic is created on first use)."""
        if not transactional_id:
            raise KafkaError(ErrorCode.INVALID_REQUEST, "the transactional id is empty")
        topic = await self._internal_topic(
            TRANSACTION_STATE_TOPIC,
            self.defaults.transaction_state_log_num_partitions,
            self.defaults.transaction_state_log_replication_factor,
            TRANSACTION_STATE_TOPIC_CONFIGS,
        )
        return self._coordinator_of(
            topic, transactional_id, f"the transaction coordinator of '{transactional_id}'"
        )

    def transaction_coordinator_id(self, transactional_id: str) -> int:
        """Where FindCoordinator(TRANSACTION) would point now, without creating
        `__transaction_state`: -1 if it does not exist yet or has no leader."""
        topic = self.metadata.topics.get(TRANSACTION_STATE_TOPIC)
        if topic is None:
            return -1
        return topic.partitions[transaction_partition_for(transactional_id, len(topic.partitions))].leader

    async def _txn_coordinator(self, transactional_id: str) -> TransactionCoordinator:
        broker = self.brokers[await self.find_transaction_coordinator(transactional_id)]
        coordinator = broker.txn_coordinator
        await coordinator.ensure_loaded(
            transaction_partition_for(transactional_id, coordinator.partition_count)
        )
        return coordinator

    async def _write_marker(
        self, tp: tuple[str, int], producer_id: int, epoch: int, commit: bool, coordinator_epoch: int
    ) -> None:
        """WriteTxnMarkers to the partition's current leader."""
        leader = self.leader(*tp)
        if not leader.running:
            raise KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, f"the leader of {tp[0]}-{tp[1]} is down")
        await leader.write_txn_marker(tp[0], tp[1], producer_id, epoch, commit, coordinator_epoch)

    async def add_partitions_to_txn(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        partitions: Sequence[tuple[str, int]],
    ) -> None:
        """AddPartitionsToTxn: the partitions the transaction writes to (it starts here)."""
        for topic, partition in partitions:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.add_partitions(transactional_id, producer_id, producer_epoch, partitions)

    async def add_offsets_to_txn(
        self, transactional_id: str, producer_id: int, producer_epoch: int, group_id: str
    ) -> None:
        """AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction."""
        await self.find_coordinator(group_id)
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.add_offsets(
            transactional_id, producer_id, producer_epoch, self._offsets_partition(group_id)
        )

    def _offsets_partition(self, group_id: str) -> tuple[str, int]:
        return OFFSETS_TOPIC, partition_for(group_id, len(self.topic(OFFSETS_TOPIC).partitions))

    async def txn_offset_commit(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        group_id: str,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata],
        *,
        generation_id: int = -1,
        member_id: str = "",
        group_instance_id: str | None = None,
    ) -> None:
        """TxnOffsetCommit: offsets appended to the group's partition as the producer's
        transactional records, which become the group's committed offsets only when the
        transaction's COMMIT marker reaches that partition. A consumer that names its
        member and generation (TxnOffsetCommit v3, KIP-447) is checked against the group
        first; then the transaction coordinator checks the producer and that the group's
        partition is in its transaction."""
        for topic, partition in offsets:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        group_coordinator = await self._coordinator(group_id)
        group_coordinator.validate_txn_offset_commit(group_id, member_id, generation_id, group_instance_id)
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.txn_offset_commit(
            transactional_id, producer_id, producer_epoch, group_id, self._offsets_partition(group_id),
            lambda: group_coordinator.commit_transactional(
                group_id, producer_id, producer_epoch, offsets, self.clock.now_ms()
            ),
        )  # fmt: skip

    async def verify_transaction(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        tp: tuple[str, int],
        broker_id: int,
    ) -> None:
        """Broker `broker_id`'s check before appending the first transactional batch of a
        producer with no open transaction at a partition it leads (KIP-890 part 1's
        verification): the partition must be in the id's ongoing transaction. Raises what
        a produce answers: NOT_LEADER_OR_FOLLOWER first if it does not lead it,
        INVALID_TXN_STATE when the partition is not in the transaction,
        INVALID_PRODUCER_EPOCH for a fenced producer, and NOT_ENOUGH_REPLICAS (retriable,
        as Kafka's ReplicaManager translates it) while the coordinator cannot tell."""
        leader = self.leader(*tp)
        if leader.broker_id != broker_id:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER, f"broker {broker_id} is not the leader of {tp[0]}-{tp[1]}"
            )
        log = leader.logs.get((self.topic(tp[0]).topic_id, tp[1]))
        if log is not None and producer_id in log.producer_state.ongoing:
            return  # its transaction is open here already: verified by its first batch
        try:
            coordinator = await self._txn_coordinator(transactional_id)
            coordinator.verify_partitions(transactional_id, producer_id, producer_epoch, [tp])
        except KafkaError as error:
            if error.code is ErrorCode.PRODUCER_FENCED:
                raise KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, error.message) from error
            if error.code in (
                ErrorCode.CONCURRENT_TRANSACTIONS,
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                ErrorCode.COORDINATOR_NOT_AVAILABLE,
                ErrorCode.NOT_COORDINATOR,
            ):
                raise KafkaError(
                    ErrorCode.NOT_ENOUGH_REPLICAS,
                    f"Unable to verify the partition has been added to the transaction. "
                    f"Underlying error: {error.name}",
                ) from error
            raise

    async def end_txn(
        self, transactional_id: str, producer_id: int, producer_epoch: int, commit: bool
    ) -> None:
        """EndTxn: commit or abort; answered once every partition has its marker."""
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.end_txn(transactional_id, producer_id, producer_epoch, commit)

    def pending_txn_offsets(self, group_id: str) -> set[tuple[str, int]]:
        """The group's partitions with offsets in an open transaction (sent with
        TxnOffsetCommit, not yet committed or aborted), on any coordinator."""
        return {
            tp
            for broker in self.brokers.values()
            if broker.running
            for tp in broker.coordinator.pending_txn_partitions(group_id)
        }

    async def describe_transaction(self, transactional_id: str) -> TransactionDescription | None:
        """DescribeTransactions: the id's producer, epoch, state and partitions (None: unknown)."""
        return (await self._txn_coordinator(transactional_id)).describe(transactional_id)

    async def abort_timed_out_transactions(self) -> list[str]:
        """What the coordinators do every 10 s: abort transactions older than their
        transaction.timeout.ms (the producer is fenced). Returns the ids aborted."""
        aborted: list[str] = []
        for broker in self.brokers.values():
            if broker.running and broker.txn_coordinator.partition_count:
                aborted += await broker.txn_coordinator.abort_timed_out()
        return aborted

    async def _abort_timed_out_loop(self) -> None:
        while True:
            await self.clock.sleep(ABORT_TIMED_OUT_INTERVAL_MS / 1000)
            try:
                await self.abort_timed_out_transactions()
            except KafkaError:
                pass  # a leader moving under us: the next round
            except Exception as error:
                self.errors.append(error)

    # --- group coordinator: committed offsets ----------------------------------------

    async def find_coordinator(self, group_id: str) -> int:
        """FindCoordinator: the broker leading the group's `__consumer_offsets` partition
        (the topic is created on first use, as Kafka does)."""
        if not group_id:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "the group id is empty")
        topic = await self._internal_topic(
            OFFSETS_TOPIC,
            self.defaults.offsets_topic_num_partitions,
            self.defaults.offsets_topic_replication_factor,
            OFFSETS_TOPIC_CONFIGS,
        )
        return self._coordinator_of(topic, group_id, f"the coordinator of group '{group_id}'")

    def _coordinator_of(self, topic: TopicInfo, key: str, what: str) -> int:
        """The running leader of `key`'s partition of a coordinator topic
        (`abs(hashCode) % partitions`), else COORDINATOR_NOT_AVAILABLE."""
        leader = topic.partitions[partition_for(key, len(topic.partitions))].leader
        if leader == -1 or not self.brokers[leader].running:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{what} is not available")
        return leader

    async def _internal_topic(
        self, name: str, partitions: int, replication_factor: int, configs: Mapping[str, str]
    ) -> TopicInfo:
        """An internal topic, created on first use with its replication capped by the
        live brokers (Kafka's `AutoTopicCreationManager` for coordinator topics)."""
        topic = self.metadata.topics.get(name)
        if topic is None:
            self.quorum.require_active()
            live = sum(1 for info in self.metadata.brokers.values() if not info.fenced)
            try:
                await self.controller.create_topic(
                    name, partitions, max(1, min(replication_factor, live)), configs
                )
            except KafkaError as error:
                if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:
                    raise KafkaError(
                        ErrorCode.COORDINATOR_NOT_AVAILABLE, f"cannot create {name}: {error.message}"
                    ) from error
            topic = self.metadata.topics[name]
        return topic

    async def _coordinator(self, group_id: str) -> GroupCoordinator:
        broker = self.brokers[await self.find_coordinator(group_id)]
        # The partition from the metadata. The broker may lead it before its coordinator
        # has heard (on_leadership comes with the next image): Kafka answers that window
        # with COORDINATOR_LOAD_IN_PROGRESS, which clients retry on the same broker.
        partition = self._offsets_partition(group_id)[1]
        if not broker.coordinator.leads(partition):
            raise KafkaError(
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                f"broker {broker.broker_id} is becoming the coordinator of {OFFSETS_TOPIC}-{partition}",
            )
        await broker.coordinator.ensure_loaded(partition)
        return broker.coordinator

    async def commit_offsets(
        self,
        group_id: str,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata],
        *,
        generation_id: int = -1,
        member_id: str = "",
        group_instance_id: str | None = None,
    ) -> None:
        """OffsetCommit, stored in `__consumer_offsets` with acks=all. A group member
        names itself and its generation; generation -1 (an admin, or a consumer with
        manual assignment) is accepted only while the group has no members."""
        for topic, partition in offsets:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        coordinator = await self._coordinator(group_id)
        await coordinator.commit(
            group_id, offsets, self.clock.now_ms(), generation_id=generation_id, member_id=member_id,
            group_instance_id=group_instance_id,
        )  # fmt: skip

    async def fetch_offsets(
        self, group_id: str, partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], OffsetAndMetadata]:
        """OffsetFetch: the group's committed offsets (all, or those of `partitions`)."""
        return (await self._coordinator(group_id)).fetch(group_id, partitions)

    async def delete_group(self, group_id: str) -> int:
        """DeleteGroups: an Empty group's metadata and committed offsets are tombstoned
        (NON_EMPTY_GROUP while it has members); returns how many offsets it had."""
        return await (await self._coordinator(group_id)).delete(group_id, self.clock.now_ms())

    # --- group coordinator: membership (the classic protocol) -------------------------

    async def join_group(self, group_id: str, member_id: str, **request: Any) -> JoinResult:
        """JoinGroup at the group's coordinator (see ClassicGroup.join for the fields)."""
        group = (await self._coordinator(group_id)).group(group_id, create=True)
        return await group.join(member_id, **request)

    async def sync_group(self, group_id: str, member_id: str, generation_id: int, **request: Any) -> bytes:
        group = (await self._coordinator(group_id)).group(group_id)
        return await group.sync(member_id, generation_id, **request)

    async def heartbeat(self, group_id: str, member_id: str, generation_id: int, **request: Any) -> None:
        (await self._coordinator(group_id)).group(group_id).heartbeat(member_id, generation_id, **request)

    async def leave_group(
        self, group_id: str, members: Sequence[tuple[str, str | None]]
    ) -> tuple[LeaveResult, ...]:
        """LeaveGroup: each member's outcome (v3+ answers them one by one)."""
        return (await self._coordinator(group_id)).group(group_id).leave(members)

    async def describe_group(self, group_id: str) -> GroupDescription | None:
        """DescribeGroups: state, protocol, generation and members (None: no such group)."""
        group = (await self._coordinator(group_id)).describe(group_id)
        return None if group is None else group.describe()
