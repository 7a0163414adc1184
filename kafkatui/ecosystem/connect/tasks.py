"""How the worker runs one task (Kafka's WorkerSourceTask and WorkerSinkTask): the
task's own loop in an asyncio task, its converters, its producer or consumer, and its
offsets, and each record's pipeline: a source's records go through the transformation
chain, then the converters, then the producer; a sink's through the converters, then the
chain, then `put`. Each stage runs under the RetryWithToleranceOperator (errors.py): a
failure is retried, then fails the task or, with `errors.tolerance=all`, skips the record
(to the dead letter queue of a sink). A task that raises goes FAILED with the traceback as
its status trace; the exception stops there, never in the worker.

Offsets are committed every `offset.flush.interval.ms` and when the task stops:
- a source task: the producer is flushed first (every record sent is acknowledged),
  then the last offset polled per source partition goes to connect-offsets, then the
  task's `commit()` — so a restarted task resumes at most at what Kafka holds;
- a sink task: `flush(offsets)` first, then the consumer commits the same offsets for
  group `connect-<name>` — a record is committed only once the sink made it durable."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kafkatui.backends.base import BatchRecord, SentBatch
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, TopicPartition
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.connect.api import (
    ConnectException,
    SinkRecord,
    SinkTask,
    SinkTaskContext,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
    Task,
)
from kafkatui.ecosystem.connect.converters import Converter, canonical
from kafkatui.ecosystem.connect.errors import (
    DeadLetterQueueReporter,
    ErrantRecordReporter,
    ErrorConfig,
    ProcessingContext,
    RetriableException,
    RetryWithToleranceOperator,
    Skipped,
    Stage,
)
from kafkatui.ecosystem.connect.overrides import with_consumer_overrides
from kafkatui.ecosystem.connect.transforms import chain as transform_chain
from kafkatui.ecosystem.connect.transforms.base import ConnectRecord

log = logging.getLogger("kafkatui.ecosystem.connect")

SINK_POLL_MS = 500
IN_FLIGHT_SENDS = 2  # a source task's sends (a poll's run of records) not yet acknowledged


async def call(method: Callable[..., Any], *args: Any) -> Any:
    """A plugin method, plain or coroutine."""
    result = method(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class WorkerTask:
    kind = ""  # "source" or "sink"

    def __init__(
        self,
        worker: Any,  # the Worker (worker.py imports this module: no cycle)
        connector: str,
        number: int,
        task: Task,
        props: dict[str, str],
        key_converter: Converter,
        value_converter: Converter,
        tolerate_errors: bool,
    ) -> None:
        self.worker = worker
        self.connector = connector
        self.number = number
        self.task = task
        self.props = props
        self.key_converter = key_converter
        self.value_converter = value_converter
        # errors.tolerance=all as the worker read it; _prepare reads it again with the rest
        # of the error handling (ErrorConfig), from the same connector config.
        self.tolerate_errors = tolerate_errors
        self.paused = False
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stopping = False
        self._poll: asyncio.Future[Any] | None = None  # a sink's consumer poll in progress
        self._runner: asyncio.Task[None] | None = None
        self.records = 0  # records polled or put, for the status and the benchmark
        self.skipped = 0  # failed, tolerated (errors.tolerance=all), dropped
        self.filtered = 0  # dropped by a transform (Filter)
        self.chain: list[transform_chain.TransformationStage] = []
        self.dlq: DeadLetterQueueReporter | None = None

    @property
    def id(self) -> str:
        return f"{self.connector}-{self.number}"

    def start(self, paused: bool) -> None:
        self.set_paused(paused)
        self._runner = asyncio.create_task(self._run(), name=f"connect-task-{self.id}")

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self._resumed.clear()
        else:
            self._resumed.set()

    async def _status(self, state: str, trace: str | None = None) -> None:
        await self.worker.put_task_status(self.connector, self.number, state, trace)

    async def _run(self) -> None:
        try:
            await self._execute()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("task %s failed: %s", self.id, error)
            await self._status("FAILED", traceback.format_exc())
            try:
                await call(self.task.stop)
            except Exception:
                log.exception("stopping failed task %s", self.id)
            await self._release()

    async def _execute(self) -> None:
        raise NotImplementedError

    async def _prepare(self) -> None:
        """The connector's transformation chain and error handling (a config that cannot
        make them fails the task, as Kafka's Worker.buildWorkerTask does)."""
        connector = self.worker.configs.state.connectors.get(self.connector, self.props)
        errors = ErrorConfig.of(self.kind, connector)
        self.chain = transform_chain.build(self.worker.plugins, connector)
        if self.kind == "sink" and errors.dlq_topic:
            self.dlq = await DeadLetterQueueReporter.create(
                self.worker.backend, errors, self.connector, self.number
            )
        self.operator = RetryWithToleranceOperator(errors, self.id, self.dlq)
        default = self.worker.config
        self.key_converter_class = canonical(connector.get("key.converter") or default.key_converter) or ""
        self.value_converter_class = (
            canonical(connector.get("value.converter") or default.value_converter) or ""
        )

    async def _transform(
        self, context: ProcessingContext, record: ConnectRecord, start: int, failed: Exception | None
    ) -> ConnectRecord | None:
        """The chain from transform `start` on, each a TRANSFORMATION stage under the
        operator (`failed`: what `start`'s first attempt raised); None if one dropped it."""
        context.stage = Stage.TRANSFORMATION
        for stage in self.chain[start:]:
            context.executing_class = stage.class_name
            applied: ConnectRecord | None = await self.operator.execute(
                context,
                lambda: stage.apply(record),  # noqa: B023 (awaited at once)
                failed,
            )
            failed = None
            if applied is None:
                self.filtered += 1
                return None
            record = applied
        return record

    async def _release(self) -> None:
        """Close the task's producer or consumer."""

    async def _close_pipeline(self) -> None:
        for stage in self.chain:
            try:
                stage.close()
            except Exception:
                log.exception("closing transformation %s of task %s", stage.alias, self.id)
        self.chain = []
        if self.dlq is not None:
            dlq, self.dlq = self.dlq, None
            await dlq.close()

    async def stop(self, timeout_s: float) -> None:
        """Stop the loop (it commits what it can), waiting task.shutdown.graceful.timeout.ms,
        then cancel it."""
        self._stopping = True
        self._resumed.set()
        if self._poll is not None:  # WorkerSinkTask.stop's consumer.wakeup()
            self._poll.cancel()
        if self._runner is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._runner), timeout_s)
        except TimeoutError:
            log.warning("task %s did not stop within %.1f s; cancelled", self.id, timeout_s)
            self._runner.cancel()
        except Exception:  # a task's failure is its status, not the caller's
            pass
        if not self._runner.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
            await self._release()

    def _now_s(self) -> float:
        """The cluster's time: offset.flush.interval.ms is measured on it, as the group's
        session is, so on a ManualClock offsets are committed as cluster time passes."""
        return self.worker.now_ms() / 1000

    def _due(self, last: float) -> bool:
        return self._now_s() - last >= self.worker.flush_interval_s

    async def _wait_if_paused(self, on_pause: Callable[[], Any]) -> None:
        if self.paused and not self._stopping:
            await on_pause()
            await self._status("PAUSED")
            await self._resumed.wait()
            if not self._stopping:
                await self._status("RUNNING")


