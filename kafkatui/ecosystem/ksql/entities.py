"""What /ksql answers per statement, in ksqlDB's JSON (its rest/entity classes:
CommandStatusEntity, StreamsList, TablesList, KafkaTopicsList, Queries, PropertiesList,
SourceDescriptionEntity, QueryDescriptionEntity), so a ksqlDB client reads them."""

from __future__ import annotations

from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.ddl import compiler_for
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError, at
from kafkatui.ecosystem.ksql.metastore import DataSource, Metastore
from kafkatui.ecosystem.ksql.running import RunningQuery
from kafkatui.ecosystem.ksql.types import SqlType

SERVER_PROPERTIES = {
    "ksql.service.id": "default_",
    "ksql.streams.auto.offset.reset": "latest",
    "ksql.streams.commit.interval.ms": "2000",
    "ksql.query.pull.table.scan.enabled": "true",
    "ksql.persistence.default.format.key": "KAFKA",
    "ksql.persistence.default.format.value": "JSON",
}


def schema_json(kind: SqlType) -> dict[str, Any]:
    """ksqlDB's SchemaInfo: {"type", "fields", "memberSchema"}."""
    base = {"INTEGER": "INTEGER", "STRING": "STRING"}.get(kind.base, kind.base)
    body: dict[str, Any] = {"type": base, "fields": None, "memberSchema": None}
    if kind.base == "ARRAY":
        body["memberSchema"] = schema_json(kind.items[0])
    elif kind.base == "MAP":
        body["memberSchema"] = schema_json(kind.items[1])
    elif kind.base == "STRUCT":
        body["fields"] = [{"name": n, "schema": schema_json(t)} for n, t in kind.fields]
    elif kind.base == "DECIMAL":
        body["parameters"] = {"precision": kind.precision, "scale": kind.scale}
    return body


def fields_json(source: DataSource) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for column in source.columns:
        entry: dict[str, Any] = {"name": column.name, "schema": schema_json(column.type)}
        if column.key:
            entry["type"] = "KEY"
        fields.append(entry)
    return fields


