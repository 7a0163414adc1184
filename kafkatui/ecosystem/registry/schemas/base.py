"""What the registry asks of a schema, whatever its type: parse it (with its
references), say it canonically, normalise it, and tell what breaks between two
versions, in words a learner understands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SchemaType(StrEnum):
    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"


@dataclass(frozen=True)
class Reference:
    """A schema reference (Confluent's SchemaReference): `name` is how the referring
    schema names it (an Avro full name, a JSON Schema $ref URL, a .proto import path)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


class InvalidSchema(Exception):
    """The text is not a valid schema of its type (Confluent's 42201)."""


@dataclass(frozen=True)
class Incompatibility:
    """One reason a new schema cannot replace an old one under a compatibility level.
    `kind` is Confluent's errorType, `path` where in the schema, `text` the sentence
    shown to the user."""

    kind: str
    path: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind} at {self.path}: {self.text}" if self.path else f"{self.kind}: {self.text}"


class ParsedSchema(Protocol):
    """A schema that parsed; `references` maps each reference's name to its parsed
    schema."""

    schema_type: SchemaType

    def canonical(self) -> str:
        """The text the registry stores and compares (Confluent's canonicalString)."""
        ...

    def normalized(self) -> ParsedSchema:
        """The schema in normal form (?normalize=true), so equivalent texts compare equal."""
        ...

    def incompatibilities(self, writer: ParsedSchema, *, reader_is_new: bool) -> list[Incompatibility]:
        """What stops this schema, as a reader, from reading data written with `writer`;
        the sentences say old and new according to `reader_is_new`."""
        ...


class SchemaParser(Protocol):
    def __call__(self, text: str, references: Mapping[str, ParsedSchema]) -> ParsedSchema: ...


def old_new(reader_is_new: bool) -> tuple[str, str]:
    """("the old schema", "the new schema") named for reader and writer."""
    return ("the new schema", "the old schema") if reader_is_new else ("the old schema", "the new schema")
