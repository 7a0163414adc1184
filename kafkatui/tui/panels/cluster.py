"""The Cluster panel: brokers, each with its own database, and the controller."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from kafkatui.engine.events import (
    BrokerStarted,
    BrokerStopped,
    Event,
    LeaderElected,
    PartitionsCreated,
    RecordAppended,
    TopicCreated,
    TopicDeleted,
)
from kafkatui.formatting import human_bytes
from kafkatui.tui.panels.base import Panel

_RELEVANT = (
    BrokerStarted, BrokerStopped, LeaderElected, PartitionsCreated, TopicCreated, TopicDeleted,
    RecordAppended,
)  # fmt: skip


class ClusterPanel(Panel):
    """Brokers: status, controller marker, partitions led, replicas hosted, bytes on disk."""

    PANEL_ID = "cluster"
    TITLE = "Cluster"
    TITLE_PT = "Cluster"
    KEY = "1"

    DEFAULT_CSS = """
    ClusterPanel { padding: 0 1; }
    ClusterPanel #cluster-summary { color: $text-muted; padding: 0 0 1 0; }
    ClusterPanel DataTable { height: auto; max-height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="cluster-summary")
        table: DataTable[str] = DataTable(id="brokers", cursor_type="row", zebra_stripes=True)
        table.add_columns("Broker", "Status", "Controller", "Partitions led", "Replicas", "On disk")
        yield table

    async def refresh_data(self) -> None:
        await self.backend.refresh_disk_usage()
        brokers = self.backend.brokers()
        table = self.query_one("#brokers", DataTable)
        table.clear()
        for b in brokers:
            table.add_row(
                f"broker {b.broker_id}",
                "● running" if b.running else "○ stopped",
                "★ controller" if b.is_controller else "",
                str(b.partitions_led),
                str(b.replicas_hosted),
                human_bytes(b.bytes_on_disk),
                key=str(b.broker_id),
            )
        topics = self.backend.topic_names()
        partitions = sum(len(self.backend.describe_topic(t).partitions) for t in topics)
        self.query_one("#cluster-summary", Static).update(
            f"{self.backend.description} · {len(topics)} topic(s), {partitions} partition(s). "
            "Each broker keeps its partitions in its own SQLite database (broker-<id>.db)."
        )

    def on_engine_events(self, events: list[Event]) -> None:
        if any(isinstance(e, _RELEVANT) for e in events):
            self.run_worker(self.refresh_data, group="refresh", exclusive=True)
