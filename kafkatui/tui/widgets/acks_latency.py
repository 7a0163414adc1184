"""Acknowledgement latency per `acks` setting: how much longer `acks=all` waits than `acks=1`."""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

ACKS_SETTINGS = ("0", "1", "all")
"""In the order the view lists them: the more the producer waits for, the lower the row."""

WINDOW = 200
"""How many of each setting's latest sends the median and p95 are taken over."""

_MARK = 2  # "▸ " before the chosen setting
_NAME = 4  # "all"
_SENDS = 9
_MS = 10  # one latency column
_FIXED = _MARK + _NAME + _SENDS + _MS + _MS + 2  # the two spaces before the bar


@dataclass(frozen=True)
class LatencySummary:
    """One acks setting's measured sends: how many in all, and median / p95 over the window."""

    acks: str
    sends: int
    median_ms: float
    p95_ms: float


class AcksLatencyStats:
    """The latency of acknowledged sends, kept per acks setting.

    `record` is an append to a bounded deque, cheap enough to call for every
    auto-produced record; `summaries` sorts at most `window` values per setting and is
    meant for redraws (a few per second). `version` changes with every record, so a
    redraw can be skipped when nothing new arrived.
    """

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self.version = 0
        self._sends = dict.fromkeys(ACKS_SETTINGS, 0)
        self._recent: dict[str, deque[float]] = {acks: deque(maxlen=window) for acks in ACKS_SETTINGS}

    def record(self, acks: str, latency_ms: float) -> None:
        """One acknowledged send with `acks` (with acks=0: one send handed to the network)."""
        self._sends[acks] += 1
        self._recent[acks].append(latency_ms)
        self.version += 1

    def summaries(self) -> tuple[LatencySummary, ...]:
        """Every setting, in ACKS_SETTINGS order (zero sends: median and p95 are 0)."""
        return tuple(self._summary(acks) for acks in ACKS_SETTINGS)

    def _summary(self, acks: str) -> LatencySummary:
        recent = sorted(self._recent[acks])
        if not recent:
            return LatencySummary(acks, 0, 0.0, 0.0)
        p95 = recent[math.ceil(0.95 * len(recent)) - 1]  # nearest rank, as Kafka's tools report it
        return LatencySummary(acks, self._sends[acks], statistics.median(recent), p95)


class AcksLatency(Widget):
    """A row per acks setting: sends measured, median and p95 latency, and a bar.

    The bar is solid to the median and shaded on to the p95, scaled to the slowest p95
    shown, so the settings compare at a glance. The setting the form has chosen is
    marked. Drawn by `render` from `summaries` (set by the panel a few times a second),
    so an update is a repaint, not a layout pass.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "acks-latency--header",
        "acks-latency--chosen",
        "acks-latency--empty",
        "acks-latency--median",
        "acks-latency--p95",
    }

    summaries: reactive[tuple[LatencySummary, ...]] = reactive(
        tuple(LatencySummary(acks, 0, 0.0, 0.0) for acks in ACKS_SETTINGS)
    )
    """What to show, one summary per setting."""

    chosen: reactive[str] = reactive("all")
    """The acks setting new sends use (marked with ▸)."""

    def render(self) -> Text:
        style = self.get_component_rich_style
        bar_width = self.size.width - _FIXED
        text = Text(no_wrap=True, overflow="crop", end="")
        header = f"{'':{_MARK}}{'acks':<{_NAME}}{'sends':>{_SENDS}}{'median':>{_MS}}{'p95':>{_MS}}  "
        text.append(header, style("acks-latency--header"))
        if bar_width >= 8:
            text.append("█", style("acks-latency--median"))
            text.append(" median ", style("acks-latency--header"))
            text.append("▒", style("acks-latency--p95"))
            text.append(" p95", style("acks-latency--header"))
        scale = max((s.p95_ms for s in self.summaries if s.sends), default=0.0)
        for summary in self.summaries:
            text.append("\n")
            self._append_row(text, summary, bar_width, scale)
        return text

    def _append_row(self, text: Text, summary: LatencySummary, bar_width: int, scale: float) -> None:
        style = self.get_component_rich_style
        chosen = summary.acks == self.chosen
        mark = "▸ " if chosen else "  "
        text.append(f"{mark}{summary.acks:<{_NAME}}", style("acks-latency--chosen") if chosen else Style())
        if not summary.sends:
            text.append(f"{'–':>{_SENDS}}{'–':>{_MS}}{'–':>{_MS}}", style("acks-latency--empty"))
            return
        median, p95 = _ms(summary.median_ms), _ms(summary.p95_ms)
        text.append(f"{summary.sends:>{_SENDS},}{median:>{_MS}}{p95:>{_MS}}  ")
        if bar_width > 0 and scale > 0:
            solid = _cells(summary.median_ms, scale, bar_width)
            shaded = max(_cells(summary.p95_ms, scale, bar_width), solid) - solid
            text.append("█" * solid, style("acks-latency--median"))
            text.append("▒" * shaded, style("acks-latency--p95"))


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _cells(value: float, scale: float, width: int) -> int:
    """Bar length for `value`; anything above zero gets at least one cell, so it shows."""
    if value <= 0:
        return 0
    return max(1, round(value / scale * width))