class Entities:
    """Built from the engine's metastore and running queries, which it only reads."""

    def __init__(self, metastore: Metastore, running: dict[str, RunningQuery], backend: Backend) -> None:
        self.metastore, self.running, self.backend = metastore, running, backend

    def status(self, statement: st.Statement, command_id: str, message: str | None, sequence: int) -> dict:
        query_id = None
        if message and message.startswith("Created query with ID "):
            query_id = message.removeprefix("Created query with ID ")
        return {
            "@type": "currentStatus",
            "statementText": statement.text,
            "commandId": command_id,
            "commandStatus": {"status": "SUCCESS", "message": message or "", "queryId": query_id},
            "commandSequenceNumber": sequence,
            "warnings": [],
        }

    def describe(self, statement: st.Statement) -> dict:
        meta = self.metastore
        base = {"statementText": statement.text, "warnings": []}
        if isinstance(statement, st.Show):
            if statement.what in ("STREAMS", "TABLES"):
                kind = statement.what[:-1]
                items = [self._source_entry(s) for s in meta.sources.values() if s.kind == kind]
                return {"@type": statement.what.lower(), **base, statement.what.lower(): items}
            if statement.what == "TOPICS":
                topics = [
                    {"name": name, "replicaInfo": [
                        len(p.replicas) for p in self.backend.describe_topic(name).partitions
                    ]}
                    for name in sorted(self.backend.topic_names())
                    if not name.startswith("_")
                ]  # fmt: skip
                return {"@type": "kafka_topics", **base, "topics": topics}
            if statement.what == "QUERIES":
                return {
                    "@type": "queries",
                    **base,
                    "queries": [self._query_entry(q.id) for q in meta.queries.values()],
                }
            properties = [
                {"name": k, "scope": "KSQL", "value": v} for k, v in sorted(SERVER_PROPERTIES.items())
            ]
            return {"@type": "properties", **base, "properties": properties, "overwrittenProperties": [],
                    "defaultProperties": []}  # fmt: skip
        if isinstance(statement, st.Describe):
            source = meta.sources.get(statement.name)
            if source is None:
                raise KsqlError(
                    f"{at(statement.text, statement.name_offset)}: "
                    f"Could not find STREAM/TABLE '{statement.name}' in the Metastore",
                    ErrorCode.BAD_STATEMENT,
                )
            return {
                "@type": "sourceDescription",
                **base,
                "sourceDescription": self._description(source, statement.extended),
            }
        assert isinstance(statement, st.Explain)
        if statement.query is not None:
            plan = compiler_for(meta, statement.query).compile()
            source = meta.sources.get(plan.sources[0])
            topology, query_id, sinks = str(plan.builder.build().describe()), "", []
            text = statement.text.removeprefix("EXPLAIN").strip()
            fields = plan.columns
        else:
            running = self.running.get(statement.query_id or "")
            query = meta.queries.get(statement.query_id or "")
            if running is None or query is None:
                raise KsqlError(
                    f"Query with id:{statement.query_id} does not exist, "
                    "use SHOW QUERIES to view the full set of queries."
                )
            topology, query_id, sinks = str(running.plan.builder.build().describe()), query.id, [query.sink]
            text, fields = query.statement, running.plan.columns
            source = meta.sources.get(running.plan.sources[0])
        description = {
            "id": query_id,
            "statementText": text,
            "windowType": None,
            "fields": [
                {"name": c.name, "schema": schema_json(c.type), **({"type": "KEY"} if c.key else {})}
                for c in fields
            ],
            "sources": [source.name] if source else [],
            "sinks": sinks,
            "topology": topology,
            "executionPlan": topology,
            "overriddenProperties": {},
            "ksqlHostQueryStatus": {},
            "queryType": "PERSISTENT" if query_id else "PUSH",
            "queryErrors": [],
            "tasksMetadata": [],
            "state": "RUNNING" if query_id else None,
        }
        return {"@type": "queryDescription", **base, "queryDescription": description}

    def _source_entry(self, source: DataSource) -> dict[str, Any]:
        return {
            "type": source.kind, "name": source.name, "topic": source.topic, "keyFormat": source.key_format,
            "valueFormat": source.value_format, "isWindowed": source.window is not None,
        }  # fmt: skip

    def _query_entry(self, query_id: str) -> dict[str, Any]:
        query = self.metastore.queries[query_id]
        sink = self.metastore.sources.get(query.sink)
        running = self.running.get(query_id)
        state = (
            "RUNNING"
            if running is not None and running.streams.state in ("RUNNING", "REBALANCING")
            else ("ERROR" if running is not None and running.streams.state == "ERROR" else "RUNNING")
        )
        return {
            "queryString": query.statement,
            "sinks": [query.sink],
            "sinkKafkaTopics": [sink.topic] if sink else [],
            "id": query.id,
            "statusCount": {state: 1},
            "queryType": "PERSISTENT",
            "state": state,
        }

    def _description(self, source: DataSource, extended: bool) -> dict[str, Any]:
        meta = self.metastore
        description: dict[str, Any] = {
            "name": source.name,
            "windowType": source.window.kind if source.window else None,
            "readQueries": [self._query_entry(q.id) for q in meta.readers(source.name)],
            "writeQueries": [self._query_entry(q.id) for q in meta.writers(source.name)],
            "fields": fields_json(source),
            "type": source.kind,
            "timestamp": source.timestamp or "",
            "statistics": "",
            "errorStats": "",
            "extended": extended,
            "keyFormat": source.key_format,
            "valueFormat": source.value_format,
            "topic": source.topic,
            "partitions": source.partitions,
            "replication": source.replicas,
            "statement": source.statement,
            "queryOffsetSummaries": [],
            "sourceConstraints": [],
        }
        if extended:
            processed = 0
            for q in meta.writers(source.name):
                running = self.running.get(q.id)
                if running is not None:
                    processed += running.streams.metrics()["process-total"]
            description["statistics"] = f"messages-processed: {processed}"
        return description
