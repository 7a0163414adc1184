"""A schema editor that asks the Schema Registry "would this be compatible?" each time the
typing pauses, and says why not in the registry's words."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Select, Static, TextArea

from kafkatui.ecosystem.serde.client import RegistryClientError
from kafkatui.tui.registry import (
    CheckResult,
    RegistryBrowser,
    meaning,
    reason_text,
    refusal_text,
    refusal_title,
)
from kafkatui.tui.widgets.field import Field

CHECK_DELAY = 0.4  # seconds of quiet before the registry is asked (not at every key)
SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")
# What a new subject starts from: a small, valid schema of each type.
TEMPLATES = {
    "AVRO": '{\n  "type": "record",\n  "name": "Order",\n  "fields": [\n'
    '    {"name": "id", "type": "string"},\n    {"name": "price", "type": "double"}\n  ]\n}',
    "JSON": '{\n  "type": "object",\n  "title": "Order",\n  "properties": {\n'
    '    "id": {"type": "string"},\n    "price": {"type": "number"}\n  },\n  "required": ["id"]\n}',
    "PROTOBUF": 'syntax = "proto3";\n\nmessage Order {\n  string id = 1;\n  double price = 2;\n}',
}


class SchemaEditor(Vertical):
    """Subject, schema type and text. Each pause in typing asks POST
    /compatibility/subjects/{s}/versions?verbose=true through `browser` (nothing is
    registered); `check` holds the answer for what the editor holds now, else None."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"schema-editor--ok", "schema-editor--refused"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.browser: RegistryBrowser | None = None
        self.check: CheckResult | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="schema-editor-bar"):
            yield Field(placeholder="subject, e.g. orders-value", id="schemas-subject")
            yield Select[str](
                [(t, t) for t in SCHEMA_TYPES], value="AVRO", allow_blank=False, id="schemas-type"
            )
        yield TextArea(id="schemas-source", show_line_numbers=True)
        yield Static("", id="schemas-check")

    @property
    def source(self) -> TextArea:
        return self.query_one("#schemas-source", TextArea)

    @property
    def value(self) -> tuple[str, str, str]:
        """The subject, schema type and schema text."""
        kind = self.query_one("#schemas-type", Select).value
        return (
            self.query_one("#schemas-subject", Field).value.strip(),
            kind if isinstance(kind, str) else "AVRO",
            self.source.text,
        )

    def start(self, subject: str, kind: str, text: str | None) -> None:
        """Edit `text` (None: the type's template) as `subject`'s next version."""
        kind = kind if kind in SCHEMA_TYPES else "AVRO"
        field = self.query_one("#schemas-subject", Field)
        kinds = self.query_one("#schemas-type", Select)
        with (
            field.prevent(Input.Changed),
            kinds.prevent(Select.Changed),
            self.source.prevent(TextArea.Changed),
        ):
            field.value = subject
            kinds.value = kind
            self.source.load_text(TEMPLATES[kind] if text is None else text)
        (self.source if subject else field).focus()
        self.recheck()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @on(TextArea.Changed, "#schemas-source")
    @on(Input.Changed, "#schemas-subject")
    def _edited(self) -> None:
        self.recheck()

    @on(Select.Changed, "#schemas-type")
    def _type_chosen(self, event: Select.Changed) -> None:
        if not self.source.text.strip() or self.source.text in TEMPLATES.values():
            self.source.load_text(TEMPLATES.get(str(event.value), ""))  # a template follows its type
        self.recheck()

    def recheck(self) -> None:
        """Ask the registry again once the typing pauses (also after a level changed)."""
        self.stop()
        self.check = None
        self.query_one("#schemas-check", Static).update(Text("checking…", style="italic"))
        self._timer = self.set_timer(CHECK_DELAY, self._ask)

    def _ask(self) -> None:
        self._timer = None
        self.run_worker(self._run_check, group="schema-check", exclusive=True, exit_on_error=False)

    async def _run_check(self) -> None:
        asked = subject, kind, text = self.value
        status = self.query_one("#schemas-check", Static)
        if self.browser is None:
            return
        if not subject:
            status.update(Text("Name the subject first (a topic's values: <topic>-value)."))
            return
        if not text.strip():
            status.update(Text(f"Write a {kind} schema."))
            return
        try:
            result = await self.browser.check(subject, text, kind)
        except RegistryClientError as error:
            status.update(Text(f"{refusal_title(error)}: {refusal_text(error)}"))
            return
        if self.value == asked:  # still what was asked about
            self.check = result
            status.update(self._check_text(subject, kind, result))

    def _check_text(self, subject: str, kind: str, result: CheckResult) -> Text:
        ok = self.get_component_rich_style("schema-editor--ok")
        refused = self.get_component_rich_style("schema-editor--refused")
        if result.invalid is not None:
            return Text(f"✘ Not a valid {kind} schema: {result.invalid}", style=refused)
        level = f"{result.level}: {meaning(result.level)}"
        if result.compatible and result.level == "NONE":
            return Text(f"✔ Valid, and {level}. ctrl+s registers it.", style=ok)
        if result.compatible and not result.against:
            return Text(
                f"✔ Valid; {subject} has no version to check it against. ctrl+s registers it.", style=ok
            )
        if result.compatible:
            versions = ", ".join(str(v) for v in result.against)
            return Text(f"✔ Compatible with version {versions} under {level}. ctrl+s registers it.", style=ok)
        out = Text(f"✘ Not compatible under {result.level} ({meaning(result.level)}):", style=refused)
        for reason in result.reasons:
            out.append(f"\n  • {reason_text(reason)}")
        return out
