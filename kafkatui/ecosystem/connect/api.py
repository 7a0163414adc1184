"""The plugin API a connector is written against: Python counterparts of Kafka's
`org.apache.kafka.connect.connector`, `source` and `sink` packages. A connector splits
its job into task configs (`task_configs(max_tasks)`); the worker runs one task per
config. A source task's `poll` returns records with a source partition and offset (what
the worker commits to `connect-offsets`); a sink task's `put` takes records, and the
worker commits their consumer offsets only after `flush` returned.

Every method may be a coroutine or a plain function (the worker awaits what returns an
awaitable), so a task that reads a file can stay synchronous and one that calls a
network service need not block the event loop. A method that raises fails its task
(or connector): it goes FAILED with the traceback in its status, the worker goes on.

Users add connectors by naming the class in the `kafkatui.connectors` entry-point group
(`plugins.py`), as kafkatui's own built-ins are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kafkatui.ecosystem.connect.config import ConfigDef
from kafkatui.ecosystem.connect.data import Schema

Props = dict[str, str]
SourcePartition = Mapping[str, Any]
SourceOffset = Mapping[str, Any]


class ConnectException(Exception):
    """Kafka's ConnectException: a connector or task cannot go on."""


# A frozen dataclass's generated __init__ sets each field through object.__setattr__,
# about 1.1 µs for these ten: a record is made per line read or consumed, so both set
# their fields in one call instead (the same fields, defaults, eq, repr and replace;
# still frozen), 0.5 µs, measured in bench/connect.py.
_set = object.__setattr__


