"""Ask for an offset to jump to in one partition, checked against its log."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kafkatui.tui.widgets.field import Field


def check_offset(text: str, partition: int, log_start: int, log_end: int) -> int | str:
    """The offset typed, or why it cannot be jumped to."""
    text = text.strip().replace(",", "").replace("_", "")
    if log_end <= log_start:
        return f"P{partition} is empty: there is no offset to jump to yet."
    if not text:
        return f"Type an offset from {log_start} to {log_end - 1}."
    try:
        offset = int(text)
    except ValueError:
        return f"{text!r} is not an offset."
    if not log_start <= offset < log_end:
        return (
            f"Offset {offset} is out of range: P{partition} holds {log_start}…{log_end - 1} "
            f"(log start {log_start}, LEO {log_end})."
        )
    return offset


class JumpScreen(ModalScreen[int | None]):
    """A small dialog: which offset of the partition to show. Dismisses with it, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="jump.cancel")]

    def __init__(self, topic: str, partition: int, log_start: int, log_end: int) -> None:
        super().__init__()
        self.topic = topic
        self.partition = partition
        self.log_start = log_start
        self.log_end = log_end

    def compose(self) -> ComposeResult:
        with Vertical(id="jump-dialog"):
            yield Label(f"Jump to offset · {self.topic} P{self.partition}", id="jump-title")
            placeholder = f"{self.log_start}…{self.log_end - 1}" if self.log_end > self.log_start else ""
            yield Field(placeholder=placeholder, type="integer", id="jump-offset")
            yield Label("", id="jump-error")
            yield Label("enter jump · esc cancel", id="jump-hint")

    def on_input_changed(self, _: Input.Changed) -> None:
        self.query_one("#jump-error", Label).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        result = check_offset(event.value, self.partition, self.log_start, self.log_end)
        if isinstance(result, str):
            self.query_one("#jump-error", Label).update(result)
        else:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
