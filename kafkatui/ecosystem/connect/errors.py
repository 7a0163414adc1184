"""Connect's error handling (KIP-298), as Kafka's RetryWithToleranceOperator,
LogReporter and DeadLetterQueueReporter do it.

Each record goes through stages (a sink: KEY_CONVERTER, VALUE_CONVERTER,
HEADER_CONVERTER, TRANSFORMATION, then TASK_PUT; a source: TRANSFORMATION, the
converters, KAFKA_PRODUCE). An operation that raises `RetriableException` is retried,
backing off 300 ms doubling up to `errors.retry.delay.max.ms`, until
`errors.retry.timeout` ms have passed (0: never retried; -1: retried forever). What still
fails is then tolerated or not: with `errors.tolerance=none` the task fails ("Tolerance
exceeded in error handler", its trace in the task's status); with `all` the record is
skipped, logged if `errors.log.enable` (with the record if
`errors.log.include.messages`), and a sink writes the record as it was consumed to
`errors.deadletterqueue.topic.name`, with the `__connect.errors.*` context headers if
`errors.deadletterqueue.context.headers.enable`. Only the converter and transformation
stages tolerate any exception; in the others only a RetriableException is tolerable
(Kafka's TOLERABLE_EXCEPTIONS): anything else fails the task whatever the tolerance."""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from kafkatui.common.clients import ConsumerRecord, ProducerConfig
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.connect.api import ConnectException
from kafkatui.ecosystem.connect.config import ConfigDef, ConfigType, Importance, at_least, one_of

log = logging.getLogger("kafkatui.ecosystem.connect")

T = TypeVar("T")
ERRORS = "Error Handling"
RETRIES_DELAY_MIN_MS = 300
HEADER_PREFIX = "__connect.errors."  # ConnectHeaders.HEADER_PREFIX + ".errors"


class RetriableException(ConnectException):
    """org.apache.kafka.connect.errors.RetriableException: the operation may succeed if
    it is tried again (a converter's registry is down, a sink's database is busy)."""


class Stage(StrEnum):
    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


TOLERATES_ANY = {Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER, Stage.HEADER_CONVERTER, Stage.TRANSFORMATION}


def error_config_def(kind: str) -> ConfigDef:
    """ConnectorConfig's error-handling configs, and SinkConnectorConfig's DLQ ones."""
    d = ConfigDef()
    d.define(
        "errors.retry.timeout",
        ConfigType.LONG,
        0,
        Importance.MEDIUM,
        "The maximum duration in milliseconds that a failed operation will be reattempted. The default "
        "is 0, which means no retries will be attempted. Use -1 for infinite retries.",
        validators=[at_least(-1)],
        group=ERRORS,
        display_name="Retry Timeout for Errors",
    )
    d.define(
        "errors.retry.delay.max.ms",
        ConfigType.LONG,
        60_000,
        Importance.MEDIUM,
        "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added "
        "to the delay once this limit is reached to prevent thundering herd issues.",
        validators=[at_least(1)],
        group=ERRORS,
        display_name="Maximum Delay Between Retries for Errors",
    )
    d.define(
        "errors.tolerance",
        ConfigType.STRING,
        "none",
        Importance.MEDIUM,
        "Behavior for tolerating errors during connector operation. 'none' is the default value and "
        "signals that any error will result in an immediate connector task failure; 'all' changes the "
        "behavior to skip over problematic records.",
        validators=[one_of("none", "all")],
        group=ERRORS,
        display_name="Error Tolerance",
    )
    d.define(
        "errors.log.enable",
        ConfigType.BOOLEAN,
        False,
        Importance.MEDIUM,
        "If true, write each error and the details of the failed operation and problematic record to "
        "the Connect application log. This is 'false' by default, so that only errors that are not "
        "tolerated are reported.",
        group=ERRORS,
        display_name="Log Errors",
    )
    d.define(
        "errors.log.include.messages",
        ConfigType.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Whether to include in the log the Connect record that resulted in a failure. For sink records, "
        "the topic, partition, offset, and timestamp will be logged. For source records, the key and "
        "value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, "
        "source partition, and source offset will be logged. This is 'false' by default, which will "
        "prevent record keys, values, and headers from being written to log files.",
        group=ERRORS,
        display_name="Log Error Details",
    )
    if kind == "sink":
        d.define(
            "errors.deadletterqueue.topic.name",
            ConfigType.STRING,
            "",
            Importance.MEDIUM,
            "The name of the topic to be used as the dead letter queue (DLQ) for messages that result "
            "in an error when processed by this sink connector, or its transformations or converters. "
            "The topic name is blank by default, which means that no messages are to be recorded in "
            "the DLQ.",
            group=ERRORS,
            display_name="Dead Letter Queue Topic Name",
        )
        d.define(
            "errors.deadletterqueue.topic.replication.factor",
            ConfigType.INT,
            3,
            Importance.MEDIUM,
            "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
            validators=[at_least(1)],
            group=ERRORS,
            display_name="Dead Letter Queue Topic Replication Factor",
        )
        d.define(
            "errors.deadletterqueue.context.headers.enable",
            ConfigType.BOOLEAN,
            False,
            Importance.MEDIUM,
            "If true, add headers containing error context to the messages written to the dead letter "
            "queue. To avoid clashing with headers from the original record, all error context header "
            "keys, all error context header keys will start with <code>__connect.errors.</code>",
            group=ERRORS,
            display_name="Enable Error Context Headers",
        )
    return d  # fmt: skip


