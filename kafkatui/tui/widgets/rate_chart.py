"""A labelled sparkline over a fixed window of samples, newest on the right."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label, Sparkline


class RateChart(Widget):
    """One time series (e.g. records/s, sampled once a second) as title, bars and last value.

    The window is padded with zeros on the left so time always flows right to left at
    the same speed, however few samples exist yet.
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
        yield Sparkline(self._padded())
        yield Label("–", classes="chart-value")

    def push(self, value: float) -> None:
        """Add the newest sample."""
        self.samples.append(value)
        self.query_one(Sparkline).data = self._padded()
        self.query_one(".chart-value", Label).update(f"{value:,.{self.precision}f} {self.unit}")

    def clear(self) -> None:
        self.samples.clear()
        self.query_one(Sparkline).data = self._padded()
        self.query_one(".chart-value", Label).update("–")

    def _padded(self) -> list[float]:
        assert self.samples.maxlen is not None
        return [0.0] * (self.samples.maxlen - len(self.samples)) + list(self.samples)
