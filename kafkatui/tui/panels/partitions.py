"""The Partitions panel: a topic's partitions spread over the brokers, and faults to inject.

One row per topic-partition, one column per broker: which broker leads, which followers
are in sync, how far each replica's log goes. Stop, crash and restart brokers, cut or
slow the links between them, and watch the controller react.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from kafkatui.backends.base import Backend, BrokerState, BrokerView, Feature
from kafkatui.common.admin import LinkState, PartitionDescription
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import (
    BrokerFenced,
    BrokerStarted,
    BrokerStopped,
    BrokerUnfenced,
    ControllerElected,
    HighWatermarkAdvanced,
    IsrExpanded,
    IsrShrunk,
    LeaderElected,
    LinkChanged,
    LogDirFailed,
    LogDirNewIncarnation,
    PartitionsCreated,
    RecordAppended,
    TopicCreated,
    TopicDeleted,
)
from kafkatui.tui.panels.base import Panel, arrow_bindings, reports_errors
from kafkatui.tui.panels.cluster import any_silent, broker_status, session_countdown
from kafkatui.tui.panels.partitions_links import LinkScreen, link_text

_RELEVANT = (
    BrokerStarted, BrokerStopped, BrokerFenced, BrokerUnfenced, ControllerElected, LinkChanged,
    LeaderElected, IsrShrunk, IsrExpanded, HighWatermarkAdvanced, RecordAppended,
    PartitionsCreated, TopicCreated, TopicDeleted, LogDirFailed, LogDirNewIncarnation,
)  # fmt: skip
_ALIVE = (BrokerState.RUNNING, BrokerState.FENCED)
NO_TOPICS = "No topics yet: create one in Topics (2, then n), or run “Sample setup” from the palette."


class Role(Enum):
    """What a broker's replica of a partition is doing, as the grid colours it."""

    NONE = "none"  # the broker hosts no replica of this partition
    LEADER = "leader"
    UNREACHABLE = "unreachable"  # the leader's broker crashed; the controller has not noticed
    IN_SYNC = "in-sync"
    OUT_OF_SYNC = "out-of-sync"
    OFFLINE = "offline"  # the replica's broker is down


def replica_role(p: PartitionDescription, broker: BrokerView) -> Role:
    if broker.broker_id not in p.replicas:
        return Role.NONE
    alive = broker.state in _ALIVE
    if broker.broker_id == p.leader:
        return Role.LEADER if alive else Role.UNREACHABLE
    if not alive or broker.log_dir_offline is not None:
        return Role.OFFLINE
    return Role.IN_SYNC if broker.broker_id in p.isr else Role.OUT_OF_SYNC


def hw_held(p: PartitionDescription, min_isr: int) -> bool:
    """Whether the leader's high watermark stands still because the ISR is below the
    topic's (effective) min.insync.replicas: since KIP-966 it moves only with that many
    in sync, so what the leader has past it is not committed yet."""
    return p.leader != -1 and len(p.isr) < min_isr


def elr_text(p: PartitionDescription) -> str:
    """The label's second line: the ISR, and the eligible leader replicas when any."""
    elr = f" · ELR {','.join(map(str, p.eligible_leader_replicas))}" if p.eligible_leader_replicas else ""
    if p.leader == -1:
        return f"no leader{elr}" if elr else "offline · no leader"
    return f"ISR {','.join(map(str, p.isr)) or 'empty'}{elr}"


def elr_standing(p: PartitionDescription, broker_id: int) -> str | None:
    """A replica out of the ISR that KIP-966 names: eligible to lead (in the ELR: it left
    the ISR while the high watermark stood still, so it holds every committed record) or
    in the last known ELR (it may have lost records, so it may not lead)."""
    if broker_id in p.eligible_leader_replicas:
        return "eligible (ELR)"
    if broker_id in p.last_known_elr:
        return "last known ELR"
    return None


