"""The embedded backend's transactions (KIP-98): the Produce panel's transactional
producers, one engine `Producer` per transactional.id, with what the coordinator says
of each; and the coordinators' transactions as `kafka-transactions.sh list|describe`
shows them (KIP-664).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from kafkatui.backends.base import TransactionView
from kafkatui.common.admin import TransactionDescription, TransactionListing
from kafkatui.common.clients import ProducerConfig, TransactionState
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.transaction.coordinator import TRANSACTION_STATE_TOPIC


@dataclass
class WorkbenchTransaction:
    """The workbench's transactional producer of one transactional.id, with counts."""

    producer: Producer
    records: int = 0
    committed: int = 0
    aborted: int = 0


class EmbeddedTransactions:
    """The transactions part of `EmbeddedBackend` (which sets these attributes)."""

    cluster: Cluster
    _transactions: dict[str, WorkbenchTransaction]

    def transaction(self, transactional_id: str) -> TransactionView:
        txn = self._transactions.get(transactional_id)
        coordinator, coordinator_state = self.cluster.transaction_coordinator_id(transactional_id), ""
        if coordinator >= 0 and self.cluster.brokers[coordinator].running:
            with contextlib.suppress(KafkaError):  # still loading its partition
                described = self.cluster.brokers[coordinator].txn_coordinator.describe(transactional_id)
                coordinator_state = described.state if described is not None else ""
        if txn is None:
            return TransactionView(
                transactional_id, TransactionState.UNINITIALIZED.value, -1, -1, coordinator,
                coordinator_state, (), 0, 0, 0,
            )  # fmt: skip
        p = txn.producer
        error = p.transaction_error
        return TransactionView(
            transactional_id, p.transaction_state.value, p.producer_id, p.producer_epoch, coordinator,
            coordinator_state, tuple(sorted(p.transaction_partitions)), txn.records, txn.committed,
            txn.aborted, f"{error.name}: {error.message}" if error is not None else "",
        )  # fmt: skip

    async def begin_transaction(self, transactional_id: str) -> TransactionView:
        txn = self._transactions.get(transactional_id)
        if txn is not None and txn.producer.transaction_state is TransactionState.FATAL_ERROR:
            # A fenced producer can only be closed (Kafka's ProducerFencedException is
            # fatal); the application starts a new one, whose InitProducerId bumps the epoch.
            txn.producer.abort("fenced")
            txn.producer = self._transactional_producer(transactional_id)
        if txn is None:
            txn = WorkbenchTransaction(self._transactional_producer(transactional_id))
            self._transactions[transactional_id] = txn
        if txn.producer.transaction_state is TransactionState.UNINITIALIZED:
            await txn.producer.init_transactions()
        txn.producer.begin_transaction()
        txn.records = 0
        return self.transaction(transactional_id)

    def _transactional_producer(self, transactional_id: str) -> Producer:
        return Producer(
            self.cluster, ProducerConfig(acks="all", linger_ms=0, transactional_id=transactional_id)
        )

    async def end_transaction(self, transactional_id: str, *, commit: bool) -> TransactionView:
        txn = self._transactions.get(transactional_id)
        if txn is None:
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"no transaction is open for transactional.id {transactional_id!r}: begin one first",
            )
        if commit:
            await txn.producer.commit_transaction()
            txn.committed += 1
        else:
            await txn.producer.abort_transaction()
            txn.aborted += 1
        txn.records = 0
        return self.transaction(transactional_id)

    async def fence_transaction(self, transactional_id: str) -> TransactionView:
        """Kafka's zombie fencing, by hand: InitProducerId for the same id, as a new
        instance of the application would; the coordinator aborts the open transaction
        and the workbench's producer, on its next call, learns it was fenced."""
        await self.cluster.init_producer_id(transactional_id)
        return self.transaction(transactional_id)

    async def list_transactions(self) -> list[TransactionListing]:
        # As ListTransactions asks every broker: each running coordinator lists the ids
        # of the `__transaction_state` partitions it leads.
        listed = [
            TransactionListing(t.transactional_id, t.coordinator, t.producer_id, t.state)
            for broker in self.cluster.brokers.values()
            if broker.running and broker.txn_coordinator.partition_count
            for t in await broker.txn_coordinator.list_transactions()
        ]
        return sorted(listed, key=lambda t: t.transactional_id)

    async def describe_transactions(self, transactional_ids: Sequence[str]) -> list[TransactionDescription]:
        described = []
        for transactional_id in transactional_ids:
            found = None
            # FindCoordinator would create `__transaction_state`: without it no id is known.
            if TRANSACTION_STATE_TOPIC in self.cluster.metadata.topics:
                found = await self.cluster.describe_transaction(transactional_id)
            if found is None:
                raise KafkaError(
                    ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, f"no transactional id '{transactional_id}'"
                )
            described.append(found)
        return described
