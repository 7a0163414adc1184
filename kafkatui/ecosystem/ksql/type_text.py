"""How a ksqlDB SchemaInfo (the `schema` of a field in a DESCRIBE answer from the REST
API) reads as SQL. Both clients of a ksqlDB server print it: the `ksql` CLI command and
the workbench's ksqlDB panel; it lives here, below both, because the CLI must not import
the TUI."""

from __future__ import annotations

from typing import Any


def type_text(schema: dict[str, Any]) -> str:
    """ksqlDB's SchemaInfo as SQL (VARCHAR(STRING), ARRAY<…>, STRUCT<…>), as DESCRIBE shows it."""
    kind = str(schema.get("type"))
    if kind == "ARRAY":
        return f"ARRAY<{type_text(schema['memberSchema'])}>"
    if kind == "MAP":
        return f"MAP<STRING, {type_text(schema['memberSchema'])}>"
    if kind == "STRUCT":
        return "STRUCT<" + ", ".join(f"{f['name']} {type_text(f['schema'])}" for f in schema["fields"]) + ">"
    if kind == "STRING":
        return "VARCHAR(STRING)"
    if kind == "DECIMAL":
        p = schema.get("parameters", {})
        return f"DECIMAL({p.get('precision')}, {p.get('scale')})"
    return kind
