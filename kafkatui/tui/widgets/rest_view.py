"""The REST view (`r` on the Events panel): the REST Proxy's recent requests with their
status and latency, and its live consumer instances, so a teacher can show an HTTP
request going in and Kafka records coming out beside the engine's own events."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kafkatui.formatting import clock_time
from kafkatui.tui.rest_activity import RestActivity, latency_text, records_text

SHOWN = 50  # requests in the table, newest first


def _status(status: int) -> Text:
    style = "bold red" if status >= 500 else "dark_orange" if status >= 400 else "green"
    return Text(str(status), style=style)


class RestView(Vertical):
    """Two tables over a `RestActivity`: requests (newest first) and instances."""

    def compose(self) -> ComposeResult:
        yield Static(id="rest-where")
        yield Static("Requests", classes="rest-title")
        requests: DataTable[Text] = DataTable(id="rest-requests", cursor_type="row", zebra_stripes=True)
        requests.add_columns("Method", "Path", "Status", "Latency", "Records")
        yield requests
        yield Static("Consumer instances", classes="rest-title")
        instances: DataTable[Text] = DataTable(id="rest-instances", cursor_type="none", zebra_stripes=True)
        instances.add_columns("Group", "Instance", "Format", "Topics", "Last seen")
        yield instances

    def show(self, activity: RestActivity, url: str | None) -> None:
        where = (
            f"REST Proxy at {url} · {activity.served:,} request(s) since the workbench started"
            if url
            else "No REST Proxy known for this cluster (the workbench runs one unless --no-rest-proxy)"
        )
        self.query_one("#rest-where", Static).update(where)
        requests = self.query_one("#rest-requests", DataTable)
        requests.clear()
        for event in list(activity.requests)[::-1][:SHOWN]:
            requests.add_row(
                Text(event.method),
                Text(event.path),  # as sent: never read as markup
                _status(event.status),
                Text(latency_text(event.latency_ms), justify="right"),
                Text(records_text(event)),
            )
        instances = self.query_one("#rest-instances", DataTable)
        instances.clear()
        for i in sorted(activity.instances.values(), key=lambda i: (i.group_id, i.instance_id)):
            cells = (
                i.group_id,
                i.instance_id,
                i.format,
                ", ".join(i.topics) or "—",
                clock_time(i.last_seen_ms),
            )
            instances.add_row(*(Text(c) for c in cells))
