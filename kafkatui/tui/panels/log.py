"""The Log panel: a topic as Kafka's documentation draws it, each partition a row of offset boxes."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Select, Static

from kafkatui.backends.base import Backend, Feature, LogRecordView
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import (
    BrokerStarted,
    BrokerStopped,
    Event,
    HighWatermarkAdvanced,
    LeaderElected,
    LogCleaned,
    LogStartOffsetAdvanced,
    PartitionsCreated,
    RecordAppended,
    TopicConfigChanged,
    TopicCreated,
    TopicDeleted,
    TransactionStateChanged,
)
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.panels.log_topics import TopicPanel
from kafkatui.tui.registry import FramingView, RegistryBrowser, framing_without_registry, looks_framed
from kafkatui.tui.screens.jump import JumpScreen
from kafkatui.tui.widgets.framing import RecordFraming
from kafkatui.tui.widgets.log_pages import Cursor, PartitionBounds
from kafkatui.tui.widgets.log_view import LogView
from kafkatui.tui.widgets.record_detail import RecordDetail
from kafkatui.tui.widgets.record_text import control_label, printable

NO_TOPICS = TopicPanel.NO_TOPICS  # what the panel says with no topic in the cluster
_BOUNDS_EVENTS = (
    HighWatermarkAdvanced, LeaderElected, PartitionsCreated, BrokerStarted, BrokerStopped,
    LogStartOffsetAdvanced,
)  # fmt: skip
_LAYOUT_EVENTS = (LogCleaned, LogStartOffsetAdvanced, TopicConfigChanged)
LAYOUT_EVERY = 2.0  # seconds between segment reads while records arrive
CLEANED_SHOWN = 4.0  # seconds the removed offsets stay marked "cleaned"


class LogPanel(TopicPanel):
    """One topic's partition logs, live, with a cursor, a jump dialog and record details."""

    PANEL_ID = "log"
    TITLE = "Log"
    TITLE_PT = "Log"
    KEY = "3"
    ENGINE_ACTIONS = {"compact": Feature.LOG_CLEANER, "retention": Feature.LOG_CLEANER}
    TICK = 0.5  # the workbench's consumers move without log events (on_tick)

    # Panel's own (escape leaves a field) first: a class's binding for a key replaces its
    # base's, so without it escape would no longer leave the topic field.
    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding(
            "g", "jump", "Jump to offset", id="log.jump", tooltip="Move the cursor to the offset you type",
        ),
        Binding(
            "c", "compact", "Compact now", id="log.compact",
            tooltip="Run the log cleaner now: each key keeps its latest record (cleanup.policy=compact)",
        ),
        Binding(
            "r", "retention", "Retention now", id="log.retention",
            tooltip="Apply retention.ms and retention.bytes now: old closed segments are deleted",
        ),
        Binding(
            "i", "isolation", "Isolation", id="log.isolation",
            tooltip="Read as isolation.level read_committed or read_uncommitted (transactions)",
        ),
        Binding(
            "escape", "close_details", "Close details", show=False, id="log.close_details",
            tooltip="Close the record details",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._layout_read_at = 0.0
        self._registry: RegistryBrowser | None = None  # decodes framed records' details

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-bar"):
            yield Select[str]([], prompt="Topic", id="log-topic")
            yield Static("", id="log-status")
        yield Static(NO_TOPICS, id="log-empty")
        with Horizontal(id="log-body"):
            yield LogView(self.backend, id="log-view")
            yield RecordDetail(id="log-detail")

    def on_mount(self) -> None:
        super().on_mount()
        url = self.backend.schema_registry_url()
        self._registry = RegistryBrowser(url) if url else None
        self._show_empty_state()

    async def on_unmount(self) -> None:
        if self._registry is not None:
            await self._registry.close()

    def on_tick(self) -> None:
        self._show_readers()

    def _show_readers(self) -> None:
        """The workbench's consumers reading this topic: where each one's next poll starts."""
        if self.topic is None:
            return
        readers: dict[int, list[tuple[str, int]]] = {}
        for consumer in self.backend.consumers():
            for topic, partition, offset in consumer.positions:
                if topic == self.topic and str(consumer.status) != "crashed":
                    readers.setdefault(partition, []).append((consumer.client_id, offset))
        self.log_view.set_readers({p: tuple(sorted(r)) for p, r in readers.items()})

    def on_show(self) -> None:
        # Arriving at the panel (its tab, or "open in log"), the arrows should move the cursor.
        if self.topic is not None:
            self.log_view.focus()

    @property
    def log_view(self) -> LogView:
        return self.query_one("#log-view", LogView)

    @property
    def detail(self) -> RecordDetail:
        return self.query_one("#log-detail", RecordDetail)

    @property
    def details_open(self) -> bool:
        return self.detail.has_class("-open")

    # --- what the app calls ----------------------------------------------------------

    async def refresh_data(self) -> None:
        """Reload the topic list and the shown topic's offsets; show the first topic if none is."""
        self._reload_topics()
        if self.topic is None and self._topic_names:
            await self.show(self._topic_names[0])
        elif self.topic is not None:
            self._reload_bounds(())
        self._show_readers()  # they moved while the panel was hidden

    @reports_errors
    async def show(self, topic: str, partition: int | None = None, offset: int | None = None) -> None:
        """Show `topic`; at `offset` of `partition` if given, else at partition 0's last record."""
        description = self.backend.describe_topic(topic)
        self._reload_topics()
        self.topic = topic
        self.refresh_bindings()  # g, c, r and i have a topic to work on now
        self._choose_in_select(topic)
        bounds = [PartitionBounds.of(p) for p in description.partitions]
        cursor = None
        if partition is not None or offset is not None:
            p = min(max(partition or 0, 0), len(bounds) - 1)
            cursor = Cursor(p, bounds[p].last if offset is None else offset)
        self.log_view.show_topic(topic, bounds, cursor)
        self.log_view.set_layout({})
        self._read_stable_offsets()
        self._show_empty_state()
        self._read_layout_soon(force=True)
        if self.is_on_screen:
            self.call_after_refresh(self.log_view.focus)

    def on_engine_events(self, events: list[Event]) -> None:
        topics_changed = False
        recreated = False
        appended: set[int] = set()
        bounds_changed = layout_changed = False
        for event in events:
            if isinstance(event, TopicCreated | TopicDeleted):
                topics_changed = True
                recreated = recreated or event.topic == self.topic
            elif isinstance(event, RecordAppended) and event.topic == self.topic:
                appended.add(event.partition)
            elif isinstance(event, _BOUNDS_EVENTS) and getattr(event, "topic", self.topic) == self.topic:
                bounds_changed = True
            elif isinstance(event, TransactionStateChanged) and any(
                t == self.topic for t, _ in event.partitions
            ):
                bounds_changed = True  # markers written: the LSO moves, aborted records known
            if isinstance(event, _LAYOUT_EVENTS) and event.topic == self.topic:
                layout_changed = True
        if topics_changed:
            self._reload_topics()
        if self.topic is None:
            if self._topic_names:
                self.run_worker(self.show(self._topic_names[0]), group="log-show", exclusive=True)
            return
        if recreated and self.topic in self._topic_names:
            self.run_worker(self.show(self.topic), group="log-show", exclusive=True)
        elif appended or bounds_changed:
            self._reload_bounds(appended)
        if self.topic is not None and (appended or layout_changed):
            self._read_layout_soon(force=layout_changed)

    # --- keeping up with the cluster -------------------------------------------------

    def topic_gone(self) -> None:
        self.refresh_bindings()
        self.detail.remove_class("-open")

    def _reload_bounds(self, appended: set[int] | tuple[()]) -> None:
        assert self.topic is not None
        try:
            description = self.backend.describe_topic(self.topic)
        except KafkaError:
            self._reload_topics()  # deleted under us
            return
        self.log_view.update_bounds([PartitionBounds.of(p) for p in description.partitions], appended)
        self._read_stable_offsets()

    def _read_stable_offsets(self) -> None:
        """The LSO and the open and aborted transactions (in memory: cheap to ask often)."""
        if self.topic is None:
            return
        try:
            self.log_view.set_stable_offsets(self.backend.stable_offsets(self.topic))
        except KafkaError:
            self.log_view.set_stable_offsets({})

    def _read_layout_soon(self, *, force: bool = False) -> None:
        """Read the segments again: at once after a cleaning or a config change, at most
        every LAYOUT_EVERY seconds while records arrive (it scans the log's index)."""
        now = time.monotonic()
        if force or now - self._layout_read_at >= LAYOUT_EVERY:
            self._layout_read_at = now
            self.run_worker(self._read_layout, group="log-layout", exclusive=True, exit_on_error=False)

    async def _read_layout(self) -> None:
        topic = self.topic
        if topic is None:
            return
        try:
            layout = await self.backend.log_layout(topic)
        except KafkaError:
            return  # deleted, or no leader: the bounds say so already
        if topic == self.topic:
            self.log_view.set_layout(layout)

    @reports_errors
    async def action_compact(self) -> None:
        topic = self.topic
        if topic is None:
            return
        done = await self.backend.engine_controls(Feature.LOG_CLEANER).compact_topic(topic)
        leaders = {p.partition: p.leader for p in self.backend.describe_topic(topic).partitions}
        shown = [d for d in done if d.broker_id == leaders.get(d.partition)]  # the view shows leaders
        self.log_view.show_cleaned({d.partition: frozenset(d.removed) for d in shown})
        self.set_timer(CLEANED_SHOWN, lambda: self.log_view.show_cleaned({}))
        await self._read_layout()
        if not done:
            self.app.notify(
                "Nothing to clean: every record is still in its partition's active segment, which the "
                "cleaner never touches (a smaller segment.bytes closes segments sooner).",
                title="Log cleaner",
            )
            return
        before = sum(d.records_before for d in shown)
        after = sum(d.records_after for d in shown)
        self.app.notify(
            f"Of each key only the latest record stays, at its own offset: {before} → {after} records "
            f"below the active segments ({sum(d.tombstones_removed for d in shown)} tombstone(s) past "
            "delete.retention.ms removed). Every replica cleans its own copy.",
            title=f"Compacted {topic}",
        )

    @reports_errors
    async def action_retention(self) -> None:
        topic = self.topic
        if topic is None:
            return
        moved = await self.backend.engine_controls(Feature.LOG_CLEANER).enforce_retention(topic)
        self._reload_bounds(())
        await self._read_layout()
        if not moved:
            self.app.notify(
                "No closed segment is past retention.ms or beyond retention.bytes (the active "
                "segment is never deleted). Kafka checks every log.retention.check.interval.ms.",
                title="Retention",
            )
            return
        starts = ", ".join(sorted({f"P{p} from {start}" for _, p, start in moved}))
        self.app.notify(
            f"Old segments deleted; the logs now start at {starts}.", title=f"Retention on {topic}"
        )

    # --- what the user does ----------------------------------------------------------

    @on(Select.Changed, "#log-topic")
    async def _topic_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.topic:
            await self.show(event.value)
            self.log_view.focus()

    def on_log_view_highlighted(self, message: LogView.Highlighted) -> None:
        self._update_status(message.cursor)
        if self.details_open and message.record is not None:
            self._show_record(message.record)

    @reports_errors
    async def on_log_view_chosen(self, message: LogView.Chosen) -> None:
        record = await self.log_view.load_record(message.cursor)
        self._show_record(record)
        self.detail.add_class("-open")

    def _show_record(self, record: LogRecordView | None) -> None:
        """Show a record's details; a key or value in Confluent's wire format is then
        taken apart and decoded through the Schema Registry."""
        self.detail.record = record
        if record is not None and (looks_framed(record.key) or looks_framed(record.value)):
            self.run_worker(
                self._read_framing(record), group="log-framing", exclusive=True, exit_on_error=False
            )

    async def _read_framing(self, record: LogRecordView) -> None:
        key, value = await self._framing(record.key), await self._framing(record.value)
        if self.detail.record == record:
            self.detail.framing = RecordFraming(record, key, value)

    async def _framing(self, data: bytes | None) -> FramingView | None:
        if data is None or not looks_framed(data):
            return None
        if self._registry is None:
            return framing_without_registry(data)
        return await self._registry.framing(data)

    def on_log_view_read_failed(self, message: LogView.ReadFailed) -> None:
        self.report(message.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_details":
            return self.details_open  # False: hidden, and escape goes to the next binding
        return super().check_action(action, parameters)

    def unavailable(self, action: str) -> str | None:
        if action in ("jump", "compact", "retention", "isolation") and self.topic is None:
            return "No topic shown: choose one above (or create one in Topics, 2 then n)."
        return super().unavailable(action)  # compact and retention need kafkatui's own cluster

    def action_isolation(self) -> None:
        """Switch the view between isolation.level read_uncommitted (everything up to the
        HW, aborted records struck through) and read_committed (up to the LSO, without
        aborted records or markers), as a consumer with that setting would read."""
        view = self.log_view
        view.set_read_committed(not view.read_committed)
        self._update_status(view.cursor)
        level = "read_committed" if view.read_committed else "read_uncommitted"
        self.app.notify(
            "Only records of committed transactions, up to the last stable offset (LSO): "
            "aborted records and markers are skipped, an open transaction holds back what follows it."
            if view.read_committed
            else "Everything up to the high watermark, aborted and undecided transactions included.",
            title=f"isolation.level={level}",
        )

    def action_close_details(self) -> None:
        self.detail.remove_class("-open")
        self.log_view.focus()

    def action_jump(self) -> None:
        view = self.log_view
        if self.topic is None or not view.bounds:
            return
        b = view.bounds[view.cursor.partition]

        def jump(offset: int | None) -> None:
            if offset is not None:
                view.move_to(b.partition, offset)
            view.focus()

        self.app.push_screen(JumpScreen(self.topic, b.partition, b.log_start, b.log_end), jump)

    def _update_status(self, cursor: Cursor) -> None:
        view = self.log_view
        if self.topic is None or not view.bounds:
            return
        b = view.bounds[cursor.partition]
        if b.empty:
            where = f"P{cursor.partition} · empty"
        else:
            record = view.record_at(cursor)
            if record is not None and record.batch.is_control:
                where = f"P{cursor.partition} · offset {cursor.offset} · {control_label(record.key)} marker"
            else:
                key = "…" if record is None else ("(null)" if record.key is None else printable(record.key))
                where = f"P{cursor.partition} · offset {cursor.offset} · key {key}"
                txn = view.txn_status(record) if record is not None else None
                if txn is not None and record is not None:
                    fate = "aborted transaction" if txn == "aborted" else "transaction still open"
                    where += f" · {fate} of producer {record.batch.producer_id}"
        total = sum(p.log_end - p.log_start for p in view.bounds)
        following = " · following new records" if view.following and not b.empty else ""
        isolation = " · read_committed" if view.read_committed else ""
        self.query_one("#log-status", Static).update(
            Content(f"{where} · {len(view.bounds)} partitions, {total} records{following}{isolation}")
        )
