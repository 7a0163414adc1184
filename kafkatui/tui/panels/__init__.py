"""The workbench's panels, in tab order. Adding a panel: a `Panel` subclass in its own
module (see `Panel` in base.py for what it declares), its look in a .tcss beside it, help
pages in tui/help/<language>/<PANEL_ID>.md, and one line here; the app builds its tab, key
binding, palette commands and help from it (DESIGN.md, TUI: "Adding a panel")."""

from kafkatui.tui.panels.base import Panel
from kafkatui.tui.panels.cluster import ClusterPanel
from kafkatui.tui.panels.connect import ConnectPanel
from kafkatui.tui.panels.events import EventsPanel
from kafkatui.tui.panels.groups import GroupsPanel
from kafkatui.tui.panels.ksql import KsqlPanel
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.log import LogPanel
from kafkatui.tui.panels.partitions import PartitionsPanel
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.panels.records import RecordsPanel
from kafkatui.tui.panels.schemas import SchemasPanel
from kafkatui.tui.panels.security import SecurityPanel
from kafkatui.tui.panels.streams import StreamsPanel
from kafkatui.tui.panels.topics import TopicsPanel

PANELS: list[type[Panel]] = [
    ClusterPanel,
    TopicsPanel,
    LogPanel,
    ProducePanel,
    EventsPanel,
    PartitionsPanel,
    GroupsPanel,
    SchemasPanel,
    ConnectPanel,
    RecordsPanel,
    LessonsPanel,  # key L: the number keys are the other panels'
    StreamsPanel,  # key S
    SecurityPanel,  # key A
    KsqlPanel,  # key K
]

__all__ = ["PANELS", "Panel"]
