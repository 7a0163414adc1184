"""The producer path drawn as four boxes: send → serialize → partition → write."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from kafkatui.backends.base import ProduceTrace, TraceStep

STEP_NAMES = ("send", "serialize", "partition", "write")


class StepBox(Static):
    """One step of the path: its name in the border, what happened inside."""

    def __init__(self, index: int, name: str) -> None:
        super().__init__(Text("waiting"), id=f"step-{name}")
        self.index = index
        self.border_title = name

    def show(self, step: TraceStep | None) -> None:
        """Fill the box with a step, or empty it (None)."""
        self.set_class(step is not None, "-done")
        self.border_title = STEP_NAMES[self.index] if step is None else step.name
        # Text, not markup: details quote the user's key, which may contain "[".
        self.update(Text("waiting" if step is None else step.detail))


class ProducerPath(Widget):
    """Where one produced record went, revealed step by step.

    `show_trace` fills the boxes one after another from a `ProduceTrace` (a short
    `set_timer` between steps, so the path reads as a sequence), then states where the
    record landed. Timers are the UI's own, not the engine clock, so the final state is
    reached on a `ManualClock` too; `complete` says when it is.
    """

    STEP_DELAY: ClassVar[float] = 0.12
    """Seconds between revealing two steps."""

    revealed: reactive[int] = reactive(0, init=False, always_update=True)
    """How many steps of the current trace are shown."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.trace: ProduceTrace | None = None
        self._reveal_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        with Container(id="path-steps"):
            for i, name in enumerate(STEP_NAMES):
                if i:
                    yield Static("→", classes="arrow")
                yield StepBox(i, name)
        yield Static("Send a record to see its path.", id="path-outcome")

    @property
    def complete(self) -> bool:
        """True when the current trace is fully shown (outcome line included)."""
        return self.trace is not None and self.revealed >= len(self.trace.steps)

    @property
    def outcome(self) -> str:
        """The outcome line as plain text."""
        return str(self.query_one("#path-outcome", Static).content)

    def show_trace(self, trace: ProduceTrace, *, animate: bool = True) -> None:
        """Show a record's path; with `animate`, one step at a time."""
        self._cancel_timers()
        self.trace = trace
        self._set_outcome("", "")
        if not animate:
            self.revealed = len(trace.steps)
            return
        self.revealed = 0
        self._reveal_timers = [
            self.set_timer(self.STEP_DELAY * (i + 1), self._reveal_next) for i in range(len(trace.steps))
        ]

    def show_failure(self, message: str) -> None:
        """The record did not get through: empty steps and the error as the outcome."""
        self._cancel_timers()
        self.trace = None
        self.revealed = 0
        self._set_outcome(f"✗ not produced: {message}", "-failed")

    def _reveal_next(self) -> None:
        if self.trace is not None:
            self.revealed = min(self.revealed + 1, len(self.trace.steps))

    def watch_revealed(self) -> None:
        self._render_steps()
        if self.complete and self.trace is not None:
            self._set_outcome(*_outcome(self.trace))

    def _render_steps(self) -> None:
        steps = self.trace.steps if self.trace is not None else ()
        for box in self.query(StepBox):
            shown = box.index < min(self.revealed, len(steps))
            box.show(steps[box.index] if shown else None)
        for i, arrow in enumerate(self.query(".arrow")):
            arrow.set_class(i + 1 < self.revealed, "-done")

    def _set_outcome(self, text: str, state: str) -> None:
        outcome = self.query_one("#path-outcome", Static)
        outcome.update(Text(text))
        outcome.remove_class("-landed", "-unacked", "-failed")
        if state:
            outcome.add_class(state)

    def _cancel_timers(self) -> None:
        for timer in self._reveal_timers:
            timer.stop()
        self._reveal_timers = []


def _outcome(trace: ProduceTrace) -> tuple[str, str]:
    where = f"partition {trace.partition}"
    if trace.offset < 0:
        return (
            f"➜ sent to {where} (leader broker {trace.leader}), no offset: "
            "with acks=0 the producer does not wait for the broker",
            "-unacked",
        )
    return (
        f"✔ landed in {where} at offset {trace.offset} (leader broker {trace.leader}) "
        f"· {trace.latency_ms:.1f} ms",
        "-landed",
    )
