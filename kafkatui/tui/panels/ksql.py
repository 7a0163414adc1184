"""The ksqlDB panel: a SQL editor over ksqlDB's REST API. Statements run with ctrl+enter;
a query's rows fill a table (a push query's keep coming, with a count and a rate, until
stopped), other statements show what ksqlDB answered (CREATE's message, SHOW as a
table, DESCRIBE's fields), and a refusal is ksqlDB's message with the place it names
marked in the editor. Beside it, the streams, tables and persistent queries: Enter
describes one, t terminates a query (asks first). It is a client of the ksqlDB server,
as the ksql CLI is: the one the workbench runs beside the cluster, or --ksql-url."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import Worker

from kafkatui.backends.base import Backend
from kafkatui.common.events import Event, RecordAppended
from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.lexer import split_statements, tokenize
from kafkatui.tui.panels.base import Panel, ShowTopic
from kafkatui.tui.panels.ksql_client import (
    KsqlClient,
    KsqlDown,
    KsqlRefused,
    cell,
    entity_view,
)
from kafkatui.tui.panels.ksql_editor import KsqlEditor
from kafkatui.tui.screens.confirm import ConfirmScreen

# The seed notes' example: over a `sales` stream, averages that keep updating.
EXAMPLE = (
    "-- ctrl+enter runs the statements; the seed's example, once a stream `sales` exists:\n"
    "SELECT client_id, AVG(price) AS avg_price FROM sales GROUP BY client_id EMIT CHANGES;"
)
NO_KSQL = (
    "ksqlDB is not running. The workbench and `kafkatui serve` run a ksqlDB server with its "
    "REST API on 127.0.0.1:8088 (--ksql-port; --no-ksql turns it off); point the workbench "
    "at another one with --ksql-url (or $KAFKATUI_KSQL_URL)."
)
SHOWS_ROWS = ("SELECT", "SHOW", "LIST", "DESCRIBE", "EXPLAIN")
MAX_ROWS = 1000  # a push query's rows kept on screen (the count goes on)


def command_topic(service_id: str) -> str:
    """ksqlDB's command topic for a ksql.service.id (`_confluent-ksql-default__command_topic`)."""
    return f"_confluent-ksql-{service_id}_command_topic"


def first_word(statement: str) -> str:
    tokens = tokenize(statement)
    return tokens[0].value if tokens else ""


def source_of(statement: str) -> str | None:
    """The name after the first FROM: the stream or table a query reads."""
    tokens = tokenize(statement)
    for token, after in itertools.pairwise(tokens):
        if token.is_word("FROM") and after.kind in ("ident", "quoted"):
            return after.value
    return None


