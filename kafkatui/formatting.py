"""Formatting shared by the CLI and the TUI."""

from __future__ import annotations

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
