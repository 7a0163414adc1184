"""Exactly-once source support (KIP-618): with the worker's
`exactly.once.source.support=enabled`, each source task owns a transactional producer,
`transactional.id = <group.id>-<connector>-<task>` (Kafka's
`DistributedConfig.transactionalProducerId` naming), and writes its records and their
source offsets (to connect-offsets, or the connector's own `offsets.storage.topic`) in
one transaction. A consumer with `isolation.level=read_committed` then sees each record
once: a task killed mid-transaction leaves it open, and its successor's InitProducerId
aborts it before the successor reads the committed offsets and polls again.

Before a new generation of task configs runs, the leader fences the previous one
(`fence_zombies`: InitProducerId for each of the previous generation's transactional
ids, then a `tasks-fencing-<connector>` record with the new task count); a task whose
connector still waits for that round does not start (Kafka's `pendingFencing`).

Transactions end where `transaction.boundary` says: after every poll (`poll`, the
default), every `transaction.boundary.interval.ms` (`interval`, the worker's
`offset.flush.interval.ms` unless set), or when the task asks (`connector`, through
its TransactionContext; only for a connector whose `can_define_transaction_boundaries`
says SUPPORTED)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kafkatui.backends.base import BatchRecord
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.connect.api import (
    SUPPORTED,
    UNSUPPORTED,
    ConnectException,
    SourceConnector,
    SourceRecord,
    SourceTaskContext,
    TransactionContext,
)
from kafkatui.ecosystem.connect.config import ConfigDef, ConfigType, ConfigValue, Importance, at_least, one_of
from kafkatui.ecosystem.connect.storage import dumps
from kafkatui.ecosystem.connect.tasks import WorkerSourceTask, call

log = logging.getLogger("kafkatui.ecosystem.connect")

DISABLED, PREPARING, ENABLED = "disabled", "preparing", "enabled"  # exactly.once.source.support
REQUESTED, REQUIRED = "requested", "required"  # exactly.once.support
POLL, INTERVAL, CONNECTOR = "poll", "interval", "connector"  # transaction.boundary
GROUP = "Exactly Once Support"
OFFSETS_GROUP = "offsets.topic"

EXACTLY_ONCE_SUPPORT = "exactly.once.support"
TRANSACTION_BOUNDARY = "transaction.boundary"
TRANSACTION_BOUNDARY_INTERVAL = "transaction.boundary.interval.ms"
OFFSETS_STORAGE_TOPIC = "offsets.storage.topic"

NO_PREFLIGHT_API = (
    "The connector does not implement the API required for preflight validation of exactly-once "
    "source support. Please consult the documentation for the connector to determine whether it "
    'supports exactly-once semantics, and then consider reconfiguring the connector to use the value "'
    + REQUESTED
    + '" for this property (which will disable this preflight check and allow the connector to be created).'
)
NOT_SUPPORTED = "The connector does not support exactly-once semantics with the provided configuration."
WORKER_NOT_ENABLED = "This worker does not have exactly-once source support enabled."
NO_CONNECTOR_BOUNDARIES = (
    "The connector does not support connector-defined transaction boundaries with the given "
    "configuration. Please reconfigure it to use a different transaction boundary definition."
)


def transactional_id(group_id: str, connector: str, task: int) -> str:
    """DistributedConfig.transactionalProducerId / ConnectorTaskId: `<group>-<c>-<n>`."""
    return f"{group_id}-{connector}-{task}"


def leader_transactional_id(group_id: str) -> str:
    """DistributedConfig.transactionalProducerId: the leader's id for its writes to the
    config topic, `connect-cluster-<group.id>`."""
    return f"connect-cluster-{group_id}"


def source_config_def() -> ConfigDef:
    """SourceConnectorConfig's exactly-once and offsets-topic keys (KIP-618)."""
    return (
        ConfigDef()
        .define(EXACTLY_ONCE_SUPPORT, ConfigType.STRING, REQUESTED, Importance.MEDIUM,
                'Permitted values are requested, required. If set to "required", forces a preflight check '
                "for the connector to ensure that it can provide exactly-once semantics with the given "
                "configuration; if the worker does not have exactly-once source support enabled, requests "
                "to create or validate the connector will fail.",
                validators=[one_of(REQUESTED, REQUIRED)], group=GROUP, display_name="Exactly once support")
        .define(TRANSACTION_BOUNDARY, ConfigType.STRING, POLL, Importance.MEDIUM,
                "Permitted values are: poll, interval, connector. If set to 'poll', a new producer "
                "transaction will be started and committed for every batch of records that each task from "
                "this connector provides to Connect. If set to 'connector', relies on connector-defined "
                "transaction boundaries; note that not all connectors are capable of defining their own "
                "transaction boundaries, and in that case, attempts to instantiate a connector with this "
                "value will fail. Finally, if set to 'interval', commits transactions only after a "
                "user-defined time interval has passed.",
                validators=[one_of(POLL, INTERVAL, CONNECTOR)], group=GROUP,
                display_name="Transaction Boundary")
        .define(TRANSACTION_BOUNDARY_INTERVAL, ConfigType.LONG, None, Importance.LOW,
                "If 'transaction.boundary' is set to 'interval', determines the interval for producer "
                "transaction commits by connector tasks. If unset, defaults to the value of the "
                "worker-level 'offset.flush.interval.ms' property. It has no effect if a different "
                "transaction.boundary is specified.",
                validators=[at_least(0)], group=GROUP, display_name="Transaction boundary interval")
        .define(OFFSETS_STORAGE_TOPIC, ConfigType.STRING, None, Importance.LOW,
                "The name of a separate offsets topic to use for this connector. If empty or not "
                "specified, the worker's global offsets topic name will be used. If specified, the offsets "
                "topic will be created if it does not already exist.",
                group=OFFSETS_GROUP, display_name="Offsets topic")
    )  # fmt: skip


