"""The workbench app: a shell of panels over one backend, following engine events."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path

from rich.cells import cell_len
from textual import events
from textual.actions import ActionParseResult, parse
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Container
from textual.dom import DOMNode
from textual.widgets import Footer, Header, LoadingIndicator, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from kafkatui.backends.base import Backend
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import Event
from kafkatui.course.progress import Progress
from kafkatui.lessons.sample import sample_setup
from kafkatui.tui.commands import PaletteCommand, WorkbenchCommands
from kafkatui.tui.config import Settings, load_settings
from kafkatui.tui.i18n import SHORT_TITLES, detect_language
from kafkatui.tui.panels import PANELS, Panel
from kafkatui.tui.panels.base import ShowTopic, TopicsChanged, notify_error
from kafkatui.tui.panels.lessons import LessonsPanel
from kafkatui.tui.panels.produce import RecordProduced
from kafkatui.tui.screens.help import HelpScreen
from kafkatui.tui.screens.welcome import WelcomeScreen
from kafkatui.tui.stylesheets import stylesheets
from kafkatui.tui.themes import DEFAULT_THEME, load_themes

BackendFactory = Callable[[], Awaitable[Backend]]


PARSED_STYLESHEETS = 512  # parsed CSS sources kept (Textual's default: 64)


class FittedTabs(TabbedContent):
    """The panels' tabs, refitted to the width whenever it changes (the App's own Resize
    handler stops the event, so the app learns of a new width here)."""

    def __init__(self, fit: Callable[[], None], *, id: str) -> None:
        super().__init__(id=id)
        self._fit = fit

    def on_resize(self, _: events.Resize) -> None:
        self._fit()

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        """Textual shows the pane a widget was focused in. Here no focus may choose the
        panel: a hidden pane's widget cannot be clicked or tabbed to, so such a focus is a
        late one (a dialog's dismissal giving focus back, a focus queued before a lesson's
        step moved to its panel) and took the tabs back from the switch that came after.
        The shown panel takes the focus back instead."""
        event.prevent_default()  # not TabbedContent's own handler
        event.stop()
        pane = event.tab_pane.id or ""
        if pane and pane != self.active:
            panel_id = self.active.removeprefix("tab-")
            self.app.call_after_refresh(self.app._focus_panel, panel_id)  # type: ignore[attr-defined]


class KafkaTuiApp(App[None]):
    """The kafkatui workbench."""

    TITLE = "kafkatui"
    CSS_PATH = stylesheets()
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        *(
            # The tabs already show each panel's key: kept out of the footer, which they
            # would crowd past the panel's own keys.
            Binding(p.KEY, f"show_panel('{p.PANEL_ID}')", p.TITLE, show=False, id=f"app.show.{p.PANEL_ID}")
            for p in PANELS
        ),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # Teacher mode only (`check_action`); a widget that uses these keys itself (a
        # field, a table, the Partitions panel's ←/→) keeps them while it has the focus.
        Binding("right,space,pagedown", "present(1)", "Next step", id="app.present.next"),
        Binding("left,pageup", "present(-1)", "Step back", id="app.present.back"),
    ]

    def __init__(
        self,
        backend_factory: BackendFactory,
        *,
        theme: str | None = None,
        language: str | None = None,
        settings: Settings | None = None,
        theme_dirs: list[Path] | None = None,
        event_interval: float = 0.25,
        welcome: bool = True,
        course_db: Path | None = None,
        lesson: str | None = None,
        present: bool = False,
        ksql_url: str | None = None,
    ) -> None:
        super().__init__()
        # Textual keeps 64 parsed stylesheet sources; the workbench has about 75 (each
        # panel's .tcss and every widget class's DEFAULT_CSS), and each parse walks them
        # all in order, so an LRU of 64 missed every one: each new widget class mounted
        # re-parsed all the CSS (a third of the start-up's time).
        self.stylesheet._parse_cache = LRUCache(PARSED_STYLESHEETS)
        self._backend_factory = backend_factory
        self.settings = settings if settings is not None else load_settings()
        self.language = language or self.settings.language or detect_language()
        self._requested_theme = theme or self.settings.theme or DEFAULT_THEME
        self._theme_dirs = theme_dirs
        self._event_interval = event_interval
        self._welcome = welcome
        self.course_db = course_db  # the user's course progress (None: the user data dir)
        self._lesson = lesson  # a lesson to open at once (`kafkatui lesson start N`)
        self.present = present and lesson is not None  # teacher mode (`kafkatui lesson present N`)
        self.ksql_url = ksql_url  # a ksqlDB server of the user's own (--ksql-url), for the ksqlDB panel
        self.backend: Backend | None = None
        self.ready = asyncio.Event()
        self._pending: list[Event] = []
        self._unlisten: Callable[[], None] | None = None
        if self.settings.keys:
            self.set_keymap(self.settings.keys)

    # --- start-up --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The theme before any panel exists: set later, Textual restyles every widget of
        # every panel once more (a quarter of the app's start-up).
        self._apply_themes()
        yield Header()
        with Container(id="main"):
            yield LoadingIndicator()
        yield Footer()

    async def on_mount(self) -> None:
        for warning in self.settings.warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=8)
        try:
            self.backend = await self._backend_factory()
        except Exception as error:
            self._fatal(error)
            return
        self.sub_title = self.backend.description
        for notice in getattr(self.backend, "notices", ()):
            self.notify(notice, title="Kafka protocol", severity="warning", timeout=10)
        main = self.query_one("#main")
        await main.remove_children()
        tabs = FittedTabs(self._fit_tabs, id="tabs")
        await main.mount(tabs)
        for panel_class in PANELS:
            await tabs.add_pane(
                TabPane(self._title(panel_class), panel_class(self.backend), id=f"tab-{panel_class.PANEL_ID}")
            )
        self._fit_tabs()
        self._unlisten = self.backend.bus.listen(self._pending.append)
        self.set_interval(self._event_interval, self._pump_events)
        await self._refresh_panels()
        # A new cluster still greets: the services' own topics (`_schemas`, created by
        # the Schema Registry at start) are not the user's.
        if self._lesson is not None:
            self._started()
            lessons = self.query_one(LessonsPanel)
            if self.present:
                self.screen.add_class("-present")
                await lessons.present(self._lesson)
                return
            await lessons.action_start(self._lesson)
            if lessons.run is None:  # locked, or refused: the course map says why
                self.action_show_panel("lessons")
            return
        if self._welcome and not [t for t in self.backend.topic_names() if not t.startswith("_")]:
            first_time = not Progress(self.course_db).started
            self.push_screen(
                WelcomeScreen(len(self.backend.brokers()), self.language, first_time=first_time),
                self._welcomed,
            )
        self._started()

    def _started(self) -> None:
        """Start-up is over: its objects (every panel's widgets, the cluster's brokers,
        coordinators and caches, some 400,000 of them) go to the collector's permanent
        generation, so a full collection no longer walks them all: here it took
        0.3-0.9 s (a frozen frame) and, frozen, takes under a millisecond. Undone on exit."""
        self.ready.set()
        gc.freeze()

    def _fatal(self, error: Exception) -> None:
        name = error.name if isinstance(error, KafkaError) else getattr(error, "name", type(error).__name__)
        self.exit(message=f"error: {name}: {getattr(error, 'message', error)}", return_code=1)

    def _apply_themes(self) -> None:
        loaded = load_themes(self._theme_dirs)
        for theme in loaded.themes:
            self.register_theme(theme)
        for warning in loaded.warnings:
            self.notify(warning, title="Themes", severity="warning", timeout=8)
        if self._requested_theme in self.available_themes:
            self.theme = self._requested_theme
        else:
            self.notify(
                f"no theme named {self._requested_theme!r}; using {DEFAULT_THEME}",
                title="Themes",
                severity="warning",
            )
            self.theme = DEFAULT_THEME

    def _title(self, panel_class: type[Panel], *, short: bool = False) -> str:
        title = panel_class.TITLE_PT if self.language == "pt" else panel_class.TITLE
        if short:
            title = SHORT_TITLES.get(self.language, SHORT_TITLES["en"]).get(panel_class.PANEL_ID, title)
        return f"{panel_class.KEY} {title}"

    def _fit_tabs(self) -> None:
        """Every panel's tab on screen (Textual's tab bar clips what overflows): the full
        titles when they fit, else the short ones, else the keys alone with the shown
        panel's short title. Each tab takes one column more than its label (app.tcss)."""
        base = self.screen_stack[0] if self.screen_stack else self
        tabs = next(base.query("#tabs").results(TabbedContent), None)
        if tabs is None:
            return
        width = tabs.size.width or self.size.width  # not laid out yet: the screen's
        full = [self._title(p) for p in PANELS]
        short = [self._title(p, short=True) for p in PANELS]
        if sum(cell_len(label) + 1 for label in full) <= width:
            labels = full
        elif sum(cell_len(label) + 1 for label in short) <= width:
            labels = short
        else:
            shown = self.current_panel_id
            labels = [label if shown == p.PANEL_ID else p.KEY for p, label in zip(PANELS, short, strict=True)]
        for panel_class, label in zip(PANELS, labels, strict=True):
            tab = tabs.get_tab(f"tab-{panel_class.PANEL_ID}")
            if tab.label_text != label:
                tab.label = label  # Textual moves the underline to the relabelled tabs

    async def _welcomed(self, choice: str | None) -> None:
        if choice == "course":
            self.action_show_panel("lessons")
            return
        if choice == "sample" and self.backend is not None:
            try:
                await sample_setup(self.backend)
            except Exception as error:
                self.report(error)
                return
            self.notify("topics sales and clients, with a few keyed records", title="Sample setup")
            await self._refresh_panels()
            self.action_show_panel("topics")

    # --- panels and events -----------------------------------------------------------

    def panel(self, panel_id: str) -> Panel:
        # On the base screen: a dialog on top (create topic, confirm…) must not hide it.
        base = self.screen_stack[0] if self.screen_stack else self
        return base.query_one(f"#panel-{panel_id}", Panel)

    async def _refresh_panels(self) -> None:
        for panel in self.query(Panel):
            try:
                await panel.refresh_data()
            except Exception as error:
                self.report(error)

    def _pump_events(self) -> None:
        """Hand panels everything since the last tick: one redraw per burst."""
        if not self._pending:
            return
        # In place: the bus listener holds this very list.
        events = self._pending[:]
        self._pending.clear()
        for panel in self.query(Panel):
            try:
                panel.on_engine_events(events)
            except Exception as error:
                self.report(error)

    def report(self, error: BaseException) -> None:
        notify_error(self, error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)

    async def on_topics_changed(self, _: TopicsChanged) -> None:
        await self._refresh_panels()

    def on_record_produced(self, message: RecordProduced) -> None:
        # The course checks what the learner sends (with which key and acks).
        self.query_one(LessonsPanel).sent(message.trace)

    async def on_show_topic(self, message: ShowTopic) -> None:
        self.action_show_panel("log")
        log = self.panel("log")
        await log.show(message.topic, message.partition, message.offset)  # type: ignore[attr-defined]

    # --- actions ---------------------------------------------------------------------

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """A panel action that cannot run now (dimmed in the footer) says why instead."""
        if isinstance(default_namespace, Panel):
            namespace, name, _ = parse(action) if isinstance(action, str) else action
            reason = None if namespace else default_namespace.unavailable(name)
            if reason is not None:
                title = default_namespace.action_label(action if isinstance(action, str) else name)
                self.notify(reason, title=f"{title}: not available", severity="warning", timeout=6)
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_show_panel(self, panel_id: str) -> None:
        if not self.ready.is_set():
            return
        # Activating the tab refreshes the panel (on_tabbed_content_tab_activated).
        base = self.screen_stack[0] if self.screen_stack else self
        base.query_one("#tabs", TabbedContent).active = f"tab-{panel_id}"
        # Focus once the switch is drawn, and only if no other switch came meanwhile: a
        # focused widget's pane becomes the active tab (TabbedContent's TabPane.Focused),
        # so an earlier panel's late focus would take the tabs back to it.
        self.call_after_refresh(self._focus_panel, panel_id)

    def _focus_panel(self, panel_id: str) -> None:
        if self.current_panel_id != panel_id or self.screen is not self.screen_stack[0]:
            return
        panel = self.panel(panel_id)
        focused = self.focused
        if focused is not None and panel in focused.ancestors_with_self:
            return  # a click or a key inside the panel came first: it keeps its focus
        panel.focus_default()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id or ""
        panel_id = pane_id.removeprefix("tab-")
        base = self.screen_stack[0] if self.screen_stack else self
        self._fit_tabs()  # a narrow bar names the shown panel only
        # Late in a shutdown the panes are already gone: nothing to refresh then.
        for panel in base.query(f"#panel-{panel_id}").results(Panel):
            panel.refresh_soon()

    @property
    def current_panel_id(self) -> str:
        if not self.ready.is_set():
            return "overview"
        base = self.screen_stack[0] if self.screen_stack else self
        tabs = base.query("#tabs").results(TabbedContent)
        active = next(tabs, None)
        return (active.active if active else "").removeprefix("tab-") or "overview"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "present":
            return self.present  # otherwise the keys are the panels' and the fields' own
        return super().check_action(action, parameters)

    def action_present(self, delta: int) -> None:
        """Teacher mode: the presenter's next step (1) or step back (-1)."""
        self.query_one(LessonsPanel).present_move(delta)

    def action_help(self) -> None:
        def remember(language: str | None) -> None:
            if language:
                self.language = language

        self.push_screen(HelpScreen(self.current_panel_id, self.language), remember)

    def action_overview_help(self) -> None:
        self.push_screen(HelpScreen("overview", self.language))

    def palette_commands(self) -> list[PaletteCommand]:
        """The command palette's workbench commands (WorkbenchCommands): every panel,
        every action of every panel from its own bindings (so the palette never lags
        them), help, language and the sample setup. Choosing a panel's action shows
        that panel first."""
        commands = []
        for p in PANELS:
            key = self._keys(Binding(p.KEY, "", id=f"app.show.{p.PANEL_ID}"))
            commands.append(
                PaletteCommand(
                    f"Show {p.TITLE}", f"Switch to the {p.TITLE} panel (key {key})", self._shower(p)
                )
            )
        for p in PANELS:
            for binding in p.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    what = binding.tooltip or binding.description
                    commands.append(
                        PaletteCommand(
                            f"{p.TITLE}: {binding.description}",
                            f"{what} (key {self._keys(binding)} on {p.TITLE})",
                            self._runner(p.PANEL_ID, binding.action),
                        )
                    )
        commands += [
            PaletteCommand("Help for this panel", "Explain the current panel (F1 or ?)", self.action_help),
            PaletteCommand(
                "Help: overview", "What kafkatui is: its panels and keys", self.action_overview_help
            ),
            PaletteCommand(
                "Switch language", "English ⇄ Português for help and titles", self.action_switch_language
            ),
            PaletteCommand(
                "Sample setup", "Create topics sales and clients with keyed records", self._palette_sample
            ),
        ]
        return commands

    def _keys(self, binding: Binding) -> str:
        """The key(s) of a binding as the footer writes them, after the user's remapping."""
        keys = self.settings.keys.get(binding.id or "", binding.key)
        return " or ".join(self.get_key_display(replace(binding, key=k.strip())) for k in keys.split(","))

    def _shower(self, panel: type[Panel]) -> Callable[[], None]:
        return lambda: self.action_show_panel(panel.PANEL_ID)

    def _runner(self, panel_id: str, action: str) -> Callable[[], None]:
        return lambda: self._run_panel_action(panel_id, action)

    def _run_panel_action(self, panel_id: str, action: str) -> None:
        self.action_show_panel(panel_id)
        self.run_worker(self.panel(panel_id).run_action(action), exit_on_error=False)

    def _palette_sample(self) -> None:
        self.run_worker(self._welcomed("sample"), exit_on_error=False)

    def action_switch_language(self) -> None:
        self.language = "en" if self.language == "pt" else "pt"
        self._fit_tabs()
        self.query_one(LessonsPanel).language_changed()
        self.notify("Português" if self.language == "pt" else "English", title="Language")

    async def on_unmount(self) -> None:
        gc.unfreeze()  # what start-up held is collectable again (tests start many apps)
        if self._unlisten is not None:
            self._unlisten()
        if self.backend is not None:
            await self.backend.close()
