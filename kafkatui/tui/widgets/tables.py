"""Filling a DataTable from what a refresh read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

Row = tuple[str | None, Sequence[str | Text]]  # (row key or None, cells)


def show_rows(table: DataTable[Any], columns: Sequence[str], rows: Sequence[Row]) -> bool:
    """Put `rows` under `columns` in `table`, columns and all (a DataTable's column widths
    follow the widest cell it ever held, so a rate or a client id gone would leave its
    width behind). Nothing is redrawn when the refresh read what is already shown: the
    cursor stays put and the widths are not recomputed under a reader's eyes. True when
    the table changed."""
    wanted = (tuple(columns), tuple((key, tuple(cells)) for key, cells in rows))
    if getattr(table, "_kafkatui_shown", None) == wanted:
        return False
    table._kafkatui_shown = wanted  # type: ignore[attr-defined]
    table.clear(columns=True)
    table.add_columns(*columns)
    for key, cells in rows:
        table.add_row(*cells, key=key)
    return True