def check(
    connector: SourceConnector, props: Mapping[str, Any], values: dict[str, ConfigValue], enabled: bool
) -> None:
    """DistributedHerder.validateSourceConnectorConfig: `exactly.once.support=required`
    needs the worker's support and the connector's SUPPORTED; `transaction.boundary=
    connector` needs the connector's can_define_transaction_boundaries."""
    raw = {k: str(v) for k, v in props.items() if v is not None}
    support = values.get(EXACTLY_ONCE_SUPPORT)
    if support is not None and not support.errors and str(support.value).lower() == REQUIRED:
        found: list[str] = []
        if not enabled:
            found.append(WORKER_NOT_ENABLED)
        try:
            answer = connector.exactly_once_support(raw)
            if answer is None:
                found.append(NO_PREFLIGHT_API)
            elif answer == UNSUPPORTED:
                found.append(NOT_SUPPORTED)
            elif answer != SUPPORTED:
                found.append(f"Unexpected value returned from SourceConnector::exactlyOnceSupport: {answer}")
        except Exception as error:
            found.append(_unexpected(error))
        values[EXACTLY_ONCE_SUPPORT] = ConfigValue(support.name, support.value, (*support.errors, *found))
    boundary = values.get(TRANSACTION_BOUNDARY)
    if boundary is not None and not boundary.errors and str(boundary.value).lower() == CONNECTOR:
        try:
            answer = connector.can_define_transaction_boundaries(raw)
            problem = None if answer == SUPPORTED else NO_CONNECTOR_BOUNDARIES
        except Exception as error:
            problem = _unexpected(error)
        if problem is not None:
            values[TRANSACTION_BOUNDARY] = ConfigValue(
                boundary.name, boundary.value, (*boundary.errors, problem)
            )


def _unexpected(error: Exception) -> str:
    message = str(error).strip()
    if message:
        return f"An unexpected error occurred during validation: {message}"
    return "An unexpected error occurred during validation; please see the worker logs for more details."