@dataclass(frozen=True)
class ErrorConfig:
    tolerance_all: bool = False
    retry_timeout_ms: int = 0
    retry_delay_max_ms: int = 60_000
    log_enable: bool = False
    log_include_messages: bool = False
    dlq_topic: str = ""
    dlq_replication_factor: int = 3
    dlq_context_headers: bool = False

    @classmethod
    def of(cls, kind: str, props: Mapping[str, Any]) -> ErrorConfig:
        """From a connector's config (validated when it was created)."""
        v = error_config_def(kind).parse(props)
        return cls(
            v["errors.tolerance"] == "all", v["errors.retry.timeout"], v["errors.retry.delay.max.ms"],
            v["errors.log.enable"], v["errors.log.include.messages"],
            (v.get("errors.deadletterqueue.topic.name") or "").strip(),
            v.get("errors.deadletterqueue.topic.replication.factor", 3),
            bool(v.get("errors.deadletterqueue.context.headers.enable", False)),
        )  # fmt: skip


@dataclass
class ProcessingContext:
    """What failed, where (ProcessingContext): the consumed record of a sink or the
    source record of a source, the stage and the class at work, and the error."""

    stage: Stage
    executing_class: str
    consumer_record: ConsumerRecord | None = None
    source_record: Any = None
    error: BaseException | None = None

    def describe(self, include_messages: bool) -> str:
        """ProcessingContext.toString(includeMessage)."""
        out = f"Executing stage '{self.stage}' with class '{self.executing_class}'"
        r = self.consumer_record
        if r is not None:
            out += (
                f", where consumed record is {{topic='{r.topic}', partition={r.partition}, offset={r.offset}"
            )
            if include_messages:
                out += f", timestamp={r.timestamp}, timestampType={r.timestamp_type.config_name}"
            out += "}"
        elif self.source_record is not None and include_messages:
            out += f", where source record is = {self.source_record}"
        return out + "."


