"""The ksqlDB engine over a Backend (ksqlDB's KsqlEngine, CommandStore and CommandRunner):
every statement that changes the metastore (CREATE, DROP, TERMINATE, CREATE … AS SELECT,
INSERT INTO … SELECT) is checked completely first — parsed, its sources resolved, its
query compiled, its topic created if asked — then written to the command topic
`_confluent-ksql-<service.id>_command_topic` and only then applied. A statement that fails
its check changes nothing. On start the engine reads the command topic from the
beginning and applies each command again, so the streams, tables and persistent
queries come back (each query's Streams application resumes from its committed offsets,
its store restored from its changelog). A query id ends in the offset of its command
in that topic, as ksqlDB's (CSAS_<SINK>_<offset>)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import fastavro

from kafkatui.backends.base import Backend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.ksql import ddl
from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.compiler import Plan
from kafkatui.ecosystem.ksql.entities import Entities
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError, at
from kafkatui.ecosystem.ksql.expressions import ExpressionCompiler, Scope
from kafkatui.ecosystem.ksql.formats import KeySerde, ValueSerde
from kafkatui.ecosystem.ksql.metastore import DataSource, Metastore, PersistentQuery
from kafkatui.ecosystem.ksql.parser import parse_one
from kafkatui.ecosystem.ksql.protobuf import columns_of_protobuf, proto_text
from kafkatui.ecosystem.ksql.pull import pull_query
from kafkatui.ecosystem.ksql.running import (
    PushQuery,
    RunningQuery,
    latest_offsets,
    start_streams,
    transient_id,
)
from kafkatui.ecosystem.ksql.schemas import avro_schema, columns_of, columns_of_avro, schema_text
from kafkatui.ecosystem.ksql.sessions import refuse_old_layout
from kafkatui.ecosystem.ksql.statements import Column
from kafkatui.ecosystem.ksql.types import coerce
from kafkatui.ecosystem.registry.schemas.base import SchemaType
from kafkatui.ecosystem.registry.schemas.protobuf import ProtobufSchema
from kafkatui.ecosystem.registry.schemas.protobuf import parse as parse_protobuf
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError

log = logging.getLogger(__name__)

REGISTRY_FORMATS = ("JSON_SR", "AVRO", "PROTOBUF")
DEFAULT_SERVICE_ID = "default_"  # ksql.service.id's default
QUERY_PROPERTIES = {"auto.offset.reset": "latest"}  # ksqlDB's defaults for a push query


class KsqlEngine:
    def __init__(
        self,
        backend: Backend,
        *,
        service_id: str = DEFAULT_SERVICE_ID,
        state_dir: Path | None = None,
        commit_interval_ms: int = 2_000,
        schema_registry_url: str | None = None,
    ) -> None:
        self.backend, self.service_id = backend, service_id
        self.schema_registry_url = schema_registry_url  # ksql.schema.registry.url
        self._registry: RegistryClient | None = None
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="kafkatui-ksql-"))
        self.commit_interval_ms = commit_interval_ms
        self.metastore = Metastore()
        self.running: dict[str, RunningQuery] = {}
        self.push_queries: dict[str, PushQuery] = {}
        self.command_sequence = -1  # the offset of the last command applied
        self.command_statuses: dict[str, tuple[str, str]] = {}  # command id -> (status, message)
        self.entities = Entities(self.metastore, self.running, backend)
        self._transients = 0
        self._lock = asyncio.Lock()
        self._producer = backend.producer(ProducerConfig(acks="all", linger_ms=0))

    @property
    def command_topic(self) -> str:
        return f"_confluent-ksql-{self.service_id}_command_topic"

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Create the command topic if it is missing (one partition, kept forever, as
        ksqlDB's), then replay it."""
        if self.command_topic not in self.backend.topic_names(include_internal=True):
            await self.backend.create_topic(
                self.command_topic, 1, None, {"retention.ms": "-1", "cleanup.policy": "delete"}
            )
        for offset, statement, properties in await self._read_commands():
            try:
                parsed = parse_one(statement)
                message = await self._apply(parsed, offset, properties)
                self.command_statuses[self._command_id(parsed)] = ("SUCCESS", message or "")
            except (KsqlError, KafkaError) as error:
                log.warning("command %d of %s did not apply again: %s", offset, self.command_topic, error)
                with contextlib.suppress(KsqlError):  # /status/<commandId> says why
                    self.command_statuses[self._command_id(parse_one(statement))] = ("ERROR", str(error))
            self.command_sequence = offset
        await self._restored()

    async def _restored(self, timeout_s: float = 60.0) -> None:
        """Until every replayed persistent query has its tasks (their stores restored
        from the changelogs): ksqlDB's server answers only after its command topic replay,
        and a pull query asked of a query still joining its group would read no store at
        all and answer 0 rows. Streams goes RUNNING only once the assigned tasks are
        created, and a task is created only after its restore. A query that fails (ERROR)
        or takes longer than `timeout_s` is logged and not waited for."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        waiting = dict(self.running)
        while waiting:
            for query_id, running in list(waiting.items()):
                if running.streams.state in ("RUNNING", "ERROR", "NOT_RUNNING") and (
                    running.streams.tasks or running.streams.state != "RUNNING"
                ):
                    waiting.pop(query_id)
            if waiting and loop.time() > deadline:
                log.warning("persistent queries %s still restoring after %.0fs", sorted(waiting), timeout_s)
                return
            if waiting:
                await asyncio.sleep(0.05)

    async def _read_commands(self) -> list[tuple[int, str, dict[str, Any]]]:
        end = (await latest_offsets(self.backend, self.command_topic)).get(0, 0)
        commands: list[tuple[int, str, dict[str, Any]]] = []
        if end == 0:
            return commands
        consumer = self.backend.consumer(
            ConsumerConfig(enable_auto_commit=False, auto_offset_reset="earliest")
        )
        try:
            consumer.assign([(self.command_topic, 0)])
            consumer.seek((self.command_topic, 0), 0)
            while not commands or commands[-1][0] < end - 1:
                batch = await consumer.poll(500)
                for record in batch:
                    value = json.loads(bytes(record.value))
                    commands.append((record.offset, value["statement"], value.get("streamsProperties", {})))
                if not batch and commands and commands[-1][0] >= end - 1:
                    break
        finally:
            await consumer.close()
        return commands

    async def close_pushes(self) -> None:
        """End every push query (its transient topics and group deleted)."""
        for query_id in list(self.push_queries):
            await self.close_push(query_id)

    async def close(self) -> None:
        await self.close_pushes()
        for running in list(self.running.values()):
            with contextlib.suppress(Exception):
                await running.streams.close()
        self.running.clear()
        await self._producer.close()
        if self._registry is not None:
            await self._registry.close()
            self._registry = None

    # --- statements ---------------------------------------------------------------------
    async def execute(self, statement: st.Statement, properties: dict[str, Any] | None = None) -> dict | None:
        """One statement of a /ksql request: its entity (None for SET, UNSET and INSERT …
        VALUES, which answer nothing); a KsqlError leaves everything as it was."""
        properties = properties or {}
        if isinstance(statement, (st.Select, st.Print)):
            raise KsqlError(
                "The following statement types should be issued to the websocket endpoint '/query':\n"
                "\t* PRINT\n\t* SELECT",
                ErrorCode.QUERY_ENDPOINT,
            )
        if isinstance(statement, (st.SetProperty, st.UnsetProperty)):
            return None
        if isinstance(statement, st.InsertValues):
            await self.insert_values(statement)
            return None
        if isinstance(statement, (st.Show, st.Describe, st.Explain)):
            return self.entities.describe(statement)
        async with self._lock:
            await self._check(statement)
            metadata = await self._producer.send_and_wait(
                self.command_topic,
                json.dumps({"statement": statement.text, "streamsProperties": properties}).encode(),
                key=self._command_id(statement).encode(),
            )
            try:
                result = await self._apply(statement, metadata.offset, properties)
            except (KsqlError, KafkaError) as error:
                self.command_statuses[self._command_id(statement)] = ("ERROR", str(error))
                raise
            self.command_sequence = metadata.offset
            self.command_statuses[self._command_id(statement)] = ("SUCCESS", result or "")
        return self.entities.status(statement, self._command_id(statement), result, metadata.offset)

    def _command_id(self, statement: st.Statement) -> str:
        """ksqlDB's CommandId: type/`entity`/action."""
        if isinstance(statement, (st.CreateSource, st.CreateAsSelect)):
            return f"{statement.kind.lower()}/`{statement.name}`/create"
        if isinstance(statement, st.Drop):
            return f"{statement.kind.lower()}/`{statement.name}`/drop"
        if isinstance(statement, st.Terminate):
            return f"terminate/`{statement.query_id or 'ALL'}`/execute"
        if isinstance(statement, st.InsertInto):
            return f"stream/`{statement.target}`/create"
        return "cluster/`CLUSTER`/execute"

    # --- check: everything that can fail, with no effect but the topic ksqlDB creates too ----
    async def _check(self, statement: st.Statement) -> None:
        meta = self.metastore
        statement = await self._infer(statement)
        if isinstance(statement, st.CreateSource):
            if statement.name in meta.sources and not statement.or_replace and not statement.if_not_exists:
                existing = meta.sources[statement.name]
                raise KsqlError(
                    f"Cannot add {statement.kind.lower()} '{statement.name}': A {existing.kind.lower()} "
                    f"with the same name already exists"
                )
            source = self._declared(statement)
            if source.topic not in self.backend.topic_names(include_internal=True):
                if "PARTITIONS" not in statement.properties:
                    raise KsqlError(
                        f"Topic '{source.topic}' does not exist. If you want to create a new topic for "
                        f"the {statement.kind.lower()} please re-run the statement providing the required "
                        "'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS'). "
                        f"For example: CREATE {statement.kind} {statement.name} (ID INT) WITH "
                        f"(KAFKA_TOPIC='{source.topic}', PARTITIONS=2, REPLICAS=1, FORMAT='JSON');"
                    )
                await self.backend.create_topic(
                    source.topic,
                    source.partitions,
                    int(statement.properties.get("REPLICAS", -1))
                    if "REPLICAS" in statement.properties
                    else None,
                )
        elif isinstance(statement, st.CreateAsSelect):
            if statement.name in meta.sources and not statement.or_replace and not statement.if_not_exists:
                existing = meta.sources[statement.name]
                raise KsqlError(
                    f"Cannot add {statement.kind.lower()} '{statement.name}': A {existing.kind.lower()} "
                    f"with the same name already exists"
                )
            plan, sink = self._persistent_plan(statement)
            if plan.kind != statement.kind:
                raise KsqlError(
                    "Invalid result type. Your SELECT query produces a "
                    f"{plan.kind}. Please use CREATE {plan.kind} AS SELECT statement instead."
                )
            if sink.topic not in self.backend.topic_names(include_internal=True):
                await self.backend.create_topic(sink.topic, sink.partitions, None)
        elif isinstance(statement, st.InsertInto):
            self._insert_plan(statement)
        elif isinstance(statement, st.Drop):
            if statement.name not in meta.sources:
                if statement.if_exists:
                    return
                raise KsqlError(f"Source {statement.name} does not exist.")
            writers = [q.id for q in meta.writers(statement.name)]
            readers = [q.id for q in meta.readers(statement.name)]
            if writers or readers:
                which = "write into" if writers else "read from"
                raise KsqlError(
                    f"Cannot drop {statement.name}.\nThe following queries {which} this source: "
                    f"[{', '.join(writers or readers)}].\nYou need to terminate them before dropping "
                    f"{statement.name}."
                )
        elif (
            isinstance(statement, st.Terminate)
            and statement.query_id is not None
            and statement.query_id not in meta.queries
        ):
            raise KsqlError(f"Unknown queryId: {statement.query_id}")

    # --- JSON_SR: the Schema Registry ----------------------------------------------------
    def _registry_client(self, topic: str, format: str = "JSON_SR") -> RegistryClient:
        if self.schema_registry_url is None:
            raise KsqlError(
                f"Cannot use format {format} for topic '{topic}' without configuring "
                "'ksql.schema.registry.url' (run ksqlDB beside a Schema Registry: `kafkatui serve` runs both)"
            )
        if self._registry is None:
            self._registry = RegistryClient(self.schema_registry_url)
        return self._registry

    async def _infer(self, statement: st.Statement) -> st.Statement:
        """A JSON_SR, AVRO or PROTOBUF source declared without value columns takes them
        from the registry's latest schema of `<topic>-value`."""
        if not isinstance(statement, st.CreateSource):
            return statement
        props = statement.properties
        value_format = str(props.get("VALUE_FORMAT", props.get("FORMAT", "JSON"))).upper()
        if value_format not in REGISTRY_FORMATS or any(not c.key for c in statement.columns):
            return statement
        topic = str(props.get("KAFKA_TOPIC", statement.name))
        subject = f"{topic}-value"
        try:
            latest = await self._registry_client(topic, value_format).latest(subject)
        except RegistryClientError as error:
            raise KsqlError(
                f"Schema for message values on topic '{topic}' does not exist in the Schema Registry. "
                f"Subject: {subject} ({error.message})"
            ) from None
        raw = getattr(latest.schema, "raw", None)
        keys = [c for c in statement.columns if c.key]
        if value_format == "PROTOBUF":
            columns = columns_of_protobuf(latest.schema, keys)
        else:
            columns = columns_of_avro(raw, keys) if value_format == "AVRO" else columns_of(raw, keys)
        return replace(statement, columns=columns)

    async def _register(self, serde: Any, topic: str, columns: list[Column]) -> None:
        """A JSON_SR or AVRO sink's schema registered under `<topic>-value`; its id (and
        for AVRO the parsed schema) on the serde."""
        if not isinstance(serde, ValueSerde) or serde.format not in REGISTRY_FORMATS:
            return
        avro = serde.format == "AVRO"
        if serde.protobuf is not None:
            text, kind = proto_text(columns), SchemaType.PROTOBUF
        else:
            text = json.dumps(avro_schema(columns)) if avro else schema_text(columns)
            kind = SchemaType.AVRO if avro else SchemaType.JSON
        try:
            client = self._registry_client(topic, serde.format)
            serde.schema_id = await client.register(f"{topic}-value", text, kind)
        except RegistryClientError as error:
            raise KsqlError(f"Could not register the value schema of '{topic}': {error.message}") from None
        if avro:
            serde.writer = fastavro.parse_schema(avro_schema(columns))
        if serde.protobuf is not None:
            serde.protobuf.schema_id = serde.schema_id
            serde.protobuf.use_schema(parse_protobuf(text, {}))

    async def _readers(self, plan: Plan) -> None:
        """Each AVRO source's writer schemas (every version of `<topic>-value`, by id),
        which its records name: fetched before the query runs, as its serde cannot wait."""
        for source, serde in plan.value_serdes:
            await self._source_readers(source, serde)

    async def _source_readers(self, source: DataSource, serde: Any) -> None:
        if not isinstance(serde, ValueSerde) or serde.format not in ("AVRO", "PROTOBUF"):
            return
        client = self._registry_client(source.topic, serde.format)
        subject = f"{source.topic}-value"
        try:
            versions = await client.request("GET", f"/subjects/{subject}/versions")
            for version in versions:
                found = await client.version(subject, version)
                if serde.protobuf is not None and isinstance(found.schema, ProtobufSchema):
                    serde.protobuf.readers[found.schema_id] = found.schema
                else:
                    serde.readers[found.schema_id] = getattr(found.schema, "parsed", None)
        except RegistryClientError as error:
            raise KsqlError(
                f"Could not read the value schemas of '{source.topic}': {error.message}"
            ) from None

    def _partitions(self, topic: str) -> int | None:
        if topic not in self.backend.topic_names(include_internal=True):
            return None
        return len(self.backend.describe_topic(topic).partitions)

    def _declared(self, statement: st.CreateSource) -> DataSource:
        return ddl.declare(statement, self._partitions)

    def _source_of(self, query: st.Query) -> DataSource:
        return ddl.source_of(self.metastore, query)

    def _persistent_plan(self, statement: st.CreateAsSelect) -> tuple[Plan, DataSource]:
        return ddl.persistent_plan(self.metastore, statement, self._partitions, self._now)

    def _insert_plan(self, statement: st.InsertInto) -> tuple[Plan, DataSource]:
        return ddl.insert_plan(self.metastore, statement, self._now)

    def _now(self) -> int:
        return int(self.backend.clock.time() * 1000) if hasattr(self.backend.clock, "time") else 0

    # --- apply: what a command does, the first time and on every replay -----------------
    async def _apply(self, statement: st.Statement, offset: int, properties: dict[str, Any]) -> str | None:
        meta = self.metastore
        statement = await self._infer(statement)
        if isinstance(statement, st.CreateSource):
            meta.sources[statement.name] = self._declared(statement)
            return f"{statement.kind.capitalize()} created"
        if isinstance(statement, st.CreateAsSelect):
            if statement.if_not_exists and statement.name in meta.sources:
                return f"{statement.kind.capitalize()} already exists"
            plan, sink = self._persistent_plan(statement)
            await self._register(plan.sink_value_serde, sink.topic, sink.columns)
            await self._readers(plan)
            query_id = f"{'CSAS' if statement.kind == 'STREAM' else 'CTAS'}_{statement.name}_{offset}"
            await self._start_query(query_id, plan, statement.text, sink.name)
            meta.sources[statement.name] = sink
            return f"Created query with ID {query_id}"
        if isinstance(statement, st.InsertInto):
            plan, target = self._insert_plan(statement)
            await self._register(plan.sink_value_serde, target.topic, target.columns)
            await self._readers(plan)
            query_id = f"INSERTQUERY_{offset}"
            await self._start_query(query_id, plan, statement.text, target.name)
            return f"Created query with ID {query_id}"
        if isinstance(statement, st.Drop):
            source = meta.sources.pop(statement.name, None)
            if source is None:
                return f"Source `{statement.name}` does not exist."
            if statement.delete_topic:
                with contextlib.suppress(KafkaError):
                    await self.backend.delete_topic(source.topic)
                for push in self.push_queries.values():
                    if source.topic in push.topics:
                        push.fail(push.missing_error([source.topic]))
            return f"Source `{statement.name}` (topic: {source.topic}) was dropped."
        if isinstance(statement, st.Terminate):
            ids = [statement.query_id] if statement.query_id else list(meta.queries)
            for query_id in ids:
                meta.queries.pop(query_id, None)
                running = self.running.pop(query_id, None)
                if running is not None:
                    await running.streams.close()
            return "Query terminated."
        return None

    async def _start_query(self, query_id: str, plan: Plan, text: str, sink: str) -> None:
        app_id = f"_confluent-ksql-{self.service_id}query_{query_id}"
        if plan.sessions and plan.store is not None:
            await refuse_old_layout(self.backend, app_id, plan.store, query_id)
        streams = await start_streams(plan, self.backend, app_id, self.state_dir, self.commit_interval_ms)
        self.running[query_id] = RunningQuery(query_id, plan, streams)
        self.metastore.queries[query_id] = PersistentQuery(query_id, text, sink, plan.sources)

    # --- INSERT … VALUES ------------------------------------------------------------------
    async def insert_values(self, statement: st.InsertValues) -> None:
        target = self.metastore.sources.get(statement.target)
        if target is None:
            raise KsqlError(
                f"{at(statement.text, statement.target_offset)}: {statement.target} does not exist."
            )
        names = statement.columns or [c.name for c in target.columns]
        if len(names) != len(statement.values):
            raise KsqlError(
                "Failed to prepare statement: Expected a value for each column. "
                f"Expected Columns: [{', '.join(names)}]. "
                f"Got [{', '.join(v.sql() for v in statement.values)}]"
            )
        evaluator = ExpressionCompiler(Scope({}, statement.text))
        values = {
            name: evaluator.compile(node).evaluate({})
            for name, node in zip(names, statement.values, strict=True)
        }
        await self.insert_row(target.name, values)

    async def insert_row(self, name: str, values: dict[str, Any]) -> None:
        """One row into a stream's topic, as INSERT … VALUES and /inserts-stream write it:
        the key columns to the key, ROWTIME (if given) to the timestamp."""
        target = self.metastore.get(name)
        columns = {c.name: c for c in target.columns}
        upper = {c.upper(): c for c in columns}
        row: dict[str, Any] = {}
        timestamp: int | None = None
        for given, value in values.items():
            if str(given).upper() == "ROWTIME":
                timestamp = int(value)
                continue
            column = columns.get(given) or columns.get(upper.get(str(given).upper(), ""))
            if column is None:
                raise KsqlError(f"Column name {given} does not exist.")
            try:
                row[column.name] = coerce(value, column.type)
            except (ValueError, TypeError):
                raise KsqlError(
                    f"Failed to insert values into '{target.name}'. Expected type {column.type} for column "
                    f"{column.name} but got {value!r}"
                ) from None
        keys = [c.name for c in target.key_columns]
        key = row.get(keys[0]) if len(keys) == 1 else tuple(row.get(k) for k in keys) if keys else None
        key_bytes = KeySerde(target.key_format, target.columns).serialize(target.topic, key)
        value_serde = ValueSerde(target.value_format, target.columns, target.delimiter)
        await self._register(value_serde, target.topic, target.columns)
        value_bytes = value_serde.serialize(target.topic, row)
        await self._producer.send_and_wait(target.topic, value_bytes, key=key_bytes, timestamp=timestamp)

    # --- queries --------------------------------------------------------------------------
    async def push(self, statement: st.Select, properties: dict[str, Any]) -> PushQuery:
        """A push query (EMIT CHANGES), running until closed or its LIMIT is reached."""
        query = statement.query
        compiler = ddl.compiler_for(self.metastore, query, self._now)
        settings = QUERY_PROPERTIES | {k: str(v) for k, v in properties.items()}
        floors = None
        topic = compiler.source.topic  # the FROM source's (a join's compile replaces it)
        topics = frozenset({topic} | {s.topic for s in compiler.joined})
        if settings.get("auto.offset.reset", "latest") == "latest":
            floors = {t: await latest_offsets(self.backend, t) for t in topics}
        plan = compiler.compile(None if floors is None else floors[topic], floors)
        await self._readers(plan)
        self._transients += 1
        app_id = transient_id(self.service_id, self._transients)
        push = PushQuery(app_id, plan, query.limit, topics=topics)
        plan.to_callback(push.offer)
        push.streams = await start_streams(plan, self.backend, app_id, self.state_dir / "transient", 200)
        self.push_queries[app_id] = push
        return push

    def pull(self, statement: st.Select) -> tuple[list[str], list[str], list[list[Any]]]:
        """A pull query: (column names, their types, rows) from the table's store now."""
        return pull_query(self.metastore, self.running, statement)

    async def close_push(self, query_id: str) -> bool:
        """Close a push query; it stays listed until its cleanup is done, so the
        engine's own close waits for a cleanup another caller started."""
        push = self.push_queries.get(query_id)
        if push is None:
            return False
        try:
            await push.close()
        finally:
            self.push_queries.pop(query_id, None)
        return True

    async def print_topic(self, statement: st.Print) -> AsyncIterator[str]:
        """PRINT: the topic's records as ksqlDB's PRINT writes them, one line each."""
        topic = statement.topic
        if topic not in self.backend.topic_names(include_internal=True):
            upper = {t.upper(): t for t in self.backend.topic_names()}
            if topic.upper() not in upper:
                raise KsqlError(
                    f"Could not find topic '{topic}', or the KSQL user does not have permissions to list "
                    "the topic. Topic names are case-sensitive."
                )
            topic = upper[topic.upper()]
        partitions = range(len(self.backend.describe_topic(topic).partitions))
        ends = await latest_offsets(self.backend, topic)
        consumer = self.backend.consumer(ConsumerConfig(enable_auto_commit=False))
        consumer.assign([(topic, p) for p in partitions])
        for p in partitions:
            consumer.seek((topic, p), 0 if statement.from_beginning else ends.get(p, 0))
        printed = seen = 0
        try:
            while statement.limit is None or printed < statement.limit:
                for record in await consumer.poll(500):
                    seen += 1
                    if (seen - 1) % statement.interval:
                        continue
                    yield _print_line(record)
                    printed += 1
                    if statement.limit is not None and printed >= statement.limit:
                        return
        finally:
            await consumer.close()


def _print_line(record: Any) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(record.timestamp / 1000, datetime.UTC)
    stamp = moment.strftime("%Y/%m/%d %H:%M:%S.") + f"{record.timestamp % 1000:03d} Z"

    def text(data: Any) -> str:
        if data is None:
            return "<null>"
        try:
            return bytes(data).decode()
        except UnicodeDecodeError:
            return bytes(data).hex()

    return (
        f"rowtime: {stamp}, key: {text(record.key)}, value: {text(record.value)}, "
        f"partition: {record.partition}"
    )
