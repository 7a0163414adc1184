"""The statements of ksqlDB's language as parsed (its `tree` package, the parts kafkatui
runs). A SELECT keeps its sqlglot tree and the ksqlDB-only clauses beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kafkatui.ecosystem.ksql.types import SqlType


@dataclass(frozen=True)
class Column:
    name: str
    type: SqlType
    key: bool = False  # KEY (a stream's) or PRIMARY KEY (a table's)


@dataclass(frozen=True)
class WindowSpec:
    kind: str  # TUMBLING | HOPPING | SESSION
    size_ms: int
    advance_ms: int
    grace_ms: int | None  # None: not given (ksqlDB's default grace applies)


@dataclass(frozen=True)
class Within:
    """A stream–stream join's WITHIN: `WITHIN d` (before = after = d) or `WITHIN (b, a)`,
    with `GRACE PERIOD g` (None: not given)."""

    before_ms: int
    after_ms: int
    grace_ms: int | None


@dataclass
class JoinClause:
    """One `[INNER|LEFT|RIGHT|FULL [OUTER]] JOIN source [AS alias] [WITHIN …] ON …`."""

    source: str
    alias: str
    offset: int  # where the joined source's name starts
    type: str  # INNER | LEFT | RIGHT | FULL
    on: exp.Expression
    within: Within | None = None


@dataclass
class Query:
    """A SELECT: the core as sqlglot parsed it; `offset` is where the SELECT starts in
    `text` (the statement), so a sqlglot position becomes a ksqlDB 'line L:C'."""

    select: exp.Select
    text: str
    offset: int
    source: str
    source_offset: int
    window: WindowSpec | None = None
    emit: str | None = None  # CHANGES | FINAL | None (a pull query)
    partition_by: list[exp.Expression] = field(default_factory=list)
    limit: int | None = None
    alias: str = ""  # the FROM source's alias (its name when not given)
    joins: list[JoinClause] = field(default_factory=list)


@dataclass
class Statement:
    text: str


@dataclass
class CreateSource(Statement):
    kind: str  # STREAM | TABLE
    name: str
    columns: list[Column]
    properties: dict[str, Any]
    or_replace: bool = False
    if_not_exists: bool = False
    source: bool = False  # CREATE SOURCE TABLE: read-only


@dataclass
class CreateAsSelect(Statement):
    kind: str
    name: str
    properties: dict[str, Any]
    query: Query
    or_replace: bool = False
    if_not_exists: bool = False


@dataclass
class InsertInto(Statement):
    target: str
    query: Query


@dataclass
class InsertValues(Statement):
    target: str
    columns: list[str]
    values: list[Any]
    target_offset: int = 0


@dataclass
class Drop(Statement):
    kind: str
    name: str
    if_exists: bool
    delete_topic: bool


@dataclass
class Show(Statement):
    what: str  # STREAMS | TABLES | TOPICS | QUERIES | PROPERTIES
    extended: bool = False


@dataclass
class Describe(Statement):
    name: str
    extended: bool
    name_offset: int = 0


@dataclass
class Explain(Statement):
    query_id: str | None
    query: Query | None


@dataclass
class Terminate(Statement):
    query_id: str | None  # None: TERMINATE ALL


@dataclass
class Print(Statement):
    topic: str
    from_beginning: bool
    limit: int | None
    interval: int


@dataclass
class SetProperty(Statement):
    name: str
    value: str


@dataclass
class UnsetProperty(Statement):
    name: str


@dataclass
class Select(Statement):
    query: Query
