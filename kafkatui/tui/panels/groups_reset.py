"""Reset a consumer group's offsets, as `kafka-consumer-groups.sh --reset-offsets` does:
to the earliest or latest offset, an offset, or the first offset at a time
(`--to-earliest|--to-latest|--to-offset|--to-datetime`), first as a dry run showing each
partition's new offset and lag (`--dry-run`), then for real (`--execute`: an
AlterConsumerGroupOffsets, refused while the group has members).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from kafkatui.backends.base import Backend, GroupView
from kafkatui.backends.views import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.browse.seek import parse_time
from kafkatui.tui.panels.base import notify_error

STRATEGIES = ("earliest", "latest", "offset", "timestamp")


@dataclass(frozen=True)
class ResetRow:
    """One partition of a dry run: where the group is, and where it would be."""

    topic: str
    partition: int
    committed: int  # -1: nothing committed
    new: int
    high_watermark: int

    @property
    def new_lag(self) -> int:
        return self.high_watermark - self.new


async def plan_reset(backend: Backend, view: GroupView, strategy: str, value: str = "") -> list[ResetRow]:
    """Each of the group's partitions' new offset. Like Kafka's tool, an offset outside
    the log is moved to its nearest end, and a time past the last record goes to the end."""
    by_topic: dict[str, list[int]] = {}
    for p in view.partitions:
        by_topic.setdefault(p.topic, []).append(p.partition)
    if not by_topic:
        raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"group {view.group_id} has no partitions to reset")
    rows = []
    for topic, partitions in by_topic.items():
        earliest = await backend.list_offsets(topic, partitions, EARLIEST_TIMESTAMP)
        latest = await backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)
        if strategy == "earliest":
            new = earliest
        elif strategy == "latest":
            new = latest
        elif strategy == "offset":
            offset = _offset(value)
            new = {p: min(max(offset, earliest[p]), latest[p]) for p in partitions}
        elif strategy == "timestamp":
            found = await backend.list_offsets(topic, partitions, parse_time(value))
            new = {p: latest[p] if o < 0 else o for p, o in found.items()}
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"unknown reset strategy {strategy!r}")
        committed = {(p.topic, p.partition): p.committed for p in view.partitions}
        rows += [ResetRow(topic, p, committed[(topic, p)], new[p], latest[p]) for p in sorted(partitions)]
    return rows


def _offset(text: str) -> int:
    try:
        offset = int(text.strip())
    except ValueError:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"{text!r} is not an offset") from None
    if offset < 0:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"offset {offset} is negative")
    return offset


def dry_run_text(rows: list[ResetRow]) -> str:
    """The tool's --dry-run table: TOPIC PARTITION, then the offset and lag before and after."""
    lines = [f"{'TOPIC':<20} {'PART':>4} {'CURRENT':>9} {'NEW':>9} {'LAG NOW':>8} {'NEW LAG':>8}"]
    for r in rows:
        current = "-" if r.committed < 0 else str(r.committed)
        lag = "-" if r.committed < 0 else str(r.high_watermark - r.committed)
        lines.append(f"{r.topic[:20]:<20} {r.partition:>4} {current:>9} {r.new:>9} {lag:>8} {r.new_lag:>8}")
    return "\n".join(lines)


class ResetOffsetsScreen(ModalScreen[bool]):
    """Choose where the group's offsets go; enter shows the dry run, ctrl+e executes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reset.cancel"),
        # priority: an Input would take ctrl+e (end of line) first
        Binding("ctrl+e", "execute", "Execute", id="reset.execute", priority=True),
    ]

    def __init__(self, backend: Backend, view: GroupView) -> None:
        super().__init__()
        self.backend = backend
        self.view = view
        self.planned: list[ResetRow] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="reset-dialog"):
            yield Label(f"Reset offsets · group {self.view.group_id} ({self.view.state})", id="reset-title")
            yield Select[str](
                [(s, s) for s in STRATEGIES], value="earliest", allow_blank=False, id="reset-to"
            )
            yield Input(placeholder="offset, or time: -15m, ISO-8601, epoch ms", id="reset-value")
            yield Static("enter: dry run (--dry-run)", id="reset-preview")
            yield Label("enter dry run · ctrl+e execute the dry run shown · esc cancel", id="reset-hint")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.dry_run()

    async def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value in ("earliest", "latest"):
            await self.dry_run()

    async def dry_run(self) -> None:
        strategy = str(self.query_one("#reset-to", Select).value)
        preview = self.query_one("#reset-preview", Static)
        try:
            self.planned = await plan_reset(
                self.backend, self.view, strategy, self.query_one("#reset-value", Input).value
            )
        except KafkaError as error:
            self.planned = None
            preview.update(f"{error.name}: {error.message}")
            return
        preview.update(dry_run_text(self.planned) + "\n\nctrl+e executes this (--execute)")

    async def action_execute(self) -> None:
        if self.planned is None:
            await self.dry_run()  # never executes what was not shown
            return
        offsets = {(r.topic, r.partition): r.new for r in self.planned}
        try:
            await self.backend.alter_group_offsets(self.view.group_id, offsets)
        except KafkaError as error:
            notify_error(self.app, error)
            return
        self.app.notify(f"{len(offsets)} partition(s) reset.", title=f"Group {self.view.group_id}")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
