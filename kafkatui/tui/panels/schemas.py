"""The Schemas panel: the Schema Registry's subjects, their versions and schemas, a diff
between two versions, compatibility levels, and a schema editor that asks the registry
"would this be compatible?" as you type, then registers it."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static

from kafkatui.backends.base import Backend
from kafkatui.common.events import Event, RecordAppended, TopicCreated, TopicDeleted
from kafkatui.ecosystem.serde.client import RegistryClientError
from kafkatui.formatting import pretty_schema, schema_diff
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.registry import (
    Compatibility,
    RegistryBrowser,
    SubjectRow,
    VersionRow,
    meaning,
    refusal_text,
    refusal_title,
)
from kafkatui.tui.registry_serde import NO_REGISTRY
from kafkatui.tui.screens.compatibility import CompatibilityScreen
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.widgets.schema_editor import SchemaEditor

SCHEMAS_TOPIC = "_schemas"  # where the registry keeps everything (Confluent's kafkastore.topic)
AFTER_THE_READER_S = 0.5  # a second look after a `_schemas` record (on_engine_events)
NO_SUBJECTS = (
    "No subjects yet. Press n to write a schema and register it. A topic's values are "
    "usually the subject <topic>-value (TopicNameStrategy), its keys <topic>-key."
)
View = Literal["schema", "diff", "editor"]


class SchemasPanel(Panel):
    """The Schema Registry (Confluent's REST API, at `Backend.schema_registry_url`).

    Left: subjects (soft-deleted ones marked), the selected subject's versions with
    their global ids and types, and its compatibility level beside the global one.
    Right: the selected version's schema, a diff of two versions, or the editor, where
    each pause in typing asks POST /compatibility/subjects/{s}/versions?verbose=true and
    shows the registry's reasons. Deletes are Confluent's two steps: soft, then
    permanent. The panel follows the `_schemas` topic, so a registration from anywhere
    (the CLI, a client's serializer) shows up at once.
    """

    PANEL_ID = "schemas"
    TITLE = "Schemas"
    TITLE_PT = "Esquemas"
    KEY = "8"
    REFRESH_HIDDEN = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "schemas--added", "schemas--removed", "schemas--hunk",
    }  # fmt: skip

    # Panel's own (escape leaves a field) first: a class's binding for a key replaces its
    # base's, and escape must still leave the editor's fields before it closes the editor.
    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding(
            "n", "edit", "New version", id="schemas.edit",
            tooltip="Write a schema (from the selected version, or a new subject) and check it as you type",
        ),
        Binding(
            "ctrl+s", "register", "Register", id="schemas.register",
            tooltip="Register the editor's schema as the subject's next version (if compatible)",
        ),
        Binding(
            "d", "diff", "Diff", id="schemas.diff",
            tooltip="Show what changed from the version before (or the one marked: m) to the selected one",
        ),
        Binding(
            "m", "mark", "Mark", id="schemas.mark",
            tooltip="Mark the selected version: d then compares other versions with it",
        ),
        Binding(
            "c", "compatibility", "Level", id="schemas.compatibility",
            tooltip="Set the selected subject's compatibility level (or let it follow the global one)",
        ),
        Binding(
            "g", "global_compatibility", "Global level", id="schemas.global",
            tooltip="Set the global compatibility level, which subjects without their own follow",
        ),
        Binding(
            "x", "delete_version", "Delete", id="schemas.delete_version",
            tooltip="Soft-delete the selected version; on a soft-deleted one, delete it for good (asks)",
        ),
        Binding(
            "X", "delete_subject", "Delete subject", id="schemas.delete_subject",
            tooltip="Soft-delete the selected subject; on a soft-deleted one, delete it for good (asks)",
        ),
        Binding(
            "escape", "close", "Close", show=False, id="schemas.close",
            tooltip="Close the editor or the diff and show the selected version's schema",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.browser: RegistryBrowser | None = None
        self.subjects: list[SubjectRow] = []
        self.versions: list[VersionRow] = []
        self.compat: Compatibility | None = None
        self.subject: str | None = None
        self.version: int | None = None
        self.diff_base: tuple[str, int] | None = None
        self.view: View = "schema"
        self.problem: str | None = None  # the registry could not be read (shown in place)

    def compose(self) -> ComposeResult:
        yield Static(NO_REGISTRY, id="schemas-none", classes="empty")
        with Horizontal(id="schemas-body"):
            with Vertical(id="schemas-side"):
                yield Static("Subjects", classes="section")
                subjects: DataTable[str] = DataTable(id="schemas-subjects", cursor_type="row")
                subjects.add_columns("Subject", "Versions")
                yield subjects
                yield Static("Versions", classes="section", id="schemas-versions-title")
                versions: DataTable[str] = DataTable(id="schemas-versions", cursor_type="row")
                versions.add_columns("Version", "Id", "Type", "")
                yield versions
                yield Static("Compatibility", classes="section")
                yield Static("", id="schemas-compat")
            with Vertical(id="schemas-main"):
                yield Static("", id="schemas-title", classes="section")
                with VerticalScroll(id="schemas-view"):
                    yield Static("", id="schemas-text")
                yield SchemaEditor(id="schemas-editor")

    def on_mount(self) -> None:
        super().on_mount()
        url = self.backend.schema_registry_url()
        self.browser = RegistryBrowser(url) if url else None
        self.editor.browser = self.browser
        self.query_one("#schemas-none").display = self.browser is None
        self.query_one("#schemas-body").display = self.browser is not None
        self._show_view("schema")

    async def on_unmount(self) -> None:
        if self.browser is not None:
            await self.browser.close()

    # --- keeping up with the registry ---------------------------------------------------

    def on_engine_events(self, events: list[Event]) -> None:
        """Everything the registry does is a record in `_schemas`."""
        if self.browser is None or not self.shown:
            return
        if any(
            isinstance(e, RecordAppended | TopicCreated | TopicDeleted) and e.topic == SCHEMAS_TOPIC
            for e in events
        ):
            self.refresh_soon()
            # The event is the append; the registry answers from what its reader of
            # `_schemas` has applied, a moment later (Confluent's registry too), so a
            # reload at once can still miss it: look again once the reader caught up.
            self.set_timer(AFTER_THE_READER_S, self.refresh_soon)

    async def refresh_data(self) -> None:
        """Read the subjects, the selected one's versions and levels, and redraw."""
        browser = self.browser
        if browser is None:
            return
        try:
            subjects = await browser.subjects()
            names = [s.name for s in subjects]
            subject = self.subject if self.subject in names else (names[0] if names else None)
            versions = await browser.versions(subject) if subject is not None else []
            compat = await browser.compatibility(subject)
        except RegistryClientError as error:
            self.problem = f"{refusal_title(error)}: {refusal_text(error)}"
            self._show_view(self.view)
            return
        if not self.is_attached:
            return  # the app quit while the registry answered
        self.problem = None
        self.subjects, self.versions, self.compat, self.subject = subjects, versions, compat, subject
        numbers = [v.version for v in versions]
        if self.version not in numbers:
            live = [v.version for v in versions if not v.deleted]
            self.version = (live or numbers or [None])[-1]
        self._fill_tables()
        self._show_view(self.view)
        self.refresh_bindings()

    def _fill_tables(self) -> None:
        try:
            subjects = self.query_one("#schemas-subjects", DataTable)
            versions = self.query_one("#schemas-versions", DataTable)
        except NoMatches:
            return
        subjects.clear()
        for row in self.subjects:
            listed = (
                Text("soft-deleted", style="italic")
                if row.deleted
                else Text(", ".join(str(v) for v in row.versions))
            )
            subjects.add_row(Text(row.name, style="dim" if row.deleted else ""), listed, key=row.name)
        names = [s.name for s in self.subjects]
        if self.subject in names:
            subjects.move_cursor(row=names.index(self.subject))
        versions.clear()
        for v in self.versions:
            marks = []
            if v.deleted:
                marks.append("soft-deleted")
            if self.diff_base == (v.subject, v.version):
                marks.append("◆ diff base")
            versions.add_row(
                str(v.version), str(v.schema_id), v.schema_type, Text(" · ".join(marks), style="italic"),
                key=str(v.version),
            )  # fmt: skip
        numbers = [v.version for v in self.versions]
        if self.version in numbers:
            versions.move_cursor(row=numbers.index(self.version))
        title = f"Versions of {self.subject}" if self.subject else "Versions"
        self.query_one("#schemas-versions-title", Static).update(title)
        self.query_one("#schemas-compat", Static).update(self._compat_text())

    def _compat_text(self) -> Text:
        if self.compat is None:
            return Text("")
        out = Text()
        if self.subject is not None:
            own = self.compat.own
            out.append(f"{self.subject}: ", style="bold")
            out.append(f"{own} (its own)" if own else f"{self.compat.global_level} (follows global)")
            out.append("\n")
        out.append("global: ", style="bold")
        out.append(self.compat.global_level)
        out.append(f"\n{meaning(self.compat.level)}", style="italic")
        return out

    # --- what the right side shows ------------------------------------------------------

    @property
    def editor(self) -> SchemaEditor:
        return self.query_one("#schemas-editor", SchemaEditor)

    @property
    def selected(self) -> VersionRow | None:
        return next((v for v in self.versions if v.version == self.version), None)

    def _show_view(self, view: View) -> None:
        self.view = view
        try:
            editor = self.query_one("#schemas-editor")
        except NoMatches:
            return
        editor.display = view == "editor"
        self.query_one("#schemas-view").display = view != "editor"
        title, body = self._view_content()
        self.query_one("#schemas-title", Static).update(title)
        self.query_one("#schemas-text", Static).update(body)

    def _view_content(self) -> tuple[Text | str, RenderableType]:
        if self.problem is not None:
            return "The Schema Registry did not answer", Text(self.problem)
        if self.view == "editor":
            return "New version: the registry checks it as you type; ctrl+s registers it, esc esc closes", ""
        if not self.subjects:
            return "Schema Registry", Text(NO_SUBJECTS)
        selected = self.selected
        if selected is None:
            return f"{self.subject}", Text("No version selected.")
        if self.view == "diff":
            return self._diff_content(selected)
        title = (
            f"{selected.subject} · version {selected.version} · schema id {selected.schema_id} · "
            + selected.schema_type
        )
        if selected.deleted:
            title += " · soft-deleted"
        text = pretty_schema(selected.schema, selected.schema_type)
        body: RenderableType = Text(text) if selected.schema_type == "PROTOBUF" else JSON(text, indent=2)
        if selected.references:
            refs = Text("\n".join(f"refers to {r}" for r in selected.references) + "\n", style="italic")
            body = Group(refs, body)
        return title, body

    def _diff_base(self, selected: VersionRow) -> VersionRow | None:
        if self.diff_base is not None and self.diff_base != (selected.subject, selected.version):
            marked = next((v for v in self.versions if (v.subject, v.version) == self.diff_base), None)
            if marked is not None:
                return marked
        earlier = [v for v in self.versions if v.version < selected.version]
        return earlier[-1] if earlier else None

    def _diff_content(self, selected: VersionRow) -> tuple[str, RenderableType]:
        base = self._diff_base(selected)
        if base is None:
            return f"{selected.subject}: version {selected.version}", Text(
                f"Version {selected.version} is the first: nothing before it to compare with."
            )
        old, new = sorted((base, selected), key=lambda v: v.version)
        title = (
            f"{old.subject}: version {old.version} (id {old.schema_id}) → "
            f"version {new.version} (id {new.schema_id})"
        )
        lines = schema_diff(
            (old.schema, old.schema_type), (new.schema, new.schema_type),
            f"version {old.version}", f"version {new.version}",
        )  # fmt: skip
        if not lines:
            return title, Text(f"Versions {old.version} and {new.version} have the same schema.")
        styles = {
            "+": self.get_component_rich_style("schemas--added"),
            "-": self.get_component_rich_style("schemas--removed"),
            "@": self.get_component_rich_style("schemas--hunk"),
        }
        body = Text()
        for line in lines[2:]:  # the ---/+++ header says what the title says
            body.append(line + "\n", style=styles.get(line[:1], ""))
        return title, body

    # --- selecting ----------------------------------------------------------------------

    def _cursor_key(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The table's cursor now, not the event's: refills move it through other rows first.
        if event.data_table.id == "schemas-subjects":
            name = self._cursor_key("#schemas-subjects")
            if name is not None and name != self.subject:
                self.subject, self.version = name, None
                if self.view == "diff":
                    self.view = "schema"
                self.refresh_soon()
        elif event.data_table.id == "schemas-versions":
            key = self._cursor_key("#schemas-versions")
            if key is not None and int(key) != self.version:
                self.version = int(key)
                self._show_view(self.view)
                self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "schemas-subjects":
            self.query_one("#schemas-versions", DataTable).focus()

    # --- actions ------------------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        if action in ("close", "leave_field"):
            return None
        if self.browser is None:
            return "No Schema Registry runs here: the Schemas panel (8) says how to start one."
        if action == "register" and self.view != "editor":
            return "Nothing to register: n opens the editor."
        if action in ("compatibility", "delete_subject") and self.subject is None:
            return "No subject yet: n writes and registers one."
        if action in ("diff", "mark", "delete_version") and self.selected is None:
            return "No version selected: choose a subject and one of its versions."
        return super().unavailable(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.view != "schema" and not self.in_field
        if action == "register" and self.view != "editor":
            return False  # out of the footer until there is an editor (the palette says why)
        return super().check_action(action, parameters)

    def action_close(self) -> None:
        self.editor.stop()
        self._show_view("schema")
        self.query_one("#schemas-versions", DataTable).focus()
        self.refresh_bindings()

    def action_edit(self) -> None:
        """Open the editor on the selected version's schema (the next version starts
        from it), or on a template for a new subject."""
        selected = self.selected
        self._show_view("editor")
        if selected is None:
            self.editor.start(self.subject or "", "AVRO", None)
        else:
            text = pretty_schema(selected.schema, selected.schema_type)
            self.editor.start(selected.subject, selected.schema_type, text)
        self.refresh_bindings()

    @reports_errors
    async def action_register(self) -> None:
        subject, kind, text = self.editor.value
        if self.browser is None or self.view != "editor":
            return
        if not subject:
            self.app.notify("Name the subject first.", title="Register", severity="warning")
            return
        done = await self.browser.register(subject, text, kind)
        if done.new:
            self.app.notify(
                f"schema id {done.schema_id}", title=f"Registered {subject} version {done.version}"
            )
        else:
            self.app.notify(
                f"{subject} version {done.version} already has this schema (id {done.schema_id}): "
                "nothing registered",
                title="Already registered",
            )
        self.editor.stop()
        self.subject, self.version = subject, done.version
        self.view = "schema"
        await self.refresh_data()
        self.query_one("#schemas-versions", DataTable).focus()

    def action_mark(self) -> None:
        selected = self.selected
        if selected is None:
            return
        self.diff_base = (selected.subject, selected.version)
        self._fill_tables()
        self.app.notify(
            f"d now compares the selected version with version {selected.version}",
            title=f"Diff base: {selected.subject} version {selected.version}",
        )

    def action_diff(self) -> None:
        if self.selected is not None:
            self._show_view("diff")
            self.refresh_bindings()

    @work
    @reports_errors
    async def action_compatibility(self) -> None:
        if self.browser is None or self.subject is None or self.compat is None:
            return
        subject = self.subject
        chosen = await self.app.push_screen_wait(
            CompatibilityScreen(subject, self.compat.own, self.compat.global_level)
        )
        if chosen is not None:
            await self.browser.set_compatibility(subject, chosen)
            await self._level_set(subject)

    @work
    @reports_errors
    async def action_global_compatibility(self) -> None:
        if self.browser is None or self.compat is None:
            return
        chosen = await self.app.push_screen_wait(CompatibilityScreen(None, None, self.compat.global_level))
        if chosen is not None:
            await self.browser.set_compatibility(None, chosen)
            await self._level_set(None)

    async def _level_set(self, subject: str | None) -> None:
        assert self.browser is not None
        compat = await self.browser.compatibility(subject)
        if subject is None:
            self.app.notify(
                meaning(compat.global_level), title=f"Global compatibility: {compat.global_level}"
            )
        else:
            source = "its own" if compat.own else "follows the global level"
            self.app.notify(
                f"{compat.level} ({source}): {meaning(compat.level)}", title=f"Compatibility of {subject}"
            )
        await self.refresh_data()
        if self.view == "editor":
            self.editor.recheck()  # the same schema may pass or fail under the new level

    @work
    @reports_errors
    async def action_delete_version(self) -> None:
        selected = self.selected
        if self.browser is None or selected is None:
            return
        what = f"{selected.subject} version {selected.version} (schema id {selected.schema_id})"
        if selected.deleted:
            question = f"Permanently delete {what}? It is removed from the _schemas topic for good."
        else:
            question = (
                f"Soft-delete {what}? Clients no longer get it, but its id still decodes the records "
                "written with it. x on it again deletes it for good."
            )
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        await self.browser.delete(selected.subject, selected.version, permanent=selected.deleted)
        done = "Permanently deleted" if selected.deleted else "Soft-deleted"
        self.app.notify(what, title=f"{done} a version")
        if self.diff_base == (selected.subject, selected.version) and selected.deleted:
            self.diff_base = None
        await self.refresh_data()

    @work
    @reports_errors
    async def action_delete_subject(self) -> None:
        row = next((s for s in self.subjects if s.name == self.subject), None)
        if self.browser is None or row is None:
            return
        if row.deleted:
            question = (
                f"Permanently delete subject {row.name} and every version of it? They are removed "
                "from the _schemas topic for good."
            )
        else:
            versions = ", ".join(str(v) for v in row.versions)
            question = (
                f"Soft-delete subject {row.name} (versions {versions})? Clients no longer get it, its "
                "ids still decode records, and registering again continues its numbering. X on it "
                "again deletes it for good."
            )
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        versions_deleted = await self.browser.delete(row.name, None, permanent=row.deleted)
        done = "Permanently deleted" if row.deleted else "Soft-deleted"
        self.app.notify(
            f"versions {', '.join(str(v) for v in versions_deleted)}", title=f"{done} subject {row.name}"
        )
        await self.refresh_data()

    def report(self, error: BaseException) -> None:
        """A registry refusal as Confluent names it ("INCOMPATIBLE_SCHEMA (409)"), with
        the registry's reasons; anything else as the scaffold shows it."""
        if isinstance(error, RegistryClientError):
            self.app.notify(refusal_text(error), title=refusal_title(error), severity="error", timeout=8)
        else:
            super().report(error)