def class_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class DeadLetterQueueReporter:
    """Writes the record as consumed (its key, value and headers) to the DLQ topic, created
    with one partition and the configured replication factor if it does not exist."""

    def __init__(self, producer: Any, config: ErrorConfig, connector: str, task: int) -> None:
        self.producer = producer
        self.config = config
        self.connector = connector
        self.task = task
        self.sent: list[asyncio.Future[Any]] = []

    @classmethod
    async def create(
        cls, backend: Any, config: ErrorConfig, connector: str, task: int
    ) -> DeadLetterQueueReporter:
        topic = config.dlq_topic
        if topic not in backend.topic_names(include_internal=True):
            log.error("Topic %s doesn't exist. Will attempt to create topic.", topic)
            try:
                await backend.create_topic(topic, 1, config.dlq_replication_factor)
            except KafkaError as error:
                if error.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                    raise ConnectException(
                        f"Could not initialize dead letter queue with topic={topic}"
                    ) from error
        producer = backend.producer(ProducerConfig(acks="all", linger_ms=5))
        return cls(producer, config, connector, task)

    def headers(self, context: ProcessingContext) -> list[tuple[str, bytes]]:
        """DeadLetterQueueReporter.populateContextHeaders."""
        r = context.consumer_record
        out = {
            "topic": r.topic if r else "",
            "partition": str(r.partition if r else -1),
            "offset": str(r.offset if r else -1),
            "connector.name": self.connector,
            "task.id": str(self.task),
            "stage": str(context.stage),
            "class.name": context.executing_class,
        }
        if context.error is not None:
            out["exception.class.name"] = class_name(context.error)
            out["exception.message"] = str(context.error)
            out["exception.stacktrace"] = "".join(traceback.format_exception(context.error))
        return [(HEADER_PREFIX + k, v.encode()) for k, v in out.items()]

    async def report(self, context: ProcessingContext) -> None:
        r = context.consumer_record
        if r is None:
            return
        headers = list(r.headers or ())
        if self.config.dlq_context_headers:
            present = {k for k, _ in headers}
            headers += [(k, v) for k, v in self.headers(context) if k not in present]
        future = await self.producer.send(self.config.dlq_topic, r.value, key=r.key, headers=headers)
        future.add_done_callback(self._sent)
        self.sent.append(future)

    def _sent(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error(
                "Could not produce message to dead letter queue. topic=%s",
                self.config.dlq_topic,
                exc_info=future.exception(),
            )

    async def flush(self, reported: list[asyncio.Future[None]] | None = None) -> None:
        """Before a sink commits offsets: every record of the DLQ written (Kafka awaits
        the reporters' futures the same way, so a skipped record is never lost)."""
        for future in reported or ():
            await future
        if self.sent:
            await self.producer.flush()
            self.sent = [f for f in self.sent if not f.done()]

    async def close(self) -> None:
        try:
            await self.producer.close()
        except Exception as error:
            log.debug("closing the dead letter queue producer: %s", error)


class RetryWithToleranceOperator:
    """Runs one stage of one record with retries and tolerance. `execute` returns the
    operation's result, or raises `Skipped` for a tolerated failure (the record is
    dropped), or `ConnectException` (the task fails)."""

    def __init__(
        self,
        config: ErrorConfig,
        task_id: str,
        dlq: DeadLetterQueueReporter | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.task_id = task_id
        self.dlq = dlq
        self._clock = clock
        self._sleep = sleep
        self.failures = 0  # what failed (errors' total-record-failures)
        self.skipped = 0  # what was tolerated (total-records-skipped)
        self.retries = 0

    def _now_ms(self) -> float:
        return (self._clock or asyncio.get_running_loop().time)() * 1000

    async def execute(
        self, context: ProcessingContext, operation: Callable[[], T], failed: Exception | None = None
    ) -> T:
        """`failed`: the operation's first attempt, already made, raised it (the task's
        fast path runs a record's stages plainly and comes here only when one fails)."""
        try:
            return await self._with_retries(operation, failed)
        except Exception as error:
            self.failures += 1
            context.error = error
            if context.stage not in TOLERATES_ANY and not isinstance(error, RetriableException):
                raise ConnectException("Unhandled exception in error handler") from error
            if not self.config.tolerance_all:
                raise ConnectException("Tolerance exceeded in error handler") from error
            self.skipped += 1
            await self._report(context)
            raise Skipped(context) from error

    async def _with_retries(self, operation: Callable[[], T], failed: Exception | None) -> T:
        """RetryWithToleranceOperator.execAndRetry."""
        timeout = self.config.retry_timeout_ms
        start = self._now_ms()
        deadline = start + timeout if timeout >= 0 else float("inf")
        attempt = 0
        while True:
            attempt += 1
            try:
                if failed is not None:
                    error, failed = failed, None
                    raise error
                result = operation()
                if asyncio.iscoroutine(result):
                    result = await result
                return result
            except RetriableException:
                now = self._now_ms()
                if now >= deadline:
                    raise
                self.retries += 1
                delay: float = RETRIES_DELAY_MIN_MS * 2 ** (attempt - 1)
                if delay > self.config.retry_delay_max_ms:
                    delay = random.uniform(0, self.config.retry_delay_max_ms)  # Kafka's jitter
                await self._sleep(max(0.0, min(delay, deadline - now)) / 1000)

    async def _report(self, context: ProcessingContext) -> None:
        self._log(context)
        if self.dlq is not None:
            await self.dlq.report(context)

    def _log(self, context: ProcessingContext) -> None:
        if self.config.log_enable:
            log.error(
                "Error encountered in task %s. %s",
                self.task_id,
                context.describe(self.config.log_include_messages),
                exc_info=context.error,
            )

    def execute_failed(self, context: ProcessingContext) -> asyncio.Future[None]:
        """An error the task itself reports (executeFailed, KIP-610): tolerated or not,
        whatever its stage; the future resolves once the DLQ has the record."""
        self.failures += 1
        if not self.config.tolerance_all:
            raise ConnectException("Tolerance exceeded in error handler") from context.error
        self.skipped += 1
        self._log(context)
        if self.dlq is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return asyncio.ensure_future(self.dlq.report(context))


class Skipped(Exception):
    """A record's failure was tolerated: it goes no further."""

    def __init__(self, context: ProcessingContext) -> None:
        super().__init__(context.stage)
        self.context = context


class ErrantRecordReporter:
    """What a sink task finds in `context.errant_record_reporter` (KIP-610): `report(record,
    error)` sends a record its `put` cannot write through the worker's error handling, as
    the TASK_PUT stage — to the DLQ as it was consumed, or failing the task under
    errors.tolerance=none. The worker commits the record's offset only after the DLQ has it."""

    executing_class = "org.apache.kafka.connect.sink.SinkTask"

    def __init__(self, operator: RetryWithToleranceOperator) -> None:
        self.operator = operator
        self._batch: list[Any] = []  # the batch in put, and each record as consumed
        self._consumed: list[ConsumerRecord] = []
        self._originals: dict[int, ConsumerRecord] | None = None  # id(SinkRecord) → consumed, when asked
        self.reported: list[asyncio.Future[None]] = []

    def delivering(self, batch: list[Any], consumed: list[ConsumerRecord]) -> None:
        """The batch `put` is about to get, each record as it was consumed (the DLQ
        writes that); matched to reported records only if one is reported."""
        self._batch, self._consumed, self._originals = batch, consumed, None

    def original(self, record: Any) -> ConsumerRecord | None:
        if self._originals is None:
            self._originals = {id(r): c for r, c in zip(self._batch, self._consumed, strict=True)}
        return self._originals.get(id(record))

    def report(self, record: Any, error: BaseException) -> asyncio.Future[None]:
        original = self.original(record)
        context = ProcessingContext(
            Stage.TASK_PUT, self.executing_class, consumer_record=original, error=error
        )
        future = self.operator.execute_failed(context)
        self.reported.append(future)
        return future
