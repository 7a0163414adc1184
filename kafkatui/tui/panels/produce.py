"""The Produce panel: write records by hand or at a steady rate, and watch the producer path."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Mapping
from dataclasses import replace
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, VerticalScroll
from textual.css.query import NoMatches
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, Switch

from kafkatui.backends.base import Backend, Feature, ProduceRequest, ProduceTrace, TransactionView
from kafkatui.common.events import (
    AckLost,
    DuplicateBatchDropped,
    Event,
    PartitionsCreated,
    RecordAppended,
    TopicCreated,
    TopicDeleted,
    TransactionStateChanged,
)
from kafkatui.tui.panels.base import Panel
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.widgets.acks_latency import AcksLatency, AcksLatencyStats
from kafkatui.tui.widgets.field import Field
from kafkatui.tui.widgets.producer_path import ProducerPath
from kafkatui.tui.widgets.rate_chart import RateChart

AUTO_PARTITION = -1
MAX_RATE = 20_000
_NARROW_WIDTH = 100  # below this the form and the path stack instead of sitting side by side
_TICK = 0.02  # seconds between auto-produce rounds at high rates (several records per round)
_PULSES_PER_SECOND = 4  # how often auto-produce's counters are redrawn
_TOPIC_EVENTS = (TopicCreated, TopicDeleted, PartitionsCreated)
_PRODUCER_EVENTS = (AckLost, DuplicateBatchDropped, RecordAppended, TransactionStateChanged)
DEFAULT_TRANSACTIONAL_ID = "workbench-txn"
_IDEMPOTENCE_TIP = (
    "enable.idempotence (KIP-98): the producer numbers its batches per partition, so a "
    "leader that already has a retried batch drops it instead of writing it twice"
)
COMPRESSION_TYPES = ("none", "gzip", "snappy", "lz4", "zstd")
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
_ACKS_LATENCY_NOTE = (
    "acks=all waits until every in-sync replica has fetched the batch "
    "— see replica latency on the Partitions panel"
)


class RecordProduced(Message):
    """A record sent from the form was acknowledged (not posted per auto-produced record)."""

    def __init__(self, trace: ProduceTrace) -> None:
        super().__init__()
        self.trace = trace


class ProducePanel(Panel):
    """Kafka's producer by hand: one record from a form, or a steady stream at a rate.

    Every send shows the producer path (send → serialize → partition → write) as
    the backend reports it, and its latency joins the figures for its acks setting (the
    "Latency by acks" view), so acks=all's wait for the followers shows beside acks=1.
    Differs from a real client in that each form send waits for its acknowledgement
    before showing where the record landed.
    """

    PANEL_ID = "produce"
    TITLE = "Produce"
    TITLE_PT = "Produzir"
    KEY = "4"
    ENGINE_ACTIONS = {"drop_ack": Feature.LOST_ACKS}

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="produce.send", tooltip="Send the form's record once"),
        Binding(
            "a", "toggle_auto", "Auto-produce", id="produce.auto",
            tooltip="Start or stop sending records at the chosen rate",
        ),
        Binding(
            "d", "drop_ack", "Drop next ack", id="produce.drop_ack",
            tooltip="Lose the acknowledgement of the next batch: the producer retries it",
        ),
        Binding(
            "b", "begin_txn", "Begin txn", id="produce.begin",
            tooltip="Begin a transaction (beginTransaction) with the txn switch on",
        ),
        Binding(
            "c", "end_txn(True)", "Commit", id="produce.commit",
            tooltip="Commit the open transaction: its records become visible to read_committed",
        ),
        Binding(
            "x", "end_txn(False)", "Abort", id="produce.abort",
            tooltip="Abort the open transaction: read_committed consumers skip its records",
        ),
        Binding(
            "z", "fence", "Zombie", show=False, id="produce.fence",
            tooltip="Fence this transactional producer: a new one with the same transactional.id starts",
        ),
    ]  # fmt: skip

    auto_running: reactive[bool] = reactive(False, init=False)
    """Whether auto-produce is on."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.auto_sent = 0
        self.auto_errors = 0
        self._auto_stop = asyncio.Event()
        self._bucket_count = 0
        self._bucket_latency = 0.0
        self._pulse_timer: Timer | None = None
        self._pulses = 0
        self._last_trace: ProduceTrace | None = None
        self._rate = 10.0
        self._auto_acks = "all"  # what auto-produce sends with: follows the acks toggle live
        self._latencies = AcksLatencyStats()
        self._latencies_shown = 0  # the stats' version last drawn

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with ScrollableContainer(id="produce-root", can_focus=False):
            with VerticalScroll(id="produce-form", can_focus=False):
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
                    yield Switch(
                        id="json", classes="toggle", tooltip="Check the value is JSON before sending"
                    )
                    yield Label("JSON", id="format-json", classes="toggle-label")
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
            with VerticalScroll(id="produce-side", can_focus=False):
                yield Static("Producer path", classes="section -first")
                yield ProducerPath(id="path")
                yield Static("Auto-produce", classes="section")
                with Horizontal(classes="row"):
                    yield Label("Rate", classes="field-label")
                    yield Field("10", id="rate", type="number", tooltip=f"records/s, up to {MAX_RATE:,}")
                    yield Label("records/s", classes="field-label")
                    yield Switch(id="auto", classes="toggle", tooltip="Start or stop auto-produce (a)")
                    yield AutoCounters(id="auto-counters")
                yield Static("", id="rate-msg", classes="msg -empty")
                yield RateChart("throughput", "records/s", id="throughput")
                yield RateChart("latency", "ms", precision=1, id="latency")
                yield Static("Latency by acks", classes="section")
                yield AcksLatency(id="acks-latency")
                yield Static(_ACKS_LATENCY_NOTE, id="acks-latency-note")

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < _NARROW_WIDTH, "-narrow")

    async def on_mount(self) -> None:
        await self.refresh_data()

    # --- data ------------------------------------------------------------------------

    async def refresh_data(self) -> None:
        """Reload the topic list, keeping the chosen topic (and partition) if they still exist."""
        self._reload_topics()
        self._show_idempotence()
        self._show_transaction()

    def on_engine_events(self, events: list[Event]) -> None:
        if any(isinstance(e, _TOPIC_EVENTS) for e in events):
            self._reload_topics()
        if any(isinstance(e, _PRODUCER_EVENTS) for e in events):
            self._show_idempotence()
            self._show_transaction()

    def _show_idempotence(self) -> None:
        """The idempotent producer's id, epoch and next sequence per partition, the
        duplicates the brokers dropped, and the lost-ack fault if armed."""
        topic = self.query_one("#topic", Select).value
        view = self.backend.idempotence(topic if isinstance(topic, str) else None, self._transactional_id())
        msg = self.query_one("#idempotence-msg", Static)
        if self._acks() != "all":
            lines = [
                "off: enable.idempotence needs acks=all (Kafka refuses it with acks=" + self._acks() + ")"
            ]
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
        msg.update("\n".join(lines))

    def _reload_topics(self) -> None:
        topics = self.query_one("#topic", Select)
        current = topics.value
        names = self.backend.topic_names()
        with self.prevent(Select.Changed):
            topics.set_options((name, name) for name in names)
        if current in names:
            topics.value = current
        elif names:
            topics.value = names[0]
        self._reload_partitions()

    def _reload_partitions(self) -> None:
        topic = self.query_one("#topic", Select).value
        partitions = self.query_one("#partition", Select)
        current = partitions.value
        count = 0
        if isinstance(topic, str) and topic in self.backend.topic_names():
            count = len(self.backend.describe_topic(topic).partitions)
        options = [("auto", AUTO_PARTITION)] + [(str(p), p) for p in range(count)]
        with self.prevent(Select.Changed):
            partitions.set_options(options)
            partitions.value = current if isinstance(current, int) and current < count else AUTO_PARTITION

    @on(Select.Changed, "#topic")
    def _topic_changed(self) -> None:
        self._reload_partitions()
        self._show_idempotence()

    # --- the form --------------------------------------------------------------------

    @on(RadioSet.Changed, "#acks")
    def _acks_changed(self) -> None:
        acks = self._acks()
        self.query_one("#acks-help", Static).update(_ACKS_HELP[acks])
        self.query_one(AcksLatency).chosen = acks
        self._auto_acks = acks
        switch = self.query_one("#idempotence", Switch)
        switch.disabled = acks != "all"  # Kafka: enable.idempotence=true requires acks=all
        self._idempotence_changed()

    @on(Switch.Changed, "#idempotence")
    def _idempotence_changed(self) -> None:
        # A transactional.id needs enable.idempotence (Kafka's INVALID_CONFIG otherwise).
        transactional = self.query_one("#transactional", Switch)
        transactional.disabled = not self._idempotent()
        if transactional.disabled:
            transactional.value = False
        self._show_idempotence()
        self._show_transaction()

    @on(Switch.Changed, "#transactional")
    def _transactional_changed(self) -> None:
        self._show_transaction()

    @on(Input.Changed, "#txn-id")
    def _txn_id_changed(self) -> None:
        self._show_transaction()

    def _transactional_id(self) -> str | None:
        """The transactional.id sends use, or None when the toggle is off."""
        switch = self.query_one("#transactional", Switch)
        if not switch.value or switch.disabled:
            return None
        return self.query_one("#txn-id", Input).value.strip() or DEFAULT_TRANSACTIONAL_ID

    def _show_transaction(self) -> None:
        """The transactional producer's state, the coordinator's, and what the open
        transaction holds."""
        tid = self._transactional_id()
        self.refresh_bindings()
        msg = self.query_one("#txn-msg", Static)
        buttons = self.query_one("#txn-buttons")
        buttons.display = tid is not None
        msg.set_class(False, "-open")
        if tid is None:
            hint = "needs idempotence" if self.query_one("#transactional", Switch).disabled else "off"
            msg.update(f"{hint}: each record is visible on its own")
            return
        view = self.backend.transaction(tid)
        self.query_one("#txn-begin", Button).disabled = view.state == "IN_TRANSACTION"
        open_ = view.state == "IN_TRANSACTION"
        self.query_one("#txn-commit", Button).disabled = not open_
        self.query_one("#txn-abort", Button).disabled = not open_
        msg.set_class(open_, "-open")
        msg.update(transaction_summary(view))

    def _idempotent(self) -> bool:
        switch = self.query_one("#idempotence", Switch)
        return switch.value and not switch.disabled

    def action_drop_ack(self) -> None:
        """The lost-acknowledgement fault: the next produce response for this topic is
        lost after the leader appended the batch, so the producer retries."""
        topic = self.query_one("#topic", Select).value
        if not isinstance(topic, str):
            self.app.notify("Choose a topic first.", title="Drop next ack", severity="warning")
            return
        try:
            self.backend.engine_controls(Feature.LOST_ACKS).drop_next_ack(topic)
        except Exception as error:
            self.report(error)
            return
        self._show_idempotence()
        self.app.notify(
            f"The leader will append the next batch for {topic}, but its acknowledgement will be "
            "lost: the producer retries it. Idempotent, the leader knows the batch by its producer "
            "id and sequence and drops it; without idempotence the record is written twice.",
            title="Next ack will be lost",
        )

    @on(Input.Changed, "#value, #headers")
    def _value_changed(self) -> None:
        self._validate_form()

    @on(Switch.Changed, "#json")
    def _format_changed(self, event: Switch.Changed) -> None:
        self.query_one("#format-text").set_class(not event.value, "-chosen")
        self.query_one("#format-json").set_class(event.value, "-chosen")
        self._validate_form()

    @on(Input.Changed, "#rate")
    def _rate_changed(self) -> None:
        self._validate_rate()

    @on(Input.Submitted, "#key, #value, #headers")
    def _submitted(self, event: Input.Submitted) -> None:
        # What the field held when enter was pressed, not what it holds now: keys typed
        # after enter (ctrl+u, the next record) may have reached it already.
        self._send_form({event.input.id or "": event.value})

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    def _acks(self) -> str:
        pressed = self.query_one("#acks", RadioSet).pressed_button
        return pressed.id.removeprefix("acks-") if pressed is not None and pressed.id else "all"

    def _validate_form(self) -> bool:
        """Check value (in JSON mode) and headers, say why inline, and allow Send only if valid."""
        value = self.query_one("#value", Input).value
        value_msg = self.query_one("#value-msg", Static)
        value_error = None
        if self.query_one("#json", Switch).value and value:
            value_error = json_error(value)
            _message(value_msg, value_error or "✔ valid JSON", "-error" if value_error else "-ok")
        else:
            _message(value_msg, "", "")
        headers_error = None
        try:
            parse_headers(self.query_one("#headers", Input).value)
        except ValueError as error:
            headers_error = str(error)
        _message(self.query_one("#headers-msg", Static), headers_error or "", "-error")
        valid = value_error is None and headers_error is None
        self.query_one("#send", Button).disabled = not valid
        return valid

    def _validate_rate(self) -> bool:
        try:
            self._rate = parse_rate(self.query_one("#rate", Input).value)
        except ValueError as error:
            _message(self.query_one("#rate-msg", Static), str(error), "-error")
            return False
        _message(self.query_one("#rate-msg", Static), "", "")
        return True

    def _request(self, typed: Mapping[str, str] | None = None) -> ProduceRequest | None:
        """The record the form describes, or None (with the reasons shown inline).
        `typed`: field values as they were when submitted, by field id."""
        typed = typed or {}

        def text(field_id: str) -> str:
            return typed.get(field_id, self.query_one(f"#{field_id}", Input).value)

        valid = self._validate_form()
        topic = self.query_one("#topic", Select).value
        if not isinstance(topic, str):
            self.query_one(ProducerPath).show_failure("choose a topic first")
            return None
        if not valid:
            return None
        partition = self.query_one("#partition", Select).value
        key = text("key")
        value = text("value")
        return ProduceRequest(
            topic=topic,
            value=value or None,
            key=key or None,
            headers=parse_headers(text("headers")),
            partition=partition if isinstance(partition, int) and partition >= 0 else None,
            acks=self._acks(),
            idempotent=self._idempotent(),
            compression=str(self.query_one("#compression", Select).value),
            transactional_id=self._transactional_id(),
        )

    # --- transactions ----------------------------------------------------------------

    @on(Button.Pressed, "#drop-ack")
    def _drop_ack_pressed(self) -> None:
        self.action_drop_ack()

    @on(Button.Pressed, "#txn-begin")
    def _begin_pressed(self) -> None:
        self.action_begin_txn()

    @on(Button.Pressed, "#txn-commit")
    def _commit_pressed(self) -> None:
        self.action_end_txn(True)

    @on(Button.Pressed, "#txn-abort")
    def _abort_pressed(self) -> None:
        self.action_end_txn(False)

    def action_begin_txn(self) -> None:
        """beginTransaction (with InitProducerId first for a new transactional.id)."""
        tid = self._transactional_id()
        if tid is not None:  # else unavailable() said why (the buttons are hidden then)
            self.run_worker(self._txn_call(self.backend.begin_transaction(tid)), group="produce-txn")

    def action_end_txn(self, commit: bool) -> None:
        """commitTransaction / abortTransaction: EndTxn, then markers on every partition."""
        tid = self._transactional_id()
        if tid is not None:
            call = self.backend.end_transaction(tid, commit=commit)
            self.run_worker(
                self._txn_call(call, ended="committed" if commit else "aborted"), group="produce-txn"
            )

    def action_fence(self) -> None:
        """A zombie's successor: InitProducerId with the same transactional.id."""
        tid = self._transactional_id()
        if tid is not None:
            self.run_worker(
                self._txn_call(self.backend.fence_transaction(tid), fenced=True), group="produce-txn"
            )

    def unavailable(self, action: str) -> str | None:
        if action not in ("begin_txn", "end_txn", "fence"):
            return super().unavailable(action)  # drop_ack needs kafkatui's own cluster (ENGINE_ACTIONS)
        try:
            tid = self._transactional_id()
        except NoMatches:  # not composed yet
            return "the form is not ready yet"
        if tid is None:
            if self.query_one("#transactional", Switch).disabled:
                return "Transactions need an idempotent producer: acks=all, idempotent on, then txn."
            return "Turn on the txn switch first (transactional.id; it needs acks=all and idempotence)."
        state = self.backend.transaction(tid).state
        if action == "begin_txn" and state == "IN_TRANSACTION":
            return "A transaction is open already: c commits it, x aborts it."
        if action == "end_txn" and state != "IN_TRANSACTION":
            return "No transaction is open: b begins one."
        return None

    async def _txn_call(
        self, call: Awaitable[TransactionView], *, ended: str = "", fenced: bool = False
    ) -> None:
        try:
            view = await call
        except Exception as error:
            self._show_transaction()
            self.report(error)
            return
        self._show_transaction()
        self._show_idempotence()
        if ended:
            self.app.notify(
                f"Markers written on every partition of the transaction: its records are {ended} "
                + ("and visible to read_committed consumers." if ended == "committed" else
                   "and read_committed consumers skip them."),
                title=f"Transaction {ended}",
            )  # fmt: skip
        elif fenced:
            self.app.notify(
                f"A new producer with transactional.id {view.transactional_id!r} called InitProducerId: "
                "the epoch went up, the open transaction was aborted, and this producer is a zombie — "
                "its next send or commit fails with PRODUCER_FENCED.",
                title="Zombie fenced",
            )

    # --- sending ---------------------------------------------------------------------

    def action_send(self) -> None:
        """Send the form's record once."""
        self._send_form()

    def _send_form(self, typed: Mapping[str, str] | None = None) -> None:
        """Send the form's record; an empty value (a tombstone) only once confirmed."""
        request = self._request(typed)
        if request is None:
            return
        if request.value is not None:
            self.run_worker(self._send(request), group="produce-send", exit_on_error=False)
            return

        def answered(send: bool | None) -> None:
            if send:
                self.run_worker(self._send(request), group="produce-send", exit_on_error=False)

        self.app.push_screen(ConfirmScreen(tombstone_question(request), yes="Send tombstone"), answered)

    async def _send(self, request: ProduceRequest) -> None:
        try:
            trace = await self.backend.produce(request)
        except Exception as error:
            self._failed(error)
            return
        self._latencies.record(request.acks, trace.latency_ms)
        self._show_latencies()
        self._show_idempotence()
        self._show_transaction()
        path = self.query_one(ProducerPath)
        path.show_trace(trace)
        path.scroll_visible(animate=False)  # on a small terminal the path is below the form
        self.post_message(RecordProduced(trace))

    def _failed(self, error: Exception) -> None:
        self._show_transaction()
        path = self.query_one(ProducerPath)
        path.show_failure(str(error))
        path.scroll_visible(animate=False)
        self.report(error)

    # --- auto-produce ----------------------------------------------------------------

    def action_toggle_auto(self) -> None:
        """Stop auto-produce at once, or start it (through the switch, which checks the form)."""
        if self.auto_running:
            self.auto_running = False
        else:
            self.query_one("#auto", Switch).value = True

    @on(Switch.Changed, "#auto")
    def _auto_switched(self, event: Switch.Changed) -> None:
        if event.value == self.auto_running:
            return
        if not event.value:
            self.auto_running = False
            return
        request = self._request()
        if request is None or not self._validate_rate():
            with self.prevent(Switch.Changed):
                event.switch.value = False
            return
        self._auto_acks = request.acks
        self.auto_running = True
        numbered = not self.query_one("#json", Switch).value
        self.run_worker(
            self._auto_produce(request, numbered), group="auto-produce", exclusive=True, exit_on_error=False
        )

    def watch_auto_running(self, running: bool) -> None:
        switch = self.query_one("#auto", Switch)
        if switch.value != running:
            with self.prevent(Switch.Changed):
                switch.value = running
        if running:
            self.auto_sent = self.auto_errors = 0
            self._bucket_count, self._bucket_latency = 0, 0.0
            self._pulses = 0
            self._auto_stop.clear()
            for chart in self.query(RateChart):
                chart.clear()
            self._pulse_timer = self.set_interval(1 / _PULSES_PER_SECOND, self._pulse)
        else:
            self._auto_stop.set()
            if self._pulse_timer is not None:
                self._pulse_timer.stop()
                self._pulse_timer = None
        self._show_counters()

    async def _auto_produce(self, template: ProduceRequest, numbered: bool) -> None:
        """Send at `self._rate` records/s until stopped; pacing is wall time (a UI action).

        Sends are not awaited one round at a time: like a real producer, records keep
        going while earlier ones wait for acknowledgement (at most a second's worth in
        flight), so one slow record does not stall the stream, and a failing send stops
        it at once. The acks toggle applies from the next round, so the latency of each
        setting can be compared while records flow; the rest of the form is read once.
        Counters change per acknowledgement; `_pulse` shows them a few times a second,
        since redrawing per record would cost more than producing it.
        """
        in_flight: set[asyncio.Future[ProduceTrace]] = set()
        try:
            await self._produce_at_rate(template, numbered, in_flight)
            if in_flight:  # records already sent when stopped still count
                await asyncio.wait(in_flight)
        finally:
            for future in in_flight:
                future.cancel()
            if self.is_attached:
                self._show_counters()
                self._show_latencies()

    async def _produce_at_rate(
        self, template: ProduceRequest, numbered: bool, in_flight: set[asyncio.Future[ProduceTrace]]
    ) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        due = 0.0
        seq = 0
        while self.auto_running:
            now = loop.time()
            # Catch up at most a quarter-second's worth, so a stall is not followed by a flood.
            due = min(due + (now - last) * self._rate, max(1.0, self._rate / 4))
            last = now
            count = int(due)
            due -= count
            if template.acks != self._auto_acks:
                template = replace(template, acks=self._auto_acks)
            acknowledged = partial(self._acknowledged, template.acks)
            for _ in range(count):
                seq += 1
                future = asyncio.ensure_future(
                    self.backend.produce(_numbered(template, seq) if numbered else template)
                )
                in_flight.add(future)
                future.add_done_callback(in_flight.discard)
                future.add_done_callback(acknowledged)
            while len(in_flight) > max(self._rate, 1) and self.auto_running:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            pause = max(_TICK, 1 / self._rate) - (loop.time() - now)
            if pause > 0 and self.auto_running:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._auto_stop.wait(), pause)

    def _acknowledged(self, acks: str, future: asyncio.Future[ProduceTrace]) -> None:
        if future.cancelled() or not self.is_attached:
            return
        error = future.exception()
        if error is None:
            trace = future.result()
            self.auto_sent += 1
            self._bucket_count += 1
            self._bucket_latency += trace.latency_ms
            self._latencies.record(acks, trace.latency_ms)
            self._last_trace = trace
            return
        self.auto_errors += 1
        if self.auto_running:  # the first error stops the stream and is the one reported
            self.auto_running = False
            self._failed(error if isinstance(error, Exception) else RuntimeError(str(error)))

    def _pulse(self) -> None:
        """While auto-producing: counters, acks latency and the path often, the charts once a second."""
        self._pulses += 1
        self._show_counters()
        self._show_latencies()
        if self._last_trace is not None and self._pulses % 2 == 0:
            self.query_one(ProducerPath).show_trace(self._last_trace, animate=False)
            self._last_trace = None
        if self._pulses % _PULSES_PER_SECOND == 0:
            count, latency = self._bucket_count, self._bucket_latency
            self.query_one("#throughput", RateChart).push(count)
            self.query_one("#latency", RateChart).push(latency / count if count else 0.0)
            self._bucket_count, self._bucket_latency = 0, 0.0

    def _show_latencies(self) -> None:
        """Redraw the acks latency view if a send was measured since it was last drawn."""
        if self._latencies.version != self._latencies_shown:
            self._latencies_shown = self._latencies.version
            self.query_one(AcksLatency).summaries = self._latencies.summaries()

    def _show_counters(self) -> None:
        counters = self.query_one(AutoCounters)
        state = "running" if self.auto_running else "stopped"
        counters.text = f"{state} · sent {self.auto_sent:,} · errors {self.auto_errors:,}"
        counters.set_class(self.auto_running, "-running")


