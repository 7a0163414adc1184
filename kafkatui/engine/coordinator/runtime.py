"""What the group and the transaction coordinators share: a broker coordinates the keys
(group ids, transactional ids) whose partition of an internal topic it leads, loads a
partition once by replaying it when it becomes its leader, and answers NOT_COORDINATOR
or COORDINATOR_LOAD_IN_PROGRESS otherwise (Kafka's `CoordinatorRuntime` and the
`CoordinatorShard`s it runs, one per partition).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.utils import java_string_hash
from kafkatui.engine.log.records import Record, RecordBatch, decode_batch


class AppendResult(Protocol):
    base_offset: int


class CoordinatorHost(Protocol):
    """The broker a coordinator runs on, as far as the coordinator uses it (Kafka's
    `PartitionWriter`, and the log reading of its `CoordinatorLoader`): it appends to the
    internal topic's partitions it leads and replays them. `Broker` is one."""

    broker_id: int
    running: bool

    async def produce(
        self, topic: str, partition: int, data: bytes, *, acks: int = -1, from_coordinator: bool = False
    ) -> AppendResult: ...

    async def read_replica(self, topic: str, partition: int, offset: int, max_bytes: int) -> list[bytes]: ...


def partition_for(key: str, partitions: int) -> int:
    """`Utils.abs(key.hashCode()) % partitions`: a group's `__consumer_offsets` partition
    (`partitionFor`), and a transactional id's `__transaction_state` partition."""
    h = java_string_hash(key)
    return (0 if h == -(2**31) else abs(h)) % partitions


@dataclass
class CoordinatorPartition:
    """One partition of the internal topic this broker leads (a subclass adds its state)."""

    leader_epoch: int
    loaded: bool = False
    loading: asyncio.Task[None] | None = None


P = TypeVar("P", bound=CoordinatorPartition)


class PartitionedCoordinator(Generic[P]):
    """A coordinator over the partitions of `TOPIC` its broker leads.

    Subclasses say how a partition's state starts (`_new_partition`), how it loads
    (`_load`, a replay of the partition) and what unloading it releases (`_unload`).
    """

    TOPIC: ClassVar[str]
    KEY_NAME: ClassVar[str]  # "group", "transactional id": how errors name a key
    EMPTY_KEY: ClassVar[tuple[ErrorCode, str]]  # the error (and message) for an empty key

    def __init__(self, broker: CoordinatorHost) -> None:
        self._broker = broker
        self._partitions: dict[int, P] = {}
        self.partition_count = 0

    def _new_partition(self, leader_epoch: int) -> P:
        raise NotImplementedError

    async def _load(self, partition: int, state: P) -> None:
        raise NotImplementedError

    def _unload(self, state: P) -> None:
        if state.loading is not None:
            state.loading.cancel()

    def on_leadership(self, led: Mapping[int, int], partition_count: int) -> None:
        """The partitions this broker leads now (partition -> leader epoch). The others
        are forgotten (unloaded); new ones load on first use."""
        self.partition_count = partition_count
        for p in [p for p, state in self._partitions.items() if led.get(p) != state.leader_epoch]:
            self._unload(self._partitions.pop(p))
        for p, epoch in led.items():
            if p not in self._partitions:
                self._partitions[p] = self._new_partition(epoch)

    def leads(self, partition: int) -> bool:
        """Whether this coordinator has taken `partition` on (loaded or not)."""
        return partition in self._partitions

    def stop(self) -> None:
        for state in self._partitions.values():
            self._unload(state)
        self._partitions.clear()

    async def ensure_loaded(self, partition: int) -> None:
        """Load a partition this broker leads, once (concurrent callers share the load)."""
        state = self._partitions.get(partition)
        if state is None or state.loaded:
            return
        if state.loading is None:
            state.loading = asyncio.ensure_future(self._load(partition, state))
        await asyncio.shield(state.loading)

    def _state(self, key: str) -> tuple[int, P]:
        """The key's partition and its loaded state, or why this broker cannot answer."""
        if not key:
            raise KafkaError(*self.EMPTY_KEY)
        if self.partition_count == 0:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{self.TOPIC} does not exist yet")
        partition = partition_for(key, self.partition_count)
        state = self._partitions.get(partition)
        if state is None or not self._broker.running:
            raise KafkaError(
                ErrorCode.NOT_COORDINATOR,
                f"broker {self._broker.broker_id} is not the coordinator of {self.KEY_NAME} "
                f"'{key}' ({self.TOPIC}-{partition})",
            )
        if not state.loaded:
            raise KafkaError(
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                f"broker {self._broker.broker_id} is still loading {self.TOPIC}-{partition}",
            )
        return partition, state


async def replay_batches(broker: CoordinatorHost, topic: str, partition: int) -> AsyncIterator[RecordBatch]:
    """Every batch of this broker's replica of an internal topic's partition, decoded,
    in offset order: what a coordinator replays when it takes the partition over
    (`loadGroupsAndOffsets`, `loadTransactionsForTxnTopicPartition`)."""
    offset = 0
    while datas := await broker.read_replica(topic, partition, offset, 1 << 20):
        for data in datas:
            batch = decode_batch(data)
            yield batch
            offset = batch.header.last_offset + 1


async def replay_records(broker: CoordinatorHost, topic: str, partition: int) -> AsyncIterator[Record]:
    """Every record of a replica of an internal topic's partition, control batches left out."""
    async for batch in replay_batches(broker, topic, partition):
        if not batch.header.is_control:
            for record in batch.records:
                yield record
