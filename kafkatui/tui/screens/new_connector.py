"""A new Kafka Connect connector: a plugin picked from `GET /connector-plugins`, its
config filled in a form built from `GET /connector-plugins/{p}/config` (or a JSON config
pasted in the JSON tab), checked with `PUT .../config/validate` (every problem shown
beside its field) before `POST /connectors` creates it."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane, TextArea

from kafkatui.tui.connect_client import (
    ConnectClient,
    ConnectDown,
    ConnectRefused,
    Field,
    form_fields,
    problems,
    template,
)

FORM, JSON_TAB = "connect-tab-form", "connect-tab-json"


def parse(text: str) -> tuple[str | None, dict[str, Any]]:
    """The editor's JSON: a config object, or Connect's create body `{"name", "config"}`
    (as `kafkatui connect create FILE` takes it). Raises ValueError on anything else."""
    body = json.loads(text)
    if not isinstance(body, dict):
        raise ValueError("the config must be a JSON object")
    if isinstance(body.get("config"), dict):
        body = {**body["config"], **({"name": body["name"]} if "name" in body else {})}
    name = body.pop("name", None)
    # Connect's configs are strings (Jackson reads 1 and true as "1" and "true").
    config = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in body.items() if v is not None}
    return (str(name) if name else None), config


def one_line(error: Exception) -> str:
    """A refusal or an unreachable worker as the one line the dialog shows (a 400's body
    lists every problem on lines of its own; validation has shown them per field)."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def short(plugin: str) -> str:
    return plugin.rpartition(".")[2]


