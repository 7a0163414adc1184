"""The three schema types Confluent's registry knows, behind one interface (`base.py`)."""

from __future__ import annotations

from collections.abc import Mapping

from kafkatui.ecosystem.registry.schemas import avro, json_schema, protobuf
from kafkatui.ecosystem.registry.schemas.base import (
    Incompatibility,
    InvalidSchema,
    ParsedSchema,
    Reference,
    SchemaParser,
    SchemaType,
)

PARSERS: dict[SchemaType, SchemaParser] = {
    SchemaType.AVRO: avro.parse,
    SchemaType.JSON: json_schema.parse,
    SchemaType.PROTOBUF: protobuf.parse,
}


def parse_schema(schema_type: SchemaType, text: str, references: Mapping[str, ParsedSchema]) -> ParsedSchema:
    """Parse `text` as `schema_type`, its references already parsed (by name)."""
    return PARSERS[schema_type](text, references)


__all__ = [
    "PARSERS",
    "Incompatibility",
    "InvalidSchema",
    "ParsedSchema",
    "Reference",
    "SchemaType",
    "parse_schema",
]
