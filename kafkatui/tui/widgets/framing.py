"""A framed key or value in a record's details: Confluent's wire format byte by byte
(magic byte, schema id, payload) beside the value it decodes to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.style import Style
from rich.table import Table
from rich.text import Text

from kafkatui.backends.base import LogRecordView
from kafkatui.tui.registry import PAYLOAD_SHOWN, FramingView


@dataclass(frozen=True)
class RecordFraming:
    """What the registry made of one record's key and value (None: not framed)."""

    record: LogRecordView
    key: FramingView | None
    value: FramingView | None


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


def _json(value: Any) -> str:
    """Decoded data as JSON text: Avro bytes and fixed as hex, decimals and the like as text."""
    return json.dumps(value, default=lambda o: o.hex() if isinstance(o, bytes) else str(o))


def framing_renderable(view: FramingView, field: Style) -> RenderableType:
    """The framing as rows of bytes and their meaning, then the decoded value."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=field, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("magic byte", "00 (Confluent's wire format)")
    grid.add_row("schema id", f"{view.schema_id} · {_hex(view.schema_id.to_bytes(4, 'big'))}")
    if view.uses:
        grid.add_row("registered", ", ".join(f"{s} version {v}" for s, v in view.uses))
    if view.schema_type is not None:
        kind = view.schema_type
        if view.message is not None:
            kind += f" · message {view.message} (indexes {list(view.message_indexes)})"
        grid.add_row("type", kind)
    more = f" … (+{len(view.payload) - PAYLOAD_SHOWN})" if len(view.payload) > PAYLOAD_SHOWN else ""
    grid.add_row("payload", f"{len(view.payload)} B: {_hex(view.payload[:PAYLOAD_SHOWN])}{more}")
    if view.problem is not None:
        return Group(grid, Text(view.problem, style="italic"))
    return Group(
        grid, Text("decoded with the writer's schema:", style=field), JSON(_json(view.decoded), indent=2)
    )
