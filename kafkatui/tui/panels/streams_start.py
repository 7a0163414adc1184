"""The Streams panel's start dialog: one of the bundled examples, the application.id it
runs under (its consumer group and the prefix of its internal topics) and the topic its
first stream reads, checked against the cluster before anything starts."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.streams.local import EXAMPLES, example
from kafkatui.tui.widgets.field import Field


@dataclass(frozen=True)
class StartSpec:
    example: str  # a name in EXAMPLES
    application_id: str
    input_topic: str


class StartExampleScreen(ModalScreen[StartSpec | None]):
    """Pick an example; its application.id and input topic are filled in, and editable."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, backend: Backend, running: set[str]) -> None:
        super().__init__()
        self.backend = backend
        self.running = running  # application ids already running in this process

    def compose(self) -> ComposeResult:
        first = EXAMPLES[0]
        with Vertical():
            yield Static("Start a Kafka Streams example", classes="title")
            yield Label("Example")
            yield Select(
                [(f"{e.name}: {e.description}", e.name) for e in EXAMPLES],
                value=first.name, allow_blank=False, id="streams-example",
            )  # fmt: skip
            yield Label("application.id (its consumer group, the prefix of its internal topics)")
            yield Field(first.application_id, id="streams-app-id")
            yield Label("Input topic (what its first stream reads)")
            yield Field(first.input_topic, id="streams-input")
            yield Static("", id="streams-start-error", classes="error -empty")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Start", id="start", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#streams-example", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK:
            return
        chosen = example(str(event.value))
        self.query_one("#streams-app-id", Input).value = chosen.application_id
        self.query_one("#streams-input", Input).value = chosen.input_topic
        self._show(None)

    def problem(self) -> str | None:
        """Why the form cannot start yet, in Kafka's words where Kafka has some."""
        app_id = self.query_one("#streams-app-id", Input).value.strip()
        topic = self.query_one("#streams-input", Input).value.strip()
        if not app_id:
            return "INVALID_CONFIG: application.id is required"
        if app_id in self.running:
            return f"INVALID_CONFIG: {app_id} already runs here: stop it first (x)"
        if topic not in self.backend.topic_names():
            # What KafkaStreams#start would say a moment later (MissingSourceTopicException).
            return (
                f"UNKNOWN_TOPIC_OR_PARTITION: topic '{topic}' does not exist: "
                "create it on the Topics panel (2, n) first"
            )
        return None

    def _show(self, problem: str | None) -> None:
        error = self.query_one("#streams-start-error", Static)
        error.update(problem or "")
        error.set_class(problem is None, "-empty")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id == "start":
            self.action_start()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def action_start(self) -> None:
        problem = self.problem()
        self._show(problem)
        if problem is not None:
            return
        self.dismiss(
            StartSpec(
                str(self.query_one("#streams-example", Select).value),
                self.query_one("#streams-app-id", Input).value.strip(),
                self.query_one("#streams-input", Input).value.strip(),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
