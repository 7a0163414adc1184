"""The Connect panel: a Kafka Connect worker's connectors and tasks with their states, the
trace of a failed task, records moved per second, source offsets; pause, resume, restart
and delete with keys. It speaks the Connect REST API (Apache Kafka's paths and JSON) at
`Backend.connect_url`, as any Connect UI would, so it never reaches into the worker."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kafkatui.backends.base import Backend
from kafkatui.backends.views import LATEST_TIMESTAMP
from kafkatui.common.errors import KafkaError
from kafkatui.tui.connect_client import ConnectClient, ConnectDown, ConnectRefused
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.new_connector import NewConnectorScreen
from kafkatui.tui.widgets.sparkline import Sparkline, bars

HISTORY = 60  # samples of records/s kept per connector (one a second of cluster time)
IN_TABLE = 12  # of which the Connectors table draws the newest
NO_CONNECT = (
    "Kafka Connect is not running. The workbench and `kafkatui serve` run a worker with "
    "its REST API on 127.0.0.1:8083 (--connect-port; --no-connect turns it off); over "
    "--bootstrap-server, point `kafkatui connect --connect-url` at your own Connect cluster."
)
NO_CONNECTORS = (
    "No connectors yet. Press n to create one (or `kafkatui connect create FILE`, or POST /connectors)."
)
# Connect's states (AbstractStatus.State), each in the colour a user reads it by.
STATE_STYLE = {
    "RUNNING": "bold green",
    "PAUSED": "yellow",
    "STOPPED": "yellow",
    "FAILED": "bold red",
    "UNASSIGNED": "dim",
    "RESTARTING": "cyan",
}


def state_text(state: str) -> Text:
    return Text(state, style=STATE_STYLE.get(state, ""))


def rate_cell(seen: Throughput) -> Text:
    """The Connectors table's records/s: the newest samples as bars (a fixed window, so
    time moves at one speed in every row), then the last rate."""
    if not seen.rates:
        return Text("–")
    newest = list(seen.rates)[-IN_TABLE:]
    cell = Text(bars([0.0] * (IN_TABLE - len(newest)) + newest), style="green")
    cell.append(f" {seen.rate}")
    return cell


@dataclass
class Throughput:
    """A connector's records/s, from its topics' offsets: a source's topic end offsets
    (what it wrote), a sink's committed offsets in `connect-<name>`. One sample per
    second of cluster time (the app's clock, as the Groups panel samples lag): a
    ManualClock that stands still adds none, so what is drawn depends only on the data."""

    total: int | None = None  # the latest count seen
    base: int = 0  # the count when the last sample was taken
    second: int | None = None  # that sample's second
    rates: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    lag: int | None = None

    def sample(self, total: int, now_ms: int) -> None:
        second = now_ms // 1000
        self.total = total
        if self.second is None:
            self.base, self.second = total, second
        elif second > self.second:
            self.rates.append(max(0, total - self.base) / (second - self.second))
            self.base, self.second = total, second

    @property
    def rate(self) -> str:
        return f"{self.rates[-1]:,.0f}" if self.rates else "–"


class ConnectPanel(Panel):
    """Kafka Connect (Apache Kafka's REST API, at `Backend.connect_url`).

    Left: connectors with their type, state, tasks running and records/s; below, the
    selected connector's tasks with their state and the worker running each. Right:
    the selected connector's detail: a failed task's trace, its config, a sparkline of
    records/s, source offsets (GET .../offsets) or the sink group's lag. Reloaded on
    the panel's tick (the app's timer), since Connect sends no events.
    """

    PANEL_ID = "connect"
    TITLE = "Connect"
    TITLE_PT = "Connect"
    KEY = "9"
    TICK = 1.0

    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding(
            "n", "create", "New connector", id="connect.create",
            tooltip="Create a connector: a plugin, its config from a form or pasted JSON, validated first",
        ),
        Binding(
            "p", "pause", "Pause", id="connect.pause",
            tooltip="Pause the selected connector and its tasks (PUT /connectors/{c}/pause)",
        ),
        Binding(
            "r", "resume", "Resume", id="connect.resume",
            tooltip="Resume the selected connector (PUT /connectors/{c}/resume)",
        ),
        Binding(
            "R", "restart", "Restart", id="connect.restart",
            tooltip="Restart the selected connector and its tasks (POST .../restart?includeTasks=true)",
        ),
        Binding(
            "d", "delete", "Delete", id="connect.delete",
            tooltip="Delete the selected connector (asks first; DELETE /connectors/{c})",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.client: ConnectClient | None = None
        self.connectors: dict[str, Any] = {}  # GET /connectors?expand=status&expand=info
        self.selected: str | None = None
        self.offsets: dict[str, Any] = {}
        self.throughput: dict[str, Throughput] = {}
        self.problem: str | None = None  # why Connect cannot be read now (shown in place)

    def compose(self) -> ComposeResult:
        yield Static(NO_CONNECT, id="connect-none", classes="empty")
        with Horizontal(id="connect-body"):
            with Vertical(id="connect-side"):
                yield Static("Connectors", classes="section")
                connectors: DataTable[RenderableType] = DataTable(id="connect-connectors", cursor_type="row")
                connectors.add_columns("Connector", "Type", "State", "Tasks", "Records/s")
                yield connectors
                yield Static("Tasks", classes="section")
                tasks: DataTable[RenderableType] = DataTable(id="connect-tasks", cursor_type="row")
                tasks.add_columns("Connector", "Task", "State", "Worker")
                yield tasks
            with Vertical(id="connect-main"):
                yield Static("", id="connect-title", classes="section")
                with Horizontal(id="connect-rate"):
                    yield Static("", id="connect-rate-label")
                    yield Sparkline(padded=True, id="connect-sparkline")
                    yield Static("", id="connect-rate-value")
                with VerticalScroll(id="connect-view"):
                    yield Static("", id="connect-detail")

    def on_mount(self) -> None:
        super().on_mount()
        url = self.backend.connect_url()
        self.client = ConnectClient(url) if url else None
        self._show_state()
        self.refresh_soon()

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.close()

    def on_tick(self) -> None:
        self.refresh_soon()

    # --- reading the worker ------------------------------------------------------------

    async def refresh_data(self) -> None:
        if self.client is None:
            return
        try:
            listing = await self.client.connectors()
        except ConnectDown as error:
            why = str(error).rpartition("(")[2].rstrip(")")
            self.problem = f"Kafka Connect does not answer at {self.client.url} ({why}).\n\n{NO_CONNECT}"
            self._show_state()
            return
        except ConnectRefused as error:
            self.problem = f"Kafka Connect at {self.client.url} refused the listing: {error}"
            self._show_state()
            return
        self.problem = None
        self.connectors = listing if isinstance(listing, dict) else {}
        if self.selected not in self.connectors:
            self.selected = next(iter(sorted(self.connectors)), None)
        await self._sample_throughput()
        self.offsets = {}
        if self.selected is not None and self.kind(self.selected) == "source":
            try:
                self.offsets = {"offsets": await self.client.offsets(self.selected)}
            except (ConnectDown, ConnectRefused):
                self.offsets = {}  # a connector just deleted or rebalancing: the next tick tells
        self._show_state()

    def kind(self, name: str) -> str:
        entry = self.connectors.get(name, {})
        return str(entry.get("status", {}).get("type") or entry.get("info", {}).get("type") or "")

    def config(self, name: str) -> dict[str, str]:
        return dict(self.connectors.get(name, {}).get("info", {}).get("config", {}))

    async def _sample_throughput(self) -> None:
        now = self.backend.clock.now_ms()
        for name in list(self.throughput):
            if name not in self.connectors:
                del self.throughput[name]
        for name in self.connectors:
            seen = self.throughput.setdefault(name, Throughput())
            try:
                total, lag = await self._moved(name)
            except KafkaError:
                continue  # its topic is not there yet: no sample this tick
            seen.lag = lag
            seen.sample(total, now)

    async def _moved(self, name: str) -> tuple[int, int | None]:
        """Records moved so far: a source's topic end offsets summed; a sink's committed
        offsets in its consumer group `connect-<name>` (Connect's default group.id), with
        the group's lag."""
        config = self.config(name)
        if self.kind(name) == "sink":
            group = await self.backend.describe_group(f"connect-{name}")
            committed = sum(max(0, p.committed) for p in group.partitions)
            lag = sum(max(0, p.lag) for p in group.partitions)
            return committed, lag
        total = 0
        for topic in filter(None, (t.strip() for t in config.get("topic", "").split(","))):
            partitions = [p.partition for p in self.backend.describe_topic(topic).partitions]
            ends = await self.backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)
            total += sum(ends.values())
        return total, None

    # --- showing it ----------------------------------------------------------------------

    def _show_state(self) -> None:
        none = self.query_one("#connect-none", Static)
        running = self.client is not None and self.problem is None
        none.display = not running
        none.update(self.problem or NO_CONNECT)
        self.query_one("#connect-body").display = running
        if running:
            self._fill_connectors()
            self._fill_tasks()
            self._fill_detail()

    def _fill_connectors(self) -> None:
        table = self.query_one("#connect-connectors", DataTable)
        table.clear()
        for name in sorted(self.connectors):
            status = self.connectors[name].get("status", {})
            tasks = status.get("tasks", [])
            running = sum(1 for t in tasks if t.get("state") == "RUNNING")
            state = status.get("connector", {}).get("state", "UNASSIGNED")
            rate = rate_cell(self.throughput.get(name, Throughput()))
            table.add_row(name, self.kind(name), state_text(state), f"{running}/{len(tasks)}", rate, key=name)
        if self.selected in self.connectors:
            table.move_cursor(row=sorted(self.connectors).index(self.selected), animate=False)

    def _fill_tasks(self) -> None:
        """Every connector's tasks, the selected one's first: which worker runs what, so
        a worker that dies shows its tasks moving to the others."""
        table = self.query_one("#connect-tasks", DataTable)
        table.clear()
        names = sorted(self.connectors, key=lambda n: (n != self.selected, n))
        for name in names:
            for task in self._tasks(name):
                state = state_text(task.get("state", ""))
                table.add_row(name, str(task.get("id")), state, task.get("worker_id", ""))

    def _tasks(self, name: str | None) -> list[dict[str, Any]]:
        if name is None or name not in self.connectors:
            return []
        return list(self.connectors[name].get("status", {}).get("tasks", []))

    def _fill_detail(self) -> None:
        title = self.query_one("#connect-title", Static)
        detail = self.query_one("#connect-detail", Static)
        self.query_one("#connect-rate").display = self.selected is not None
        if self.selected is None:
            title.update("")
            detail.update(NO_CONNECTORS)
            return
        name = self.selected
        config = self.config(name)
        title.update(f"{name} · {config.get('connector.class', '')}")
        parts: list[RenderableType] = []
        status = self.connectors[name].get("status", {})
        failed = [("connector", status.get("connector", {}))] + [
            (f"task {t.get('id')}", t) for t in self._tasks(name)
        ]
        for who, entry in failed:
            if entry.get("state") == "FAILED" and entry.get("trace"):
                parts.append(Text(f"{who} FAILED on {entry.get('worker_id', '')}:", style="bold red"))
                parts.append(Text(str(entry["trace"]).rstrip()))
                parts.append(Text(""))
        seen = self.throughput.get(name, Throughput())
        self._show_rate(name, seen)
        if seen.total is not None or seen.lag is not None:
            line = Text(f"{seen.total or 0:,} so far")
            if seen.lag is not None:
                line.append(f" · lag {seen.lag:,}")
            parts.append(line)
        if self.offsets.get("offsets"):
            parts.append(Text("\nSource offsets", style="bold"))
            for entry in self.offsets["offsets"]:
                parts.append(
                    Text(f"{json.dumps(entry.get('partition'))} → {json.dumps(entry.get('offset'))}")
                )
        parts.append(Text("\nConfig", style="bold"))
        for key in sorted(config):
            parts.append(Text(f"{key} = {config[key]}"))
        detail.update(Group(*parts))

    def _show_rate(self, name: str, seen: Throughput) -> None:
        moved = "records in/s" if self.kind(name) == "source" else "records out/s"
        self.query_one("#connect-rate-label", Static).update(f"{moved} ")
        self.query_one("#connect-sparkline", Sparkline).data = tuple(seen.rates)
        self.query_one("#connect-rate-value", Static).update(f" {seen.rate}/s" if seen.rates else " –")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "connect-connectors" or event.row_key.value is None:
            return
        if event.row_key.value != self.selected:
            self.selected = str(event.row_key.value)
            self._fill_tasks()
            self._fill_detail()
            self.refresh_soon()  # its offsets

    # --- acting on it ----------------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        if action == "create" and (self.client is None or self.problem is not None):
            return "Kafka Connect is not running"
        if action in ("pause", "resume", "restart", "delete"):
            if self.client is None or self.problem is not None:
                return "Kafka Connect is not running"
            if self.selected is None:
                return "no connector selected"
        return super().unavailable(action)

    @work
    async def action_create(self) -> None:
        if self.client is None:
            return
        name = await self.app.push_screen_wait(NewConnectorScreen(self.client))
        if name is None:
            return
        self.app.notify(f"Created connector {name}", timeout=3)
        self.selected = name
        self.refresh_soon()

    async def _act(self, name: str, verb: str, done: str) -> None:
        assert self.client is not None
        await getattr(self.client, verb)(name)
        self.app.notify(f"{name}: {done}", timeout=3)
        self.refresh_soon()

    @reports_errors
    async def action_pause(self) -> None:
        if self.selected is not None:
            await self._act(self.selected, "pause", "pause asked")

    @reports_errors
    async def action_resume(self) -> None:
        if self.selected is not None:
            await self._act(self.selected, "resume", "resume asked")

    @reports_errors
    async def action_restart(self) -> None:
        if self.selected is not None:
            await self._act(self.selected, "restart", "restarting with its tasks")

    def action_delete(self) -> None:
        name = self.selected
        if name is None:
            return

        async def answered(yes: bool | None) -> None:
            if yes and name == self.selected:
                await self._delete()

        self.app.push_screen(
            ConfirmScreen(f"Delete the connector {name}? Its tasks stop; its topics and offsets stay."),
            answered,
        )

    @reports_errors
    async def _delete(self) -> None:
        if self.selected is not None:
            await self._act(self.selected, "delete", "deleted")