def cell_text(p: PartitionDescription, broker: BrokerView, role: Role, min_isr: int = 1) -> str:
    """Two lines: the replica's role, then its own log end offset and high watermark.

    A follower's HW is its own copy, as in Kafka: the leader computes the HW and each
    follower learns it from the answer to its next fetch, up to replica.fetch.wait.max.ms
    later (longer after a restart). Until then it shows "HW 0 → 4": its HW, then the
    leader's, which it is about to take. The leader's HW reads "held" while the ISR is
    below `min_isr` (`hw_held`).
    """
    if role is Role.NONE:
        return ""
    if role is Role.UNREACHABLE:
        return "leader unreachable\nelection pending"
    b = broker.broker_id
    snapshot = next((s for s in p.replica_states if s.broker_id == b), None)
    if snapshot is None:
        offsets = "no log"
    else:
        offsets = f"LEO {snapshot.log_end_offset} · HW {snapshot.high_watermark}"
        if role in (Role.IN_SYNC, Role.OUT_OF_SYNC) and snapshot.high_watermark < p.high_watermark:
            offsets += f" → {p.high_watermark}"
        if role is Role.LEADER and hw_held(p, min_isr):
            offsets += " held"
    standing = elr_standing(p, b)
    down = f"down · {standing}" if standing else "offline"
    first = {
        Role.LEADER: f"leader · epoch {p.leader_epoch}",
        Role.IN_SYNC: "follower · in sync",
        # A new incarnation (its database was lost or replaced) refetching its log.
        Role.OUT_OF_SYNC: f"rebuilding · {standing or 'new db'}"
        if b in p.rebuilding
        else f"follower · {standing or 'out of sync'}",
        Role.OFFLINE: "down · still in ISR" if b in p.isr else down,
    }[role]
    if role is Role.OFFLINE and broker.log_dir_offline is not None and broker.state in _ALIVE:
        return "log dir offline\ndatabase failed"
    return f"{first}\n{offsets}"


class _Cell(Static):
    """A grid cell or header belonging to one broker's column (clicking selects it)."""

    def __init__(self, broker_id: int, classes: str) -> None:
        super().__init__(classes=classes)
        self.broker_id = broker_id
        self._shown_text = ""

    def show(self, text: str, classes: list[str]) -> None:
        """Redraw only what changed: LEO/HW events come several times a second."""
        if text != self._shown_text:
            self._shown_text = text
            self.update(Content(text))
        if set(classes) != set(self.classes):
            self.set_classes(classes)


