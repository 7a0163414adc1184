"""The Produce panel's form: the record, the producer's settings, and what is wrong with them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, Switch

from kafkatui.backends.base import IdempotenceView, ProduceRequest, TransactionView
from kafkatui.tui.panels.produce_schema import SchemaChooser
from kafkatui.tui.widgets.field import Field

AUTO_PARTITION = -1
SCHEMA_CHECK_DELAY = 0.3  # seconds without a key press before a value is checked against its schema
DEFAULT_TRANSACTIONAL_ID = "workbench-txn"
COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")
_IDEMPOTENCE_TIP = (
    "enable.idempotence (KIP-98): the producer numbers its batches per partition, so a "
    "leader that already has a retried batch drops it instead of writing it twice"
)
_COMPRESSION_TIP = (
    "compression.type: the producer compresses each batch; the broker stores it as sent "
    "(topic compression.type=producer) and consumers decompress it"
)
_DROP_ACK_TIP = "The leader writes the next batch but its ack is lost: the producer retries (d)"
_TRANSACTIONAL_TIP = (
    "transactional.id (KIP-98): records sent between begin (b) and commit (c) or abort (x) "
    "become visible to read_committed consumers all at once, or never"
)
_ACKS_HELP = {
    "0": "fire and forget: no offset comes back",
    "1": "the leader's write is enough",
    "all": "waits for every in-sync replica",
}


class ProduceForm(VerticalScroll):
    """The record to send (topic, partition, key, value and its schema, headers) and the
    producer's settings (compression.type, acks, enable.idempotence, transactional.id).

    It keeps its fields consistent the way Kafka's producer config does (idempotence
    needs acks=all, a transactional.id needs idempotence) and says inline what is wrong
    with a value or the headers; a value with a schema is checked as it is typed (once
    typing pauses) and sent in Confluent's wire format. It never calls the backend: the
    panel gives it the topics, the partition count and the producer's state to show,
    and asks it for the `request` its fields describe. The schema chooser asks the
    Schema Registry at `registry_url` (None: none runs).
    """

    def __init__(self, registry_url: str | None, *, id: str | None = None, can_focus: bool = False) -> None:
        super().__init__(id=id, can_focus=can_focus)
        self.registry_url = registry_url
        self._check_timer: Timer | None = None
        self._json_before_schema = False  # the JSON switch as it was before a schema was chosen

    def compose(self) -> ComposeResult:
        yield Static("Record", classes="section")
        yield from _row("Topic", Select[str]([], prompt="no topics yet", id="topic"))
        yield from _row(
            "Partition", Select[int]([("auto", AUTO_PARTITION)], value=AUTO_PARTITION,
                                     allow_blank=False, id="partition"),
        )  # fmt: skip
        yield from _row("Key", Field(placeholder="empty = no key", id="key"))
        yield from _row("Value", Field(placeholder="empty = null (tombstone)", id="value"))
        with Horizontal(classes="line"):
            yield Label("Format", classes="field-label")
            yield Label("text", id="format-text", classes="toggle-label -chosen")
            yield Switch(id="json", classes="toggle", tooltip="Check the value is JSON before sending")
            yield Label("JSON", id="format-json", classes="toggle-label")
        yield SchemaChooser(self.registry_url, id="schema-chooser")
        yield Static("", id="value-msg", classes="msg -empty")
        yield from _row("Headers", Field(placeholder="k=v, k2=v2", id="headers"))
        yield Static("", id="headers-msg", classes="msg -empty")
        with Horizontal(classes="line"):
            label = Label("compress", classes="field-label")
            label.tooltip = _COMPRESSION_TIP
            yield label
            yield Select[str](
                [(c, c) for c in COMPRESSION_TYPES], value="none", allow_blank=False,
                compact=True, id="compression", tooltip=_COMPRESSION_TIP,
            )  # fmt: skip
        with Horizontal(classes="line"):
            yield Label("acks", classes="field-label")
            with RadioSet(id="acks", compact=True):
                # Strongest first, so the default is also where the cursor starts.
                yield RadioButton("all", id="acks-all", value=True)
                yield RadioButton("1", id="acks-1")
                yield RadioButton("0", id="acks-0")
        yield Static(_ACKS_HELP["all"], id="acks-help", classes="msg")
        with Horizontal(classes="line", id="idempotence-row"):
            label = Label("idempotent", classes="field-label")
            label.tooltip = _IDEMPOTENCE_TIP
            yield label
            yield Switch(True, id="idempotence", classes="toggle", tooltip=_IDEMPOTENCE_TIP)
            yield Button("Lose next ack", id="drop-ack", compact=True, tooltip=_DROP_ACK_TIP)
        yield Static("", id="idempotence-msg", classes="msg")
        with Horizontal(classes="line spaced", id="transactional-row"):
            label = Label("txn", classes="field-label")
            label.tooltip = _TRANSACTIONAL_TIP
            yield label
            yield Switch(False, id="transactional", classes="toggle", tooltip=_TRANSACTIONAL_TIP)
            yield Field(DEFAULT_TRANSACTIONAL_ID, id="txn-id", tooltip="transactional.id")
        with Horizontal(id="txn-buttons"):
            yield Button("Begin", id="txn-begin", compact=True)
            yield Button("Commit", id="txn-commit", variant="success", compact=True)
            yield Button("Abort", id="txn-abort", variant="error", compact=True)
        yield Static("", id="txn-msg", classes="msg")
        with Horizontal(classes="row spaced"):
            yield Button("Send", id="send", variant="primary")
            yield Static("ctrl+s · enter", id="send-hint")

    # --- what the fields say ---------------------------------------------------------

    @property
    def topic(self) -> str | None:
        topic = self.query_one("#topic", Select).value
        return topic if isinstance(topic, str) else None

    @property
    def acks(self) -> str:
        pressed = self.query_one("#acks", RadioSet).pressed_button
        return pressed.id.removeprefix("acks-") if pressed is not None and pressed.id else "all"

    @property
    def idempotent(self) -> bool:
        switch = self.query_one("#idempotence", Switch)
        return switch.value and not switch.disabled

    @property
    def checks_json(self) -> bool:
        """Is the value checked as JSON before it is sent?"""
        return self.query_one("#json", Switch).value

    @property
    def transactional_id(self) -> str | None:
        """The transactional.id sends use, or None when the toggle is off."""
        switch = self.query_one("#transactional", Switch)
        if not switch.value or switch.disabled:
            return None
        return self.query_one("#txn-id", Input).value.strip() or DEFAULT_TRANSACTIONAL_ID

    def request(self, typed: Mapping[str, str] | None = None) -> ProduceRequest | None:
        """The record the form describes, or None if a field is invalid (said inline)
        or no topic is chosen. `typed`: field values as they were when submitted, by id."""
        typed = typed or {}

        def text(field_id: str) -> str:
            return typed.get(field_id, self.query_one(f"#{field_id}", Input).value)

        valid = self.validate()
        topic = self.topic
        if topic is None or not valid:
            return None
        value: str | bytes | None = text("value") or None
        schema = self.query_one(SchemaChooser).schema
        if schema is not None and value is not None:  # a null value (a tombstone) is not serialized
            try:
                value = schema.serialize(json.loads(value))
            except ValueError as error:  # as typed when enter was pressed: it may not be checked yet
                show_message(self.query_one("#value-msg", Static), str(error), "-error")
                return None
        partition = self.query_one("#partition", Select).value
        return ProduceRequest(
            topic=topic,
            value=value,
            key=text("key") or None,
            headers=parse_headers(text("headers")),
            partition=partition if isinstance(partition, int) and partition >= 0 else None,
            acks=self.acks,
            idempotent=self.idempotent,
            compression=str(self.query_one("#compression", Select).value),
            transactional_id=self.transactional_id,
            value_serializer="" if schema is None else schema.serializer_name,
        )

    def validate(self) -> bool:
        """Check value (as JSON, against the schema if one is chosen) and headers, say
        why inline, and allow Send only if valid."""
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        value = self.query_one("#value", Input).value
        value_msg = self.query_one("#value-msg", Static)
        chooser = self.query_one(SchemaChooser)
        value_error = None
        if chooser.schema_type is not None and chooser.schema is None:
            value_error = chooser.problem or "choose a subject"  # the chooser shows it
            show_message(value_msg, "", "")
        elif self.checks_json and value:
            value_error = json_error(value)
            schema = chooser.schema
            if value_error is None and schema is not None:
                value_error = schema.problem(json.loads(value))
            fits = "✔ valid JSON" if schema is None else f"✔ fits {schema.subject} v{schema.version}"
            show_message(value_msg, value_error or fits, "-error" if value_error else "-ok")
        else:
            show_message(value_msg, "", "")
        headers_error = None
        try:
            parse_headers(self.query_one("#headers", Input).value)
        except ValueError as error:
            headers_error = str(error)
        show_message(self.query_one("#headers-msg", Static), headers_error or "", "-error")
        valid = value_error is None and headers_error is None
        self.query_one("#send", Button).disabled = not valid
        return valid

    # --- what the panel gives it -----------------------------------------------------

    def set_topics(self, names: list[str]) -> None:
        """The topics to choose from, keeping the chosen one if it is still there; else
        the first that is not a service's own (names starting with `_`, as `_schemas`):
        those are sent to only when chosen."""
        topics = self.query_one("#topic", Select)
        current = topics.value
        with self.prevent(Select.Changed):
            topics.set_options((name, name) for name in names)
            topics.prompt = "choose a topic" if names else "no topics yet"
        if current in names:
            topics.value = current
        else:
            ordinary = next((name for name in names if not name.startswith("_")), None)
            if ordinary is not None:
                topics.value = ordinary

    def set_partitions(self, count: int) -> None:
        """The chosen topic's partitions, keeping the chosen one if it still exists."""
        partitions = self.query_one("#partition", Select)
        current = partitions.value
        options = [("auto", AUTO_PARTITION)] + [(str(p), p) for p in range(count)]
        with self.prevent(Select.Changed):
            partitions.set_options(options)
            partitions.value = current if isinstance(current, int) and current < count else AUTO_PARTITION

    def show_idempotence(self, view: IdempotenceView) -> None:
        """The idempotent producer's id, epoch and next sequence per partition, the
        duplicates the brokers dropped, and the lost-ack fault if armed."""
        if self.acks != "all":
            lines = [f"off: enable.idempotence needs acks=all (Kafka refuses it with acks={self.acks})"]
        elif not self.query_one("#idempotence", Switch).value:
            lines = ["off: a retry after a lost ack writes the record again"]
        elif view.producer_id < 0:
            lines = ["on: the first send asks for a producer id (InitProducerId)"]
        else:
            sequences = ", ".join(f"P{p} {seq}" for p, seq in view.next_sequence) or "—"
            lines = [
                f"producer id {view.producer_id} · epoch {view.producer_epoch}",
                f"next sequence: {sequences}",
            ]
        lines.append(f"duplicates dropped by brokers: {view.duplicates_dropped}")
        if view.acks_to_drop:
            lines.append(f"next ack(s) to lose: {view.acks_to_drop} (d)")
        self.query_one("#idempotence-msg", Static).update("\n".join(lines))

    def show_transaction(self, view: TransactionView | None) -> None:
        """The transactional producer's state, the coordinator's, and what the open
        transaction holds (`view`: None while the txn switch is off)."""
        msg = self.query_one("#txn-msg", Static)
        self.query_one("#txn-buttons").display = view is not None
        msg.set_class(False, "-open")
        if view is None:
            hint = "needs idempotence" if self.query_one("#transactional", Switch).disabled else "off"
            msg.update(f"{hint}: each record is visible on its own")
            return
        open_ = view.state == "IN_TRANSACTION"
        self.query_one("#txn-begin", Button).disabled = open_
        self.query_one("#txn-commit", Button).disabled = not open_
        self.query_one("#txn-abort", Button).disabled = not open_
        msg.set_class(open_, "-open")
        msg.update(transaction_summary(view))

    # --- keeping the fields consistent -----------------------------------------------

    @on(RadioSet.Changed, "#acks")
    def _acks_changed(self) -> None:
        self.query_one("#acks-help", Static).update(_ACKS_HELP[self.acks])
        # Kafka: enable.idempotence=true requires acks=all.
        self.query_one("#idempotence", Switch).disabled = self.acks != "all"
        self._idempotence_changed()

    @on(Switch.Changed, "#idempotence")
    def _idempotence_changed(self) -> None:
        # A transactional.id needs enable.idempotence (Kafka's INVALID_CONFIG otherwise).
        transactional = self.query_one("#transactional", Switch)
        transactional.disabled = not self.idempotent
        if transactional.disabled:
            transactional.value = False

    @on(Input.Changed, "#value")
    def _value_changed(self) -> None:
        if self.query_one(SchemaChooser).schema_type is None:
            self.validate()
        elif self._check_timer is None:  # against a schema: once typing pauses
            self._check_timer = self.set_timer(SCHEMA_CHECK_DELAY, self.validate)
        else:
            self._check_timer.reset()

    @on(Input.Changed, "#headers")
    def _headers_changed(self) -> None:
        self.validate()

    @on(Select.Changed, "#topic")
    def _topic_changed(self) -> None:
        chooser = self.query_one(SchemaChooser)
        chooser.topic = self.topic
        chooser.reload(prefer_topic=True)

    @on(SchemaChooser.Changed)
    def _schema_changed(self) -> None:
        # A value with a schema is typed as JSON, which the schema then checks.
        switch = self.query_one("#json", Switch)
        with_schema = self.query_one(SchemaChooser).schema_type is not None
        if with_schema and not switch.disabled:
            self._json_before_schema = switch.value
            switch.value, switch.disabled = True, True
        elif not with_schema and switch.disabled:
            switch.value, switch.disabled = self._json_before_schema, False
        self.validate()

    @on(Switch.Changed, "#json")
    def _format_changed(self, event: Switch.Changed) -> None:
        self.query_one("#format-text").set_class(not event.value, "-chosen")
        self.query_one("#format-json").set_class(event.value, "-chosen")
        self.validate()


