"""The Streams panel: the Kafka Streams applications on the cluster as Kafka's tools see
them (their group's state, members and the tasks each runs, lag per input partition,
internal topics with their role), the topology of one known in this process in Kafka's
describe() text, and the bundled examples started and stopped from here, with records/s
sampled on the cluster's clock. Over the Backend alone, so it works on any Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend, GroupView
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.streams.admin import StreamsApplication, application, applications
from kafkatui.ecosystem.streams.local import build_example, forget, local_instance, register
from kafkatui.ecosystem.streams.runtime import ERROR, NOT_RUNNING, KafkaStreams
from kafkatui.ecosystem.streams.task import StreamsError
from kafkatui.tui.panels.base import Panel, TopicsChanged, reports_errors
from kafkatui.tui.panels.connect import Throughput, rate_cell
from kafkatui.tui.panels.streams_start import StartExampleScreen, StartSpec
from kafkatui.tui.widgets.sparkline import Sparkline
from kafkatui.tui.widgets.tables import Row, show_rows

NO_APPLICATIONS = (
    "No Streams applications yet. Press n to start a bundled example here (word count, "
    "average price per client, enrichment join, clicks per minute), or run one beside the workbench:\n"
    "  kafkatui streams run kafkatui.ecosystem.streams.examples.word_count"
)
NOT_HERE = (
    "Not running in this process: its topology is known where it runs "
    "(`kafkatui streams describe APP` prints it)."
)
STOPPING = "stopping…"  # while close() commits, writes the stores and leaves the group
APP_COLUMNS = ("Application", "State", "Members", "Lag", "Here")
MEMBER_COLUMNS = ("Member", "Tasks (or input partitions)")
INPUT_COLUMNS = ("Topic", "Partition", "Committed", "End", "Lag")
INTERNAL_COLUMNS = ("Topic", "Role", "Parts", "End")
STATE_STYLE = {
    "Stable": "bold green",
    "RUNNING": "bold green",
    "PreparingRebalance": "cyan",
    "CompletingRebalance": "cyan",
    "REBALANCING": "cyan",
    "Empty": "dim",
    "NOT_RUNNING": "dim",
    "ERROR": "bold red",
}


def role(topic: str) -> str:
    """An internal topic's part in the application, from Kafka Streams' suffixes."""
    for suffix, name in (("-changelog", "changelog"), ("-repartition", "repartition")):
        if topic.endswith(suffix):
            return name
    return "subscription"  # a foreign-key join's -subscription-registration/-response-topic


@dataclass
class Known:
    """An application seen on the cluster (its group) and, if it runs here, from inside."""

    app: StreamsApplication | None
    view: GroupView | None
    internal: list[tuple[str, int, int]] = field(default_factory=list)  # topic, partitions, end offsets


class StreamsPanel(Panel):
    """Kafka Streams applications (admin.py's listing) and the examples run from here."""

    PANEL_ID = "streams"
    TITLE = "Streams"
    TITLE_PT = "Streams"
    KEY = "S"  # the number keys are taken; S as L is the Lessons panel's
    TICK = 1.0

    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding(
            "n", "start", "Start example", id="streams.start",
            tooltip="Start a bundled example (word count, sales average, enrichment, clicks) here",
        ),
        Binding(
            "x", "stop", "Stop", id="streams.stop",
            tooltip="Stop the selected application cleanly (commit, write its state, leave the group)",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.known: dict[str, Known] = {}
        self.selected: str | None = None
        self.runs: dict[str, KafkaStreams] = {}  # started from this panel, by application id
        self.throughput: dict[str, Throughput] = {}
        self._state_root: Path | None = None  # state.dir of the examples run here
        self.stopping: set[str] = set()  # application ids whose close() is under way

    def compose(self) -> ComposeResult:
        yield Static(NO_APPLICATIONS, id="streams-empty", classes="empty")
        with Horizontal(id="streams-body"):
            with Vertical(id="streams-side"):
                yield Static("Applications", classes="section")
                apps: DataTable[str | Text] = DataTable(id="streams-apps", cursor_type="row")
                apps.add_columns(*APP_COLUMNS)
                yield apps
                yield Static("Members and their tasks", classes="section")
                members: DataTable[str] = DataTable(id="streams-members", cursor_type="row")
                members.add_columns(*MEMBER_COLUMNS)
                yield members
                yield Static("Lag per input partition", classes="section")
                inputs: DataTable[str] = DataTable(id="streams-inputs", cursor_type="row")
                inputs.add_columns(*INPUT_COLUMNS)
                yield inputs
                yield Static("Internal topics", classes="section")
                internal: DataTable[str] = DataTable(id="streams-internal", cursor_type="row")
                internal.add_columns(*INTERNAL_COLUMNS)
                yield internal
            with Vertical(id="streams-main"):
                yield Static("", id="streams-title", classes="section")
                with Horizontal(id="streams-rate"):
                    yield Static("records/s ", id="streams-rate-label")
                    yield Sparkline(padded=True, id="streams-sparkline")
                    yield Static("", id="streams-rate-value")
                yield Static("", id="streams-local")
                with ScrollableContainer(id="streams-view"):
                    yield Static("", id="streams-topology")

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_soon()

    async def on_unmount(self) -> None:
        for streams in self.runs.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(streams.close(), 5)
            forget(streams)
        if self._state_root is not None:
            shutil.rmtree(self._state_root, ignore_errors=True)

    def on_tick(self) -> None:
        self.refresh_soon()

    # --- reading the cluster -------------------------------------------------------------

    async def refresh_data(self) -> None:
        try:
            self.query_one("#streams-apps", DataTable)
        except NoMatches:
            return  # a refresh queued while the panel is torn down
        found: dict[str, Known] = {}
        for app in await applications(self.backend):
            found[app.application_id] = Known(app, None)
        for app_id in self.runs:  # started here but not on the cluster's books yet (joining)
            found.setdefault(app_id, Known(None, None))
        self.known = dict(sorted(found.items()))
        if self.selected not in self.known:
            self.selected = next(iter(self.known), None)
        if self.selected is not None:
            await self._describe(self.selected)
        self._sample()
        self._show()

    async def _describe(self, app_id: str) -> None:
        known = self.known[app_id]
        try:
            known.app, known.view = await application(self.backend, app_id)
        except KafkaError:
            return  # not a group yet: the instance is still joining
        for topic in known.app.internal_topics:
            try:
                count = len(self.backend.describe_topic(topic).partitions)
                ends = await self.backend.list_offsets(topic, range(count), LATEST_TIMESTAMP)
            except KafkaError:
                continue  # deleted meanwhile (a reset)
            known.internal.append((topic, count, sum(ends.values())))

    def _sample(self) -> None:
        """records/s of the instances running here, one sample a second of the cluster's
        clock (a ManualClock that stands still adds none)."""
        now = self.backend.clock.now_ms()
        for app_id, streams in self.runs.items():
            if streams.state not in (NOT_RUNNING, ERROR):
                self.throughput.setdefault(app_id, Throughput()).sample(
                    streams.metrics()["process-total"], now
                )

    # --- showing it --------------------------------------------------------------------

    def _show(self) -> None:
        empty = not self.known
        self.query_one("#streams-empty").display = empty
        self.query_one("#streams-body").display = not empty
        self.refresh_bindings()
        if empty:
            return
        self._fill_apps()
        self._fill_selected()

    def _running_here(self, app_id: str) -> KafkaStreams | None:
        streams = self.runs.get(app_id) or local_instance(app_id)
        return streams if streams is not None and streams.state not in (NOT_RUNNING, ERROR) else None

    def _fill_apps(self) -> None:
        rows: list[Row] = []
        for app_id, known in self.known.items():
            app = known.app
            state = app.state if app is not None else "joining"
            here: str | Text = "–"
            local = self.runs.get(app_id) or local_instance(app_id)
            if app_id in self.stopping:
                here = Text(STOPPING, style="cyan")
            elif self._running_here(app_id) is not None:
                here = rate_cell(self.throughput.get(app_id, Throughput()))
            elif local is not None:
                here = local.state
            rows.append((app_id, (
                app_id, Text(state, style=STATE_STYLE.get(state, "")),
                "–" if app is None else str(app.members), "–" if app is None else f"{app.lag:,}",
                here,
            )))  # fmt: skip
        table = self.query_one("#streams-apps", DataTable)
        if show_rows(table, APP_COLUMNS, rows) and self.selected in self.known:
            table.move_cursor(row=list(self.known).index(self.selected), animate=False)

    def _fill_selected(self) -> None:
        app_id = self.selected
        known = self.known.get(app_id) if app_id is not None else None
        members: list[Row] = []
        inputs: list[Row] = []
        internal: list[Row] = []
        local = None
        if app_id is not None and known is not None:
            local = self.runs.get(app_id) or local_instance(app_id)
            view, app = known.view, known.app
            if view is not None and app is not None:
                for m in view.members:
                    read = [f"{t}-{p}" for t, p in m.partitions if t in app.input_topics]
                    tasks = ", ".join(self._tasks(local, m.partitions) or read) or "–"
                    members.append((None, (m.client_id, tasks)))
                for p in view.partitions:
                    if p.topic in app.input_topics:
                        committed, lag = ("–", "–") if p.committed < 0 else (f"{p.committed:,}", f"{p.lag:,}")
                        cells = (p.topic, str(p.partition), committed, f"{p.high_watermark:,}", lag)
                        inputs.append((None, cells))
            for topic, count, end in known.internal:
                internal.append((None, (topic, role(topic), str(count), f"{end:,}")))
        show_rows(self.query_one("#streams-members", DataTable), MEMBER_COLUMNS, members)
        show_rows(self.query_one("#streams-inputs", DataTable), INPUT_COLUMNS, inputs)
        show_rows(self.query_one("#streams-internal", DataTable), INTERNAL_COLUMNS, internal)
        if app_id is None or known is None:
            return
        self._fill_detail(app_id, local)

    @staticmethod
    def _tasks(local: KafkaStreams | None, partitions: tuple[tuple[str, int], ...]) -> list[str]:
        """Kafka's task ids (`<sub-topology>_<partition>`) when the topology is known here;
        from outside a member's tasks are only its partitions."""
        plan = getattr(local, "plan", None)
        if plan is None:
            return []
        return sorted({f"{plan.sources[t]}_{p}" for t, p in partitions if t in plan.sources})

    def _fill_detail(self, app_id: str, local: KafkaStreams | None) -> None:
        self.query_one("#streams-title", Static).update(f"{app_id} · topology")
        running = self._running_here(app_id) is not None
        rate = self.query_one("#streams-rate")
        rate.display = running
        seen = self.throughput.get(app_id, Throughput())
        self.query_one("#streams-sparkline", Sparkline).data = tuple(seen.rates)
        self.query_one("#streams-rate-value", Static).update(f" {seen.rate}/s" if seen.rates else " –")
        about = self.query_one("#streams-local", Static)
        topology = self.query_one("#streams-topology", Static)
        if local is None:
            about.update(NOT_HERE)
            topology.update("")
            return
        m = local.metrics()
        tasks = ", ".join(sorted(local.tasks)) or "none"
        lines = [
            f"Here: {local.state}{f' · {STOPPING}' if app_id in self.stopping else ''} · tasks {tasks}",
            f"processed {m['process-total']:,} · dropped {m['dropped-records-total']:,} · "
            f"restored {sum(local.restored.values()):,} from the changelogs · "
            f"loaded {sum(local.loaded.values()):,} from local state",
        ]
        if local.error is not None:
            lines.append(f"STREAMS_EXCEPTION: {local.error}")
        about.update(Text("\n".join(lines), style="bold red" if local.state == ERROR else ""))
        topology.update(Text(str(local.topology.describe()).rstrip()))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "streams-apps" or event.row_key.value is None:
            return
        if event.row_key.value != self.selected:
            self.selected = str(event.row_key.value)
            self.refresh_bindings()
            self.refresh_soon()

    # --- starting and stopping examples ---------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        if action == "stop" and (self.selected is None or self.selected not in self.runs):
            return "no application started from this panel is selected"
        if action == "stop" and self.selected in self.stopping:
            return f"{self.selected} is stopping"
        if action == "stop" and self._running_here(self.selected or "") is None:
            return f"{self.selected} is not running"
        return super().unavailable(action)

    @work
    async def action_start(self) -> None:
        running = {a for a in self.runs if self._running_here(a) is not None}
        spec = await self.app.push_screen_wait(StartExampleScreen(self.backend, running))
        if spec is not None:
            await self.start(spec)

    @reports_errors
    async def start(self, spec: StartSpec) -> None:
        """Build the example on the chosen input topic and start it in the workbench."""
        topology, config = build_example(spec.example, spec.input_topic)
        config["application.id"] = spec.application_id
        config["state.dir"] = str(self._state_dir(spec.application_id))
        streams = KafkaStreams(topology, config, self.backend)
        try:
            await streams.start()
        except StreamsError as error:
            self.app.notify(str(error), title="STREAMS_EXCEPTION", severity="error", timeout=6)
            return
        self.runs[spec.application_id] = streams
        self.throughput.pop(spec.application_id, None)
        register(streams)
        self.selected = spec.application_id
        self.app.notify(f"{spec.example} reads {spec.input_topic}", title=f"Started {spec.application_id}")
        self.post_message(TopicsChanged())  # its internal and output topics
        self.refresh_soon()

    def _state_dir(self, application_id: str) -> Path:
        """The examples' state.dir: one per workbench session. A store whose changelog is
        gone from the cluster (the topics deleted, a lesson rebuilt) is dropped first:
        its checkpoint points past the changelog's end, which Kafka Streams treats as a
        corrupted task and wipes (TaskCorruptedException) rather than trust."""
        if self._state_root is None:
            self._state_root = Path(tempfile.mkdtemp(prefix="kafkatui-streams-"))
        topics = self.backend.topic_names()
        if not any(t.startswith(f"{application_id}-") and t.endswith("-changelog") for t in topics):
            shutil.rmtree(self._state_root / application_id, ignore_errors=True)
        return self._state_root

    def action_stop(self) -> None:
        """Stop the selected application in a worker: its close commits, writes its
        stores and leaves the group, which may take a while (a commit under load, a
        transaction to end), and the workbench keeps answering meanwhile."""
        app_id = self.selected
        streams = self.runs.get(app_id or "")
        if app_id is None or streams is None or app_id in self.stopping:
            return
        self.stopping.add(app_id)
        self._show()
        self._stop(app_id, streams)

    @work(group="streams-stop", exit_on_error=False)
    async def _stop(self, app_id: str, streams: KafkaStreams) -> None:
        try:
            await streams.close()
        except Exception as error:  # close() keeps its own errors; anything else is shown
            self.report(error)
        finally:
            self.stopping.discard(app_id)
        if not self.is_attached:
            return  # the workbench closed while it stopped
        summary = streams.summary().splitlines()  # its second line: processed, dropped, restored
        self.app.notify(summary[min(1, len(summary) - 1)].strip(), title=f"Stopped {app_id}")
        self.refresh_soon()
