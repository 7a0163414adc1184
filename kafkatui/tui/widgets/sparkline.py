"""Samples over time as a row of bars: a consumer's lag, a producer's rate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

BARS = "▁▂▃▄▅▆▇█"


def bars(values: Sequence[float]) -> str:
    """One bar a value, scaled to the largest shown; 0 (and below) is the lowest bar, so
    a steady series reads steady and a series of zeros lies flat."""
    top = max(values, default=0)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[_level(v, top)] for v in values)


def _level(value: float, top: float) -> int:
    return max(0, min(len(BARS) - 1, int(value * (len(BARS) - 1) // top)))


def _ratio(value: float, top: float) -> float:
    return 0.0 if top <= 0 else max(0.0, min(1.0, value / top))


class Sparkline(Widget):
    """A series as `bars`, one cell a sample, newest on the right; what its width cannot
    hold falls off the left.

    `padded`: the row is a fixed window of time (a rate chart): cells before the first
    sample show the lowest bar, so time always moves at the same speed. Otherwise the
    bars start in the first cell and the rest stays empty (a short trend after a label).

    The bars take the widget's colour (inherited, like text), or, when its CSS styles
    the component classes, run from `sparkline--low` for the lowest bar to
    `sparkline--high` for the highest.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"sparkline--low", "sparkline--high"}

    data: reactive[tuple[float, ...]] = reactive(())
    """The samples, oldest first."""

    def __init__(
        self,
        data: Iterable[float] = (),
        *,
        padded: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.padded = padded
        self.set_reactive(Sparkline.data, tuple(data))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self.data)  # width: auto is one cell a sample

    def render(self) -> Text:
        shown = self.data[-self.size.width :] if self.size.width else ()
        if self.padded:
            shown = (0.0,) * (self.size.width - len(shown)) + shown
        line = bars(shown)
        gradient = self._gradient()
        if gradient is None:
            return Text(line, no_wrap=True, overflow="crop", end="")
        low, high = gradient
        top = max(shown, default=0)
        text = Text(no_wrap=True, overflow="crop", end="")
        at = 0
        for colour, run in groupby(low.blend(high, _ratio(v, top)) for v in shown):
            width = len(list(run))  # one span a colour: a flat line is one run
            text.append(line[at : at + width], Style(color=colour.rich_color))
            at += width
        return text

    def _gradient(self) -> tuple[Color, Color] | None:
        """The low and high colours, over the background, if the CSS gives them."""
        low = self.get_component_styles("sparkline--low")
        high = self.get_component_styles("sparkline--high")
        if not (low.has_rule("color") or high.has_rule("color")):
            return None
        _, base = self.background_colors
        own = self.styles.color
        return (
            base + (low.color if low.has_rule("color") else own),
            base + (high.color if high.has_rule("color") else own),
        )