def transaction_summary(view: TransactionView) -> str:
    """What the Produce panel says of a transactional producer, in a few lines."""
    if view.state == "UNINITIALIZED":
        return f"{view.transactional_id}: no producer yet · b begins (InitProducerId first)"
    where = f"coordinator broker {view.coordinator}" if view.coordinator >= 0 else "no coordinator"
    if view.coordinator_state:
        where += f" ({view.coordinator_state})"
    lines = [f"{view.state} · producer id {view.producer_id} · epoch {view.producer_epoch}", where]
    if view.state == "IN_TRANSACTION":
        parts = ", ".join(f"{t}-{p}" for t, p in view.partitions) or "none yet"
        lines.append(f"open: {view.records} record(s) · partitions {parts} · c commits, x aborts")
    elif view.error:
        lines.append(f"fenced: {view.error} · b starts a new producer")
    else:
        lines.append("b begins a transaction")
    lines.append(f"transactions committed {view.committed} · aborted {view.aborted}")
    return "\n".join(lines)


def _row(label: str, field: Input | Select[str] | Select[int]) -> ComposeResult:
    with Horizontal(classes="row"):
        yield Label(label, classes="field-label")
        yield field


def show_message(target: Static, text: str, state: str) -> None:
    """An inline message under a field: `state` is "-error", "-ok" or "" (hidden when empty)."""
    target.update(Text(text))  # not markup: messages quote what the user typed
    target.set_class(not text, "-empty")
    target.set_class(state == "-error", "-error")
    target.set_class(state == "-ok", "-ok")


def json_error(text: str) -> str | None:
    """Why `text` is not JSON, in one line (None if it is)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"invalid JSON: {error.msg} at line {error.lineno} col {error.colno}"
    return None


def parse_headers(text: str) -> list[tuple[str, str]]:
    """Record headers from "k=v, k2=v2" (ValueError naming the bad entry)."""
    headers = []
    for i, item in enumerate(text.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"header {i} ({item!r}) must be key=value")
        headers.append((name.strip(), value.strip()))
    return headers
