"""ksqlDB's MetaStore: the streams and tables declared, and the persistent queries that
write them. A source's columns are its key columns, then its value columns; every row
also has the pseudo-columns ROWTIME, ROWPARTITION, ROWOFFSET (and WINDOWSTART,
WINDOWEND for a windowed source)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.statements import Column, WindowSpec
from kafkatui.ecosystem.ksql.types import BIGINT, INTEGER, SqlType

PSEUDO = {"ROWTIME": BIGINT, "ROWPARTITION": INTEGER, "ROWOFFSET": BIGINT}
WINDOW_BOUNDS = {"WINDOWSTART": BIGINT, "WINDOWEND": BIGINT}


@dataclass
class DataSource:
    name: str
    kind: str  # STREAM | TABLE
    columns: list[Column]
    topic: str
    key_format: str = "KAFKA"
    value_format: str = "JSON"
    delimiter: str = ","
    timestamp: str | None = None  # TIMESTAMP='col': event time from a column
    window: WindowSpec | None = None
    partitions: int = 1
    replicas: int = 1
    statement: str = ""
    source: bool = False  # CREATE SOURCE: read-only

    @property
    def key_columns(self) -> list[Column]:
        return [c for c in self.columns if c.key]

    @property
    def value_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.key]

    def schema(self) -> dict[str, SqlType]:
        names = {c.name: c.type for c in self.columns}
        return names | PSEUDO | (WINDOW_BOUNDS if self.window else {})


@dataclass
class PersistentQuery:
    id: str  # CSAS_<SINK>_<n>, CTAS_<SINK>_<n>, INSERTQUERY_<n>
    statement: str
    sink: str
    sources: list[str]
    state: str = "RUNNING"


@dataclass
class Metastore:
    sources: dict[str, DataSource] = field(default_factory=dict)
    queries: dict[str, PersistentQuery] = field(default_factory=dict)
    query_counter: int = 0  # ksqlDB's query ids end in the command's offset; here a counter

    def get(self, name: str, offset_text: str = "") -> DataSource:
        source = self.sources.get(name)
        if source is None:
            raise KsqlError(f"{offset_text}{name} does not exist.")
        return source

    def writers(self, name: str) -> list[PersistentQuery]:
        return [q for q in self.queries.values() if q.sink == name]

    def readers(self, name: str) -> list[PersistentQuery]:
        return [q for q in self.queries.values() if name in q.sources]
