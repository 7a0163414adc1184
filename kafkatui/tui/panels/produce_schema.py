"""The Produce panel's schema chooser: a value as its text, or serialized with a subject's
schema from the Schema Registry (Avro, JSON Schema, Protobuf)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Select, Static

from kafkatui.ecosystem.serde.client import RegistryClientError
from kafkatui.tui.registry_serde import NO_REGISTRY, SCHEMA_TYPES, SubjectSchemas, ValueSchema

NONE = "none"  # no schema: the value is sent as its UTF-8 text
_SCHEMA_TIP = (
    "The value's schema: a subject of the Schema Registry whose latest version serializes it "
    "(Confluent's wire format: magic byte 0, the schema id, the payload). Values are typed as JSON."
)


class SchemaChooser(Widget):
    """Which schema the value is sent with: none, or the latest version of a subject of
    the chosen type (Confluent's use.latest.version).

    The subjects come from the registry at `registry_url` (None: no registry runs, and
    the chooser says so). `schema` is the chosen subject's version once loaded; until
    then, or when there is none to choose, `problem` says why. `Changed` is posted
    whenever either changes, so the form checks the value again.
    """

    class Changed(Message):
        """The chosen schema type, subject or loaded version changed."""

    def __init__(self, registry_url: str | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.registry = None if registry_url is None else SubjectSchemas(registry_url)
        self.schema: ValueSchema | None = None
        self.problem: str | None = None
        self.topic: str | None = None  # its <topic>-value subject (TopicNameStrategy) is chosen first

    def compose(self) -> ComposeResult:
        with Horizontal(classes="line"):
            yield Label("Schema", classes="field-label")
            if self.registry is None:
                options = [("none · no Schema Registry", NONE)]
            else:
                options = [("none", NONE), *((label, kind) for kind, label in SCHEMA_TYPES.items())]
            yield Select[str](
                options, value=NONE, allow_blank=False, compact=True, id="value-schema",
                disabled=self.registry is None, tooltip=NO_REGISTRY if self.registry is None else _SCHEMA_TIP,
            )  # fmt: skip
        with Horizontal(classes="line", id="subject-row"):
            yield Label("Subject", classes="field-label")
            yield Select[str]([], prompt="no subjects", compact=True, id="subject")
        yield Static("", id="schema-msg", classes="msg -empty")

    def on_mount(self) -> None:
        self.query_one("#subject-row").display = False

    async def on_unmount(self) -> None:
        if self.registry is not None:
            await self.registry.close()

    @property
    def schema_type(self) -> str | None:
        """The chosen type (AVRO, JSON, PROTOBUF), or None for no schema."""
        kind = self.query_one("#value-schema", Select).value
        return kind if isinstance(kind, str) and kind != NONE else None

    def reload(self, *, prefer_topic: bool = False) -> None:
        """List the chosen type's subjects again, keeping the chosen one, or with
        `prefer_topic` choosing the topic's `<topic>-value` when there is one."""
        if self.registry is not None and self.schema_type is not None:
            # Workers get a callable, not a coroutine: one replaced (exclusive) before it
            # started then leaves no coroutine that was never awaited.
            self.run_worker(
                partial(self._reload, prefer_topic),
                group="schema-subjects",
                exclusive=True,
                exit_on_error=False,
            )

    @on(Select.Changed, "#value-schema")
    def _type_chosen(self) -> None:
        chosen = self.schema_type is not None
        self.query_one("#subject-row").display = chosen
        self._state(None, "looking for subjects…" if chosen else None, waiting=True)
        self.reload(prefer_topic=True)

    @on(Select.Changed, "#subject")
    def _subject_chosen(self) -> None:
        subject = self.query_one("#subject", Select).value
        if isinstance(subject, str):
            self._state(None, f"loading {subject}…", waiting=True)
            self.run_worker(
                partial(self._load, subject), group="schema-load", exclusive=True, exit_on_error=False
            )

    async def _reload(self, prefer_topic: bool) -> None:
        assert self.registry is not None and self.schema_type is not None
        kind = self.schema_type
        try:
            names = await self.registry.subjects(kind)
        except Exception as error:  # unreachable, a refusal: said in the chooser, never a traceback
            self._failed(error)
            return
        subjects = self.query_one("#subject", Select)
        current = subjects.value
        preferred = f"{self.topic}-value"
        if prefer_topic and preferred in names:
            chosen: str | None = preferred
        elif current in names:
            chosen = str(current)
        else:
            chosen = names[0] if names else None
        with self.prevent(Select.Changed):
            subjects.set_options((name, name) for name in names)
            if chosen is not None:
                subjects.value = chosen
        if chosen is None:
            where = "the Schemas panel, or `kafkatui schema register`"
            self._state(None, f"no {SCHEMA_TYPES[kind]} subject yet: register one ({where})")
            return
        # Loaded again even if it was chosen already: the subject may have a new version.
        # Meanwhile the version loaded stays usable if it is the same subject's.
        same = self.schema is not None and self.schema.subject == chosen
        self._state(self.schema if same else None, f"loading {chosen}…", waiting=True)
        self.run_worker(partial(self._load, chosen), group="schema-load", exclusive=True, exit_on_error=False)

    async def _load(self, subject: str) -> None:
        assert self.registry is not None
        try:
            schema = await self.registry.latest(subject)
        except Exception as error:  # also a schema the serde cannot use (a .proto without messages)
            self._failed(error)
            return
        if schema.schema_type != self.schema_type:  # the type was changed meanwhile
            return
        self._state(schema, None)

    def _failed(self, error: Exception) -> None:
        why = error.message if isinstance(error, RegistryClientError) else str(error) or type(error).__name__
        self._state(None, f"the Schema Registry: {why}")

    def _state(self, schema: ValueSchema | None, problem: str | None, *, waiting: bool = False) -> None:
        """Show the loaded version, or why there is none (`waiting`: not a problem yet)."""
        self.schema, self.problem = schema, problem
        msg = self.query_one("#schema-msg", Static)
        msg.update(Text(schema.title if schema is not None else problem or ""))
        msg.set_class(schema is None and problem is None, "-empty")
        msg.set_class(schema is None and problem is not None and not waiting, "-error")
        self.post_message(self.Changed())
