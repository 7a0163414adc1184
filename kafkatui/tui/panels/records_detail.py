"""A record's details in the Records panel: the Log panel's (fields, value pretty-printed,
headers, the batch) and then the raw bytes of key and value as hex."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from kafkatui.backends.base import LogRecordView
from kafkatui.tui.widgets.record_detail import RecordDetail

HEX_SHOWN = 512  # bytes of each of key and value
_ROW = 8  # bytes a line: fits the 60-column detail


def hex_dump(data: bytes, limit: int = HEX_SHOWN) -> str:
    """`offset  hex bytes  text` lines, as `xxd` prints them (non-printable as '.')."""
    lines = []
    for at in range(0, min(len(data), limit), _ROW):
        chunk = data[at : at + _ROW]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:04x}  {' '.join(f'{b:02x}' for b in chunk):<{_ROW * 3 - 1}}  {text}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)


class RecordsDetail(RecordDetail):
    """The Log panel's record detail, and the bytes behind it."""

    def render_record(self, record: LogRecordView | None) -> RenderableType:
        shown = super().render_record(record)
        if record is None:
            return shown
        section = self.get_component_rich_style("record-detail--section")
        parts: list[RenderableType] = [shown]
        for name, data in (("Key", record.key), ("Value", record.value)):
            parts.append(Text(""))
            size = "null" if data is None else f"{len(data)} B"
            parts.append(Text(f"{name} bytes · {size}", style=section))
            if data:
                parts.append(Text(hex_dump(data), no_wrap=True, overflow="crop"))
        return Group(*parts)