class WorkerSourceTask(WorkerTask):
    task: SourceTask
    kind = "source"

    def _producer_config(self) -> ProducerConfig:
        return ProducerConfig(acks="all", linger_ms=5)

    async def _begin(self) -> None:
        """Before the task reads its offsets (the exactly-once task's InitProducerId)."""

    def _context(self) -> SourceTaskContext:
        return SourceTaskContext(self.connector, self.number, self.worker.offset_reader(self.connector))

    def _commit_due(self, polled: bool, last_commit: float) -> bool:
        """Whether to commit after a poll: every offset.flush.interval.ms (at least
        once); the exactly-once task commits at its transaction boundaries instead."""
        return self._due(last_commit)

    async def _execute(self) -> None:
        self.producer = self.worker.backend.producer(self._producer_config())
        self._send_error: BaseException | None = None
        self._pending: dict[str, tuple[Any, Any]] = {}
        self._last_partition: Any = None
        self._last_copy: dict[str, Any] = {}
        self._last_key = ""
        self._topics: set[str] = set()
        self._in_flight: collections.deque[SentBatch] = collections.deque()
        await self._prepare()
        await self._begin()
        self.task.initialize(self._context())
        await self.worker.read_offsets(self.connector)
        await call(self.task.start, self.props)
        await self._status("RUNNING")
        last_commit = self._now_s()
        while not self._stopping:
            await self._wait_if_paused(self.commit)
            if self._stopping:
                break
            records = await call(self.task.poll)
            if records:
                await self._send_records(records)
            elif self._in_flight:
                # The source is idle: send what lingers now. linger.ms runs on the
                # cluster's clock, which on a ManualClock only moves when told, so its
                # records would otherwise wait for the next offset flush
                # (offset.flush.interval.ms, a minute by default).
                await self.producer.flush()
                await self._acknowledged(len(self._in_flight))
            # Sends queue without blocking, so a source that always has data would never
            # give the event loop back and starve the producer's sender: wait for the
            # polls before the last few to be acknowledged (Java's threads need not).
            await self._acknowledged(len(self._in_flight) - IN_FLIGHT_SENDS)
            await asyncio.sleep(0)
            if self._send_error is not None:
                raise ConnectException(
                    "Unrecoverable exception from producer send callback"
                ) from self._send_error
            if self._commit_due(bool(records), last_commit):
                await self.commit()
                last_commit = self._now_s()
        await self.commit()
        await call(self.task.stop)
        await self._release()

    async def _send_records(self, records: Sequence[SourceRecord]) -> None:
        """Transform and convert a poll's records, then send each run of them to one
        topic with one `send_batch` (one await and one future for the run, not one per
        record: that was a third of a source's cost in bench/connect.py). A record
        dropped or skipped has its offset committed all the same (Kafka's
        recordDropped); offsets are committed only after the producer is flushed."""
        topic: str | None = None
        run: list[BatchRecord] = []
        for polled in records:
            prepared = self._convert(polled)
            if prepared is not None and prepared.__class__ is not tuple:
                prepared = await prepared  # type: ignore[misc]
            if prepared is not None:
                record, key, value = prepared  # type: ignore[misc]
                if record.topic != topic:
                    if run:
                        await self._send_run(topic, run)  # type: ignore[arg-type]
                        run = []
                    topic = record.topic
                    if topic not in self._topics:
                        await self._first_send_to(topic)  # type: ignore[arg-type]
                run.append((record.partition, key, value, record.headers, record.timestamp))
            self._offset_of(polled)
        if run:
            await self._send_run(topic, run)  # type: ignore[arg-type]

    async def _send_run(self, topic: str, run: list[BatchRecord]) -> None:
        self._in_flight.append(await self.producer.send_batch(topic, run))
        self.records += len(run)

    async def _first_send_to(self, topic: str) -> None:
        await self.worker.backend.auto_create_topic(topic)
        self._topics.add(topic)
        await self.worker.status.put_topic(self.connector, topic, self.number, self.worker.now_ms())

    def _convert(self, polled: SourceRecord) -> tuple[Any, Any, Any] | Awaitable[Any] | None:
        """One polled record through the chain and the converters, plainly: (record, key
        bytes, value bytes), None if a transform dropped it; if a stage raises, the
        recovery (an awaitable) of it and the rest under the operator."""
        record: Any = polled
        step, key = 0, None  # step: transforms applied, then each converter
        try:
            for stage in self.chain:
                record = stage.apply(record)
                if record is None:
                    self.filtered += 1
                    return None
                step += 1
            key = self.key_converter.from_connect(record.topic, record.key_schema, record.key)
            step += 1
            value = self.value_converter.from_connect(record.topic, record.value_schema, record.value)
        except Exception as error:
            return self._recovered(polled, record, step, key, error)
        return record, key, value

    async def _recovered(
        self, polled: SourceRecord, record: Any, step: int, key: Any, error: Exception
    ) -> tuple[Any, Any, Any] | None:
        try:
            record, key, value = await self._recover_source(polled, record, step, key, error)
        except Skipped:
            self.skipped += 1
            return None
        return None if record is None else (record, key, value)

    async def _recover_source(
        self, polled: SourceRecord, record: Any, step: int, key: Any, failed: Exception
    ) -> tuple[Any, Any, Any]:
        """The stages from the one that raised `failed` on, under the operator."""
        context = ProcessingContext(Stage.TRANSFORMATION, "", source_record=polled)
        operator, converting = self.operator, step - len(self.chain)
        if converting < 0:
            record = await self._transform(context, record, step, failed)
            if record is None:
                return None, None, None
            failed_now: Exception | None = None
        else:
            failed_now = failed
        if converting <= 0:
            context.stage, context.executing_class = Stage.KEY_CONVERTER, self.key_converter_class
            key = await operator.execute(
                context,
                lambda: self.key_converter.from_connect(record.topic, record.key_schema, record.key),
                failed_now,
            )
            failed_now = None
        context.stage, context.executing_class = Stage.VALUE_CONVERTER, self.value_converter_class
        value = await operator.execute(
            context,
            lambda: self.value_converter.from_connect(record.topic, record.value_schema, record.value),
            failed_now,
        )
        return record, key, value

    def _offset_of(self, record: SourceRecord) -> None:
        partition, offset = record.source_partition, record.source_offset
        if partition is None or offset is None:
            return
        if partition is not self._last_partition or partition != self._last_copy:  # a poll often shares one
            self._last_partition, self._last_copy = partition, dict(partition)
            self._last_key = json.dumps(self._last_copy, sort_keys=True)
        self._pending[self._last_key] = (partition, offset)

    def _take_pending(self) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """The offsets to commit (copied now: a task may reuse its mappings), cleared."""
        pending, self._pending = self._pending, {}
        return {key: (dict(partition), dict(offset)) for key, (partition, offset) in pending.items()}

    async def _acknowledged(self, waiting: int) -> None:
        """Take the acknowledged sends off `_in_flight`, oldest first: the first `waiting`
        are waited for, then those already done. A failed record fails the task (at its
        next check of `_send_error`) or, with errors.tolerance=all, is logged and skipped
        (AbstractWorkerSourceTask, stage KAFKA_PRODUCE); its offset is committed all the
        same."""
        in_flight = self._in_flight
        while in_flight and (waiting > 0 or in_flight[0].done()):
            waiting -= 1
            for outcome in await in_flight.popleft():
                if isinstance(outcome, BaseException):
                    self._send_failed(outcome)

    def _send_failed(self, error: BaseException) -> None:
        if self.operator.config.tolerance_all:
            self.skipped += 1
            log.error("task %s: ignoring failed record send: %s", self.id, error)
        elif self._send_error is None:
            self._send_error = error

    async def commit(self) -> None:
        """Flush the producer, then commit the offsets of everything it acknowledged."""
        await self.producer.flush()
        await self._acknowledged(len(self._in_flight))
        if self._send_error is not None:
            raise ConnectException(
                "Unrecoverable exception from producer send callback"
            ) from self._send_error
        if self._pending:
            offsets = self._take_pending()
            await self.worker.offsets.put(self.connector, offsets)
        await call(self.task.commit)

    async def _release(self) -> None:
        await self._close_pipeline()
        producer = getattr(self, "producer", None)
        if producer is not None:
            self.producer = None
            try:
                await producer.close()
            except Exception as error:
                log.debug("closing task %s's producer: %s", self.id, error)


