"""The Produce panel: write records by hand or at a steady rate, and watch the producer path.

Its parts: the form (`produce_form.ProduceForm`: the record and the producer's
settings; its `produce_schema.SchemaChooser` picks a subject of the Schema Registry for
the value), auto-produce (`produce_auto.AutoProduce`: the rate loop, its counters and
charts), and here what joins them to the backend: sending, transactions, the lost-ack
fault, the producer path and the latency per acks setting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, VerticalScroll
from textual.css.query import NoMatches
from textual.events import Resize
from textual.message import Message
from textual.widgets import Button, Input, RadioSet, Select, Static, Switch

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
from kafkatui.tui.panels.produce_auto import AutoCounters, AutoProduce
from kafkatui.tui.panels.produce_form import ProduceForm
from kafkatui.tui.panels.produce_schema import SchemaChooser
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.widgets.acks_latency import AcksLatency, AcksLatencyStats
from kafkatui.tui.widgets.producer_path import ProducerPath

__all__ = ["AutoCounters", "ProducePanel", "RecordProduced", "tombstone_question"]

_NARROW_WIDTH = 100  # below this the form and the path stack instead of sitting side by side
_TOPIC_EVENTS = (TopicCreated, TopicDeleted, PartitionsCreated)
_PRODUCER_EVENTS = (AckLost, DuplicateBatchDropped, RecordAppended, TransactionStateChanged)
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

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._latencies = AcksLatencyStats()  # form sends' and auto-produce's alike
        self._latencies_shown = 0  # the stats' version last drawn

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with ScrollableContainer(id="produce-root", can_focus=False):
            yield ProduceForm(self.backend.schema_registry_url(), id="produce-form")
            with VerticalScroll(id="produce-side", can_focus=False):
                yield Static("Producer path", classes="section -first")
                yield ProducerPath(id="path")
                yield AutoProduce(self.backend, self._latencies, id="auto-produce")
                yield Static("Latency by acks", classes="section")
                yield AcksLatency(id="acks-latency")
                yield Static(_ACKS_LATENCY_NOTE, id="acks-latency-note")

    @property
    def form(self) -> ProduceForm:
        return self.query_one(ProduceForm)

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
        registry = self.query_one(SchemaChooser).registry
        if registry is not None and any(
            isinstance(e, RecordAppended) and e.topic == registry.topic for e in events
        ):
            # The registry wrote there: a subject or version changed. Its store reads the
            # record back a moment after the append, so a reload now may still see the
            # version before: once more after that moment.
            chooser = self.query_one(SchemaChooser)
            chooser.reload()
            self.set_timer(0.5, chooser.reload)

    def _reload_topics(self) -> None:
        self.form.set_topics(self.backend.topic_names())
        self._reload_partitions()

    def _reload_partitions(self) -> None:
        topic = self.form.topic
        count = 0
        if topic is not None and topic in self.backend.topic_names():
            count = len(self.backend.describe_topic(topic).partitions)
        self.form.set_partitions(count)

    def _show_idempotence(self) -> None:
        self.form.show_idempotence(self.backend.idempotence(self.form.topic, self.form.transactional_id))

    def _show_transaction(self) -> None:
        tid = self.form.transactional_id
        self.refresh_bindings()  # begin, commit and abort follow the transaction's state
        self.form.show_transaction(None if tid is None else self.backend.transaction(tid))

    # --- the form's settings ---------------------------------------------------------

    @on(Select.Changed, "#topic")
    def _topic_changed(self) -> None:
        self._reload_partitions()
        self._show_idempotence()

    @on(RadioSet.Changed, "#acks")
    def _acks_changed(self) -> None:
        acks = self.form.acks
        self.query_one(AcksLatency).chosen = acks
        self.query_one(AutoProduce).acks = acks  # a running stream switches too
        self._show_idempotence()
        self._show_transaction()

    @on(Switch.Changed, "#idempotence")
    def _idempotence_changed(self) -> None:
        self._show_idempotence()
        self._show_transaction()

    @on(Switch.Changed, "#transactional")
    @on(Input.Changed, "#txn-id")
    def _transactional_changed(self) -> None:
        self._show_transaction()

    @on(Input.Submitted, "#key, #value, #headers")
    def _submitted(self, event: Input.Submitted) -> None:
        # What the field held when enter was pressed, not what it holds now: keys typed
        # after enter (ctrl+u, the next record) may have reached it already.
        self._send_form({event.input.id or "": event.value})

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#drop-ack")
    def _drop_ack_pressed(self) -> None:
        self.action_drop_ack()

    def action_drop_ack(self) -> None:
        """The lost-acknowledgement fault: the next produce response for this topic is
        lost after the leader appended the batch, so the producer retries."""
        topic = self.form.topic
        if topic is None:
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

    # --- transactions ----------------------------------------------------------------

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
        tid = self.form.transactional_id
        if tid is not None:  # else unavailable() said why (the buttons are hidden then)
            self.run_worker(self._txn_call(self.backend.begin_transaction(tid)), group="produce-txn")

    def action_end_txn(self, commit: bool) -> None:
        """commitTransaction / abortTransaction: EndTxn, then markers on every partition."""
        tid = self.form.transactional_id
        if tid is not None:
            call = self.backend.end_transaction(tid, commit=commit)
            self.run_worker(
                self._txn_call(call, ended="committed" if commit else "aborted"), group="produce-txn"
            )

    def action_fence(self) -> None:
        """A zombie's successor: InitProducerId with the same transactional.id."""
        tid = self.form.transactional_id
        if tid is not None:
            self.run_worker(
                self._txn_call(self.backend.fence_transaction(tid), fenced=True), group="produce-txn"
            )

    def unavailable(self, action: str) -> str | None:
        if action not in ("begin_txn", "end_txn", "fence"):
            return super().unavailable(action)  # drop_ack needs kafkatui's own cluster (ENGINE_ACTIONS)
        try:
            tid = self.form.transactional_id
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

    def _request(self, typed: Mapping[str, str] | None = None) -> ProduceRequest | None:
        """The form's record, or None: the form says why inline, the path if no topic is chosen."""
        request = self.form.request(typed)
        if self.form.topic is None:
            self.query_one(ProducerPath).show_failure("choose a topic first")
        return request

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

    def _show_latencies(self) -> None:
        """Redraw the acks latency view if a send was measured since it was last drawn."""
        if self._latencies.version != self._latencies_shown:
            self._latencies_shown = self._latencies.version
            self.query_one(AcksLatency).summaries = self._latencies.summaries()

    # --- auto-produce ----------------------------------------------------------------

    @property
    def auto_running(self) -> bool:
        """Whether auto-produce is on."""
        return self.query_one(AutoProduce).running

    @property
    def auto_sent(self) -> int:
        return self.query_one(AutoProduce).sent

    @property
    def auto_errors(self) -> int:
        return self.query_one(AutoProduce).errors

    def action_toggle_auto(self) -> None:
        """Stop auto-produce at once, or start it (through the switch, which checks the form)."""
        if self.auto_running:
            self.query_one(AutoProduce).running = False
        else:
            self.query_one("#auto", Switch).value = True

    @on(Switch.Changed, "#auto")
    def _auto_switched(self, event: Switch.Changed) -> None:
        auto = self.query_one(AutoProduce)
        if event.value == auto.running:
            return
        if not event.value:
            auto.running = False
            return
        request = self._request()
        if request is None or not auto.validate_rate():
            with self.prevent(Switch.Changed):
                event.switch.value = False
            return
        auto.start(request, numbered=not self.form.checks_json)

    @on(AutoProduce.Progress)
    def _auto_progress(self, event: AutoProduce.Progress) -> None:
        self._show_latencies()
        if event.trace is not None:
            self.query_one(ProducerPath).show_trace(event.trace, animate=False)

    @on(AutoProduce.Failed)
    def _auto_failed(self, event: AutoProduce.Failed) -> None:
        self._failed(event.error)


def tombstone_question(request: ProduceRequest) -> str:
    """What the Produce panel asks before it sends a record with a null value."""
    if request.key is None:
        whose = "It has no key either, so it deletes nothing; a compacted topic refuses it."
    else:
        whose = f"On a compacted topic it deletes key {request.key!r} once the cleaner runs."
    return f"The value is empty: send a tombstone (a record with a null value) to {request.topic}? {whose}"
