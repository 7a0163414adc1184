"""The create-topic dialog, validating as you type: the name as Kafka's clients check it,
the rest by asking the cluster (CreateTopics with validateOnly), so the same rules hold
on kafkatui's own cluster and on a real Kafka."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kafkatui.backends.base import Backend
from kafkatui.common.errors import KafkaError
from kafkatui.common.topic import parse_config_assignment, validate_topic_name
from kafkatui.tui.widgets.field import Field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]


class CreateTopicScreen(ModalScreen[TopicSpec | None]):
    """Name, partitions, replication factor and configs, with inline validation."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.broker_count = len(backend.brokers())
        self._touched: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Create topic", classes="title")
            yield Label("Name")
            yield Field(placeholder="sales", id="name")
            yield Static("", id="name-error", classes="error -empty")
            with Horizontal(classes="pair"):
                with Vertical():
                    yield Label("Partitions")
                    yield Field("3", id="partitions", type="integer")
                    yield Static("", id="partitions-error", classes="error -empty")
                with Vertical():
                    yield Label(f"Replication factor (1..{self.broker_count})")
                    yield Field("1", id="replication", type="integer")
                    yield Static("", id="replication-error", classes="error -empty")
            yield Label("Configs")
            yield Field(placeholder="retention.ms=60000, cleanup.policy=compact", id="configs")
            yield Static("key=value pairs separated by commas", id="configs-error", classes="hint")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _errors(self) -> tuple[dict[str, str], TopicSpec | None]:
        """What can be told without the cluster: the name (Kafka's `Topic.validate`, which
        clients run too), the numbers, the config syntax. The spec to ask about, if any."""
        errors: dict[str, str] = {}
        name = self.query_one("#name", Input).value.strip()
        try:
            validate_topic_name(name)
            if name in self.backend.topic_names():
                errors["name"] = f"TOPIC_ALREADY_EXISTS: topic '{name}' already exists"
        except KafkaError as error:
            errors["name"] = f"{error.name}: {error.message}"
        partitions = _int(self.query_one("#partitions", Input).value)
        if partitions is None or partitions < 1:
            errors["partitions"] = "INVALID_PARTITIONS: at least 1"
        rf = _int(self.query_one("#replication", Input).value)
        if rf is None or not 1 <= rf <= self.broker_count:
            errors["replication"] = (
                f"INVALID_REPLICATION_FACTOR: between 1 and {self.broker_count} (the broker count)"
            )
        configs: dict[str, str] = {}
        text = self.query_one("#configs", Input).value.strip()
        try:
            if text:
                configs = dict(parse_config_assignment(part.strip()) for part in text.split(","))
        except KafkaError as error:
            errors["configs"] = f"{error.name}: {error.message}"
            return errors, None
        return errors, TopicSpec(name, partitions or 1, rf or 1, configs)

    async def _check(self) -> tuple[dict[str, str], TopicSpec | None]:
        """The local checks, then the cluster's: a CreateTopics request with validateOnly
        (nothing is created). The broker answers one error at a time, so with a name
        that is already wrong it is asked about a legal stand-in, and a bad config shows
        beside the bad name."""
        errors, spec = self._errors()
        if spec is None:
            return errors, None
        name = spec.name if "name" not in errors else "kafkatui-validate-only"
        try:
            await self.backend.create_topic(
                name, spec.partitions, spec.replication_factor, spec.configs, validate_only=True
            )
        except KafkaError as error:
            field = _FIELD_OF_ERROR.get(error.name, "configs")
            errors.setdefault(field, f"{error.name}: {error.message}")
        return errors, (None if errors else spec)

    def _show(self, errors: dict[str, str]) -> None:
        for field in ("name", "partitions", "replication"):
            line = self.query_one(f"#{field}-error", Static)
            line.update(errors.get(field, ""))
            line.set_class(field not in errors, "-empty")
        hint = self.query_one("#configs-error", Static)
        hint.update(errors.get("configs", "key=value pairs separated by commas"))
        hint.set_class("configs" in errors, "error")
        hint.set_class("configs" not in errors, "hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        # Only complain about fields the user has touched (and always about the name once typed).
        self._touched.add(event.input.id or "")
        if self.query_one("#name", Input).value:
            self._touched.add("name")
        self._validate()

    @work(exclusive=True, group="validate")
    async def _validate(self) -> None:
        errors, _ = await self._check()  # the latest keystroke's check wins (exclusive)
        self._show({k: v for k, v in errors.items() if k in self._touched})

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self._submit()
        else:
            self.dismiss(None)

    @work(exclusive=True, group="validate")
    async def _submit(self) -> None:
        errors, spec = await self._check()
        self._show(errors)
        if spec is not None:
            self.dismiss(spec)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


# Which field a CreateTopics error belongs to (the rest are about the configs).
_FIELD_OF_ERROR = {
    "INVALID_TOPIC_EXCEPTION": "name",
    "TOPIC_ALREADY_EXISTS": "name",
    "INVALID_PARTITIONS": "partitions",
    "INVALID_REPLICATION_FACTOR": "replication",
}
