"""The one sparkline: a consumer's lag in the Groups panel, a rate in the Produce panel's charts."""

from __future__ import annotations

from textual.app import App, ComposeResult

from kafkatui.tui.stylesheets import component_stylesheets
from kafkatui.tui.widgets.rate_chart import RateChart
from kafkatui.tui.widgets.sparkline import BARS, Sparkline, bars

WIDTH = 80


class Charts(App[None]):
    CSS_PATH = component_stylesheets()

    def compose(self) -> ComposeResult:
        yield Sparkline([1, 2, 3], id="trend")
        yield Sparkline(range(100), id="narrow")
        yield RateChart("throughput", "records/s", id="rate")


def test_bars_are_scaled_to_the_largest_value_from_zero() -> None:
    assert bars([]) == ""
    assert bars([0, 0]) == "▁▁"
    assert bars([0, 7, 14]) == "▁▄█"
    assert bars([10, 10, 10]) == "███"  # a steady rate reads steady, not as noise
    assert bars([0.5, 1.0]) == "▄█"
    assert bars([-3, 4]) == "▁█"


async def test_a_trend_is_one_cell_a_sample_and_a_narrow_one_keeps_the_newest() -> None:
    app = Charts()
    async with app.run_test(size=(WIDTH, 5)) as pilot:
        trend = app.query_one("#trend", Sparkline)
        assert trend.size.width == 3
        assert str(trend.render()) == "▃▅█"
        narrow = app.query_one("#narrow", Sparkline)
        narrow.styles.width = 10
        await pilot.pause()
        assert str(narrow.render()) == bars(range(90, 100))


async def test_a_rate_chart_is_a_padded_window_from_faint_to_bright() -> None:
    app = Charts()
    async with app.run_test(size=(WIDTH, 5)) as pilot:
        chart = app.query_one("#rate", RateChart)
        line = chart.query_one(Sparkline)
        width = line.size.width
        assert 0 < width < WIDTH
        assert str(line.render()) == BARS[0] * width  # no samples yet: a flat floor
        for value in (0, 5, 10):
            chart.push(value)
        await pilot.pause()
        rendered = line.render()
        assert str(rendered) == BARS[0] * (width - 2) + "▄█"  # newest on the right
        low = line.get_component_styles("sparkline--low").color
        high = line.get_component_styles("sparkline--high").color
        _, base = line.background_colors
        colours = [span.style.color.triplet for span in rendered.spans]  # type: ignore[union-attr]
        assert colours[0] == (base + low).rich_color.triplet
        assert colours[-1] == (base + high).rich_color.triplet
        assert colours[0] != colours[-1]
        # A trend without those component colours takes the text colour around it.
        assert app.query_one("#trend", Sparkline).render().spans == []
