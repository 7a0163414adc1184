"""confluent-kafka (librdkafka) behind the engine's client interfaces, for RemoteBackend.

librdkafka's calls block (or hand back concurrent futures) and its delivery callbacks
run in whichever thread polls: everything here is awaited through `asyncio.to_thread`,
`asyncio.wrap_future`, or a poller thread that resolves asyncio futures with
`call_soon_threadsafe`, so the caller's event loop (Textual's) never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from confluent_kafka import OFFSET_STORED, KafkaException
from confluent_kafka import Consumer as CKConsumer
from confluent_kafka import KafkaError as CKError
from confluent_kafka import Producer as CKProducer
from confluent_kafka import TopicPartition as CKTopicPartition

from kafkatui.common.clients import (
    ConsumerConfig,
    ConsumerGroupMetadata,
    ConsumerRecord,
    ProducerConfig,
    RecordMetadata,
    TimestampType,
    TopicPartition,
)
from kafkatui.common.errors import ErrorCode, KafkaError

T = TypeVar("T")

# librdkafka logs to stderr, which would draw over the workbench and clutter the CLI's
# one-line errors: its lines go to this logger instead, silent unless configured.
LOGGER = logging.getLogger("kafkatui.librdkafka")
LOGGER.addHandler(logging.NullHandler())


def client_conf(bootstrap: str, **conf: Any) -> dict[str, Any]:
    """The settings every client here shares, plus `conf`."""
    return {"bootstrap.servers": bootstrap, "logger": LOGGER, **conf}


# librdkafka's own (negative) error codes that have a Kafka equivalent.
_LOCAL_ERRORS = {
    CKError._UNKNOWN_TOPIC: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    CKError._UNKNOWN_PARTITION: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    CKError._TIMED_OUT: ErrorCode.REQUEST_TIMED_OUT,
    CKError._MSG_TIMED_OUT: ErrorCode.REQUEST_TIMED_OUT,
    CKError._TRANSPORT: ErrorCode.NETWORK_EXCEPTION,
    CKError._ALL_BROKERS_DOWN: ErrorCode.NETWORK_EXCEPTION,
    CKError._INVALID_ARG: ErrorCode.INVALID_REQUEST,
    CKError._FENCED: ErrorCode.PRODUCER_FENCED,
    CKError._UNSUPPORTED_FEATURE: ErrorCode.UNSUPPORTED_VERSION,  # an API the broker lacks
}


def kafka_error(error: BaseException | CKError) -> BaseException:
    """librdkafka's error as the engine's KafkaError (Kafka's codes and names)."""
    ck = error.args[0] if isinstance(error, KafkaException) and error.args else error
    if not isinstance(ck, CKError):
        return error
    code = ck.code()
    message = ck.str()
    if code >= 0:
        try:
            return KafkaError(ErrorCode(code), message)
        except ValueError:
            pass
    return KafkaError(_LOCAL_ERRORS.get(code, ErrorCode.UNKNOWN_SERVER_ERROR), message)


def bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """`host:port` pairs of a bootstrap.servers list (`PROTO://` prefixes and IPv6
    brackets allowed, as librdkafka takes them)."""
    addresses = []
    for entry in bootstrap.split(","):
        entry = entry.strip().rpartition("://")[2]
        host, _, port = entry.rpartition(":")
        if host and port.isdigit():
            addresses.append((host.strip("[]"), int(port)))
    return addresses


async def refused_everywhere(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when every address of every bootstrap server refuses a TCP connection
    outright: nothing listens there, so waiting out librdkafka's retries (10 s) would
    only delay the same answer. Anything else (a slow or filtered address, a name that
    does not resolve) is not a refusal: the caller goes on and librdkafka says it."""
    loop = asyncio.get_running_loop()
    addresses = bootstrap_addresses(bootstrap)
    for host, port in addresses:
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return False
        for family, kind, proto, _, address in infos:
            with socket.socket(family, kind, proto) as sock:
                sock.setblocking(False)
                try:
                    await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
                except ConnectionRefusedError:
                    continue
                except (TimeoutError, OSError):
                    return False
                return False  # something listens
    return bool(addresses)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking librdkafka call in a worker thread, its errors as KafkaError."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except KafkaException as error:
        raise kafka_error(error) from None


async def result(future: Future[T]) -> T:
    """An admin call's concurrent future, awaited; its errors as KafkaError."""
    try:
        return await asyncio.wrap_future(future)
    except KafkaException as error:
        raise kafka_error(error) from None


# What Java's AdminClient retries a group call on: the coordinator is moving or loading.
COORDINATOR_RETRIABLE = (
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_COORDINATOR,
)


async def coordinator_call(call: Callable[[], Future[T]], *, attempts: int = 20, backoff_s: float = 0.1) -> T:
    """An admin call to a group's coordinator, retried while the coordinator is loading
    or moving, as Java's AdminClient does (librdkafka's DescribeConsumerGroups and
    ListConsumerGroupOffsets hand those errors back instead)."""
    for attempt in range(attempts):
        try:
            return await result(call())
        except KafkaError as error:
            if error.code not in COORDINATOR_RETRIABLE or attempt == attempts - 1:
                raise
            await asyncio.sleep(backoff_s)
    raise AssertionError("unreachable")


def _acks(acks: str) -> str:
    return "all" if acks in ("all", "-1") else acks


class _Poller:
    """A thread serving a producer's delivery callbacks (librdkafka calls them from poll)."""

    def __init__(self, producer: CKProducer) -> None:
        self._producer = producer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafkatui-producer-poll", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._producer.poll(0.05)
            except KafkaException:  # fatal (fenced): the producer's next call reports it
                self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


# (partition, key, value, headers, timestamp): `ProducerClient.send_batch`'s records.
_BatchRecord = tuple[int | None, Any, Any, Sequence[tuple[str, Any]], int | None]


class SentFutures:
    """`RemoteProducer.send_batch`'s answer: each record's delivery future (or the error
    produce() gave it), awaited together."""

    def __init__(self, sent: list[asyncio.Future[RecordMetadata] | KafkaError]) -> None:
        self._sent = sent

    def __len__(self) -> int:
        return len(self._sent)

    def done(self) -> bool:
        return all(isinstance(s, KafkaError) or s.done() for s in self._sent)

    def __await__(self) -> Generator[Any, None, list[RecordMetadata | BaseException]]:
        futures = [s for s in self._sent if not isinstance(s, KafkaError)]
        if futures:
            yield from asyncio.wait(futures).__await__()
        return [s if isinstance(s, KafkaError) else (s.exception() or s.result()) for s in self._sent]


def librdkafka_group_metadata(meta: ConsumerGroupMetadata) -> bytes:
    """`meta` as librdkafka's `rd_kafka_consumer_group_metadata_write` serialises it (what
    confluent-kafka's `Consumer.consumer_group_metadata()` returns and
    `send_offsets_to_transaction` reads back): the "CGMDv2:" magic, the generation as a
    native int32, the group and member ids NUL-terminated, then a null flag for the
    group.instance.id and the id itself, NUL-terminated, if there is one."""
    instance = (
        b"\x01" if meta.group_instance_id is None else b"\x00" + meta.group_instance_id.encode() + b"\0"
    )
    return (
        b"CGMDv2:" + struct.pack("=i", meta.generation_id) + meta.group_id.encode() + b"\0"
        + meta.member_id.encode() + b"\0" + instance
    )  # fmt: skip


def read_librdkafka_group_metadata(data: bytes) -> ConsumerGroupMetadata:
    """The other way round: what confluent-kafka's `consumer_group_metadata()` returns,
    read back into kafkatui's `ConsumerGroupMetadata`."""
    magic = b"CGMDv2:"
    if not data.startswith(magic) or len(data) < len(magic) + 4:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"not librdkafka's group metadata: {data[:16]!r}")
    (generation,) = struct.unpack_from("=i", data, len(magic))
    group, member, rest = data[len(magic) + 4 :].split(b"\0", 2)
    instance = None if rest[:1] == b"\x01" else rest[1:].rstrip(b"\0").decode()
    return ConsumerGroupMetadata(group.decode(), generation, member.decode(), instance)


class RemoteProducer:
    """The engine `Producer`'s interface over a confluent-kafka producer. Partitions are
    chosen with Java's partitioner (murmur2 of the key; null keys sticky), as in Kafka."""

    def __init__(self, bootstrap: str, config: ProducerConfig, client_id: str = "kafkatui-producer") -> None:
        self.config = config
        self._bootstrap = bootstrap
        conf: dict[str, Any] = {
            **client_conf(bootstrap),
            "client.id": client_id,
            "acks": _acks(config.acks),
            "enable.idempotence": config.idempotent,
            "linger.ms": config.linger_ms,
            "batch.size": max(config.batch_size, 1),
            "partitioner": "murmur2_random",
            "compression.type": config.compression_type,
            "message.timeout.ms": config.delivery_timeout_ms,
            "request.timeout.ms": config.request_timeout_ms,
        }
        if config.transactional_id is not None:
            conf["transactional.id"] = config.transactional_id
            conf["transaction.timeout.ms"] = config.transaction_timeout_ms
            # librdkafka insists a record's delivery fits in the transaction.
            conf["message.timeout.ms"] = min(config.delivery_timeout_ms, config.transaction_timeout_ms)
        try:
            self._producer = CKProducer(conf)
        except KafkaException as error:
            raise kafka_error(error) from None
        self._poller = _Poller(self._producer)
        self._loop = asyncio.get_running_loop()

    @property
    def idempotent(self) -> bool:
        return self.config.idempotent

    async def send(
        self,
        topic: str,
        value: Any = None,
        *,
        key: Any = None,
        headers: Sequence[tuple[str, Any]] = (),
        partition: int | None = None,
        timestamp: int | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record; the future resolves when the broker acknowledges it."""
        future: asyncio.Future[RecordMetadata] = self._loop.create_future()
        value_b = value.encode() if isinstance(value, str) else value
        key_b = key.encode() if isinstance(key, str) else key

        def delivered(error: CKError | None, message: Any) -> None:
            if error is not None:
                outcome: Callable[[], None] = lambda: _set(future, exception=kafka_error(error))  # noqa: E731
            else:
                _, timestamp = message.timestamp()
                offset = message.offset()
                if offset is None or offset < 0:  # None under acks=0: no offset comes back
                    offset = -1
                meta = RecordMetadata(
                    message.topic(), message.partition(), offset, timestamp,
                    len(key_b) if key_b else -1, len(value_b) if value_b else -1,
                )  # fmt: skip
                outcome = lambda: _set(future, meta)  # noqa: E731
            self._loop.call_soon_threadsafe(outcome)

        kwargs: dict[str, Any] = {"key": key_b, "headers": list(headers), "on_delivery": delivered}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        while True:
            try:
                self._producer.produce(topic, value_b, **kwargs)
                return future
            except BufferError:  # the local queue is full: let deliveries drain it
                await asyncio.sleep(0.01)
            except KafkaException as error:
                raise kafka_error(error) from None

    async def send_batch(self, topic: str, records: Sequence[_BatchRecord]) -> SentFutures:
        """Queue records in order (librdkafka batches them itself); a record produce()
        refuses gets its error in its place."""
        sent: list[asyncio.Future[RecordMetadata] | KafkaError] = []
        for partition, key, value, headers, timestamp in records:
            try:
                sent.append(
                    await self.send(topic, value, key=key, headers=headers, partition=partition,
                                    timestamp=timestamp)
                )  # fmt: skip
            except KafkaError as error:
                sent.append(error)
        return SentFutures(sent)

    async def send_and_wait(self, topic: str, value: Any = None, **kwargs: Any) -> RecordMetadata:
        return await (await self.send(topic, value, **kwargs))

    async def flush(self) -> None:
        while await call(self._producer.flush, 1.0):
            pass

    async def init_transactions(self) -> None:
        await call(self._producer.init_transactions, 30)

    def begin_transaction(self) -> None:
        try:
            self._producer.begin_transaction()
        except KafkaException as error:
            raise kafka_error(error) from None

    async def send_offsets_to_transaction(
        self, offsets: Mapping[tuple[str, int], int], group: str | ConsumerGroupMetadata
    ) -> None:
        """librdkafka takes the group as a consumer's `consumer_group_metadata()`; the
        member may be a kafkatui GroupMember rather than a librdkafka consumer (Streams'
        thread), so the metadata is written in librdkafka's own form instead."""
        meta = group if isinstance(group, ConsumerGroupMetadata) else ConsumerGroupMetadata(group)
        positions = [CKTopicPartition(t, p, o) for (t, p), o in offsets.items()]
        await call(self._producer.send_offsets_to_transaction, positions, librdkafka_group_metadata(meta), 30)

    async def commit_transaction(self) -> None:
        await call(self._producer.commit_transaction, 30)

    async def abort_transaction(self) -> None:
        await call(self._producer.abort_transaction, 30)

    def abort(self) -> None:
        """Give up on what is not acknowledged yet (on close)."""
        self._producer.purge()

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            self._poller.stop()

    async def __aenter__(self) -> RemoteProducer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _set(
    future: asyncio.Future[T], value: T | None = None, *, exception: BaseException | None = None
) -> None:
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(value)  # type: ignore[arg-type]


def consumer_conf(bootstrap: str, config: ConsumerConfig) -> dict[str, Any]:
    static = {} if config.group_instance_id is None else {"group.instance.id": config.group_instance_id}
    return {
        **static,  # KIP-345: a static member (it was dropped here before, joining as a dynamic one)
        **client_conf(bootstrap),
        "client.id": config.client_id,
        # librdkafka needs a group.id even to assign(); without --group nothing commits.
        "group.id": config.group_id or "kafkatui-reader",
        "enable.auto.commit": False,
        "auto.offset.reset": config.auto_offset_reset,
        "isolation.level": config.isolation_level,
        "session.timeout.ms": config.session_timeout_ms,
        "max.poll.interval.ms": config.max_poll_interval_ms,
        "partition.assignment.strategy": ",".join(config.partition_assignment_strategy),
        "enable.partition.eof": False,
    }


def record_of(message: Any) -> ConsumerRecord:
    kind, timestamp = message.timestamp()
    epoch = message.leader_epoch()
    return ConsumerRecord(
        message.topic(), message.partition(), message.offset(), timestamp,
        TimestampType.LOG_APPEND_TIME if kind == 2 else TimestampType.CREATE_TIME,
        message.key(), message.value(), tuple(message.headers() or ()), epoch if epoch is not None else -1,
    )  # fmt: skip


class RemoteConsumer:
    """The engine `Consumer`'s interface over a confluent-kafka consumer (the parts the
    CLI uses: assign, subscribe, seek, poll, commit, close). Every librdkafka call runs
    in a worker thread, one at a time."""

    def __init__(self, bootstrap: str, config: ConsumerConfig, partitions: Callable[[str], int]) -> None:
        self.config = config
        self._group = config.group_id
        self._partitions = partitions
        self._consumer = CKConsumer(consumer_conf(bootstrap, config))
        self._assigned: list[TopicPartition] = []
        self._positions: dict[TopicPartition, int] = {}  # next offset to read, as far as we know
        self._seeks: dict[TopicPartition, int] = {}
        self._subscribed = False
        self._loop = asyncio.get_running_loop()
        self.on_assignment: Callable[[list[TopicPartition]], None] | None = None

    def assign(self, partitions: Iterable[TopicPartition | tuple[str, int]]) -> None:
        self._assigned = [TopicPartition(*tp) for tp in partitions]
        for tp in self._assigned:
            if not 0 <= tp.partition < self._partitions(tp.topic):
                raise KafkaError(
                    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{tp} does not exist"
                )  # pragma: no cover - checked by the CLI first
        self._consumer.assign([CKTopicPartition(t, p) for t, p in self._assigned])

    def assign_topic(self, topic: str) -> list[TopicPartition]:
        self.assign([(topic, p) for p in range(self._partitions(topic))])
        return self.assignment()

    def assignment(self) -> list[TopicPartition]:
        return list(self._assigned)

    def subscribe(self, topics: Iterable[str]) -> None:
        names = list(topics)
        for name in names:
            self._partitions(name)  # UNKNOWN_TOPIC_OR_PARTITION before joining

        def assigned(_: Any, partitions: list[CKTopicPartition]) -> None:
            self._assigned = sorted(TopicPartition(tp.topic, tp.partition) for tp in partitions)
            if self.on_assignment is not None:
                self._loop.call_soon_threadsafe(self.on_assignment, list(self._assigned))

        self._consumer.subscribe(names, on_assign=assigned)
        self._subscribed = True

    def seek(self, tp: TopicPartition | tuple[str, int], offset: int) -> None:
        """Where the next poll starts (applied before it, in the consumer's thread)."""
        self._seeks[TopicPartition(*tp)] = offset

    def _apply_seeks(self) -> None:
        if not self._seeks:
            return
        if not self._subscribed and all(tp in self._assigned for tp in self._seeks):
            # Before the first fetch a seek cannot land yet: assign at the offsets instead.
            at = [CKTopicPartition(t, p, self._seeks.get((t, p), OFFSET_STORED)) for t, p in self._assigned]
            self._consumer.assign(at)
        else:
            for (t, p), offset in self._seeks.items():
                self._consumer.seek(CKTopicPartition(t, p, offset))
        self._seeks.clear()

    def _poll(self, timeout_ms: int) -> list[ConsumerRecord]:
        self._apply_seeks()
        # Wait for the first record only, then take what is already here (consume() alone
        # would wait the whole timeout for max.poll.records).
        first = self._consumer.poll(timeout_ms / 1000)
        if first is None:
            return []
        records = []
        for message in [first, *self._consumer.consume(self.config.max_poll_records - 1, 0)]:
            error = message.error()
            if error is not None:
                if error.code() == CKError._PARTITION_EOF:
                    continue
                raise kafka_error(error)
            records.append(record_of(message))
        for r in records:
            self._positions[TopicPartition(r.topic, r.partition)] = r.offset + 1
        return records

    async def poll(self, timeout_ms: int = 0) -> list[ConsumerRecord]:
        return await call(self._poll, timeout_ms)

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> dict[TopicPartition, int]:
        """Commit what was read (or `offsets`); returns what was committed."""
        wanted = dict(offsets) if offsets is not None else {
            tp: at for tp, at in self._positions.items() if tp in self._assigned
        }  # fmt: skip
        for tp, at in self._seeks.items():
            if tp in wanted:
                wanted[tp] = at  # a rewind (--max) moved the position back
        if not wanted or self._group is None:
            return {}
        await call(
            self._consumer.commit,
            offsets=[CKTopicPartition(t, p, at) for (t, p), at in wanted.items()],
            asynchronous=False,
        )
        return wanted

    def group_metadata(self) -> ConsumerGroupMetadata:
        """librdkafka's own (a local read, no request), as kafkatui's type."""
        if not self._group:
            raise KafkaError(
                ErrorCode.INVALID_GROUP_ID, "group metadata needs a group.id (ConsumerConfig.group_id)"
            )
        try:
            data = self._consumer.consumer_group_metadata()
        except KafkaException as error:
            raise kafka_error(error) from None
        return read_librdkafka_group_metadata(data)

    async def close(self) -> None:
        await call(self._consumer.close)


def offsets_of(partitions: Iterable[CKTopicPartition]) -> dict[tuple[str, int], int]:
    return {(tp.topic, tp.partition): tp.offset for tp in partitions}
