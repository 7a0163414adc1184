"""A labelled sparkline over a fixed window of samples, newest on the right."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label

from kafkatui.tui.widgets.sparkline import Sparkline


class RateChart(Widget):
    """One time series (e.g. records/s, sampled once a second) as title, bars and last value.

    The bars are a padded `Sparkline`, so time always flows right to left at the same
    speed, however few samples exist yet.
    """

    def __init__(
        self, title: str, unit: str, *, window: int = 60, precision: int = 0, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self.unit = unit
        self.precision = precision
        self.samples: deque[float] = deque(maxlen=window)

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="chart-title")
        yield Sparkline(padded=True)
        yield Label("–", classes="chart-value")

    def push(self, value: float) -> None:
        """Add the newest sample."""
        self.samples.append(value)
        self.query_one(Sparkline).data = tuple(self.samples)
        self.query_one(".chart-value", Label).update(f"{value:,.{self.precision}f} {self.unit}")

    def clear(self) -> None:
        self.samples.clear()
        self.query_one(Sparkline).data = ()
        self.query_one(".chart-value", Label).update("–")
