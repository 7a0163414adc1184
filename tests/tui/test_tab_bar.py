"""The tab bar fits the screen: every panel's tab visible at 120 columns (and at 100 and
160), in both languages; the panels' full titles stay full elsewhere."""

from __future__ import annotations

from textual.widgets import TabbedContent
from textual.widgets._tabbed_content import ContentTab
from textual.widgets._tabs import Underline

from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels import PANELS
from tests.tui.conftest import make_app


def _tabs(app: KafkaTuiApp) -> dict[str, ContentTab]:
    tabbed = app.query_one("#tabs", TabbedContent)
    return {p.PANEL_ID: tabbed.get_tab(f"tab-{p.PANEL_ID}") for p in PANELS}  # type: ignore[misc]


def _assert_all_on_screen(app: KafkaTuiApp, width: int) -> None:
    for panel_id, tab in _tabs(app).items():
        region = tab.region
        assert region.width > 0 and region.x >= 0 and region.right <= width, (panel_id, region)
    # The underline marks the shown panel's label (one column of padding before it).
    active = _tabs(app)[app.current_panel_id].region
    underline = app.query_one("#tabs", TabbedContent).query_one(Underline)
    assert (underline.highlight_start, underline.highlight_end) == (active.x + 1, active.right)


async def test_every_tab_lies_within_120_columns_with_a_short_title() -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        _assert_all_on_screen(app, 120)
        labels = {panel_id: tab.label_text for panel_id, tab in _tabs(app).items()}
        assert labels["cluster"] == "1 Cluster" and labels["partitions"] == "6 Parts"
        assert labels["security"] == "A ACLs" and labels["ksql"] == "K ksql"
        # The palette keeps the panels' full titles.
        titles = [c.title for c in app.palette_commands()]
        assert "Show Partitions" in titles and "Show ksqlDB" in titles


async def test_tabs_fit_at_160_with_full_titles_and_at_100_with_keys() -> None:
    app = make_app()
    async with app.run_test(size=(160, 36)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        _assert_all_on_screen(app, 160)
        assert _tabs(app)["partitions"].label_text == "6 Partitions"
        assert _tabs(app)["ksql"].label_text == "K ksqlDB"

        await pilot.resize_terminal(100, 36)
        await pilot.pause()
        _assert_all_on_screen(app, 100)
        # Too narrow for every short title: the keys, and the shown panel's name.
        labels = {panel_id: tab.label_text for panel_id, tab in _tabs(app).items()}
        assert labels["cluster"] == "1 Cluster" and labels["topics"] == "2" and labels["ksql"] == "K"
        await pilot.press("K")
        await pilot.pause()
        labels = {panel_id: tab.label_text for panel_id, tab in _tabs(app).items()}
        assert labels["ksql"] == "K ksql" and labels["cluster"] == "1"
        _assert_all_on_screen(app, 100)


async def test_portuguese_tabs_fit_at_120_and_follow_a_language_switch() -> None:
    app = make_app(language="pt")
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        _assert_all_on_screen(app, 120)
        assert _tabs(app)["topics"].label_text == "2 Tópicos"
        app.action_switch_language()
        await pilot.pause()
        assert _tabs(app)["topics"].label_text == "2 Topics"
        _assert_all_on_screen(app, 120)