class ExactlyOnceWorkerSourceTask(WorkerSourceTask):
    """Kafka's ExactlyOnceWorkerSourceTask: records and offsets in one transaction."""

    def _producer_config(self) -> ProducerConfig:
        txn_id = transactional_id(self.worker.config.group_id, self.connector, self.number)
        return ProducerConfig(acks="all", linger_ms=5, transactional_id=txn_id)

    async def _begin(self) -> None:
        # InitProducerId first: it aborts a transaction a killed predecessor left open,
        # so the offsets read next are the last committed ones (Kafka's order too).
        await self.producer.init_transactions()
        connector = self.worker.configs.state.connectors.get(self.connector, self.props)
        self.boundary = (connector.get(TRANSACTION_BOUNDARY) or POLL).lower()
        interval = connector.get(TRANSACTION_BOUNDARY_INTERVAL)
        self.interval_s = int(interval) / 1000 if interval else self.worker.flush_interval_s
        self.transactions = TransactionContext() if self.boundary == CONNECTOR else None
        self.open = False
        self.opened_at = 0.0
        self.abort_now = False
        self.committed_transactions = 0
        self.aborted_transactions = 0
        self.offset_store = await self.worker.connector_offsets(self.connector)

    def _context(self) -> SourceTaskContext:
        context = super()._context()
        context.transaction_context = self.transactions
        return context

    def _ensure_transaction(self) -> None:
        if not self.open:
            self.producer.begin_transaction()
            self.open = True
            self.opened_at = self._now_s()

    async def _send_run(self, topic: str, run: list[BatchRecord]) -> None:
        self._ensure_transaction()
        await super()._send_run(topic, run)

    async def _send_records(self, records: Sequence[SourceRecord]) -> None:
        """With connector-defined boundaries, a transaction may end right after a record
        the task named (TransactionContext.commit_transaction(record)): the records up
        to it are sent, then it is committed or aborted, then the rest go on."""
        t = self.transactions
        if t is None or not (t.commit_after or t.abort_after):
            await super()._send_records(records)
            return
        start = 0
        for end, record in enumerate(records, 1):
            if id(record) in t.commit_after or id(record) in t.abort_after:
                await super()._send_records(records[start:end])
                start = end
                await self._end_after(record)
        if start < len(records):
            await super()._send_records(records[start:])

    def _commit_due(self, polled: bool, last_commit: float) -> bool:
        if self.boundary == POLL:
            return self.open or bool(self._pending)
        if self.boundary == INTERVAL:
            # On the cluster's clock, as offset.flush.interval.ms is (a ManualClock steps it).
            return self.open and self._now_s() - self.opened_at >= self.interval_s
        t = self.transactions
        assert t is not None
        if t.abort_requested or t.commit_requested:
            self.abort_now = t.abort_requested
            t.abort_requested = t.commit_requested = False
            return True
        return False

    async def _end_after(self, record: SourceRecord) -> None:
        t = self.transactions
        assert t is not None
        if id(record) in t.abort_after:
            t.abort_after.discard(id(record))
            self.abort_now = True
            await self.commit()
        elif id(record) in t.commit_after:
            t.commit_after.discard(id(record))
            await self.commit()

    async def commit(self) -> None:
        """Commit the open transaction with the offsets of what it holds (or abort it, when
        the connector asked): the offsets are records of the same transaction."""
        if self.abort_now:
            self.abort_now = False
            await self._abort()
            return
        if not self.open and not self._pending:
            return
        self._ensure_transaction()
        await self._acknowledged(0)
        self._raise_send_error()
        offsets = self._take_pending()
        store = self.offset_store
        for partition, offset in offsets.values():
            await self.producer.send(store.log.topic, dumps(offset), key=store.key(self.connector, partition))
        await self.producer.commit_transaction()  # flushes first: every send is in it
        self.open = False
        await self._acknowledged(len(self._in_flight))
        self._raise_send_error()
        self.committed_transactions += 1
        store.remember(self.connector, offsets)
        await call(self.task.commit)

    def _raise_send_error(self) -> None:
        if self._send_error is not None:
            raise ConnectException(
                "Unrecoverable exception from producer send callback"
            ) from self._send_error

    async def _abort(self) -> None:
        """The connector asked: its records so far are dropped, with their offsets. They
        are flushed first, so their sends succeed (into the aborted transaction) and
        only a real send failure fails the task."""
        self._pending = {}
        if self.open:
            await self.producer.flush()
            await self._acknowledged(len(self._in_flight))
            self._raise_send_error()
            self.open = False
            await self.producer.abort_transaction()
            self.aborted_transactions += 1

    async def _release(self) -> None:
        # A task that failed (or was cancelled) aborts what it had not committed: a
        # read_committed consumer never sees it.
        producer = getattr(self, "producer", None)
        if producer is not None and getattr(self, "open", False):
            self.open = False
            try:
                await producer.abort_transaction()
                self.aborted_transactions += 1
            except Exception as error:  # fenced, or the cluster is gone: it stays open until then
                log.debug("task %s could not abort its transaction: %s", self.id, error)
        with contextlib.suppress(Exception):
            await super()._release()