@dataclass(frozen=True, init=False)
class SourceRecord:
    """What a source task produces: where it came from (`source_partition`, e.g.
    {"filename": f}), how far that is (`source_offset`, {"position": n}), and the record
    for `topic` with its Connect schemas (the converter turns it into bytes)."""

    source_partition: SourcePartition | None
    source_offset: SourceOffset | None
    topic: str
    value: Any
    value_schema: Schema | None = None
    key: Any = None
    key_schema: Schema | None = None
    partition: int | None = None
    timestamp: int | None = None
    headers: Sequence[tuple[str, bytes | None]] = ()

    def __init__(
        self,
        source_partition: SourcePartition | None,
        source_offset: SourceOffset | None,
        topic: str,
        value: Any,
        value_schema: Schema | None = None,
        key: Any = None,
        key_schema: Schema | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> None:
        _set(self, "__dict__", {
            "source_partition": source_partition, "source_offset": source_offset, "topic": topic,
            "value": value, "value_schema": value_schema, "key": key, "key_schema": key_schema,
            "partition": partition, "timestamp": timestamp, "headers": headers,
        })  # fmt: skip


@dataclass(frozen=True, init=False)
class SinkRecord:
    """What a sink task receives: the record as the converter made it, and where it was
    in Kafka (the worker commits `kafka_offset + 1` once the task has flushed it)."""

    topic: str
    kafka_partition: int
    kafka_offset: int
    key: Any
    key_schema: Schema | None
    value: Any
    value_schema: Schema | None
    timestamp: int
    headers: Sequence[tuple[str, bytes | None]] = ()

    def __init__(
        self,
        topic: str,
        kafka_partition: int,
        kafka_offset: int,
        key: Any,
        key_schema: Schema | None,
        value: Any,
        value_schema: Schema | None,
        timestamp: int,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> None:
        _set(self, "__dict__", {
            "topic": topic, "kafka_partition": kafka_partition, "kafka_offset": kafka_offset,
            "key": key, "key_schema": key_schema, "value": value, "value_schema": value_schema,
            "timestamp": timestamp, "headers": headers,
        })  # fmt: skip


class OffsetStorageReader(Protocol):
    def offset(self, partition: SourcePartition) -> dict[str, Any] | None:
        """The last committed offset of one source partition, or None."""
        ...


@dataclass
class ConnectorContext:
    """What the worker gives a connector (ConnectorContext)."""

    name: str

    def request_task_reconfiguration(self) -> None:
        """Kafka's hook for a connector whose work changed; the next slice acts on it."""


class TransactionContext:
    """KIP-618's TransactionContext, for a task of a connector with
    `transaction.boundary=connector`: the task asks for the open transaction to be
    committed or aborted, after the current batch or right after one of its records."""

    def __init__(self) -> None:
        self.commit_requested = False
        self.abort_requested = False
        self.commit_after: set[int] = set()  # ids of SourceRecords
        self.abort_after: set[int] = set()

    def commit_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self.commit_requested = True
        else:
            self.commit_after.add(id(record))

    def abort_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self.abort_requested = True
        else:
            self.abort_after.add(id(record))


@dataclass
class SourceTaskContext:
    name: str
    task: int
    offset_storage_reader: OffsetStorageReader
    # Set only when the worker has exactly-once source support enabled and the
    # connector's transaction.boundary is "connector" (Kafka's transactionContext()).
    transaction_context: TransactionContext | None = None


@dataclass
class SinkTaskContext:
    name: str
    task: int
    # KIP-610's ErrantRecordReporter: `report(record, error)` hands a record `put` cannot
    # write to the worker's error handling (its DLQ, errors.tolerance); the worker sets it.
    errant_record_reporter: Any = None


class Task:
    """Kafka's Task: `version`, `start(props)`, `stop()`."""

    def version(self) -> str:
        return "unknown"

    def start(self, props: Props) -> Any:
        raise NotImplementedError

    def stop(self) -> Any:
        return None


class SourceTask(Task):
    context: SourceTaskContext

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    def poll(self) -> Any:
        """New records (a list, or None/[] when there are none yet: then wait a little
        in here, as Kafka's tasks do, so the worker does not spin)."""
        raise NotImplementedError

    def commit(self) -> Any:
        """Called after the worker committed the offsets of what was polled."""
        return None


class SinkTask(Task):
    context: SinkTaskContext

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    def put(self, records: list[SinkRecord]) -> Any:
        raise NotImplementedError

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> Any:
        """Make everything `put` so far durable: the worker commits these consumer
        offsets (topic, partition → next offset) only after this returns."""
        return None


class Connector:
    """Kafka's Connector: declares its configs (`config_def`), checks them (`validate`,
    beyond what the ConfigDef checks), and splits the work into task configs."""

    kind = ""  # "source" or "sink" (ConnectorType)

    def version(self) -> str:
        return "unknown"

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        """Problems the ConfigDef cannot see, per config name (Connector.validate)."""
        return {}

    def initialize(self, context: ConnectorContext) -> None:
        self.context = context

    def start(self, props: Props) -> Any:
        raise NotImplementedError

    def task_class(self) -> type[Task]:
        raise NotImplementedError

    def task_configs(self, max_tasks: int) -> list[Props]:
        raise NotImplementedError

    def stop(self) -> Any:
        return None


# KIP-618's ExactlyOnceSupport and ConnectorTransactionBoundaries, by their names.
SUPPORTED = "SUPPORTED"
UNSUPPORTED = "UNSUPPORTED"


class SourceConnector(Connector):
    kind = "source"

    def exactly_once_support(self, props: Mapping[str, str]) -> str | None:
        """SourceConnector.exactlyOnceSupport: SUPPORTED if its tasks, with this config,
        resume exactly at the offsets committed with their records; None (Kafka's
        default) when the connector does not say, which `exactly.once.support=required`
        refuses."""
        return None

    def can_define_transaction_boundaries(self, props: Mapping[str, str]) -> str:
        """SourceConnector.canDefineTransactionBoundaries: SUPPORTED if its tasks use
        the TransactionContext (`transaction.boundary=connector`)."""
        return UNSUPPORTED


class SinkConnector(Connector):
    kind = "sink"
