"""What CREATE, CREATE … AS SELECT and INSERT INTO … SELECT declare, with no effect:
the source a CREATE describes, and the compiled plan (with its sink) of a persistent
query. The engine checks and applies them; the golden tests run them on the
TopologyTestDriver. `partitions(topic)` says how many partitions a topic has (None:
there is no such topic)."""

from __future__ import annotations

from collections.abc import Callable

from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.compiler import Plan, QueryCompiler
from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.formats import KeySerde, ValueSerde, check_format
from kafkatui.ecosystem.ksql.metastore import DataSource, Metastore

Partitions = Callable[[str], int | None]


def _none(topic: str) -> int | None:
    return None


def _zero() -> int:
    return 0


def declare(statement: st.CreateSource, partitions: Partitions = _none) -> DataSource:
    props = statement.properties
    topic = str(props.get("KAFKA_TOPIC", statement.name))
    if "KAFKA_TOPIC" not in props:
        raise KsqlError(f'Missing required property "KAFKA_TOPIC" for {statement.kind}: {statement.name}')
    value_format = check_format(str(props.get("VALUE_FORMAT", props.get("FORMAT", "JSON"))), "VALUE_FORMAT")
    key_format = check_format(str(props.get("KEY_FORMAT", props.get("FORMAT", "KAFKA"))), "KEY_FORMAT")
    if not statement.columns:
        raise KsqlError(
            f"The statement does not define any columns. Please define the columns of the "
            f"{statement.kind.lower()}: kafkatui does not infer them from the registry yet."
        )
    if statement.kind == "TABLE" and not any(c.key for c in statement.columns):
        raise KsqlError(
            "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.\n"
            "Use a partial schema to define the primary key and still load the value columns from the "
            "Schema Registry, for example:\n"
            f"   CREATE TABLE {statement.name} (ID INT PRIMARY KEY) WITH (...);"
        )
    timestamp = props.get("TIMESTAMP")
    names = {c.name for c in statement.columns}
    if timestamp is not None and str(timestamp).upper() not in names:
        raise KsqlError(
            f"The TIMESTAMP column set in the WITH clause does not exist in the schema: '{timestamp}'"
        )
    source = DataSource(
        statement.name, statement.kind, statement.columns, topic, key_format, value_format,
        str(props.get("VALUE_DELIMITER", ",")), None if timestamp is None else str(timestamp).upper(),
        partitions=int(props.get("PARTITIONS", 1)), replicas=int(props.get("REPLICAS", 1)),
        statement=statement.text, source=statement.source,
    )  # fmt: skip
    KeySerde(key_format, source.columns)  # a format that cannot hold these columns fails here
    ValueSerde(value_format, source.columns)
    found = partitions(topic)
    if found is not None:
        source.partitions = found
    return source


def source_of(metastore: Metastore, query: st.Query) -> DataSource:
    source = metastore.sources.get(query.source)
    if source is None:
        raise KsqlError(f"{at(query.text, query.source_offset)}: {query.source} does not exist.")
    return source


def joined_sources(metastore: Metastore, query: st.Query) -> list[DataSource]:
    """The sources of the query's JOINs, in order."""
    found = []
    for clause in query.joins:
        source = metastore.sources.get(clause.source)
        if source is None:
            raise KsqlError(f"{at(query.text, clause.offset)}: {clause.source} does not exist.")
        found.append(source)
    return found


def compiler_for(metastore: Metastore, query: st.Query, clock: Callable[[], int] = _zero) -> QueryCompiler:
    return QueryCompiler(query, source_of(metastore, query), clock, joined_sources(metastore, query))


def _key_present(plan: Plan, sink: str) -> None:
    if plan.key_missing is not None:
        raise KsqlError(
            "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
            f"The query used to build `{sink}` {plan.key_missing}"
        )


def persistent_plan(
    metastore: Metastore,
    statement: st.CreateAsSelect,
    partitions: Partitions = _none,
    clock: Callable[[], int] = _zero,
) -> tuple[Plan, DataSource]:
    source = source_of(metastore, statement.query)
    plan = compiler_for(metastore, statement.query, clock).compile()
    _key_present(plan, statement.name)
    props = statement.properties
    sink = plan.output_source(
        statement.name,
        str(props.get("KAFKA_TOPIC", statement.name)),
        check_format(str(props.get("KEY_FORMAT", source.key_format)), "KEY_FORMAT"),
        check_format(str(props.get("VALUE_FORMAT", source.value_format)), "VALUE_FORMAT"),
    )
    sink.kind = statement.kind
    sink.statement = statement.text
    sink.partitions = int(props.get("PARTITIONS", source.partitions))
    existing = partitions(sink.topic)
    if existing is not None:
        sink.partitions = existing
    plan.materialize()
    plan.to_topic(
        sink.topic, KeySerde(sink.key_format, sink.columns), ValueSerde(sink.value_format, sink.columns)
    )
    return plan, sink


def insert_plan(
    metastore: Metastore, statement: st.InsertInto, clock: Callable[[], int] = _zero
) -> tuple[Plan, DataSource]:
    target = metastore.sources.get(statement.target)
    if target is None:
        raise KsqlError(f"Sink does not exist for the INSERT INTO statement: {statement.target}")
    if target.kind != "STREAM":
        raise KsqlError(f"INSERT INTO can only be used to insert into a stream. {target.name} is a table.")
    plan = compiler_for(metastore, statement.query, clock).compile()
    _key_present(plan, target.name)
    if [c.name for c in plan.columns if not c.key] != [c.name for c in target.value_columns]:
        raise KsqlError(
            f"Incompatible schema between results and sink.\nResult schema is "
            f"{', '.join(f'`{c.name}` {c.type}' for c in plan.columns)}\nSink schema is "
            f"{', '.join(f'`{c.name}` {c.type}' for c in target.columns)}"
        )
    plan.to_topic(
        target.topic,
        KeySerde(target.key_format, target.columns),
        ValueSerde(target.value_format, target.columns),
    )
    return plan, target