class AutoCounters(Widget):
    """Auto-produce's counters; redrawn in place (no layout pass), as they change often."""

    text: reactive[str] = reactive("stopped")

    def render(self) -> str:
        return self.text


def tombstone_question(request: ProduceRequest) -> str:
    """What the Produce panel asks before it sends a record with a null value."""
    if request.key is None:
        whose = "It has no key either, so it deletes nothing; a compacted topic refuses it."
    else:
        whose = f"On a compacted topic it deletes key {request.key!r} once the cleaner runs."
    return f"The value is empty: send a tombstone (a record with a null value) to {request.topic}? {whose}"


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


def _message(target: Static, text: str, state: str) -> None:
    target.update(Text(text))  # not markup: messages quote what the user typed
    target.set_class(not text, "-empty")
    target.set_class(state == "-error", "-error")
    target.set_class(state == "-ok", "-ok")


def _numbered(template: ProduceRequest, seq: int) -> ProduceRequest:
    value = f"{template.value} #{seq}" if template.value is not None else f"record #{seq}"
    return replace(template, value=value)


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


def parse_rate(text: str) -> float:
    """Auto-produce rate in records/s: more than 0, at most MAX_RATE."""
    try:
        rate = float(text)
    except ValueError:
        raise ValueError("rate must be a number of records/s") from None
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be more than 0 and at most {MAX_RATE:,} records/s")
    return rate
