"""The Groups panel's offsets reset, as `kafka-consumer-groups.sh --reset-offsets` does
it (`--to-earliest|--to-latest|--to-offset|--shift-by|--to-datetime`): first a dry run
showing each partition's new offset and lag (`--dry-run`), then for real (`--execute`:
AlterConsumerGroupOffsets). The plan is `backends.offset_reset`'s, the CLI's
`group reset-offsets` one, so it refuses a group with members (NON_EMPTY_GROUP) as Kafka does.
The Records panel opens the same dialog for one record (`RecordTarget`): a group chosen
from a list goes to that record's offset on its partition (`--topic t:p --to-offset N`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RecordTarget:
    """A record to reset a group to: its partition's committed offset becomes the
    record's, so the group's next poll there starts with it."""

    topic: str
    partition: int
    offset: int


async def plan_to_record(backend: Backend, group_id: str, target: RecordTarget) -> list[OffsetReset]:
    """`--reset-offsets --group G --topic t:p --to-offset N`: only the record's partition."""
    return await plan_reset(
        backend, group_id, target.topic, ResetStrategy.TO_OFFSET, target.offset, [target.partition]
    )


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
    """Choose where the group's offsets go; enter shows the dry run, ctrl+e executes it.

    Given a `RecordTarget` instead of a group, the choice is the group (from `groups`:
    ListGroups' ids and states) and the destination is the record."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reset.cancel"),
        # priority: an Input would take ctrl+e (end of line) first
        Binding("ctrl+e", "execute", "Execute", id="reset.execute", priority=True),
    ]

    def __init__(
        self,
        backend: Backend,
        view: GroupView | None = None,
        *,
        target: RecordTarget | None = None,
        groups: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        if (view is None) == (target is None):
            raise ValueError("reset either a group's offsets (view) or a group to a record (target)")
        self.backend = backend
        self.view = view
        self.target = target
        self.groups = list(groups)
        self.planned: list[OffsetReset] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="reset-dialog"):
            if self.target is None:
                assert self.view is not None
                yield Label(
                    f"Reset offsets · group {self.view.group_id} ({self.view.state})", id="reset-title"
                )
                yield Select[str](
                    [(f"--{s}", str(s)) for s in STRATEGIES], value=str(ResetStrategy.TO_EARLIEST),
                    allow_blank=False, id="reset-to",
                )  # fmt: skip
                yield Input(placeholder="offset, shift, or time: -15m, ISO-8601, epoch ms", id="reset-value")
            else:
                t = self.target
                yield Label(
                    f"Reset a group to {t.topic} P{t.partition} offset {t.offset} "
                    f"(--topic {t.topic}:{t.partition} --to-offset {t.offset})",
                    id="reset-title",
                )
                yield Select[str](
                    [(f"{group} ({state})", group) for group, state in self.groups],
                    prompt="group", id="reset-group",
                )  # fmt: skip
            yield Static("enter: dry run (--dry-run)", id="reset-preview")
            yield Label("enter dry run · ctrl+e execute the dry run shown · esc cancel", id="reset-hint")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.dry_run()

    async def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "reset-group" or event.value in (
            ResetStrategy.TO_EARLIEST,
            ResetStrategy.TO_LATEST,
        ):
            await self.dry_run()

    async def _plan(self) -> list[OffsetReset]:
        if self.target is None:
            assert self.view is not None
            strategy = ResetStrategy(str(self.query_one("#reset-to", Select).value))
            return await plan_group(
                self.backend, self.view, strategy, self.query_one("#reset-value", Input).value
            )
        group = self.query_one("#reset-group", Select).value
        if not isinstance(group, str):
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "choose the group to reset")
        self.view = await self.backend.describe_group(group)
        return await plan_to_record(self.backend, group, self.target)

    async def dry_run(self) -> None:
        preview = self.query_one("#reset-preview", Static)
        self.planned = None  # what is executed is only ever the dry run on screen
        try:
            planned = await self._plan()
        except KafkaError as error:
            preview.update(f"{error.name}: {error.message}")
            return
        assert self.view is not None
        marks = {(p.topic, p.partition): p.high_watermark for p in self.view.partitions}
        for topic in {r.topic for r in planned if (r.topic, r.partition) not in marks}:
            # no offset committed there yet: the lag is against the topic's own HW
            for p in self.backend.describe_topic(topic).partitions:
                marks.setdefault((topic, p.partition), max(p.high_watermark, 0))
        self.planned = planned
        preview.update(dry_run_text(planned, marks) + "\n\nctrl+e executes this (--execute)")

    async def action_execute(self) -> None:
        if self.planned is None:
            await self.dry_run()  # never executes what was not shown
            return
        assert self.view is not None
        try:
            await execute_reset(self.backend, self.view.group_id, self.planned)
        except KafkaError as error:
            notify_error(self.app, error)
            return
        self.app.notify(f"{len(self.planned)} partition(s) reset.", title=f"Group {self.view.group_id}")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
