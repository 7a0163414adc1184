"""The Groups panel: consumer groups, their members and who reads which partition.

The workbench runs consumers of its own (subscribe() and a poll loop each): add them,
crash one, stop one, pause one, and watch the group coordinator rebalance, with each
partition's committed offset and lag.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kafkatui.backends.base import (
    Backend,
    ConsumerStatus,
    Feature,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
)
from kafkatui.common.events import (
    GroupMemberJoined,
    GroupMemberRemoved,
    GroupRebalanceCompleted,
    GroupStateChanged,
)
from kafkatui.tui.panels.base import Panel, arrow_bindings, reports_errors
from kafkatui.tui.panels.groups_reset import ResetOffsetsScreen
from kafkatui.tui.widgets.sparkline import Sparkline, bars

_RELEVANT = (GroupStateChanged, GroupMemberJoined, GroupMemberRemoved, GroupRebalanceCompleted)
DEFAULT_GROUP = "workbench"
HISTORY = 12  # lag samples kept per partition, one per second of cluster time


def lag_line(p: GroupPartitionView, mark: str = " ") -> str:
    """A partition a member reads and its lag (its sparkline follows)."""
    return f"{mark} {p.topic}-{p.partition} · lag {'—' if p.lag < 0 else p.lag}"


def committed_line(p: GroupPartitionView) -> str:
    return f"    committed {'—' if p.committed < 0 else p.committed}"


class _PartitionLag(Vertical):
    """Two lines of a member's column: a partition, its lag and the lag's sparkline; its
    committed offset."""

    def __init__(self) -> None:
        super().__init__(classes="partition")
        self._shown: tuple[str, tuple[int, ...], str] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="lag-line"):
            yield Static(classes="lag")
            yield Sparkline(classes="lag-history")
        yield Static(classes="committed")

    def show(self, lag: str, history: tuple[int, ...], committed: str) -> None:
        if (lag, history, committed) == self._shown:
            return  # redrawn every second: only what changed
        self._shown = (lag, history, committed)
        self.query_one(".lag", Static).update(Content(f"{lag} " if history else lag))
        self.query_one(Sparkline).data = history
        self.query_one(".committed", Static).update(Content(committed))

    @property
    def text(self) -> str:
        lag, history, committed = self._shown or ("", (), "")
        return f"{lag} {bars(history)}".rstrip() + f"\n{committed}"


class _Partitions(Vertical):
    """The lag rows below a member's head, down to the column's foot."""

    BLANK = True  # its empty lines in the column's text style, as a Static draws its own


class _Column(Vertical):
    """One member of the group and the partitions it reads (clicking selects it)."""

    def __init__(self, key: str) -> None:
        super().__init__(classes="member")
        self.key = key
        self._head = ""
        self._rows: list[_PartitionLag] | None = None  # None: nothing below the head yet

    def compose(self) -> ComposeResult:
        yield Static(classes="member-head")
        yield _Partitions(classes="member-partitions")

    async def show(
        self,
        head: list[str],
        rows: list[tuple[str, tuple[int, ...], str]],
        *,
        selected: bool,
        status: str,
        rebalancing: bool,
    ) -> None:
        """The member's lines (name, status, rebalance step), then a lag row per partition."""
        text = "\n".join(head)
        if text != self._head:
            self._head = text
            self.query_one(".member-head", Static).update(Content(text))
        if self._rows is None or len(self._rows) != len(rows):
            box = self.query_one(_Partitions)
            await box.remove_children()
            self._rows = [_PartitionLag() for _ in rows]
            await box.mount_all(self._rows or [Static("no partitions")])
        for row, (lag, history, committed) in zip(self._rows, rows, strict=True):
            row.show(lag, history, committed)
        flags = [*(["-selected"] if selected else []), *(["-rebalancing"] if rebalancing else [])]
        self.set_classes(["member", f"-{status}", *flags])

    @property
    def text(self) -> str:
        """What the column says, line by line, a sparkline as its bars."""
        rows = [row.text for row in self._rows or ()] or ["no partitions"]
        return "\n".join([self._head, *rows])


