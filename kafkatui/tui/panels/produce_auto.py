"""Auto-produce: the Produce panel's steady stream of records, its counters and rate charts."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static, Switch

from kafkatui.backends.base import Backend, ProduceRequest, ProduceTrace
from kafkatui.tui.panels.produce_form import show_message
from kafkatui.tui.widgets.acks_latency import AcksLatencyStats
from kafkatui.tui.widgets.field import Field
from kafkatui.tui.widgets.rate_chart import RateChart

MAX_RATE = 20_000
_TICK = 0.02  # seconds between auto-produce rounds at high rates (several records per round)
_PULSES_PER_SECOND = 4  # how often auto-produce's counters are redrawn


class AutoProduce(Widget):
    """Records sent at a chosen rate until stopped, like a load generator on one
    producer: the counters, and the throughput and latency of each second as charts.

    The panel starts it with the form's record (`start`) and stops it (`running =
    False`); what the stream measures goes into the panel's `latencies`, and a few
    times a second `Progress` tells the panel to redraw what it shows of them. The
    switch is the panel's to handle, since starting needs the form.
    """

    running: reactive[bool] = reactive(False, init=False)
    """Whether records are being sent."""

    class Progress(Message):
        """A redraw of the stream's figures: the latest acknowledged record, if any since the last."""

        def __init__(self, trace: ProduceTrace | None) -> None:
            super().__init__()
            self.trace = trace

    class Failed(Message):
        """The first send that failed, which stopped the stream."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, backend: Backend, latencies: AcksLatencyStats, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = backend
        self.latencies = latencies
        self.acks = "all"  # what the stream sends with: the panel sets it as the acks toggle moves
        self.sent = 0
        self.errors = 0
        self._stop = asyncio.Event()
        self._bucket_count = 0
        self._bucket_latency = 0.0
        self._pulse_timer: Timer | None = None
        self._pulses = 0
        self._last_trace: ProduceTrace | None = None
        self._rate = 10.0

    def compose(self) -> ComposeResult:
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

    @on(Input.Changed, "#rate")
    def _rate_changed(self) -> None:
        self.validate_rate()

    def validate_rate(self) -> bool:
        """Take the rate field's value, or say inline why it cannot be used."""
        try:
            self._rate = parse_rate(self.query_one("#rate", Input).value)
        except ValueError as error:
            show_message(self.query_one("#rate-msg", Static), str(error), "-error")
            return False
        show_message(self.query_one("#rate-msg", Static), "", "")
        return True

    def start(self, template: ProduceRequest, numbered: bool) -> None:
        """Send `template` at the rate until stopped; `numbered`: each value gets " #n"."""
        self.acks = template.acks
        self.running = True
        self.run_worker(
            self._auto_produce(template, numbered), group="auto-produce", exclusive=True, exit_on_error=False
        )

    def watch_running(self, running: bool) -> None:
        switch = self.query_one("#auto", Switch)
        if switch.value != running:
            with self.prevent(Switch.Changed):
                switch.value = running
        if running:
            self.sent = self.errors = 0
            self._bucket_count, self._bucket_latency = 0, 0.0
            self._pulses = 0
            self._stop.clear()
            for chart in self.query(RateChart):
                chart.clear()
            self._pulse_timer = self.set_interval(1 / _PULSES_PER_SECOND, self._pulse)
        else:
            self._stop.set()
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
                self.post_message(self.Progress(None))

    async def _produce_at_rate(
        self, template: ProduceRequest, numbered: bool, in_flight: set[asyncio.Future[ProduceTrace]]
    ) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        due = 0.0
        seq = 0
        while self.running:
            now = loop.time()
            # Catch up at most a quarter-second's worth, so a stall is not followed by a flood.
            due = min(due + (now - last) * self._rate, max(1.0, self._rate / 4))
            last = now
            count = int(due)
            due -= count
            if template.acks != self.acks:
                template = replace(template, acks=self.acks)
            acknowledged = partial(self._acknowledged, template.acks)
            for _ in range(count):
                seq += 1
                future = asyncio.ensure_future(
                    self.backend.produce(_numbered(template, seq) if numbered else template)
                )
                in_flight.add(future)
                future.add_done_callback(in_flight.discard)
                future.add_done_callback(acknowledged)
            while len(in_flight) > max(self._rate, 1) and self.running:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            pause = max(_TICK, 1 / self._rate) - (loop.time() - now)
            if pause > 0 and self.running:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), pause)

    def _acknowledged(self, acks: str, future: asyncio.Future[ProduceTrace]) -> None:
        if future.cancelled() or not self.is_attached:
            return
        error = future.exception()
        if error is None:
            trace = future.result()
            self.sent += 1
            self._bucket_count += 1
            self._bucket_latency += trace.latency_ms
            self.latencies.record(acks, trace.latency_ms)
            self._last_trace = trace
            return
        self.errors += 1
        if self.running:  # the first error stops the stream and is the one reported
            self.running = False
            failure = error if isinstance(error, Exception) else RuntimeError(str(error))
            self.post_message(self.Failed(failure))

    def _pulse(self) -> None:
        """While running: counters and acks latency often, the path every other pulse,
        the charts once a second."""
        self._pulses += 1
        self._show_counters()
        trace = None
        if self._last_trace is not None and self._pulses % 2 == 0:
            trace, self._last_trace = self._last_trace, None
        self.post_message(self.Progress(trace))
        if self._pulses % _PULSES_PER_SECOND == 0:
            count, latency = self._bucket_count, self._bucket_latency
            self.query_one("#throughput", RateChart).push(count)
            self.query_one("#latency", RateChart).push(latency / count if count else 0.0)
            self._bucket_count, self._bucket_latency = 0, 0.0

    def _show_counters(self) -> None:
        counters = self.query_one(AutoCounters)
        state = "running" if self.running else "stopped"
        counters.text = f"{state} · sent {self.sent:,} · errors {self.errors:,}"
        counters.set_class(self.running, "-running")


class AutoCounters(Widget):
    """Auto-produce's counters; redrawn in place (no layout pass), as they change often."""

    text: reactive[str] = reactive("stopped")

    def render(self) -> str:
        return self.text


def _numbered(template: ProduceRequest, seq: int) -> ProduceRequest:
    value = f"{template.value} #{seq}" if template.value is not None else f"record #{seq}"
    return replace(template, value=value)


def parse_rate(text: str) -> float:
    """Auto-produce rate in records/s: more than 0, at most MAX_RATE."""
    try:
        rate = float(text)
    except ValueError:
        raise ValueError("rate must be a number of records/s") from None
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be more than 0 and at most {MAX_RATE:,} records/s")
    return rate
