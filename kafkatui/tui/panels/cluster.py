"""The Cluster panel: brokers, each with its own database, and the controller."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from kafkatui.backends.base import Backend, BrokerState, BrokerView, ConnectedClient
from kafkatui.common.events import (
    BrokerFenced,
    BrokerStarted,
    BrokerStopped,
    BrokerUnfenced,
    ControllerElected,
    Event,
    LeaderElected,
    PartitionsCreated,
    RecordAppended,
    TopicCreated,
    TopicDeleted,
)
from kafkatui.formatting import clock_time, human_bytes
from kafkatui.tui.panels.base import Panel
from kafkatui.tui.rest_activity import RestActivity, RestClient

_RELEVANT = (
    BrokerStarted, BrokerStopped, BrokerFenced, BrokerUnfenced, ControllerElected, LeaderElected,
    PartitionsCreated, TopicCreated, TopicDeleted, RecordAppended,
)  # fmt: skip
# The engine's states (Cluster.broker_state): is the broker's process up, and has the
# controller fenced it? Down and fenced reads the same after a stop (controlled shutdown
# fences at once) and after a crash (once broker.session.timeout.ms ran out): by then the
# controller treats both alike, as KRaft does.
_STATE_MARKS = {
    BrokerState.RUNNING: "● running",
    BrokerState.FENCED: "⚠ fenced · up",
    BrokerState.CRASHED: "✖ crashed",
    BrokerState.STOPPED: "○ fenced · down",
}


def broker_status(broker: BrokerView) -> str:
    """A broker's state in one line, as the controller sees it."""
    return _STATE_MARKS.get(broker.state, str(broker.state))


def session_countdown(broker: BrokerView) -> str:
    """How long until the controller acts on a silent broker ("" if it is not silent)."""
    if broker.session_remaining_ms is None:
        return ""
    seconds = broker.session_remaining_ms / 1000
    if broker.state is BrokerState.CRASHED:
        return f"controller notices in {seconds:.1f} s"
    return f"controller fences it in {seconds:.1f} s"


def any_silent(brokers: list[BrokerView]) -> bool:
    """Is the controller counting down a broker's session (so countdowns should tick)?"""
    return any(b.session_remaining_ms is not None for b in brokers)


def client_row(client: ConnectedClient) -> tuple[str, ...]:
    """One connected client as the Clients table shows it."""
    return (
        client.client_id or "—",
        client.software or "—",
        client.address,
        str(client.broker_id),
        f"{client.requests:,}",
        client.last_api or "—",
        # who it is: User:ANONYMOUS on PLAINTEXT, the certificate's subject on SSL, the SASL user
        f"{client.principal} ({client.sasl_mechanism})" if client.sasl_mechanism else client.principal,
    )


def rest_client_row(client: RestClient) -> tuple[str, ...]:
    """One HTTP client of the REST Proxy as the REST clients table shows it."""
    return (
        client.host,
        client.user_agent or "—",
        f"{client.requests:,}",
        client.last_request,
        clock_time(client.last_ms),
    )


class ClusterPanel(Panel):
    """Brokers: status, controller marker, partitions led, replicas hosted, bytes on disk."""

    PANEL_ID = "cluster"
    TITLE = "Cluster"
    TITLE_PT = "Cluster"
    KEY = "1"
    REFRESH_ON = _RELEVANT
    TICK = 1.0  # a silent broker's countdown; on a ManualClock it stays put, as time does

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.rest = RestActivity()  # the REST Proxy's HTTP clients, from its events

    def on_engine_events(self, events: list[Event]) -> None:
        if self.rest.add(events) and self.is_mounted:
            self._show_rest_clients()
        super().on_engine_events(events)

    def on_tick(self) -> None:
        if any_silent(self.backend.brokers()):
            self.refresh_soon()
        else:
            self._show_listener()  # clients come and go without engine events

    def _show_listener(self) -> None:
        status = self.backend.listener_status()
        listener = self.query_one("#cluster-listener", Static)
        listener.display = status is not None
        listener.update(status or "")
        self._show_clients(status is not None)

    def _show_clients(self, listening: bool) -> None:
        """The Kafka clients connected over the wire: who they say they are (client.id,
        and KIP-511's software name/version), from where, and what they last asked."""
        self.query_one("#clients-title", Static).display = listening
        table = self.query_one("#clients", DataTable)
        table.display = listening
        if not listening:
            return
        table.clear()
        for c in self.backend.connected_clients():
            table.add_row(*client_row(c))
        self._show_rest_clients()

    def _show_rest_clients(self) -> None:
        """Beside the wire clients, the REST Proxy's: HTTP clients have no connection to
        list (curl opens one per command), so each is a host and its User-Agent, with
        the requests it sent since the workbench started."""
        shown = bool(self.rest.clients) or self.backend.rest_proxy_url() is not None
        self.query_one("#rest-clients-title", Static).display = shown
        table = self.query_one("#rest-clients", DataTable)
        table.display = shown
        if not shown:
            return
        table.clear()
        for client in sorted(self.rest.clients.values(), key=lambda c: -c.order):
            table.add_row(*rest_client_row(client))

    def compose(self) -> ComposeResult:
        yield Static(id="cluster-summary")
        yield Static(id="cluster-listener")
        table: DataTable[str] = DataTable(id="brokers", cursor_type="row", zebra_stripes=True)
        table.add_columns("Broker", "Status", "Controller", "Partitions led", "Replicas", "On disk")
        yield table
        yield Static("Clients", id="clients-title")
        clients: DataTable[str] = DataTable(id="clients", cursor_type="none", zebra_stripes=True)
        clients.add_columns("Client id", "Software", "Address", "Broker", "Requests", "Last API", "Principal")
        yield clients
        yield Static("REST clients (HTTP, through the REST Proxy)", id="rest-clients-title")
        rest: DataTable[str] = DataTable(id="rest-clients", cursor_type="none", zebra_stripes=True)
        rest.add_columns("Host", "User agent", "Requests", "Last request", "At")
        yield rest

    async def refresh_data(self) -> None:
        await self.backend.refresh_disk_usage()
        brokers = self.backend.brokers()
        table = self.query_one("#brokers", DataTable)
        table.clear()
        for b in brokers:
            countdown = session_countdown(b)
            table.add_row(
                f"broker {b.broker_id}",
                f"{broker_status(b)} — {countdown}" if countdown else broker_status(b),
                "★ controller" if b.is_controller else "",
                str(b.partitions_led),
                str(b.replicas_hosted),
                human_bytes(b.bytes_on_disk),
                key=str(b.broker_id),
            )
        topics = self.backend.topic_names()
        partitions = sum(len(self.backend.describe_topic(t).partitions) for t in topics)
        electing = (
            " No active controller: the quorum is electing one." if self.backend.controller_id == -1 else ""
        )
        self.query_one("#cluster-summary", Static).update(
            f"{self.backend.description} · {len(topics)} topic(s), {partitions} partition(s). "
            f"Each broker keeps its partitions in its own SQLite database (broker-<id>.db).{electing}"
        )
        self._show_listener()