class WorkerSinkTask(WorkerTask):
    task: SinkTask
    kind = "sink"

    async def _execute(self) -> None:
        topics = [t for t in self.props.get("topics", "").split(",") if t.strip()]
        group = f"connect-{self.connector}"  # SinkUtils.consumerGroupId
        defaults = ConsumerConfig(
            group_id=group,
            client_id=f"connector-consumer-{self.id}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=SINK_POLL_MS,
        )
        connector = self.worker.configs.state.connectors.get(self.connector, self.props)
        self.consumer = self.worker.backend.consumer(with_consumer_overrides(defaults, connector))
        await self._prepare()
        self.errant = ErrantRecordReporter(self.operator)
        self.task.initialize(SinkTaskContext(self.connector, self.number, self.errant))
        await call(self.task.start, self.props)
        for topic in topics:
            await self.worker.backend.auto_create_topic(topic)
        self.consumer.subscribe(topics)
        self._current: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        await self._status("RUNNING")
        last_commit = self._now_s()
        while not self._stopping:
            await self._wait_if_paused(self.commit)
            if self._stopping:
                break
            records = await self._poll_unless_stopped()
            if self.paused or self._stopping:
                self._rewind(records)  # not delivered: read again after resume or restart
                continue
            if records:
                await self._deliver(records)
            if self._due(last_commit):
                await self.commit()
                last_commit = self._now_s()
        await self.commit()
        await call(self.task.stop)
        await self._release()

    async def _poll_unless_stopped(self) -> list[Any]:
        """One consumer poll, given up when the task stops (Kafka's consumer.wakeup()):
        the poll waits on the cluster's clock, which on a ManualClock only moves when
        told, so a stop waiting for the poll to end would wait out
        task.shutdown.graceful.timeout.ms instead."""
        self._poll = asyncio.ensure_future(self.consumer.poll(SINK_POLL_MS))
        try:
            return await self._poll  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not self._stopping or (task is not None and task.cancelling()):
                raise
            return []
        finally:
            self._poll = None

    def _rewind(self, records: list[Any]) -> None:
        first: dict[tuple[str, int], int] = {}
        for r in records:
            first.setdefault((r.topic, r.partition), r.offset)
        for (topic, partition), offset in first.items():
            self.consumer.seek(TopicPartition(topic, partition), offset)

    async def _recover_sink(
        self, r: Any, key: Any, record: Any, step: int, failed: Exception
    ) -> SinkRecord | None:
        """The stages of consumed record `r` from the one that raised `failed` on (step 0
        the key converter, 1 the value converter, then the transforms), under the
        operator; None if it was dropped, or skipped (then it is in the dead letter queue)."""
        context = ProcessingContext(Stage.KEY_CONVERTER, self.key_converter_class, consumer_record=r)
        operator = self.operator
        failed_now: Exception | None = failed
        try:
            if step == 0:
                key = await operator.execute(
                    context, lambda: self.key_converter.to_connect(r.topic, r.key), failed
                )
                failed_now = None
            if step <= 1:
                context.stage, context.executing_class = Stage.VALUE_CONVERTER, self.value_converter_class
                value_schema, value = await operator.execute(
                    context, lambda: self.value_converter.to_connect(r.topic, r.value), failed_now
                )
                failed_now = None
                record = SinkRecord(
                    r.topic,
                    r.partition,
                    r.offset,
                    key[1],
                    key[0],
                    value,
                    value_schema,
                    r.timestamp,
                    r.headers,
                )
            transformed = await self._transform(context, record, max(step - 2, 0), failed_now)
        except Skipped:
            self.skipped += 1
            return None
        return transformed  # type: ignore[return-value]

    def _convert_and_transform(self, r: Any) -> SinkRecord | Awaitable[SinkRecord | None] | None:
        """One consumed record through the converters and the chain, plainly; if a stage
        raises, the recovery (an awaitable) of the rest under the operator."""
        step, key, record = 0, None, None
        try:
            key = self.key_converter.to_connect(r.topic, r.key)
            step = 1
            value_schema, value = self.value_converter.to_connect(r.topic, r.value)
            record = SinkRecord(
                r.topic, r.partition, r.offset, key[1], key[0], value, value_schema, r.timestamp, r.headers
            )
            step = 2
            for stage in self.chain:
                record = stage.apply(record)
                if record is None:
                    self.filtered += 1
                    return None
                step += 1
            return record
        except Exception as error:
            return self._recover_sink(r, key, record, step, error)

    async def _deliver(self, records: list[Any]) -> None:
        batch: list[SinkRecord] = []
        consumed: list[Any] = []  # batch[i] was consumed as consumed[i] (the errant reporter's)
        convert = self._convert_and_transform
        for r in records:
            record = convert(r)
            if record is not None and record.__class__ is not SinkRecord and inspect.isawaitable(record):
                record = await record
            if record is not None:
                batch.append(record)
                consumed.append(r)
        if batch:
            self.errant.delivering(batch, consumed)
            try:
                await self._put(batch)
            finally:
                self.errant.delivering([], [])
        current = self._current
        for r in records:
            current[(r.topic, r.partition)] = r.offset + 1
        self.records += len(batch)

    async def _put(self, batch: list[SinkRecord]) -> None:
        """SinkTask.put; a RetriableException redelivers the same batch after a backoff
        until it is taken (Kafka's WorkerSinkTask pauses for redelivery: no timeout),
        anything else fails the task."""
        attempt = 0
        while True:
            try:
                await call(self.task.put, batch)
                return
            except RetriableException as error:
                if self._stopping:
                    raise
                attempt += 1
                delay_ms = min(300 * 2 ** min(attempt - 1, 10), self.operator.config.retry_delay_max_ms)
                log.warning(
                    "task %s: RetriableException from put, retrying in %d ms: %s", self.id, delay_ms, error
                )
                await asyncio.sleep(delay_ms / 1000)

    async def commit(self) -> None:
        """Flush the sink, then commit the consumer offsets it flushed."""
        if self._current == self._committed:
            return
        offsets = dict(self._current)
        reported, self.errant.reported = self.errant.reported, []
        if self.dlq is not None:
            await self.dlq.flush(reported)
        await call(self.task.flush, offsets)
        assigned = set(self.consumer.assignment())
        owned = {TopicPartition(*tp): o for tp, o in offsets.items() if TopicPartition(*tp) in assigned}
        try:
            await self.consumer.commit(owned)
        except KafkaError as error:  # a rebalance took them: redelivered, at least once
            log.warning("task %s could not commit offsets: %s", self.id, error)
            return
        self._committed = offsets

    async def _release(self) -> None:
        await self._close_pipeline()
        consumer = getattr(self, "consumer", None)
        if consumer is not None:
            self.consumer = None
            try:
                await consumer.close()
            except Exception as error:
                log.debug("closing task %s's consumer: %s", self.id, error)
