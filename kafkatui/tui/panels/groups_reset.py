"""The Groups panel's offsets reset, as `kafka-consumer-groups.sh --reset-offsets` does
it (`--to-earliest|--to-latest|--to-offset|--shift-by|--to-datetime`): first a dry run
showing each partition's new offset and lag (`--dry-run`), then for real (`--execute`:
AlterConsumerGroupOffsets). The plan is `backends.offset_reset`'s, the CLI's
`group reset-offsets` one, so it refuses a group with members (NON_EMPTY_GROUP) as Kafka does.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from kafkatui.backends.base import Backend, GroupView
from kafkatui.backends.offset_reset import OffsetReset, ResetStrategy, execute_reset, plan_reset
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.browse.seek import parse_time
from kafkatui.tui.panels.base import notify_error

# What the dialog offers: kafka-consumer-groups.sh's scenarios by their option names.
STRATEGIES = (
    ResetStrategy.TO_EARLIEST, ResetStrategy.TO_LATEST, ResetStrategy.TO_OFFSET, ResetStrategy.SHIFT_BY,
    ResetStrategy.TO_DATETIME,
)  # fmt: skip


async def plan_group(
    backend: Backend, view: GroupView, strategy: ResetStrategy, text: str = ""
) -> list[OffsetReset]:
    """The plan for every topic the group has offsets on (`backends.offset_reset`, as the
    CLI's `group reset-offsets`); a time is ISO-8601, relative (-15m) or epoch ms."""
    topics = sorted({p.topic for p in view.partitions})
    if not topics:
        raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"group {view.group_id} has no offsets to reset")
    value: int | None = None
    if strategy is ResetStrategy.TO_DATETIME:
        value = parse_time(text)
    elif strategy in (ResetStrategy.TO_OFFSET, ResetStrategy.SHIFT_BY):
        try:
            value = int(text.strip())
        except ValueError:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"--{strategy} needs a number, not {text!r}"
            ) from None
    plan: list[OffsetReset] = []
    for topic in topics:
        plan += await plan_reset(backend, view.group_id, topic, strategy, value)
    return plan


def dry_run_text(plan: list[OffsetReset], high_watermarks: dict[tuple[str, int], int]) -> str:
    """The tool's --dry-run table, with the lag before and after."""
    lines = [f"{'TOPIC':<20} {'PART':>4} {'CURRENT':>9} {'NEW':>9} {'LAG NOW':>8} {'NEW LAG':>8}"]
    for r in plan:
        hw = high_watermarks.get((r.topic, r.partition), r.new)
        current = "-" if r.old < 0 else str(r.old)
        lag = "-" if r.old < 0 else str(hw - r.old)
        lines.append(f"{r.topic[:20]:<20} {r.partition:>4} {current:>9} {r.new:>9} {lag:>8} {hw - r.new:>8}")
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
        self.planned: list[OffsetReset] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="reset-dialog"):
            yield Label(f"Reset offsets · group {self.view.group_id} ({self.view.state})", id="reset-title")
            yield Select[str](
                [(f"--{s}", str(s)) for s in STRATEGIES], value=str(ResetStrategy.TO_EARLIEST),
                allow_blank=False, id="reset-to",
            )  # fmt: skip
            yield Input(placeholder="offset, shift, or time: -15m, ISO-8601, epoch ms", id="reset-value")
            yield Static("enter: dry run (--dry-run)", id="reset-preview")
            yield Label("enter dry run · ctrl+e execute the dry run shown · esc cancel", id="reset-hint")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.dry_run()

    async def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value in (ResetStrategy.TO_EARLIEST, ResetStrategy.TO_LATEST):
            await self.dry_run()

    async def dry_run(self) -> None:
        strategy = ResetStrategy(str(self.query_one("#reset-to", Select).value))
        preview = self.query_one("#reset-preview", Static)
        try:
            self.planned = await plan_group(
                self.backend, self.view, strategy, self.query_one("#reset-value", Input).value
            )
        except KafkaError as error:
            self.planned = None
            preview.update(f"{error.name}: {error.message}")
            return
        marks = {(p.topic, p.partition): p.high_watermark for p in self.view.partitions}
        preview.update(dry_run_text(self.planned, marks) + "\n\nctrl+e executes this (--execute)")

    async def action_execute(self) -> None:
        if self.planned is None:
            await self.dry_run()  # never executes what was not shown
            return
        try:
            await execute_reset(self.backend, self.view.group_id, self.planned)
        except KafkaError as error:
            notify_error(self.app, error)
            return
        self.app.notify(f"{len(self.planned)} partition(s) reset.", title=f"Group {self.view.group_id}")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
