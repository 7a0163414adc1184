"""The Topics panel: topics, their partitions and configs; create and delete."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    HighWatermarkAdvanced,
    PartitionsCreated,
    TopicConfigChanged,
    TopicCreated,
    TopicDeleted,
)
from kafkatui.formatting import human_bytes
from kafkatui.tui.panels.base import Panel, ShowTopic, TopicsChanged, reports_errors
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.create_topic import CreateTopicScreen, TopicSpec

_RELEVANT = (HighWatermarkAdvanced, PartitionsCreated, TopicConfigChanged, TopicCreated, TopicDeleted)


class TopicsPanel(Panel):
    """Topic list; partitions and configs of the selected topic."""

    PANEL_ID = "topics"
    TITLE = "Topics"
    TITLE_PT = "Tópicos"
    KEY = "2"
    REFRESH_ON = _RELEVANT

    BINDINGS = [
        Binding(
            "n", "create", "New topic", id="topics.create",
            tooltip="Create a topic: name, partitions, replication factor and configs",
        ),
        Binding(
            "d", "delete", "Delete", id="topics.delete",
            tooltip="Delete the selected topic and its records on every broker (asks first)",
        ),
        Binding(
            "enter", "open", "Open in log", id="topics.open", show=True,
            tooltip="Show the selected topic's partitions as offset boxes in the Log panel",
        ),
    ]  # fmt: skip

    def compose(self) -> ComposeResult:
        yield Static("No topics yet. Press n to create one.", id="topics-empty", classes="empty")
        topics: DataTable[str] = DataTable(id="topic-list", cursor_type="row", zebra_stripes=True)
        topics.add_columns("Topic", "Partitions", "RF", "Records", "Size")
        yield topics
        with Horizontal(id="topic-details"):
            with Vertical(id="partitions-box"):
                yield Static("Partitions", classes="section", id="partitions-title")
                partitions: DataTable[str] = DataTable(id="partitions", cursor_type="row")
                partitions.add_columns("Partition", "Leader", "Replicas", "ISR", "LEO", "HW")
                yield partitions
            with Vertical(id="configs-box"):
                yield Static("Configs", classes="section", id="configs-title")
                configs: DataTable[str] = DataTable(id="configs", cursor_type="row")
                configs.add_columns("Config", "Source", "Value")
                yield configs

    @property
    def selected_topic(self) -> str | None:
        table = self.query_one("#topic-list", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    async def refresh_data(self) -> None:
        try:
            table = self.query_one("#topic-list", DataTable)
        except NoMatches:
            return  # a refresh queued while the panel is being torn down (the app is quitting)
        selected = self.selected_topic
        names = self.backend.topic_names()
        table.clear()
        for name in names:
            d = self.backend.describe_topic(name)
            table.add_row(
                name, str(len(d.partitions)), str(d.replication_factor), f"{d.record_count:,}",
                human_bytes(d.size_bytes), key=name,
            )  # fmt: skip
        self.query_one("#topics-empty").display = not names
        if selected in names:
            table.move_cursor(row=names.index(selected))
        self._show_details()

    def _show_details(self) -> None:
        topic = self.selected_topic
        self.refresh_bindings()  # d and enter need a topic
        partitions = self.query_one("#partitions", DataTable)
        configs = self.query_one("#configs", DataTable)
        partitions.clear()
        configs.clear()
        if topic is None:
            return
        try:
            d = self.backend.describe_topic(topic)
        except KafkaError as error:
            if error.code is not ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
                raise
            # Deleted under the cursor (a lesson's rebuild, another terminal): the list's
            # refresh that follows the deletion takes its row away.
            self.query_one("#partitions-title", Static).update(f"{topic}: deleted")
            self.refresh_soon()
            return
        self.query_one("#partitions-title", Static).update(f"Partitions of {topic}")
        for p in d.partitions:
            partitions.add_row(
                str(p.partition), f"broker {p.leader}", ",".join(map(str, p.replicas)),
                ",".join(map(str, p.isr)), str(p.log_end_offset), str(p.high_watermark),
            )  # fmt: skip
        self.query_one("#configs-title", Static).update(f"Configs of {topic}")
        # Overrides first: they are what makes this topic different.
        entries = sorted(self.backend.topic_configs(topic), key=lambda e: (e.is_default, e.name))
        for entry in entries:
            source = "default" if entry.is_default else "topic override"
            configs.add_row(entry.name, source, entry.value if entry.value is not None else "null")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "topic-list":
            self._show_details()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "topic-list":
            self.action_open()

    def unavailable(self, action: str) -> str | None:
        if action in ("delete", "open") and self.is_mounted and self.selected_topic is None:
            return "No topic yet: n creates one."
        return super().unavailable(action)

    def action_open(self) -> None:
        if self.selected_topic is not None:
            self.post_message(ShowTopic(self.selected_topic))

    @work
    async def action_create(self) -> None:
        spec = await self.app.push_screen_wait(CreateTopicScreen(self.backend))
        if spec is not None:
            await self.create(spec)

    @reports_errors
    async def create(self, spec: TopicSpec) -> None:
        await self.backend.create_topic(spec.name, spec.partitions, spec.replication_factor, spec.configs)
        self.app.notify(
            f"{spec.partitions} partition(s), replication factor {spec.replication_factor}",
            title=f"Created topic {spec.name}",
        )
        await self.refresh_data()
        table = self.query_one("#topic-list", DataTable)
        if spec.name in self.backend.topic_names():
            table.move_cursor(row=self.backend.topic_names().index(spec.name))
        self.post_message(TopicsChanged())

    @work
    @reports_errors
    async def action_delete(self) -> None:
        topic = self.selected_topic
        if topic is None:
            return
        records = self.backend.describe_topic(topic).record_count
        question = f"Delete topic {topic} and its {records:,} record(s) on every broker?"
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        await self.backend.delete_topic(topic)
        self.app.notify(f"Deleted topic {topic}")
        await self.refresh_data()
        self.post_message(TopicsChanged())