class NewConnectorScreen(ModalScreen[str | None]):
    """Dismissed with the created connector's name, or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create", id="connect.form.create",
                tooltip="Validate the config with the worker (PUT .../config/validate), then create it"),
        Binding("escape", "cancel", "Cancel", id="connect.form.cancel"),
    ]  # fmt: skip

    def __init__(self, client: ConnectClient) -> None:
        super().__init__()
        self.client = client
        self.kinds: dict[str, str] = {}  # plugin class → source or sink
        self.fields: list[Field] = []
        self.extra: dict[str, Any] = {}  # keys a pasted JSON set that the form has no field for
        self.problems: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New connector", classes="section")
            with Horizontal(id="connect-head"):
                yield Select[str]([], prompt="Plugin", id="connect-plugin")
                yield Input(placeholder="name (required)", id="connect-name")
            yield Static("", id="error-name", classes="field-error")
            with TabbedContent(initial=FORM, id="connect-tabs"):
                with TabPane("Form", id=FORM):
                    yield VerticalScroll(Static("Pick a plugin.", classes="hint"), id="connect-form")
                with TabPane("JSON", id=JSON_TAB):
                    yield TextArea("{}", language="json", id="connect-config")
            yield Static("", id="connect-doc", classes="hint")
            yield Static("", id="connect-problems")
            yield Static("ctrl+s validate and create · esc cancel · paste a JSON config in the JSON tab",
                         classes="hint")  # fmt: skip

    @property
    def editor(self) -> TextArea:
        return self.query_one("#connect-config", TextArea)

    @property
    def plugin(self) -> str | None:
        value = self.query_one("#connect-plugin", Select).value
        return value if isinstance(value, str) else None

    def on_mount(self) -> None:
        self.load_plugins()

    @work(exclusive=True, group="plugins")
    async def load_plugins(self) -> None:
        try:
            found = await self.client.plugins()
        except (ConnectDown, ConnectRefused) as error:
            self.show_problems({"": [one_line(error)]})
            return
        self.kinds = {str(p["class"]): str(p.get("type", "")) for p in found}
        picker = self.query_one("#connect-plugin", Select)
        picker.set_options((f"{short(p)} ({kind})", p) for p, kind in sorted(self.kinds.items()))

    # --- the form ------------------------------------------------------------------------

    @on(Select.Changed, "#connect-plugin")
    def plugin_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.fill(event.value)

    @work(exclusive=True, group="fill")
    async def fill(self, plugin: str) -> None:
        try:
            definitions = await self.client.plugin_config(plugin)
        except (ConnectDown, ConnectRefused) as error:
            self.show_problems({"": [one_line(error)]})
            return
        self.fields = form_fields(definitions, self.kinds.get(plugin, ""))
        self.extra = {}
        form = self.query_one("#connect-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(self._row(n, field) for n, field in enumerate(self.fields))
        self.editor.text = json.dumps(template(self.fields, plugin), indent=2)
        self.show_problems({})

    @staticmethod
    def _row(n: int, field: Field) -> Vertical:
        label = Text(field.name, style="bold" if field.required else "")
        if field.required:
            label.append(" *", style="bold red")
        hint = "required" if field.required else f"default: {field.default}" if field.default else "optional"
        entry = Input(placeholder=hint, id=f"field-{n}", name=field.name, tooltip=field.documentation or None)
        return Vertical(
            Horizontal(Label(label), entry, classes="field-row"),
            Static("", id=f"error-{n}", classes="field-error"),
            classes="field",
        )

    def form_config(self) -> dict[str, Any]:
        """What the form says: what a field holds when filled (an empty one takes the
        worker's default), over the keys a pasted JSON set that have no field."""
        config = dict(self.extra)
        for n, field in enumerate(self.fields):
            value = self.query_one(f"#field-{n}", Input).value.strip()
            if value:
                config[field.name] = value
            else:
                config.pop(field.name, None)
        return config

    @on(TabbedContent.TabActivated, "#connect-tabs")
    def tab_changed(self, event: TabbedContent.TabActivated) -> None:
        """Switching tabs carries the config over, so neither way loses what was typed."""
        event.stop()  # the app's own tabs are the panels: this one is not theirs
        if self.plugin is None:
            return
        if event.pane.id == JSON_TAB:
            self.editor.text = json.dumps({"connector.class": self.plugin, **self.form_config()}, indent=2)
            return
        try:
            named, config = parse(self.editor.text)
        except ValueError as error:
            self.show_problems({"JSON": [str(error)]})
            return
        config.pop("connector.class", None)
        if named and not self.query_one("#connect-name", Input).value:
            self.query_one("#connect-name", Input).value = named
        by_name = {field.name: n for n, field in enumerate(self.fields)}
        for n in by_name.values():
            self.query_one(f"#field-{n}", Input).value = ""
        self.extra = {}
        for key, value in config.items():
            if key in by_name:
                self.query_one(f"#field-{by_name[key]}", Input).value = str(value)
            else:
                self.extra[key] = value

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """The focused field's documentation, as the worker gives it."""
        doc = ""
        if isinstance(event.widget, Input) and event.widget.id and event.widget.id.startswith("field-"):
            field = self.fields[int(event.widget.id.removeprefix("field-"))]
            doc = f"{field.name}: {field.documentation}" if field.documentation else ""
        self.query_one("#connect-doc", Static).update(doc)

    # --- problems ------------------------------------------------------------------------

    def show_problems(self, found: dict[str, list[str]]) -> None:
        """Each problem beside its field when the form shows it; the rest (the JSON tab's,
        a key without a field, the worker's refusal) in the list under the tabs."""
        self.problems = found
        in_form = self.query_one("#connect-tabs", TabbedContent).active == FORM
        placed = {"name": "#error-name"}
        if in_form:
            placed.update({field.name: f"#error-{n}" for n, field in enumerate(self.fields)})
        for where in {"#error-name", *(f"#error-{n}" for n in range(len(self.fields)))}:
            self.query_one(where, Static).display = False
        rest = Text()
        for field, errors in found.items():
            if field in placed:
                beside = self.query_one(placed[field], Static)
                beside.update(Text("✘ " + "; ".join(errors), style="red"))
                beside.display = True
                continue
            for error in errors:
                if rest:
                    rest.append("\n")
                rest.append(f"✘ {field}: " if field else "✘ ", style="bold red")
                rest.append(error)
        self.query_one("#connect-problems", Static).update(rest)

    # --- creating ----------------------------------------------------------------------

    @work(exclusive=True, group="create")
    async def action_create(self) -> None:
        if self.query_one("#connect-tabs", TabbedContent).active == JSON_TAB:
            try:
                named, config = parse(self.editor.text)
            except ValueError as error:
                self.show_problems({"JSON": [str(error)]})
                return
        else:
            named, config = None, self.form_config()
        plugin = str(config.get("connector.class") or self.plugin or "")
        name = self.query_one("#connect-name", Input).value.strip() or named or ""
        if not plugin:
            self.show_problems({"connector.class": ["Pick a plugin (or give connector.class in the JSON)"]})
            return
        config["connector.class"] = plugin
        try:
            found = problems(await self.client.validate(plugin, {**config, "name": name}))
            if not name:
                found.setdefault("name", []).append("A connector needs a name")
            if found:
                self.show_problems(found)
                return
            await self.client.create(name, config)
        except (ConnectDown, ConnectRefused) as error:
            self.show_problems({"": [one_line(error)]})
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