class KsqlPanel(Panel):
    """ksqlDB (its REST API at --ksql-url, or `Backend.ksql_url`)."""

    PANEL_ID = "ksql"
    TITLE = "ksqlDB"
    TITLE_PT = "ksqlDB"
    KEY = "K"
    TICK = 5.0  # the side list from another client's statements, when no event says so

    BINDINGS: ClassVar[list[BindingType]] = [
        *Panel.BINDINGS,
        Binding(
            "ctrl+enter,ctrl+r", "run", "Run", id="ksql.run", priority=True,
            tooltip="Run the editor's statements (SELECT … EMIT CHANGES streams until stopped)",
        ),
        Binding(
            "ctrl+s", "stop", "Stop query", id="ksql.stop", priority=True,
            tooltip="Stop the push query that is streaming (POST /close-query)",
        ),
        Binding(
            "ctrl+l", "clear", "Clear", id="ksql.clear", priority=True,
            tooltip="Empty the editor (up in an empty editor brings back what was run)",
        ),
        Binding(
            "t", "terminate", "Terminate", id="ksql.terminate",
            tooltip="Terminate the selected persistent query (asks first; TERMINATE <id>)",
        ),
        Binding(
            "o", "open_topic", "Open topic", id="ksql.open_topic",
            tooltip="Show the selected stream's or table's topic (a query's changelog) in the Log panel",
        ),
        Binding(
            "c", "open_commands", "Command topic", id="ksql.open_commands",
            tooltip="Show ksqlDB's command topic (its statements, in order) in the Log panel",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.client: KsqlClient | None = None
        self.problem: str | None = None  # why ksqlDB cannot be reached now (shown in place)
        self.service_id = "default_"
        self.sources: dict[str, dict[str, Any]] = {}  # name -> SHOW STREAMS/TABLES entry
        self.queries: dict[str, dict[str, Any]] = {}  # id -> SHOW QUERIES entry
        self.selected: str | None = None  # a side list row key: "STREAM:S", "TABLE:T", "QUERY:Q"
        self.properties: dict[str, str] = {}  # SET by the session, sent with every request
        self.push: Worker[None] | None = None
        self.push_id: str | None = None
        self.row_count = 0
        self.started_ms = 0
        self.error: KsqlRefused | None = None

    def compose(self) -> ComposeResult:
        yield Static(NO_KSQL, id="ksql-none", classes="empty")
        with Horizontal(id="ksql-body"):
            with Vertical(id="ksql-side"):
                yield Static("Streams, tables, queries", classes="section")
                side: DataTable[str] = DataTable(id="ksql-objects", cursor_type="row")
                side.add_columns("Kind", "Name", "Topic / state")
                yield side
            with Vertical(id="ksql-main"):
                yield KsqlEditor(EXAMPLE, id="ksql-editor")
                yield Static("", id="ksql-error")
                yield Static("", id="ksql-status", classes="section")
                yield DataTable(id="ksql-rows", cursor_type="row")
                with VerticalScroll(id="ksql-view"):
                    yield Static("", id="ksql-message")

    @property
    def editor(self) -> KsqlEditor:
        return self.query_one("#ksql-editor", KsqlEditor)

    @property
    def rows(self) -> DataTable[Any]:
        return self.query_one("#ksql-rows", DataTable)

    def on_mount(self) -> None:
        super().on_mount()
        # --ksql-url, else the one served beside the cluster, or (attached to a data
        # dir's owner) the owner's, as its lock file records it: as `kafkatui ksql` finds it.
        url = getattr(self.app, "ksql_url", None) or self.backend.ksql_url()
        self.client = KsqlClient(url) if url else None
        self.query_one("#ksql-error").display = False
        self._show_state()
        self.refresh_soon()

    async def on_unmount(self) -> None:
        await self._stop_push()
        if self.client is not None:
            await self.client.close()

    def on_tick(self) -> None:
        self.refresh_soon()

    def on_engine_events(self, events: list[Event]) -> None:
        """A statement from anywhere (the CLI, another workbench) is a record in the
        command topic."""
        topic = command_topic(self.service_id)
        if any(isinstance(e, RecordAppended) and e.topic == topic for e in events):
            self.refresh_soon()

    # --- the side list ---------------------------------------------------------------

    async def refresh_data(self) -> None:
        if self.client is None:
            return
        try:
            if self.problem is not None or not self.sources:
                self.service_id = str((await self.client.info()).get("ksqlServiceId", self.service_id))
            streams, tables, queries = await self.client.statements(
                "SHOW STREAMS; SHOW TABLES; SHOW QUERIES;"
            )
        except KsqlDown as error:
            why = str(error).rpartition("(")[2].rstrip(")")
            self.problem = f"ksqlDB does not answer at {self.client.url} ({why}).\n\n{NO_KSQL}"
            self._show_state()
            return
        except KsqlRefused as error:
            self.problem = f"ksqlDB at {self.client.url} refused SHOW STREAMS: {error.message}"
            self._show_state()
            return
        if not self.is_attached:
            return
        self.problem = None
        self.sources = {s["name"]: s for s in streams["streams"] + tables["tables"]}
        self.queries = {q["id"]: q for q in queries["queries"]}
        self._show_state()

    def _show_state(self) -> None:
        none = self.query_one("#ksql-none", Static)
        running = self.client is not None and self.problem is None
        none.display = not running
        none.update(self.problem or NO_KSQL)
        self.query_one("#ksql-body").display = running
        if running:
            self._fill_side()
        self.refresh_bindings()

    def _fill_side(self) -> None:
        side = self.query_one("#ksql-objects", DataTable)
        keys: list[str] = []
        side.clear()
        for kind in ("STREAM", "TABLE"):
            for name in sorted(n for n, s in self.sources.items() if s["type"] == kind):
                keys.append(f"{kind}:{name}")
                side.add_row(kind.lower(), name, self.sources[name]["topic"], key=keys[-1])
        for query_id in sorted(self.queries):
            keys.append(f"QUERY:{query_id}")
            state = self.queries[query_id].get("state", "")
            side.add_row("query", query_id, Text(state, style="bold green" if state == "RUNNING" else "red"),
                         key=keys[-1])  # fmt: skip
        if self.selected not in keys:
            self.selected = keys[0] if keys else None
        if self.selected is not None:
            side.move_cursor(row=keys.index(self.selected), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "ksql-objects" and event.row_key.value is not None:
            self.selected = str(event.row_key.value)
            self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a stream or table describes it; on a query, explains it."""
        if event.data_table.id != "ksql-objects" or event.row_key.value is None:
            return
        kind, _, name = str(event.row_key.value).partition(":")
        self.run_statements(f"EXPLAIN {name};" if kind == "QUERY" else f"DESCRIBE {name};", remember=False)

    # --- running statements ------------------------------------------------------------

    def unavailable(self, action: str) -> str | None:
        if action in ("run", "terminate", "open_topic", "open_commands") and (
            self.client is None or self.problem is not None
        ):
            return "ksqlDB is not running"
        if action == "stop" and self.push_id is None:
            return "no push query is streaming"
        if action == "terminate" and not (self.selected or "").startswith("QUERY:"):
            return "select a persistent query in the list first"
        return super().unavailable(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only while the panel is on screen: ctrl+r/ctrl+s/ctrl+l are priority keys.
        if action in ("run", "stop", "clear") and not self.shown:
            return False
        return super().check_action(action, parameters)

    def action_run(self) -> None:
        self.run_statements(self.editor.text)

    def action_clear(self) -> None:
        self.editor.text = ""
        self.editor.focus()

    async def action_stop(self) -> None:
        await self._stop_push()
        self._status(f"{self._counted()} · stopped")

    @work(group="ksql-run", exclusive=True)
    async def run_statements(self, text: str, *, remember: bool = True) -> None:
        """Each statement in turn: SET/UNSET kept for the session (as the ksql CLI),
        SELECT over /query-stream, the rest over /ksql. The first refusal stops the run
        and stays in the editor, its place marked; a clean run empties the editor.
        A streaming push query goes on unless the run shows rows of its own."""
        client = self.client
        if client is None:
            return
        try:
            statements = split_statements(text)
        except KsqlError as error:
            self._refused(text, 0, KsqlRefused(40001, error.message))
            return
        if not statements:
            return
        # What draws its own rows replaces the push query's; an INSERT or a CREATE lets
        # it stream on, so its rows show what that statement did.
        if any(first_word(s) in SHOWS_ROWS for s, _ in statements):
            await self._stop_push()
        self._clear_error()
        messages: list[str] = []
        for statement, offset in statements:
            word = first_word(statement)
            try:
                if word in ("SET", "UNSET"):
                    messages.append(self._set(statement))
                elif word == "SELECT":
                    await self._select(client, statement)
                else:
                    for entity in await client.statements(statement + ";", self.properties):
                        view = entity_view(entity)
                        messages += [f"{view.title}", *view.lines, ""]
                        if view.columns:
                            self._table(view.columns, view.rows, view.title)
            except KsqlRefused as error:
                self._refused(text, offset, error)
                self._message(messages)
                return
            except KsqlDown as error:
                self.problem = f"{error}.\n\n{NO_KSQL}"
                self._show_state()
                return
        self._message(messages)
        if remember:
            self.editor.remember(text)
            self.editor.text = ""
        self.refresh_soon()

    def _set(self, statement: str) -> str:
        """SET 'auto.offset.reset'='earliest': this session's property, as the CLI's."""
        tokens = tokenize(statement)
        if len(tokens) < 2 or tokens[1].kind != "string":
            raise KsqlRefused(
                40001, "line 1:5: SET needs a quoted property name, e.g. SET 'auto.offset.reset'='earliest'"
            )
        name = tokens[1].value
        if tokens[0].value == "UNSET":
            self.properties.pop(name, None)
            return f"Successfully unset local property '{name}'."
        value = tokens[3].value if len(tokens) > 3 else ""
        self.properties[name] = value
        return f"Successfully changed local property '{name}' to '{value}'."

    async def _select(self, client: KsqlClient, statement: str) -> None:
        """A query in a worker of its own, which reads its whole answer (a push query's
        keeps coming); this waits for its header, or its refusal, or a pull query's end."""
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        worker = self.run_worker(
            self._query(client, statement, answered), group="ksql-push", exit_on_error=False
        )
        self.push = worker
        if not await answered:  # a pull query: all its rows are in
            await worker.wait()

    async def _query(self, client: KsqlClient, statement: str, answered: asyncio.Future[bool]) -> None:
        rows = client.query(statement + ";", self.properties)
        try:
            header = await anext(rows)
            names = list(header.get("columnNames") or [])
            self._table(names, [], statement)
            self.row_count, self.started_ms = 0, self.backend.clock.now_ms()
            query_id = header.get("queryId")
            if query_id is None:  # a pull query: its rows, and it is done
                answered.set_result(False)
                async for row in rows:
                    self._row(row, None)
                self._status(f"{self._counted()} · pull query")
                return
            tables = {n for n, s in self.sources.items() if s["type"] == "TABLE"}
            by_key = source_of(statement) in tables
            self.push_id = str(query_id)
            self._status(f"{self._counted()} · streaming {query_id} (ctrl+s stops)")
            self.refresh_bindings()
            answered.set_result(True)
            async for row in rows:
                self._row(row, row[0] if by_key and row else None)
                self._status(f"{self._counted()}{self._rate()} · streaming {query_id} (ctrl+s stops)")
            self._status(f"{self._counted()} · the query ended (its LIMIT)")
        except (KsqlRefused, KsqlDown, StopAsyncIteration) as error:
            if not answered.done():
                answered.set_exception(
                    KsqlDown("the server closed the query")
                    if isinstance(error, StopAsyncIteration)
                    else error
                )
            elif isinstance(error, KsqlDown):
                self._status(str(error))
            else:  # the server ended the query: why, where a refusal shows
                self._ended(error)
        finally:
            if not answered.done():
                answered.cancel()
            await rows.aclose()
            self.push_id = None
            if self.is_attached:
                self.refresh_bindings()

    async def _stop_push(self) -> None:
        push, query_id = self.push, self.push_id
        self.push, self.push_id = None, None
        if push is not None and not push.is_finished:
            push.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await push.wait()
        if query_id is not None and self.client is not None:
            await self.client.close_query(query_id)
        if self.is_attached:
            self.refresh_bindings()

    # --- showing results ---------------------------------------------------------------

    def _counted(self) -> str:
        return "1 row" if self.row_count == 1 else f"{self.row_count:,} rows"

    def _rate(self) -> str:
        elapsed = self.backend.clock.now_ms() - self.started_ms
        return f" · {self.row_count * 1000 / elapsed:,.1f} rows/s" if elapsed > 0 else ""

    def _status(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#ksql-status", Static).update(text)

    def _table(self, columns: list[str], rows: list[list[str]], title: str) -> None:
        table = self.rows
        table.clear(columns=True)
        for name in columns:
            table.add_column(name, key=name)
        for row in rows:
            table.add_row(*row)
        self._status(f"{title} · {len(rows)} row{'' if len(rows) == 1 else 's'}" if rows or columns else "")

    def _row(self, row: list[Any], key: Any) -> None:
        """One more row; a table's push query changes its key's row in place."""
        self.row_count += 1
        table = self.rows
        cells = [cell(v) for v in row]
        if key is not None and cell(key) in table.rows:
            for column, value in zip(table.columns, cells, strict=False):
                table.update_cell(cell(key), column, value)
            return
        table.add_row(*cells, key=None if key is None else cell(key))
        if table.row_count > MAX_ROWS and key is None:
            table.remove_row(next(iter(table.rows)))

    def _message(self, lines: list[str]) -> None:
        self.query_one("#ksql-message", Static).update(Text("\n".join(lines).rstrip()))

    def _clear_error(self) -> None:
        self.error = None
        self.query_one("#ksql-error").display = False

    def _ended(self, error: KsqlRefused) -> None:
        """A push query ksqlDB ended with an error (its source dropped): the rows so far
        stay, the message shows where a refusal does."""
        self.error = error
        widget = self.query_one("#ksql-error", Static)
        widget.update(Text(f"{error.name}: {error.message}", style="bold red"))
        widget.display = True
        self._status(f"{self._counted()} · the query ended: {error.name}")

    def _refused(self, text: str, offset: int, error: KsqlRefused) -> None:
        """ksqlDB's message with the statement's line under it and a caret where it
        points; the editor's cursor goes there too."""
        self.error = error
        shown = Text(f"{error.name}: {error.message}", style="bold red")
        where = error.where
        if where is not None:
            line, column = where
            before = text[:offset]
            row = before.count("\n") + line - 1
            col = (column - 1) + (len(before) - (before.rfind("\n") + 1) if line == 1 else 0)
            lines = text.splitlines() or [""]
            if 0 <= row < len(lines):
                # A rule up to the caret: leading spaces would not survive the wrap.
                shown.append(f"\n{lines[row]}\n" + "─" * col + "^", style="red")
                self.editor.move_cursor((row, col))
        widget = self.query_one("#ksql-error", Static)
        widget.update(shown)
        widget.display = True
        self._status("refused: nothing changed")
        self.editor.focus()

    # --- acting on the side list -------------------------------------------------------

    def action_terminate(self) -> None:
        if not (self.selected or "").startswith("QUERY:"):
            return
        query_id = (self.selected or "").partition(":")[2]

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_statements(f"TERMINATE {query_id};", remember=False)

        self.app.push_screen(
            ConfirmScreen(
                f"Terminate the query {query_id}? It stops writing its sink; the sink and its topic stay."
            ),
            answered,
        )

    def action_open_topic(self) -> None:
        """A stream's or table's topic; a query's store changelog (ksqlDB names it
        `_confluent-ksql-<service id>query_<id>-…-changelog`, Kafka Streams' way)."""
        kind, _, name = (self.selected or "").partition(":")
        if kind in ("STREAM", "TABLE") and name in self.sources:
            self.post_message(ShowTopic(self.sources[name]["topic"]))
            return
        prefix = f"_confluent-ksql-{self.service_id}query_{name}-"
        changelogs = [
            t for t in self.backend.topic_names() if t.startswith(prefix) and t.endswith("-changelog")
        ]
        if kind == "QUERY" and changelogs:
            self.post_message(ShowTopic(changelogs[0]))
        else:
            self.app.notify(f"{name or 'nothing'}: no topic to show", severity="warning", timeout=4)

    def action_open_commands(self) -> None:
        self.post_message(ShowTopic(command_topic(self.service_id)))
