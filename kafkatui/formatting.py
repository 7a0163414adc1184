"""Formatting shared by the CLI and the TUI."""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def clock_time(timestamp_ms: int) -> str:
    """HH:MM:SS.mmm in UTC (stable across machines, so snapshots are too)."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.strftime("%H:%M:%S.") + f"{timestamp_ms % 1000:03d}"


def pretty_schema(schema: str, schema_type: str | None) -> str:
    """A stored schema for people: Avro and JSON Schema indented (in the registry's
    canonical key order, so two versions differ only where they really do), Protobuf as
    its .proto text."""
    if (schema_type or "AVRO") == "PROTOBUF":
        return schema.rstrip("\n")
    try:
        return json.dumps(json.loads(schema), indent=2, ensure_ascii=False)
    except json.JSONDecodeError:
        return schema


def schema_diff(
    old: tuple[str, str | None], new: tuple[str, str | None], old_name: str, new_name: str
) -> list[str]:
    """A unified diff of two schemas, each (text, schema type), over their `pretty_schema`
    forms, so only real changes show; empty when they are the same schema."""
    return list(
        difflib.unified_diff(
            pretty_schema(*old).splitlines(),
            pretty_schema(*new).splitlines(),
            fromfile=old_name,
            tofile=new_name,
            lineterm="",
        )
    )
