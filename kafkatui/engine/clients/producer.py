"""The producer client: send → serialize → partition → batch → write to the leader.

Kafka's `KafkaProducer` in miniature, following the seed's producer path. Records are
serialized, given a partition (explicit, murmur2 of the key, or sticky for keyless
records) and encoded straight into their partition's open RecordBatch v2 body
(`producer_batch.py`, the Java client's RecordAccumulator), which closes when
`batch.size` fills or `linger.ms` passes; each batch is framed once and handed to the
partition leader's append path, the one the wire's Produce handler uses. Batches of one
partition are sent in order, one at a time, so per-partition order holds. A batch is
acknowledged as a whole, and so are its records' futures: one loop callback per batch.

Idempotence (KIP-98, `enable.idempotence`): the producer gets a producer id from
InitProducerId on first use, gives each batch the next sequence numbers of its partition
when it is first sent, and resends the same bytes on a retry, so a leader that already
appended it (the acknowledgement was lost) answers with the first offsets instead of
writing it twice. After a batch with a sequence fails for good, the producer bumps its
epoch and starts every partition's sequence again at 0 (KIP-360's idempotent epoch bump).

Back-pressure (`buffer.memory`): once the closed batches not yet acknowledged hold more
than buffer.memory bytes, send() waits for a sender to finish one, so a caller faster
than the log cannot queue without bound (Kafka blocks in `BufferPool.allocate`).

Differences from Kafka: send() waits for buffer.memory without max.block.ms's timeout (a
batch's wait is already bounded by delivery.timeout.ms), each partition has one
batch in flight at a time (so `max.in.flight.requests.per.connection` only takes part in
the idempotence rules), and transactions arrive with the delivery-semantics issue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kafkatui.common.clients import (
    ConsumerGroupMetadata,
    Headers,
    ProducerConfig,
    RecordMetadata,
    TransactionState,
    parse_acks,
    serialize,
)
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.partitioner import RoundRobinPartitioner, StickyPartitioner, partition_for_key
from kafkatui.engine.clients.producer_batch import (
    BATCH_OVERHEAD,
    RECORD_OVERHEAD,
    BatchRecord,
    Placed,
    ProducerBatch,
    RecordFuture,
    SentRecords,
)
from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata
from kafkatui.engine.log.producer_state import INT32_MAX
from kafkatui.engine.log.records import append_record_fast, append_record_py

T = TypeVar("T")

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

Serializer = Callable[[Any], bytes | None]

_RECORD_OVERHEAD = RECORD_OVERHEAD
_BATCH_OVERHEAD = BATCH_OVERHEAD
INT16_MAX = 2**15 - 1
# TxnOffsetCommit's answers to a consumer the group no longer knows (KIP-447)
_ZOMBIE = (ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID)


class Producer:
    """An asynchronous producer bound to a cluster (aiokafka-like API).

    `await producer.send(...)` queues a record and returns a future for its
    RecordMetadata (a `RecordFuture`, resolved with its batch);
    `await producer.send_and_wait(...)` waits for the acknowledgement.
    """

    def __init__(
        self,
        cluster: Cluster,
        config: ProducerConfig | None = None,
        *,
        key_serializer: Serializer = serialize,
        value_serializer: Serializer = serialize,
    ) -> None:
        self._cluster = cluster
        self.config = config or ProducerConfig()
        self._acks = parse_acks(self.config.acks)
        self._clock = cluster.clock
        self._max_request_size = self.config.max_request_size
        self._batch_size = self.config.batch_size
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._plain_keys = key_serializer is serialize
        self._plain_values = value_serializer is serialize
        self._sticky = StickyPartitioner(cluster.rng, self.config.batch_size)
        self._round_robin = RoundRobinPartitioner()
        self._open: dict[tuple[str, int], ProducerBatch] = {}
        self._ready: dict[tuple[str, int], deque[ProducerBatch]] = {}
        self._senders: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._sending: dict[tuple[str, int], ProducerBatch] = {}  # the batch each sender is on
        self._timers: set[asyncio.Task[None]] = set()
        self._closed = False
        self._queued_bytes = 0  # of sealed batches not yet acknowledged (buffer.memory)
        self._space: asyncio.Event | None = None  # set when they fall under buffer.memory
        # Idempotence (KIP-98): the id and epoch from InitProducerId, and per partition
        # the sequence number the next batch starts at.
        self.idempotent = self.config.idempotent
        self.producer_id = -1
        self.producer_epoch = -1
        self._next_sequence: dict[tuple[str, int], int] = {}
        self._init_lock = asyncio.Lock()
        # Transactions (KIP-98): the state, and what the current transaction touched.
        self.transactional_id = self.config.transactional_id
        self.transaction_state = TransactionState.UNINITIALIZED
        self._txn_partitions: set[tuple[str, int]] = set()
        self._txn_offsets = False
        self._txn_error: KafkaError | None = None

    @property
    def transaction_partitions(self) -> frozenset[tuple[str, int]]:
        """The partitions the open transaction added (AddPartitionsToTxn)."""
        return frozenset(self._txn_partitions)

    @property
    def transaction_error(self) -> KafkaError | None:
        """Why the producer is in FATAL_ERROR (fenced), or ABORTABLE_ERROR."""
        return self._txn_error

    def next_sequences(self) -> dict[tuple[str, int], int]:
        """Per partition, the sequence number this idempotent producer's next batch gets."""
        return dict(self._next_sequence)

    # --- the producer path -----------------------------------------------------------

    async def send(
        self,
        topic: str,
        value: Any = None,
        *,
        key: Any = None,
        headers: Iterable[tuple[str, bytes | str | None]] | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
    ) -> RecordFuture:
        """Queue a record for sending; the future resolves when it is acknowledged."""
        num_partitions = self._partitions_to_send_to(topic)
        chosen, key_bytes, value_bytes, record_headers, size = self._prepare(
            topic, num_partitions, partition, key, value, headers
        )
        if self._queued_bytes > self.config.buffer_memory:
            await self._wait_for_buffer()
        ts = self._clock.now_ms() if timestamp is None else timestamp
        batch = self._append((topic, chosen), ts, key_bytes, value_bytes, record_headers, size)
        if key_bytes is None and partition is None and self.config.partitioner == "default":
            self._sticky.record_appended(topic, chosen, size, num_partitions)
        return RecordFuture(batch, batch.count - 1)

    async def send_and_wait(self, topic: str, value: Any = None, **kwargs: Any) -> RecordMetadata:
        return await (await self.send(topic, value, **kwargs))

    async def send_batch(self, topic: str, records: Sequence[BatchRecord]) -> SentRecords:
        """Queue records for `topic`, each (partition, key, value, headers, timestamp) as
        send() takes them, in order; one awaitable answers for all of them. A record
        send() would refuse (too large, no such partition) gets that error in its place
        and the others go on. The records are appended as send() appends them; what a
        call costs once (the transaction check, the topic's metadata, the clock, the
        coroutine) is paid once for all, and only the batches they landed in are
        waited on, not a future per record (the REST Proxy's produce, many records in
        one request)."""
        try:
            num_partitions = self._partitions_to_send_to(topic)
        except KafkaError as refused:
            return SentRecords(topic, [refused] * len(records), set())
        now = self._clock.now_ms()
        placed: list[Placed | KafkaError] = []
        batches: set[ProducerBatch] = set()
        sticky, default_partitioner = self._sticky, self.config.partitioner == "default"
        for partition, key, value, headers, timestamp in records:
            try:
                chosen, key_bytes, value_bytes, record_headers, size = self._prepare(
                    topic, num_partitions, partition, key, value, headers
                )
            except KafkaError as error:
                placed.append(error)
                continue
            ts = now if timestamp is None else timestamp
            batch = self._append((topic, chosen), ts, key_bytes, value_bytes, record_headers, size)
            batches.add(batch)
            placed.append((batch, batch.count - 1, ts, -1 if key_bytes is None else len(key_bytes),
                           -1 if value_bytes is None else len(value_bytes)))  # fmt: skip
            if key_bytes is None and partition is None and default_partitioner:
                sticky.record_appended(topic, chosen, size, num_partitions)
        return SentRecords(topic, placed, batches)

    def _partitions_to_send_to(self, topic: str) -> int:
        """How many partitions `topic` has, once the producer may send to it: not closed,
        in a transaction if transactional (INVALID_TXN_STATE), the topic known
        (UNKNOWN_TOPIC_OR_PARTITION). KafkaProducer.doSend also asks for the topic's
        metadata before it serializes a record."""
        if self._closed:
            raise RuntimeError("the producer is closed")
        if (
            self.transactional_id is not None
            and self.transaction_state is not TransactionState.IN_TRANSACTION
        ):
            self._txn_fail_if_fatal()
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"Cannot call send in state {self.transaction_state.value}: a transactional producer "
                "sends only between begin_transaction() and commit/abort",
            )
        info = self._cluster.metadata.topics.get(topic)
        if info is None:
            info = self._cluster.topic(topic)  # raises UNKNOWN_TOPIC_OR_PARTITION
        return len(info.partitions)

    def _prepare(
        self,
        topic: str,
        num_partitions: int,
        partition: int | None,
        key: Any,
        value: Any,
        headers: Iterable[tuple[str, bytes | str | None]] | None,
    ) -> tuple[int, bytes | None, bytes | None, Headers, int]:
        """A record's partition, key and value bytes, headers as bytes, and the size it
        takes in a batch; MESSAGE_TOO_LARGE past max.request.size (KafkaProducer's
        ensureValidRecordSize), UNKNOWN_TOPIC_OR_PARTITION for a partition out of range."""
        # The default serializer passes bytes and None through: skip the call for them
        # (this runs once per record; every call here shows in bench/produce.py).
        if self._plain_keys and (key is None or key.__class__ is bytes):
            key_bytes = key
        else:
            key_bytes = self._key_serializer(key)
        if self._plain_values and (value is None or value.__class__ is bytes):
            value_bytes = value
        else:
            value_bytes = self._value_serializer(value)
        size = _RECORD_OVERHEAD
        if key_bytes:
            size += len(key_bytes)
        if value_bytes:
            size += len(value_bytes)
        record_headers: Headers = ()
        if headers:
            record_headers = tuple((k, v.encode() if isinstance(v, str) else v) for k, v in headers)
            size += sum(len(k) + len(v or b"") + 2 for k, v in record_headers)
        if size + _BATCH_OVERHEAD > self._max_request_size:
            raise KafkaError(
                ErrorCode.MESSAGE_TOO_LARGE,
                f"The message is {size + _BATCH_OVERHEAD} bytes when serialized which is larger "
                f"than {self.config.max_request_size}, the value of max.request.size",
            )
        if partition is not None and 0 <= partition < num_partitions:
            return partition, key_bytes, value_bytes, record_headers, size
        chosen = self._choose_partition(topic, key_bytes, partition, num_partitions)
        return chosen, key_bytes, value_bytes, record_headers, size

    def _append(
        self,
        tp: tuple[str, int],
        ts: int,
        key_bytes: bytes | None,
        value_bytes: bytes | None,
        record_headers: Headers,
        size: int,
    ) -> ProducerBatch:
        """The accumulator's append: the record encoded into its partition's open batch
        (a new one when it would not fit), which is sealed once it holds batch.size; that
        batch (the record is its last). Nothing per record is kept but the bytes."""
        batch = self._open.get(tp)
        if batch is not None and batch.size + size > self._batch_size:
            self._seal(batch)
            batch = None
        if batch is None:
            batch = self._open_batch(tp, ts)
        index = batch.count
        if record_headers:
            append_record_py(
                batch.body, ts - batch.base_timestamp, index, key_bytes, value_bytes, record_headers
            )
        else:
            append_record_fast(batch.body, ts - batch.base_timestamp, index, key_bytes, value_bytes)
        if ts > batch.max_timestamp:
            batch.max_timestamp = ts
        batch.count = index + 1
        batch.size += size
        if batch.size >= self._batch_size:
            self._seal(batch)
        return batch

    def _choose_partition(
        self, topic: str, key: bytes | None, partition: int | None, num_partitions: int
    ) -> int:
        if partition is not None:
            if not 0 <= partition < num_partitions:
                raise KafkaError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    f"Invalid partition given with record: {partition} is not in the range "
                    f"[0...{num_partitions}) of topic '{topic}'",
                )
            return partition
        if self.config.partitioner == "round_robin":
            return self._round_robin.partition(topic, num_partitions)
        if key is not None:
            return partition_for_key(key, num_partitions)
        return self._sticky.partition(topic, num_partitions)

    async def _wait_for_buffer(self) -> None:
        while self._queued_bytes > self.config.buffer_memory and not self._closed:
            if self._space is None:
                self._space = asyncio.Event()
            await self._space.wait()
        if self._closed:
            raise RuntimeError("the producer is closed")

    def _released(self, batch: ProducerBatch) -> None:
        self._queued_bytes -= batch.size
        if self._space is not None and self._queued_bytes <= self.config.buffer_memory:
            self._space.set()
            self._space = None

    def _open_batch(self, tp: tuple[str, int], timestamp: int) -> ProducerBatch:
        """A partition's new open batch, and its linger.ms timer."""
        batch = ProducerBatch(tp[0], tp[1], self._clock.now_ms(), asyncio.get_running_loop())
        batch.base_timestamp = batch.max_timestamp = timestamp
        self._open[tp] = batch
        timer = asyncio.ensure_future(self._linger(batch))
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)
        return batch

    async def _linger(self, batch: ProducerBatch) -> None:
        await self._cluster.clock.sleep(self.config.linger_ms / 1000)
        self._seal(batch)

    def _seal(self, batch: ProducerBatch) -> None:
        """Close a batch to new records and queue it for its partition's sender."""
        if batch.sealed:
            return
        batch.sealed = True
        tp = (batch.topic, batch.partition)
        if self._open.get(tp) is batch:
            del self._open[tp]
        self._ready.setdefault(tp, deque()).append(batch)
        self._queued_bytes += batch.size
        sender = self._senders.get(tp)
        if sender is None or sender.done():
            self._senders[tp] = asyncio.ensure_future(self._run_sender(tp))

    async def _run_sender(self, tp: tuple[str, int]) -> None:
        queue = self._ready[tp]
        while queue:
            batch = queue.popleft()
            self._sending[tp] = batch
            try:
                await self._send_batch(batch)
            finally:
                del self._sending[tp]
                self._released(batch)

    async def _send_batch(self, batch: ProducerBatch) -> None:
        clock = self._cluster.clock
        deadline = batch.created_ms + self.config.delivery_timeout_ms
        data = None if self.idempotent else batch.frame(compression=self.config.compression)
        attempt = 0
        while True:
            try:
                if data is None:  # the same bytes, sequence and all, for every retry
                    data = await self._encode_idempotent(batch)
                leader = self._cluster.leader(batch.topic, batch.partition)
                if self._acks == 0:
                    # Fire and forget: the producer learns nothing, not even errors.
                    batch.complete(-1, -1)
                    with contextlib.suppress(KafkaError):
                        await leader.produce(batch.topic, batch.partition, data, acks=0)
                    return
                result = await leader.produce(
                    batch.topic,
                    batch.partition,
                    data,
                    acks=self._acks,
                    timeout_ms=self.config.request_timeout_ms,
                )
                batch.complete(result.base_offset, result.log_append_time)
                return
            except KafkaError as error:
                if error.code is ErrorCode.MESSAGE_TOO_LARGE and batch.count > 1:
                    # Kafka splits an oversized batch and retries its records one by one
                    # (the broker refused it, so its sequence numbers go to the pieces).
                    self._reuse_sequence(batch)
                    pieces = _split(batch)
                    for single in pieces:
                        await self._send_batch(single)
                    batch.finish_split(pieces)
                    return
                reset = (
                    error.code is ErrorCode.UNKNOWN_PRODUCER_ID
                    and self.transactional_id is None
                    and batch.base_sequence >= 0
                )
                if reset:
                    # KIP-360: the leader forgot this producer (producer.id.expiration.ms,
                    # or its batches were deleted) and did not write the batch: bump the
                    # epoch, start every partition at 0 again and resend it.
                    if batch.producer_epoch == self.producer_epoch:
                        self._bump_epoch()
                    batch.base_sequence = -1
                    data = None
                attempt += 1
                if (
                    not (error.retriable or reset)
                    or attempt > self.config.retries
                    or clock.now_ms() + self.config.retry_backoff_ms > deadline
                ):
                    self._failed(batch, error)
                    return
                await clock.sleep(self.config.retry_backoff_ms / 1000)
            except Exception as error:  # a bug must not leave senders waiting forever
                self._failed(batch, error)
                return

    # --- idempotence (KIP-98) --------------------------------------------------------

    async def _encode_idempotent(self, batch: ProducerBatch) -> bytes:
        """Encode a batch with the producer id, epoch and its partition's next sequence
        numbers (InitProducerId first, once per producer)."""
        if self.producer_id < 0:
            async with self._init_lock:
                if self.producer_id < 0:
                    self.producer_id, self.producer_epoch = await self._cluster.init_producer_id()
        tp = (batch.topic, batch.partition)
        if self.transactional_id is not None and tp not in self._txn_partitions:
            # AddPartitionsToTxn before the first batch to a partition in a transaction.
            await self._txn_call(
                self._cluster.add_partitions_to_txn(
                    self.transactional_id, self.producer_id, self.producer_epoch, [tp]
                )
            )
            self._txn_partitions.add(tp)
        if batch.base_sequence < 0:
            tp = (batch.topic, batch.partition)
            batch.producer_epoch = self.producer_epoch
            batch.base_sequence = self._next_sequence.get(tp, 0)
            # Sequence numbers wrap from Int32.MAX to 0, as Kafka's do.
            self._next_sequence[tp] = (batch.base_sequence + batch.count) % (INT32_MAX + 1)
        return batch.frame(
            producer_id=self.producer_id,
            producer_epoch=batch.producer_epoch,
            base_sequence=batch.base_sequence,
            is_transactional=self.transactional_id is not None,
            compression=self.config.compression,
        )

    def _reuse_sequence(self, batch: ProducerBatch) -> None:
        """A batch the broker refused whole gives its sequence numbers back (its
        partition's later batches have none yet: one batch is in flight per partition)."""
        if batch.base_sequence >= 0 and batch.producer_epoch == self.producer_epoch:
            self._next_sequence[(batch.topic, batch.partition)] = batch.base_sequence

    def _failed(self, batch: ProducerBatch, error: BaseException) -> None:
        """Fail a batch's records. If it carried sequence numbers, the broker may or may
        not have it, so the sequences can no longer be trusted: bump the epoch and start
        every partition at 0 again (Kafka's `bumpIdempotentEpochAndResetIdIfNeeded`)."""
        if self.transactional_id is not None:
            # A transaction cannot bump its epoch on its own: it must be aborted, or the
            # producer was fenced (the broker's INVALID_PRODUCER_EPOCH means just that).
            if isinstance(error, KafkaError) and error.code in (
                ErrorCode.INVALID_PRODUCER_EPOCH,
                ErrorCode.PRODUCER_FENCED,
            ):
                error = self._fenced(error)
            elif self.transaction_state is not TransactionState.FATAL_ERROR:
                self.transaction_state = TransactionState.ABORTABLE_ERROR
                if isinstance(error, KafkaError):
                    self._txn_error = error
        elif batch.base_sequence >= 0 and batch.producer_epoch == self.producer_epoch:
            self._bump_epoch()
        batch.fail(error)

    def _bump_epoch(self) -> None:
        """A new epoch of this idempotent producer: every partition's sequence starts at
        0 again (a new producer id once the epoch is exhausted)."""
        self._next_sequence.clear()
        if self.producer_epoch < INT16_MAX:
            self.producer_epoch += 1
        else:  # epoch exhausted: get a new producer id on the next send
            self.producer_id = self.producer_epoch = -1

    # --- transactions (KIP-98) -------------------------------------------------------

    async def init_transactions(self) -> None:
        """InitProducerId at the transaction coordinator: this transactional.id's producer
        id with a new epoch, which fences any older producer with the same id and aborts
        its open transaction."""
        if self.transactional_id is None:
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                "Transactional method invoked on a non-transactional producer (set transactional_id)",
            )
        if self.transaction_state not in (TransactionState.UNINITIALIZED, TransactionState.READY):
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"Cannot call init_transactions in state {self.transaction_state.value}",
            )
        self.producer_id, self.producer_epoch = await self._cluster.init_producer_id(
            self.transactional_id, self.config.transaction_timeout_ms
        )
        self._next_sequence.clear()
        self.transaction_state = TransactionState.READY

    def begin_transaction(self) -> None:
        """Start a transaction (client side only: the coordinator hears of it with the
        first partition or offsets added)."""
        self._require_txn_state("begin_transaction", TransactionState.READY)
        self._txn_partitions = set()
        self._txn_offsets = False
        self._txn_error = None
        self.transaction_state = TransactionState.IN_TRANSACTION

    async def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], int | OffsetAndMetadata],
        group: str | ConsumerGroupMetadata,
    ) -> None:
        """Commit a consumer group's offsets as part of this transaction
        (AddOffsetsToTxn, then TxnOffsetCommit): they count only if it commits. With the
        consumer's `ConsumerGroupMetadata` (KIP-447) the group coordinator checks its
        member and generation; a zombie's refusal (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
        FENCED_INSTANCE_ID) leaves the transaction abortable only, as Kafka's
        TxnOffsetCommitHandler does (CommitFailedException)."""
        self._require_txn_state("send_offsets_to_transaction", TransactionState.IN_TRANSACTION)
        assert self.transactional_id is not None
        meta = group if isinstance(group, ConsumerGroupMetadata) else ConsumerGroupMetadata(group)
        stamped = {
            tp: o if isinstance(o, OffsetAndMetadata) else OffsetAndMetadata(o) for tp, o in offsets.items()
        }
        await self._txn_call(
            self._cluster.add_offsets_to_txn(
                self.transactional_id, self.producer_id, self.producer_epoch, meta.group_id
            )
        )
        self._txn_offsets = True
        try:
            await self._txn_call(
                self._cluster.txn_offset_commit(
                    self.transactional_id, self.producer_id, self.producer_epoch, meta.group_id, stamped,
                    generation_id=meta.generation_id, member_id=meta.member_id,
                    group_instance_id=meta.group_instance_id,
                )
            )  # fmt: skip
        except KafkaError as error:
            if error.code in _ZOMBIE:
                self.transaction_state = TransactionState.ABORTABLE_ERROR
                self._txn_error = error
            raise

    async def commit_transaction(self) -> None:
        """Flush, then EndTxn(commit): every record of the transaction becomes visible
        to read_committed consumers at once. A send that failed makes the transaction
        abortable only (the error is raised; call abort_transaction)."""
        self._require_txn_state("commit_transaction", TransactionState.IN_TRANSACTION)
        await self.flush()
        if self.transaction_state is not TransactionState.IN_TRANSACTION:
            self._txn_fail_if_fatal()
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                "Cannot commit transaction: a send failed, abort it"
                + (f" ({self._txn_error.name}: {self._txn_error.message})" if self._txn_error else ""),
            )
        await self._end(commit=True)

    async def abort_transaction(self) -> None:
        """Wait for the records in flight, then EndTxn(abort): none of them is ever
        shown to read_committed consumers."""
        self._require_txn_state(
            "abort_transaction", TransactionState.IN_TRANSACTION, TransactionState.ABORTABLE_ERROR
        )
        await self.flush()
        self._txn_fail_if_fatal()
        await self._end(commit=False)

    async def _end(self, *, commit: bool) -> None:
        assert self.transactional_id is not None
        self.transaction_state = (
            TransactionState.COMMITTING_TRANSACTION if commit else TransactionState.ABORTING_TRANSACTION
        )
        if self._txn_partitions or self._txn_offsets:
            try:
                await self._txn_call(
                    self._cluster.end_txn(
                        self.transactional_id, self.producer_id, self.producer_epoch, commit
                    )
                )
            except KafkaError:
                if self.transaction_state is not TransactionState.FATAL_ERROR:
                    self.transaction_state = TransactionState.ABORTABLE_ERROR
                raise
        self._txn_partitions = set()
        self._txn_offsets = False
        self.transaction_state = TransactionState.READY

    async def _txn_call(self, call: Awaitable[T]) -> T:
        """A request to the transaction coordinator: fencing is fatal for this producer."""
        try:
            return await call
        except KafkaError as error:
            if error.code in (ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH):
                raise self._fenced(error) from error
            raise

    def _fenced(self, error: KafkaError) -> KafkaError:
        self.transaction_state = TransactionState.FATAL_ERROR
        self._txn_error = KafkaError(
            ErrorCode.PRODUCER_FENCED,
            f"There is a newer producer with the same transactionalId '{self.transactional_id}' "
            f"which fences the current one ({error.message})",
        )
        return self._txn_error

    def _txn_fail_if_fatal(self) -> None:
        if self.transaction_state is TransactionState.FATAL_ERROR and self._txn_error is not None:
            raise self._txn_error

    def _require_txn_state(self, method: str, *allowed: TransactionState) -> None:
        if self.transactional_id is None:
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                "Transactional method invoked on a non-transactional producer (set transactional_id)",
            )
        self._txn_fail_if_fatal()
        if self.transaction_state not in allowed:
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE, f"Cannot call {method} in state {self.transaction_state.value}"
            )

    # --- lifecycle -------------------------------------------------------------------

    async def flush(self) -> None:
        """Send everything queued and wait until each record is acknowledged or failed.

        Senders complete every future of the batches they send, so waiting for the
        senders is enough (and far cheaper than waiting on each record's future).
        """
        for batch in list(self._open.values()):
            self._seal(batch)
        while senders := [t for t in self._senders.values() if not t.done()]:
            await asyncio.gather(*senders)

    async def close(self) -> None:
        if self._closed:
            return
        await self.flush()
        self._closed = True
        for timer in list(self._timers):
            timer.cancel()

    def abort(self, reason: str = "the producer was closed before it was acknowledged") -> None:
        """Close at once (Kafka's close with a zero timeout): every record not yet
        acknowledged fails with REQUEST_TIMED_OUT instead of being retried."""
        self._closed = True
        for task in [*self._timers, *self._senders.values()]:
            task.cancel()
        error = KafkaError(ErrorCode.REQUEST_TIMED_OUT, reason)
        pending = [*self._open.values(), *self._sending.values()]
        for batch in [*pending, *(b for q in self._ready.values() for b in q)]:
            batch.fail(error)
        self._open.clear()
        self._ready.clear()
        if self._space is not None:  # a send() waiting for buffer.memory sees the close
            self._space.set()

    async def __aenter__(self) -> Producer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _split(batch: ProducerBatch) -> list[ProducerBatch]:
    """One single-record batch per record of `batch`, each sealed, to be sent in order."""
    pieces = []
    for _, timestamp, key, value, headers in batch.records():
        single = ProducerBatch(batch.topic, batch.partition, batch.created_ms, batch.loop)
        single.base_timestamp = single.max_timestamp = timestamp
        append_record_py(single.body, 0, 0, key, value, headers)
        single.count = 1
        single.sealed = True
        pieces.append(single)
    return pieces