class GroupsPanel(Panel):
    """A consumer group as the coordinator sees it: state, generation, members and
    their partitions, committed offsets and lag; the workbench's own consumers to play
    with. Only the classic group protocol (JoinGroup/SyncGroup), as the engine has it."""

    PANEL_ID = "groups"
    TITLE = "Groups"
    TITLE_PT = "Grupos"
    KEY = "7"
    ENGINE_ACTIONS = {"crash": Feature.CRASH_CONSUMER}
    REFRESH_ON = _RELEVANT
    REFRESH_HIDDEN = False  # a redraw may remount the columns: hidden, it waits for its tab
    TICK = 1.0  # lag moves without group events
    FOCUS_SELF = True  # ←/→ choose a consumer

    BINDINGS: ClassVar[list[BindingType]] = [
        *arrow_bindings("groups", "select_member", "consumer"),
        Binding(
            "a", "add_consumer", "Add consumer", id="groups.add",
            tooltip="Start a consumer in the group, subscribed to the topic shown on top",
        ),
        Binding(
            "t", "cycle_topic", "Topic", id="groups.topic",
            tooltip="Choose the topic new consumers subscribe to",
        ),
        Binding(
            "s", "cycle_assignor", "Assignor", id="groups.assignor",
            tooltip="Choose the partition.assignment.strategy of new consumers",
        ),
        Binding(
            "k", "crash", "Crash", id="groups.crash",
            tooltip="Kill the selected consumer: no LeaveGroup, its session must time out",
        ),
        Binding(
            "x", "stop", "Stop", id="groups.stop",
            tooltip="Close the selected consumer: it commits, leaves, and the group rebalances",
        ),
        Binding(
            "p", "pause", "Pause/resume", id="groups.pause",
            tooltip="Stop or restart the selected consumer's polling (it keeps heartbeating)",
        ),
        Binding(
            "o", "reset_offsets", "Reset offsets", id="groups.reset_offsets",
            tooltip="Move the group's committed offsets (earliest, latest, offset, time): dry run first",
        ),
    ]  # fmt: skip

    selected_member: reactive[str] = reactive("", init=False)

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.assignor = self.backend.assignors[0]
        self.chosen_topic: str | None = None  # picked with t; else the group's own topic
        self.group: str | None = None
        self.view: GroupView | None = None
        self._groups: list[tuple[str, str]] = []
        self._columns: dict[str, _Column] = {}
        self._history: dict[tuple[str, str, int], deque[int]] = {}
        # consumer -> (generation, partitions it owned then, partitions that generation gave it)
        self._owned: dict[str, tuple[int, frozenset[tuple[str, int]], frozenset[tuple[str, int]]]] = {}
        self._sampled_at: dict[tuple[str, str, int], int] = {}
        self._lock = asyncio.Lock()  # one refresh or draw at a time: both remount columns

    def compose(self) -> ComposeResult:
        yield Static(id="groups-summary")
        with Horizontal(id="groups-main"):
            yield OptionList(id="groups-list")
            with Vertical(id="groups-detail"):
                yield Horizontal(id="groups-members")
                yield Static(id="groups-unassigned")
        yield Static(
            "a add consumer · t topic · s assignor · ←/→ choose · k crash · x stop · p pause · "
            "+ new to it in this generation",
            id="groups-hint",
        )

    def on_tick(self) -> None:
        self.refresh_soon()

    def member_column(self, key: str) -> _Column | None:
        """The column drawn for a member (client id of a workbench consumer, else member id)."""
        return self._columns.get(key)

    # --- keeping up with the groups --------------------------------------------------

    @reports_errors
    async def refresh_data(self) -> None:
        async with self._lock:
            listed = await self.backend.groups()
            groups = [g for g, _ in listed]
            if self.group not in groups:
                self.group = groups[0] if groups else None
            view = await self.backend.describe_group(self.group) if self.group else None
            self._draw_list(listed)
            self.view = view
            self._sample(view)
            await self._draw(view)

    def _draw_list(self, listed: list[tuple[str, str]]) -> None:
        options = self.query_one("#groups-list", OptionList)
        groups = [g for g, _ in listed]
        if groups != [g for g, _ in self._groups]:
            options.clear_options()
            options.add_options([Option(_list_entry(g, state), id=g) for g, state in listed])
        else:  # same groups: new states only, the highlight stays where it is
            for (g, state), (_, before) in zip(listed, self._groups, strict=True):
                if state != before:
                    options.replace_option_prompt(g, _list_entry(g, state))
        self._groups = listed
        if self.group in groups:
            at = groups.index(self.group)
            if options.highlighted != at:
                options.highlighted = at

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None and event.option.id != self.group:
            self.group = event.option.id
            self.selected_member = ""
            self.refresh_soon()

    def _sample(self, view: GroupView | None) -> None:
        """One lag sample per partition per second of cluster time: a ManualClock that
        stands still adds nothing, so what is drawn depends only on the cluster."""
        if view is None:
            return
        second = self.backend.clock.now_ms() // 1000
        for p in view.partitions:
            key = (view.group_id, p.topic, p.partition)
            if p.lag < 0 or self._sampled_at.get(key) == second:
                continue
            self._sampled_at[key] = second
            self._history.setdefault(key, deque(maxlen=HISTORY)).append(p.lag)

    async def _draw(self, view: GroupView | None) -> None:
        summary = self.query_one("#groups-summary", Static)
        box = self.query_one("#groups-members", Horizontal)
        unassigned = self.query_one("#groups-unassigned", Static)
        if view is None:
            summary.update(
                Content(
                    f"No consumer groups yet: press a to start a consumer (group {DEFAULT_GROUP!r}).\n"
                    + self._new_consumers_line()
                )
            )
            await box.remove_children()
            self._columns = {}
            unassigned.update("")
            return
        outside = [GroupMemberView("", c.client_id, (), c) for c in view.outside]
        members = [*view.members, *outside]
        crashed_keys = {c.client_id for c in view.crashed}
        keys = [_key(m) for m in members]
        if keys != list(self._columns):
            await box.remove_children()
            self._columns = {key: _Column(key) for key in keys}
            if self._columns:
                await box.mount_all(self._columns.values())
            else:
                await box.mount(Static("no members", id="groups-empty"))
        if keys and self.selected_member not in keys:
            self.selected_member = keys[0]
        by_owner: dict[str, list[GroupPartitionView]] = {}
        for p in view.partitions:
            if p.owner is not None:
                by_owner.setdefault(p.owner, []).append(p)
        leader = next((_key(m) for m in members if m.member_id == view.leader_id), "—")
        for m in members:
            key = _key(m)
            status = "external"
            if m.consumer is not None:
                status = "crashed" if key in crashed_keys else str(m.consumer.status)
            head = [f"{'▸ ' if key == self.selected_member else ''}{key}{' ★' if key == leader else ''}"]
            head.append(_status_line(status, m) + ("" if m.member_id else " · not a member"))
            head.append(_phase_line(m) if status not in ("crashed", "external") else "")
            gained = self._gained(key, m)
            rows = [
                (
                    lag_line(p, "+" if (p.topic, p.partition) in gained else " "),
                    tuple(self._history.get((view.group_id, p.topic, p.partition), ())),
                    committed_line(p),
                )
                for p in (by_owner.get(m.member_id, []) if m.member_id else [])
            ]
            rebalancing = m.consumer is not None and m.consumer.phase not in ("stable", "left")
            await self._columns[key].show(
                head,
                rows,
                selected=key == self.selected_member,
                status=status,
                rebalancing=rebalancing and status != "crashed",
            )
        total_lag = sum(p.lag for p in view.partitions if p.lag > 0)
        summary.update(
            Content(
                f"group {view.group_id} · {view.state} · generation {view.generation_id} · "
                f"protocol {view.protocol or '—'} · leader {leader} · {len(view.members)} member(s) · "
                f"total lag {total_lag}\n" + self._new_consumers_line()
            )
        )
        free = [f"{p.topic}-{p.partition}" for p in view.partitions if p.owner is None]
        unassigned.update(Content(f"unassigned: {', '.join(free)}" if free else ""))

    def _gained(self, key: str, m: GroupMemberView) -> frozenset[tuple[str, int]]:
        """The partitions a consumer got in its latest generation that it did not own in
        the one before (marked + : what the rebalance moved to it)."""
        if m.consumer is None or m.consumer.phase != "stable":
            return frozenset()
        generation, owned = m.consumer.generation_id, frozenset(m.consumer.partitions)
        known = self._owned.get(key)
        if known is None or known[0] != generation:
            before = known[1] if known is not None else frozenset()
            known = (generation, owned, owned - before)
            self._owned[key] = known
        return known[2]

    def watch_selected_member(self) -> None:
        if self.view is not None:
            self.refresh_soon()

    # --- what the user does ----------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        under = event.widget.ancestors_with_self if event.widget is not None else []
        column = next((w for w in under if isinstance(w, _Column)), None)
        if column is not None:
            self.selected_member = column.key

    def action_select_member(self, step: int) -> None:
        keys = list(self._columns)
        if keys:
            at = keys.index(self.selected_member) if self.selected_member in keys else 0
            self.selected_member = keys[(at + step) % len(keys)]

    def action_cycle_assignor(self) -> None:
        offered = self.backend.assignors
        self.assignor = offered[(offered.index(self.assignor) + 1) % len(offered)]
        eager = "cooperative: only moving partitions are revoked (KIP-429)"
        if self.assignor != "cooperative-sticky":
            eager = "eager: every member gives up all its partitions at each rebalance"
        self.app.notify(
            f"New consumers use partition.assignment.strategy={self.assignor} ({eager}). The group "
            "uses an assignor every member supports.",
            title="Assignor",
        )
        self.refresh_soon()

    def _new_consumers_line(self) -> str:
        topic, why = self._topic()
        if topic is None:
            return f"new consumers: no topic to subscribe to yet · assignor {self.assignor} (s)"
        return f"new consumers subscribe to {topic} ({why}; t) · assignor {self.assignor} (s)"

    def _topic(self) -> tuple[str | None, str]:
        """The topic a consumer added with a subscribes to, and why that one."""
        names = self.backend.topic_names()
        if self.chosen_topic in names:
            return self.chosen_topic, "chosen"
        if self.view is not None:
            for m in self.view.members:
                if m.consumer is not None and m.consumer.topic in names:
                    return m.consumer.topic, "the group's topic"
            for p in self.view.partitions:
                if p.topic in names:
                    return p.topic, "the group's topic"
        return (names[0], "the first topic") if names else (None, "")

    def action_cycle_topic(self) -> None:
        names = self.backend.topic_names()
        if not names:
            self.app.notify(
                "No topics yet: create one in Topics (2, then n) first.", title="No topic", severity="warning"
            )
            return
        current, _ = self._topic()
        self.chosen_topic = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        self.app.notify(
            f"New consumers (a) subscribe to {self.chosen_topic}. Members of one group may subscribe to "
            "different topics: the assignor shares each topic's partitions among its subscribers.",
            title="Topic",
        )
        self.refresh_soon()

    @reports_errors
    async def action_add_consumer(self) -> None:
        group = self.group or DEFAULT_GROUP
        topic, why = self._topic()
        if topic is None:
            self.app.notify(
                "No topics yet: create one in Topics (2, then n) first.", title="No topic", severity="warning"
            )
            return
        view = await self.backend.add_consumer(group, topic, self.assignor)
        self.group = group
        self.selected_member = view.client_id
        self.app.notify(
            f"{view.client_id} subscribes to {topic} ({why}; t chooses another) and polls: its "
            "JoinGroup makes the coordinator start a rebalance (a new group waits "
            "group.initial.rebalance.delay.ms=3 s for more members first).",
            title=f"{view.client_id} joins {group} on {topic}",
        )
        await self.refresh_data()

    def _selected_consumer_id(self) -> int | None:
        if self.view is not None:
            crashed = {c.client_id for c in self.view.crashed}
            running = [m.consumer for m in self.view.members if m.consumer is not None]
            for consumer in [*running, *self.view.outside]:  # outside: joining, or left
                if consumer.client_id == self.selected_member and consumer.client_id not in crashed:
                    return consumer.consumer_id
        self.app.notify(
            "Choose one of the workbench's running consumers (←/→); press a to start one.",
            title="No consumer selected",
            severity="warning",
        )
        return None

    @reports_errors
    async def action_crash(self) -> None:
        cid = self._selected_consumer_id()
        if cid is None:
            return
        await self.backend.crash_consumer(cid)
        self.app.notify(
            f"{self.selected_member} died without a LeaveGroup: the coordinator keeps it, and its "
            "partitions stay unread, until session.timeout.ms passes without a heartbeat; then the "
            "others rebalance.",
            title=f"{self.selected_member} crashed",
            severity="warning",
        )
        await self.refresh_data()

    @reports_errors
    async def action_stop(self) -> None:
        cid = self._selected_consumer_id()
        if cid is None:
            return
        await self.backend.stop_consumer(cid)
        self.app.notify(
            f"{self.selected_member} committed its offsets and sent LeaveGroup: the coordinator "
            "rebalances at once.",
            title=f"{self.selected_member} stopped",
        )
        await self.refresh_data()

    @reports_errors
    async def action_pause(self) -> None:
        cid = self._selected_consumer_id()
        if cid is None:
            return
        paused = await self.backend.pause_consumer(cid)
        if paused:
            message = (
                "It stops polling but keeps heartbeating: it stays in the group while its lag "
                "grows, until max.poll.interval.ms passes and it leaves."
            )
        else:
            message = "It polls again (rejoining the group if it had left) and its lag shrinks."
        title = f"{self.selected_member} {'paused' if paused else 'resumed'}"
        self.app.notify(message, title=title)
        await self.refresh_data()

    @reports_errors
    async def action_reset_offsets(self) -> None:
        """kafka-consumer-groups.sh --reset-offsets: a dry run, then --execute."""
        if self.group is None:
            return
        view = await self.backend.describe_group(self.group)

        async def done(reset: bool | None) -> None:
            if reset:
                await self.refresh_data()

        self.app.push_screen(ResetOffsetsScreen(self.backend, view), done)


def _list_entry(group_id: str, state: str) -> str:
    return f"{group_id}\n  {state}"


def _key(m: GroupMemberView) -> str:
    return m.consumer.client_id if m.consumer is not None else m.member_id


_PHASES = {
    "revoking": "⟲ revoking its partitions",
    "joining": "→ JoinGroup sent: waiting for the others",
    "syncing": "→ SyncGroup sent: waiting for its assignment",
    "rejoining": "⟲ rebalance: rejoins at its next poll",
    "left": "left: no poll within max.poll.interval.ms",
}


def _phase_line(m: GroupMemberView) -> str:
    assert m.consumer is not None
    if m.consumer.phase == "stable":
        return f"✔ generation {m.consumer.generation_id}"
    return _PHASES.get(m.consumer.phase, m.consumer.phase)


def _status_line(status: str, m: GroupMemberView) -> str:
    if status == "external":
        return f"{m.client_id} · not run by the workbench"
    if status == str(ConsumerStatus.CRASHED):
        return "crashed · session expiring"
    assert m.consumer is not None
    line = f"{status} · {m.consumer.assignor}"
    if m.consumer.error:
        line += f" · {m.consumer.error}"
    return line
