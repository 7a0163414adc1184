"""The Produce panel's transactional producer over the wire (KIP-98): a confluent-kafka
producer with a transactional.id, and what the workbench can tell of it.

librdkafka keeps its producer id and epoch to itself and a client cannot ask the
coordinator for the transaction's state, so the view carries the client's own state
(Kafka's TransactionManager names), the partitions it wrote to and its counts; producer
id, epoch and coordinator read as unknown (-1).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from kafkatui.backends.base import TransactionView
from kafkatui.backends.confluent import RemoteProducer
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.errors import ErrorCode, KafkaError

# What a fenced producer's calls fail with: fatal, as Kafka's ProducerFencedException.
_FENCED = {ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH}


@dataclass
class RemoteTransaction:
    """One transactional.id's producer and the client-side state of its transaction."""

    transactional_id: str
    bootstrap: str
    producer: RemoteProducer | None = None
    state: str = "UNINITIALIZED"  # READY, IN_TRANSACTION, FATAL_ERROR (fenced)
    partitions: set[tuple[str, int]] = field(default_factory=set)
    records: int = 0
    committed: int = 0
    aborted: int = 0
    error: str = ""

    def view(self) -> TransactionView:
        return TransactionView(
            self.transactional_id, self.state, -1, -1, -1, "", tuple(sorted(self.partitions)),
            self.records, self.committed, self.aborted, self.error,
        )  # fmt: skip

    def _new_producer(self) -> RemoteProducer:
        config = ProducerConfig(acks="all", linger_ms=0, transactional_id=self.transactional_id)
        return RemoteProducer(self.bootstrap, config, client_id=f"kafkatui-txn-{self.transactional_id}")

    async def begin(self) -> None:
        """beginTransaction, after InitProducerId for a new (or no longer fenced) producer."""
        if self.producer is None or self.state == "FATAL_ERROR":
            # A fenced producer can only be closed; the application starts a new one.
            if self.producer is not None:
                self.producer.abort()
                # librdkafka's flush may raise the fatal error (fenced) it already
                # reported; the producer is closed either way.
                with contextlib.suppress(KafkaError):
                    await self.producer.close()
            self.producer, self.state, self.error = self._new_producer(), "UNINITIALIZED", ""
        if self.state == "UNINITIALIZED":
            await self.call(self.producer.init_transactions())
            self.state = "READY"
        self.producer.begin_transaction()
        self.state, self.records = "IN_TRANSACTION", 0
        self.partitions.clear()

    async def end(self, *, commit: bool) -> None:
        """commitTransaction or abortTransaction (EndTxn; the markers follow)."""
        if self.producer is None or self.state != "IN_TRANSACTION":
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"no transaction is open for transactional.id {self.transactional_id!r}: begin one first",
            )
        await self.call(self.producer.commit_transaction() if commit else self.producer.abort_transaction())
        if commit:
            self.committed += 1
        else:
            self.aborted += 1
        self.state, self.records = "READY", 0

    def sending(self) -> RemoteProducer:
        if self.producer is None or self.state != "IN_TRANSACTION":
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"transactional.id {self.transactional_id!r} has no open transaction: begin one first",
            )
        return self.producer

    def sent(self, topic: str, partition: int) -> None:
        self.partitions.add((topic, partition))
        self.records += 1

    async def call(self, awaitable):  # type: ignore[no-untyped-def]
        """Await a producer call; a fencing error leaves the producer FATAL_ERROR."""
        try:
            return await awaitable
        except KafkaError as error:
            if error.code in _FENCED:
                self.state, self.error = "FATAL_ERROR", f"{error.name}: {error.message}"
            raise

    async def fence(self) -> None:
        """A zombie's successor: a second producer's InitProducerId for the same id bumps
        the epoch; the coordinator aborts the open transaction, and this producer learns
        it was fenced on its next call."""
        successor = self._new_producer()
        try:
            await successor.init_transactions()
        finally:
            await successor.close()

    async def close(self) -> None:
        if self.producer is not None:
            self.producer.abort()
            await self.producer.close()
