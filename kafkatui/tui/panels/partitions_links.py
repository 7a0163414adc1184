"""The Partitions panel's link dialog: which link of a broker to cut or heal, or to slow
down and by how much, with what is typed checked before anything changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from kafkatui.common.admin import LinkState
from kafkatui.tui.widgets.field import Field

MAX_LATENCY_MS = 60_000


def link_text(link: LinkState) -> str:
    """'1 ⇹ 3 cut', '2 ⇹ 3 40 ms', '1 ⇹ 2 10% loss'."""
    parts = ["cut"] if link.cut else []
    if link.latency_ms:
        parts.append(f"{link.latency_ms} ms")
    if link.loss:
        parts.append(f"{link.loss:.0%} loss")
    return f"{link.a} ⇹ {link.b} {', '.join(parts)}"


@dataclass(frozen=True)
class LinkChoice:
    """The other end of a link, and the latency to set on it (None: cut or heal it)."""

    other: int
    latency_ms: int | None = None


def check_link(other: str, me: int, brokers: list[int], latency: str | None = None) -> LinkChoice | str:
    """The link typed in the dialog, or why it cannot be changed."""
    choices = " or ".join(map(str, brokers))
    text = other.strip()
    if not text:
        return f"Type the broker at the other end: {choices}."
    try:
        broker_id = int(text)
    except ValueError:
        return f"{text!r} is not a broker id; type {choices}."
    if broker_id == me:
        return f"That is broker {me} itself: a link joins two brokers ({choices})."
    if broker_id not in brokers:
        return f"There is no broker {broker_id}; type {choices}."
    if latency is None:
        return LinkChoice(broker_id)
    text = latency.strip().replace("_", "")
    if not text:
        return "Type a latency in milliseconds (0 removes it)."
    try:
        ms = int(text)
    except ValueError:
        return f"{text!r} is not a number of milliseconds."
    if not 0 <= ms <= MAX_LATENCY_MS:
        return f"Latency is 0 to {MAX_LATENCY_MS:,} ms, not {ms:,}."
    return LinkChoice(broker_id, ms)


class LinkScreen(ModalScreen[LinkChoice | None]):
    """Which link of a broker to cut/heal, or to slow down (and by how much)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="link.cancel")]

    def __init__(
        self, broker_id: int, others: list[int], links: list[LinkState], latency: bool = False
    ) -> None:
        super().__init__()
        self.broker_id = broker_id
        self.others = others
        self.latency = latency
        self.links = {(x.b if x.a == broker_id else x.a): x for x in links if broker_id in (x.a, x.b)}

    def compose(self) -> ComposeResult:
        me = self.broker_id
        title = "Link latency" if self.latency else "Cut or heal a link"
        state = " · ".join(
            link_text(self.links[b]) if b in self.links else f"{min(me, b)} ⇹ {max(me, b)} healthy"
            for b in self.others
        )
        with Vertical(id="link-dialog"):
            yield Label(f"{title} · broker {me}", id="link-title")
            yield Label(state or "no other broker", id="link-state")
            yield Label("Other broker")
            default = str(self.others[0]) if self.others else ""
            yield Field(value=default, type="integer", id="link-other")
            if self.latency:
                yield Label("Latency in ms (0 removes it)")
                yield Field(placeholder=f"0…{MAX_LATENCY_MS}", type="integer", id="link-ms")
            yield Label("", id="link-error")
            verb = "set the latency" if self.latency else "cut a healthy link, heal a cut one"
            yield Label(f"enter {verb} · esc cancel", id="link-hint")

    def on_input_changed(self, _: Input.Changed) -> None:
        self.query_one("#link-error", Label).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        other = self.query_one("#link-other", Input).value
        latency = self.query_one("#link-ms", Input).value if self.latency else None
        if event.input.id == "link-other" and latency == "":
            self.query_one("#link-ms", Input).focus()  # enter moves on to the latency
            return
        result = check_link(other, self.broker_id, self.others, latency)
        if isinstance(result, str):
            self.query_one("#link-error", Label).update(result)
        else:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
