"""The workbench's panels, in tab order. Adding a panel: write a `Panel` subclass in its
own module (PANEL_ID, TITLE, TITLE_PT, KEY, refresh_data, on_engine_events) and list it
here; the app builds its tab, key binding, palette command and help page from it."""

from kafkatui.tui.panels.base import Panel
from kafkatui.tui.panels.cluster import ClusterPanel
from kafkatui.tui.panels.events import EventsPanel
from kafkatui.tui.panels.groups import GroupsPanel
from kafkatui.tui.panels.log import LogPanel
from kafkatui.tui.panels.partitions import PartitionsPanel
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.panels.topics import TopicsPanel

PANELS: list[type[Panel]] = [
    ClusterPanel,
    TopicsPanel,
    LogPanel,
    ProducePanel,
    EventsPanel,
    PartitionsPanel,
    GroupsPanel,
]

__all__ = ["PANELS", "Panel"]