class PartitionsPanel(Panel):
    """Every partition's replicas across the brokers, live, with broker and network faults.

    The controller's view is the truth here: a crashed broker stays the leader of its
    partitions until the controller misses its heartbeats for broker.session.timeout.ms,
    exactly as in KRaft.
    """

    PANEL_ID = "partitions"
    TITLE = "Partitions"
    TITLE_PT = "Partições"
    KEY = "6"
    ENGINE_ACTIONS = {
        "stop": Feature.STOP_BROKER,
        "crash": Feature.STOP_BROKER,
        "restart": Feature.STOP_BROKER,
        "cut": Feature.NETWORK,
        "latency": Feature.NETWORK,
    }
    REFRESH_ON = _RELEVANT
    REFRESH_HIDDEN = False  # a redraw may remount the grid: hidden, it waits for its tab
    # A silent broker's countdown ticks (on a ManualClock it stays put, as time does), and
    # followers catch up without events.
    TICK = 1.0
    FOCUS_SELF = True  # ←/→ choose a broker, not scroll
    FLASH_SECONDS = 1.0

    BINDINGS: ClassVar[list[BindingType]] = [
        *arrow_bindings("partitions", "select_broker", "broker"),
        Binding(
            "s", "stop", "Stop", id="partitions.stop",
            tooltip="Stop the selected broker gracefully: a controlled shutdown moves its leaderships",
        ),
        Binding(
            "k", "crash", "Crash", id="partitions.crash",
            tooltip="Kill the selected broker (kill -9): nothing moves until its session times out",
        ),
        Binding(
            "r", "restart", "Restart", id="partitions.restart",
            tooltip="Start the selected broker again: its followers catch up and rejoin the ISR",
        ),
        Binding(
            "c", "cut", "Cut/heal link", id="partitions.cut",
            tooltip="Cut or heal the network link between the selected broker and another",
        ),
        Binding(
            "l", "latency", "Latency", id="partitions.latency",
            tooltip="Add delay to a link between the selected broker and another",
        ),
        Binding(
            "p", "elect_preferred", "Preferred leaders", id="partitions.elect",
            tooltip="Preferred-leader election: each partition goes back to its first replica",
        ),
    ]  # fmt: skip

    selected_broker: reactive[int] = reactive(0, init=False)

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._brokers: list[BrokerView] = []
        self._shape: tuple[object, ...] | None = None
        self._headers: dict[int, _Cell] = {}
        self._labels: dict[tuple[str, int], Static] = {}
        self._cells: dict[tuple[str, int, int], _Cell] = {}
        self._seen: dict[tuple[str, int], tuple[int, frozenset[int]]] = {}
        self._flashing: set[tuple[str, int, int]] = set()
        self._leaderless = 0
        self._catching_up = False  # a running follower's LEO or HW is behind its leader's
        self._min_isr: dict[str, int] = {}  # topics with a partition short of in-sync replicas
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static(id="partitions-summary")
        yield Static(id="partitions-unsupported")
        with Horizontal(id="partitions-header"):
            yield Static("partition", classes="label", id="partitions-corner")
        yield VerticalScroll(id="partitions-body", can_focus=False)
        yield Static(id="partitions-held")
        yield Static(id="partitions-links")
        with Horizontal(id="partitions-legend"):
            for role, word in (
                (Role.LEADER, "leader"),
                (Role.IN_SYNC, "in sync"),
                (Role.OUT_OF_SYNC, "out of sync"),
                (Role.OFFLINE, "down / offline"),
            ):
                yield Static(word, classes=f"chip -{role.value}")
            yield Static(
                "LEO log end offset · HW high watermark (a follower's → the leader's, at its "
                "next fetch) · ★ controller",
                id="legend-text",
            )

    def on_mount(self) -> None:
        if not self.backend.supports_faults:
            line = self.query_one("#partitions-unsupported", Static)
            line.update(
                Content(f"Stop, crash, restart and links are off: {self.backend.faults_unsupported_reason}")
            )
            line.add_class("-shown")

    def replica_cell(self, topic: str, partition: int, broker_id: int) -> Static | None:
        """The grid cell showing one broker's replica of a partition (None if not drawn)."""
        return self._cells.get((topic, partition, broker_id))

    # --- keeping up with the cluster -------------------------------------------------

    def on_tick(self) -> None:
        if self._catching_up:
            # Followers copy the leader's log and learn its HW without an event (the
            # engine publishes only the leader's HW): look again until they have caught up.
            self.refresh_soon()
        elif any_silent(self._brokers):
            self._brokers = self.backend.brokers()
            self._draw_headers()

    async def refresh_data(self) -> None:
        async with self._lock:
            brokers = self.backend.brokers()
            rows: list[tuple[str, PartitionDescription]] = []
            for name in self.backend.topic_names():
                try:
                    rows.extend((name, p) for p in self.backend.describe_topic(name).partitions)
                except KafkaError:
                    continue  # deleted under us; the next event redraws
            self._min_isr = {t: self._topic_min_isr(t, p) for t, p in rows if len(p.isr) < len(p.replicas)}
            shape = (tuple(b.broker_id for b in brokers), tuple((t, p.partition) for t, p in rows))
            if shape != self._shape:
                await self._rebuild(shape)
            self._brokers = brokers
            ids = [b.broker_id for b in brokers]
            if self.selected_broker not in ids and ids:
                self.selected_broker = ids[0]
            self._draw_rows(rows)
            self._draw_headers()

    def _topic_min_isr(self, topic: str, p: PartitionDescription) -> int:
        """The topic's min.insync.replicas, at most its replication factor (Kafka's
        effective min ISR): asked only of topics with a partition short of replicas."""
        try:
            entry = next(
                (e for e in self.backend.topic_configs(topic) if e.name == "min.insync.replicas"), None
            )
            value = int(entry.value) if entry is not None and entry.value else 1
        except (KafkaError, ValueError):
            value = 1
        return min(value, max(1, len(p.replicas)))

    async def _rebuild(self, shape: tuple[tuple[int, ...], tuple[tuple[str, int], ...]]) -> None:
        broker_ids, partitions = shape
        header = self.query_one("#partitions-header", Horizontal)
        await header.query(_Cell).remove()
        self._headers = {b: _Cell(b, "broker") for b in broker_ids}
        await header.mount_all(self._headers.values())
        body = self.query_one("#partitions-body", VerticalScroll)
        await body.remove_children()
        self._labels, self._cells = {}, {}
        rows = []
        for topic, partition in partitions:
            label = self._labels[(topic, partition)] = Static(classes="label")
            cells = [_Cell(b, "cell") for b in broker_ids]
            self._cells.update(((topic, partition, c.broker_id), c) for c in cells)
            rows.append(Horizontal(label, *cells, classes="partition-row"))
        await body.mount_all(rows or [Static(NO_TOPICS, id="partitions-empty", classes="empty")])
        self._shape = shape

    def _draw_headers(self) -> None:
        controller = self.backend.controller_id
        corner = "partition\n\n★ electing…" if controller == -1 else "partition"
        self.query_one("#partitions-corner", Static).update(Content(corner))
        for b in self._brokers:
            header = self._headers.get(b.broker_id)
            if header is None:
                continue
            selected = b.broker_id == self.selected_broker
            name = (
                f"{'▸ ' if selected else ''}broker {b.broker_id}{' ★ controller' if b.is_controller else ''}"
            )
            header.show(
                f"{name}\n{broker_status(b)}\n{session_countdown(b)}",
                ["broker", f"-{b.state}", *(["-selected"] if selected else [])],
            )
        who = "none — electing…" if controller == -1 else f"broker {controller}"
        waiting = f" ({self._leaderless} without a reachable leader)" if self._leaderless else ""
        self.query_one("#partitions-summary", Static).update(
            Content(
                f"{len(self._labels)} partition(s){waiting} on {len(self._brokers)} brokers · "
                f"controller: {who} · selected: broker {self.selected_broker} (←/→)"
            )
        )
        links = self.backend.links()
        text = " · ".join(link_text(link) for link in links) if links else "every link healthy"
        self.query_one("#partitions-links", Static).update(Content(f"links: {text}"))

    def _draw_rows(self, rows: list[tuple[str, PartitionDescription]]) -> None:
        seen: dict[tuple[str, int], tuple[int, frozenset[int]]] = {}
        flashed: list[tuple[str, int, int]] = []
        for topic, p in rows:
            key = (topic, p.partition)
            now = seen[key] = (p.leader, frozenset(p.isr))
            before = self._seen.get(key)
            if before is not None and before != now:
                # A leader or ISR change flashes the replicas it concerns (never on first sight).
                changed = set(before[1] ^ now[1])
                if before[0] != now[0]:
                    changed |= {before[0], now[0]}
                flashed.extend((topic, p.partition, b) for b in changed if b in p.replicas)
            label = self._labels[key]
            label.update(Content(f"{topic}-{p.partition}\n{elr_text(p)}"))
            label.set_class(p.leader == -1, "-offline")
        self._seen = seen
        alive = {b.broker_id for b in self._brokers if b.state in _ALIVE}
        self._leaderless = sum(1 for _, p in rows if p.leader not in alive)
        if flashed:
            self._flashing.update(flashed)
            self.set_timer(self.FLASH_SECONDS, lambda: self._unflash(flashed))
        self._draw_held(rows)
        self._draw_cells(rows)

    def _draw_held(self, rows: list[tuple[str, PartitionDescription]]) -> None:
        held = [(t, p) for t, p in rows if hw_held(p, self._min_isr.get(t, 1))]
        line = self.query_one("#partitions-held", Static)
        line.set_class(bool(held), "-shown")
        if not held:
            return
        shown = " · ".join(
            f"{t}-{p.partition} (ISR {len(p.isr)} < min.insync.replicas {self._min_isr[t]})"
            for t, p in held[:3]
        )
        more = f" and {len(held) - 3} more" if len(held) > 3 else ""
        line.update(
            Content(
                f"HW held: {shown}{more}. Below min.insync.replicas the high watermark stays put "
                "(KIP-966) and acks=all produce fails with NOT_ENOUGH_REPLICAS, until a replica "
                "rejoins the ISR."
            )
        )

    def _draw_cells(self, rows: list[tuple[str, PartitionDescription]]) -> None:
        running = {b.broker_id for b in self._brokers if b.state is BrokerState.RUNNING}
        self._catching_up = any(
            p.leader in running
            and (s.log_end_offset < p.log_end_offset or s.high_watermark < p.high_watermark)
            for _, p in rows
            for s in p.replica_states
            if s.broker_id in running
        )
        for topic, p in rows:
            for b in self._brokers:
                cell = self._cells.get((topic, p.partition, b.broker_id))
                if cell is None:
                    continue
                role = replica_role(p, b)
                classes = ["cell", f"-{role.value}"]
                if b.broker_id == self.selected_broker:
                    classes.append("-selected")
                if (topic, p.partition, b.broker_id) in self._flashing:
                    classes.append("-flash")
                cell.show(cell_text(p, b, role, self._min_isr.get(topic, 1)), classes)

    def _unflash(self, keys: list[tuple[str, int, int]]) -> None:
        self._flashing.difference_update(keys)
        for key in keys:
            cell = self._cells.get(key)
            if cell is not None:
                cell.remove_class("-flash")

    def watch_selected_broker(self) -> None:
        self._draw_headers()
        for (_, _, broker_id), cell in self._cells.items():
            cell.set_class(broker_id == self.selected_broker, "-selected")

    # --- what the user does ----------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        broker_id = getattr(event.widget, "broker_id", None)
        if broker_id is not None:
            self.selected_broker = broker_id

    def action_select_broker(self, step: int) -> None:
        ids = [b.broker_id for b in self._brokers]
        if ids:
            at = ids.index(self.selected_broker) if self.selected_broker in ids else 0
            self.selected_broker = ids[(at + step) % len(ids)]

    def _state(self, broker_id: int) -> BrokerState | None:
        return next((b.state for b in self.backend.brokers() if b.broker_id == broker_id), None)

    @reports_errors
    async def action_stop(self) -> None:
        b = self.selected_broker
        await self.backend.engine_controls(Feature.STOP_BROKER).stop_broker(b)
        if self._state(b) is BrokerState.CRASHED:
            self.app.notify(
                f"No active controller to coordinate a controlled shutdown, so broker {b} simply "
                f"died; the next controller fences it after broker.session.timeout.ms="
                f"{self.backend.broker_session_timeout_ms} without heartbeats.",
                title=f"Broker {b} stopped",
            )
        else:
            self.app.notify(
                f"Controlled shutdown: the controller fenced broker {b} and moved its leaderships "
                "to in-sync followers at once; its replicas left every ISR.",
                title=f"Broker {b} stopped",
            )
        await self.refresh_data()

    @reports_errors
    async def action_crash(self) -> None:
        b = self.selected_broker
        was_controller = self.backend.controller_id == b
        await self.backend.engine_controls(Feature.STOP_BROKER).stop_broker(b, crash=True)
        timeout = f"broker.session.timeout.ms={self.backend.broker_session_timeout_ms}"
        if was_controller:
            message = (
                f"Broker {b} crashed and it held the controller role: the others elect a new "
                f"controller (controller.quorum.election.timeout.ms), which fences broker {b} "
                f"after {timeout} without heartbeats."
            )
        else:
            message = (
                f"Broker {b} crashed; the controller fences it after {timeout} without "
                "heartbeats. Until then its partitions keep a leader nobody can reach."
            )
        self.app.notify(message, title=f"Broker {b} crashed (kill -9)", severity="warning")
        await self.refresh_data()

    @reports_errors
    async def action_restart(self) -> None:
        b = self.selected_broker
        await self.backend.engine_controls(Feature.STOP_BROKER).start_broker(b)
        self.app.notify(
            f"Broker {b} recovered its logs and registered with the controller. Its followers "
            "fetch from their leaders and rejoin the ISR once they reach the high watermark; "
            "p gives preferred leaders their partitions back.",
            title=f"Broker {b} restarted",
        )
        await self.refresh_data()

    def _link(self, a: int, b: int) -> LinkState:
        key = (min(a, b), max(a, b))
        return next((x for x in self.backend.links() if (x.a, x.b) == key), LinkState(*key))

    @work(exit_on_error=False)
    @reports_errors
    async def action_cut(self) -> None:
        me = self.selected_broker
        choice = await self.app.push_screen_wait(LinkScreen(me, self._others(me), self.backend.links()))
        if choice is None:
            return
        a, b = sorted((me, choice.other))
        if self._link(a, b).cut:
            await self.backend.engine_controls(Feature.NETWORK).heal_link(a, b)
            self.app.notify(
                "Replica fetches and heartbeats cross it again: lagging followers catch up "
                "and rejoin the ISR, and a fenced broker is unfenced at its next heartbeat.",
                title=f"Link {a} ⇹ {b} healed",
            )
        else:
            await self.backend.engine_controls(Feature.NETWORK).cut_link(a, b)
            self.app.notify(self._cut_message(a, b), title=f"Link {a} ⇹ {b} cut", severity="warning")
        await self.refresh_data()

    def _cut_message(self, a: int, b: int) -> str:
        controller = self.backend.controller_id
        message = "No replica fetches or heartbeats cross it."
        if controller in (a, b):
            other = b if controller == a else a
            message += (
                f" Broker {other} cannot reach the controller (broker {controller}): it is fenced "
                f"after broker.session.timeout.ms={self.backend.broker_session_timeout_ms}."
            )
        return message + " A follower cut off from its leader leaves the ISR after replica.lag.time.max.ms."

    @work(exit_on_error=False)
    @reports_errors
    async def action_latency(self) -> None:
        me = self.selected_broker
        screen = LinkScreen(me, self._others(me), self.backend.links(), latency=True)
        choice = await self.app.push_screen_wait(screen)
        if choice is None or choice.latency_ms is None:
            return
        a, b = sorted((me, choice.other))
        await self.backend.engine_controls(Feature.NETWORK).set_latency(a, b, choice.latency_ms)
        if choice.latency_ms:
            message = (
                f"{choice.latency_ms} ms each way: replica fetches across it arrive late, so the "
                "high watermark (and acks=all producers) wait for the slower follower."
            )
        else:
            message = "No added latency: replica fetches across it are immediate again."
        self.app.notify(message, title=f"Link {a} ⇹ {b}")
        await self.refresh_data()

    def _others(self, me: int) -> list[int]:
        return [b.broker_id for b in self._brokers if b.broker_id != me]

    @reports_errors
    async def action_elect_preferred(self) -> None:
        moved = await self.backend.elect_preferred_leaders()
        if moved:
            message = (
                f"{moved} partition(s) moved leadership back to the preferred replica (the first "
                "in the assignment); each new leader's epoch went up by one."
            )
        else:
            message = (
                "No partition changed leader: each is led by its preferred replica already "
                "(ELECTION_NOT_NEEDED), or that replica is not running and in sync "
                "(PREFERRED_LEADER_NOT_AVAILABLE)."
            )
        self.app.notify(message, title="Preferred-leader election")
        await self.refresh_data()
