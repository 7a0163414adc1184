"""The clients of a chaos run, each a task on the cluster's clock that writes what it
did and was told into the run's `History`: a producer of each kind (acks 0, 1 and all,
idempotent, transactional), two members of a consumer group reading read_committed and
committing what they read, and an observer asking for the group's committed offsets.

A `Fleet` is the clients of one process: a restart stops them (as a clean shutdown
would) and a new fleet starts on the reopened cluster, with new producer ids.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from kafkatui.chaos.history import (
    Delivery,
    History,
    OffsetCommit,
    OffsetObservation,
    Outcome,
    ProducerKind,
    Transaction,
)
from kafkatui.chaos.plan import Client
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, RecordMetadata, TransactionState
from kafkatui.common.errors import KafkaError
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster

TOPIC = "chaos"
PARTITIONS = 3
GROUP = "readers"
MEMBERS = 2
# transaction.timeout.ms, scaled down like the brokers' timers: a transaction left open
# is aborted by the first scan after it (while healing, readback.ABORT_SCAN_MS).
TRANSACTION_TIMEOUT_MS = 1_000
# Retries within a short delivery.timeout.ms, so a client stuck behind a dead broker gives
# up within a few hundred steps of cluster time.
PRODUCER = ProducerConfig(
    linger_ms=0, retry_backoff_ms=10, delivery_timeout_ms=3_000, request_timeout_ms=1_000
)
CONFIGS = {
    ProducerKind.ACKS_0: replace(PRODUCER, acks="0"),
    ProducerKind.ACKS_1: replace(PRODUCER, acks="1"),
    ProducerKind.ACKS_ALL: replace(PRODUCER, acks="all", enable_idempotence=False),
    ProducerKind.IDEMPOTENT: replace(PRODUCER, acks="all", enable_idempotence=True),
}
CONSUMER = ConsumerConfig(
    group_id=GROUP,
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    isolation_level="read_committed",
    session_timeout_ms=6_000,  # group.min.session.timeout.ms: nobody crashes a member here
    heartbeat_interval_ms=100,
    max_poll_interval_ms=2_000,
    fetch_max_wait_ms=20,
)


class Fleet:
    """The clients of one incarnation of the cluster."""

    def __init__(
        self, cluster: Cluster, history: History, seed: int, incarnation: int, txn_id: str,
        clients: frozenset[Client],
    ) -> None:  # fmt: skip
        self.cluster = cluster
        self.clients = clients
        self.history = history
        self.incarnation = incarnation
        self.stopping = False
        self.abandon = False  # stopping leaves an open transaction open (its process died)
        self._seed = seed
        self._txn_id = txn_id
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for kind in CONFIGS:
            if Client(kind.value) in self.clients:
                self._spawn(f"{kind.value}#{self.incarnation}", lambda n, r, k=kind: self._produce(n, k, r))
        if Client.TRANSACTIONAL in self.clients:
            self._spawn(f"txn#{self.incarnation}", self._transact)
        if Client.GROUP in self.clients:
            for member in range(MEMBERS):
                self._spawn(f"member-{member}#{self.incarnation}", self._consume)
            self._spawn(f"observer#{self.incarnation}", self._observe)

    def stop(self, *, abandon: bool = False) -> None:
        """Ask every client to finish (producers flush, members leave); see `done`."""
        self.stopping = True
        self.abandon = abandon

    def done(self) -> bool:
        return all(task.done() for task in self._tasks)

    def busy(self) -> list[str]:
        """The clients still running."""
        return [task.get_name() for task in self._tasks if not task.done()]

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()

    def _spawn(self, name: str, body: Callable[[str, random.Random], Awaitable[None]]) -> None:
        rng = random.Random(f"{self._seed}/{name}")
        self._tasks.append(asyncio.create_task(self._guard(name, body(name, rng)), name=name))

    async def _guard(self, name: str, body: Awaitable[None]) -> None:
        """A client meeting anything but a Kafka error is a finding, not a crash."""
        try:
            await body
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.history.unexpected(name, error)

    async def _pause(self, rng: random.Random, low_ms: int, high_ms: int) -> None:
        await self.cluster.clock.sleep(rng.randint(low_ms, high_ms) / 1000)

    # --- producers -------------------------------------------------------------------

    async def _produce(self, name: str, kind: ProducerKind, rng: random.Random) -> None:
        producer = Producer(self.cluster, CONFIGS[kind])
        index = 0
        while not self.stopping:
            await self._pause(rng, 5, 25)
            if self.stopping:
                break
            delivery = Delivery(name, kind, index, rng.randrange(PARTITIONS), f"{name}/{index}")
            self.history.deliveries.append(delivery)
            index += 1
            try:
                future = await producer.send(TOPIC, delivery.value, partition=delivery.partition)
            except KafkaError as error:
                delivery.failed = error.name
                continue
            future.add_done_callback(functools.partial(self._delivered, delivery))
        await producer.flush()

    def _delivered(self, delivery: Delivery, future: asyncio.Future[RecordMetadata]) -> None:
        if future.cancelled():
            delivery.failed = "CANCELLED"
        elif (error := future.exception()) is not None:
            delivery.failed = error.name if isinstance(error, KafkaError) else type(error).__name__
            if not isinstance(error, KafkaError):
                self.history.unexpected(delivery.producer, error)
        else:
            delivery.acked, delivery.offset = True, future.result().offset

    async def _transact(self, name: str, rng: random.Random) -> None:
        """Transactions of 1 to 4 records over the partitions; 7 in 10 committed."""
        producer: Producer | None = None
        number = 0
        while not self.stopping:
            if producer is None:
                config = replace(
                    PRODUCER, transactional_id=self._txn_id, transaction_timeout_ms=TRANSACTION_TIMEOUT_MS
                )
                producer = Producer(self.cluster, config)
                try:
                    await producer.init_transactions()
                except KafkaError as error:
                    self.history.client_error(error.name)
                    producer = None
                    await self._pause(rng, 20, 50)
                    continue
            producer.begin_transaction()
            txn = Transaction(name, [], Outcome.ABANDONED)
            self.history.transactions.append(txn)
            for i in range(rng.randint(1, 4)):
                partition, value = rng.randrange(PARTITIONS), f"{name}/{number}.{i}"
                try:
                    future = await producer.send(TOPIC, value, partition=partition)
                except KafkaError as error:  # an earlier send failed: INVALID_TXN_STATE
                    self.history.client_error(error.name)
                    break
                # A failed send shows in the transaction's state; the future's error is
                # retrieved here so asyncio does not call it lost.
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
                txn.records.append((partition, value))
                await self._pause(rng, 0, 10)
            number += 1
            commit = rng.random() < 0.7
            await producer.flush()
            if self.stopping and self.abandon:
                return  # the process is gone: only the coordinator's timeout can end it
            if commit and producer.transaction_state is TransactionState.IN_TRANSACTION:
                # From here EndTxn(commit) may reach the coordinator: unknown until answered
                # (and it stays unknown if the answer is an error, or never comes).
                txn.outcome = Outcome.UNKNOWN
                try:
                    await producer.commit_transaction()
                    txn.outcome = Outcome.COMMITTED
                except KafkaError as error:
                    self.history.client_error(error.name)
                    producer = None
                continue
            # Chosen, or forced: a send failed, so the transaction can only abort. Either
            # way EndTxn(commit) was never sent, so it can never become visible.
            txn.outcome = Outcome.ABORTED
            try:
                await producer.abort_transaction()
            except KafkaError as error:
                self.history.client_error(error.name)
                producer = None

    # --- the consumer group ----------------------------------------------------------

    async def _consume(self, name: str, rng: random.Random) -> None:
        consumer = Consumer(self.cluster, CONSUMER)
        consumer.subscribe([TOPIC])
        polls = 0
        try:
            while not self.stopping:
                try:
                    for record in await consumer.poll(timeout_ms=20):
                        self.history.seen_committed.append(record.value.decode())
                    polls += 1
                    if polls % 3 == 0 and consumer.assignment():
                        committed = await consumer.commit()
                        seq = self.history.seq()
                        self.history.commits.extend(
                            OffsetCommit(seq, GROUP, tp.partition, offset) for tp, offset in committed.items()
                        )
                except KafkaError as error:
                    self.history.client_error(error.name)
                    await self._pause(rng, 10, 30)
        except asyncio.CancelledError:
            # Killed with its process: no LeaveGroup, and its heartbeats die with it.
            if consumer.membership is not None and consumer.membership._heartbeats is not None:
                consumer.membership._heartbeats.cancel()
            raise
        await consumer.close()

    async def _observe(self, name: str, rng: random.Random) -> None:
        while not self.stopping:
            await self._pause(rng, 15, 35)
            await observe_offsets(self.cluster, self.history)


async def observe_offsets(cluster: Cluster, history: History) -> bool:
    """One OffsetFetch of the group's partitions into the history; False if refused with
    a Kafka error (worth asking again), True if answered or failed otherwise (recorded)."""
    seq = history.seq()
    try:
        found = await cluster.fetch_offsets(GROUP, [(TOPIC, p) for p in range(PARTITIONS)])
    except KafkaError as error:
        history.client_error(error.name)
        return False
    except Exception as error:  # e.g. a damaged offsets record the coordinator cannot decode
        history.unexpected("OffsetFetch", error)
        return True
    for partition in range(PARTITIONS):
        committed = found.get((TOPIC, partition))
        history.observations.append(
            OffsetObservation(seq, GROUP, partition, committed.offset if committed is not None else -1)
        )
    return True
