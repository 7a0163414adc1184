"""A record's bytes as the log view draws them: a key's colour (the same key, the same
colour, on every run), bytes as one line of text, a control record's COMMIT or ABORT,
and text cut to a box's width.
"""

from __future__ import annotations

import zlib

from rich.cells import cell_len, set_cell_size
from rich.style import Style

# Mid-luminance colours that stay readable on dark and light themes.
KEY_PALETTE = (
    "#e0712c",
    "#3b8fd4",
    "#3aa757",
    "#9a6fd6",
    "#d9534f",
    "#1aa6b7",
    "#b59b00",
    "#d45aa8",
    "#8d6e4c",
    "#6574e0",
)
_KEY_STYLES = tuple(Style(color=c) for c in KEY_PALETTE)


def key_style(key: bytes) -> Style:
    """The key's colour: stable across runs and machines (CRC-32, not `hash`)."""
    return _KEY_STYLES[zlib.crc32(key) % len(_KEY_STYLES)]


def printable(data: bytes) -> str:
    """Bytes as one line of text: UTF-8 if it decodes, else hex."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return "0x" + data[:32].hex()
    return "".join(ch if ch.isprintable() else "·" for ch in text[:200])


def control_label(key: bytes | None) -> str:
    """A control record's kind: a transaction's COMMIT or ABORT marker (Kafka's
    `ControlRecordType`: key = version + type, 0 abort, 1 commit), else "(control)"."""
    if key is not None and len(key) >= 4:
        kind = int.from_bytes(key[2:4], "big", signed=True)
        if kind in (0, 1):
            return "✔ COMMIT" if kind == 1 else "✘ ABORT"
    return "(control)"


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells, cut with an ellipsis if too long."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
