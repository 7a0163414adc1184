"""Pilot tests of the workbench shell: panels, dialogs, themes, help, errors."""

from __future__ import annotations

import gc

from kafkatui.backends.base import ProduceRequest
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.create_topic import CreateTopicScreen, TopicSpec
from kafkatui.tui.screens.help import HelpScreen
from kafkatui.tui.screens.welcome import WelcomeScreen
from tests.tui.conftest import SIZE, make_app, notices, sales, until


async def _ready(app: KafkaTuiApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.ready.wait()
    await pilot.pause()


async def test_welcome_sample_setup_creates_the_seed_topics() -> None:
    app = make_app(welcome=True)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("s")
        await pilot.pause(0.2)
        assert app.backend is not None
        assert app.backend.topic_names() == ["clients", "sales"]
        assert app.backend.describe_topic("sales").record_count == 6
        assert app.current_panel_id == "topics"


async def test_welcome_empty_leaves_cluster_empty() -> None:
    app = make_app(welcome=True)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, WelcomeScreen)
        assert app.backend is not None and app.backend.topic_names() == []


async def test_welcome_greets_a_new_cluster_that_runs_a_schema_registry() -> None:
    """The registry creates `_schemas` as it starts; that is not a topic of the user's."""
    app = make_app(welcome=True, schema_registry=True)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        assert app.backend is not None and "_schemas" in app.backend.topic_names()
        assert isinstance(app.screen, WelcomeScreen)


async def test_create_topic_valid() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("2", "n")
        await pilot.pause()
        assert isinstance(app.screen, CreateTopicScreen)
        await pilot.press(*"orders")
        await pilot.click("#partitions")
        await pilot.press("end", "backspace", "4")
        await pilot.click("#create")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, CreateTopicScreen)
        assert app.backend is not None
        assert len(app.backend.describe_topic("orders").partitions) == 4
        table = app.query_one("#topic-list")
        assert table.row_count == 1  # type: ignore[attr-defined]


async def test_create_topic_invalid_shows_inline_errors_and_creates_nothing() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("2", "n")
        await pilot.press(*"bad name!")
        await pilot.click("#configs")
        await pilot.press(*"retention.ms=soon")
        await pilot.click("#create")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CreateTopicScreen)
        name_error = str(screen.query_one("#name-error").render())
        assert "INVALID_TOPIC_EXCEPTION" in name_error
        configs_error = str(screen.query_one("#configs-error").render())
        assert "INVALID_CONFIG" in configs_error and "retention.ms" in configs_error
        await pilot.press("escape")
        assert app.backend is not None and app.backend.topic_names() == []


async def test_delete_topic_asks_first() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        app.query_one("#topic-list").focus()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.backend is not None and "clients" in app.backend.topic_names()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.1)
        assert app.backend.topic_names() == ["sales"]


async def test_theme_switch_and_unknown_theme_warning() -> None:
    app = make_app(theme="kafkatui-light")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        assert app.theme == "kafkatui-light"
        assert {"kafkatui-dark", "kafkatui-light", "kafkatui-high-contrast"} <= set(app.available_themes)
        app.theme = "kafkatui-high-contrast"
        await pilot.pause()
        assert app.current_theme.name == "kafkatui-high-contrast"
    bad = make_app(theme="nope")
    async with bad.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any("nope" in n.message for n in notices(bad)), "the warning")
        assert bad.theme == "kafkatui-dark"
        await _ready(bad, pilot)


async def test_help_follows_the_panel_and_switches_language() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("2", "f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen) and screen.page == "topics"
        await pilot.press("l")
        assert screen.language == "pt"
        await pilot.press("escape")
        assert app.language == "pt"
        assert not isinstance(app.screen, HelpScreen)


async def test_errors_are_notifications_not_tracebacks() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        assert app.backend is not None
        await app.backend.delete_topic("sales")
        topics = app.panel("topics")
        await topics.create(TopicSpec("clients", 1, 1, {}))  # type: ignore[attr-defined]
        await pilot.pause()
        assert any(n.title == "TOPIC_ALREADY_EXISTS" for n in app._notifications)
        assert app.is_running


async def test_events_panel_shows_engine_events_live_and_pauses() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("5")
        assert app.backend is not None
        await app.backend.create_topic("t", 1)
        await pilot.pause(0.2)
        panel = app.panel("events")
        names = [type(e).__name__ for e in panel.history]  # type: ignore[attr-defined]
        assert "TopicCreated" in names and "LeaderElected" in names
        await pilot.press("p")
        await app.backend.produce(ProduceRequest("t", "v"))
        await pilot.pause(0.2)
        assert panel.paused  # type: ignore[attr-defined]
        assert "held back" in str(panel.query_one("#events-status").render())


async def test_cluster_panel_lists_brokers_with_controller() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        table = app.query_one("#brokers")
        assert table.row_count == 3  # type: ignore[attr-defined]
        first = table.get_row_at(0)  # type: ignore[attr-defined]
        assert first[0] == "broker 1" and "controller" in first[2]
        assert sum(int(table.get_row_at(i)[3]) for i in range(3)) == 6  # type: ignore[attr-defined]


async def test_palette_offers_every_panel_action() -> None:
    from kafkatui.tui.panels import PANELS

    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        titles = {c.title for c in app.palette_commands()}
        for panel in PANELS:
            assert f"Show {panel.TITLE}" in titles
            for binding in panel.BINDINGS:
                if getattr(binding, "description", ""):
                    assert f"{panel.TITLE}: {binding.description}" in titles  # type: ignore[union-attr]
        assert "Topics: New topic" in titles
        # Textual's theme picker lists the themes/ files
        assert "Theme" in {c.title for c in app.get_system_commands(app.screen)}
        command = next(c for c in app.palette_commands() if c.title == "Topics: New topic")
        command.run()
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "CreateTopicScreen"


async def test_produce_in_the_form_then_see_it_in_the_log_view() -> None:
    """The whole loop a learner does: send keyed records, open the log, find them."""
    from textual.widgets import Input, Select

    from kafkatui.engine.clients.partitioner import partition_for_key

    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        produce = app.panel("produce")
        produce.query_one("#topic", Select).value = "sales"
        produce.query_one("#key", Input).value = "client-7"
        for price in (1, 2):
            produce.query_one("#value", Input).value = f'{{"price": {price}}}'
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause(0.5)
        expected = partition_for_key(b"client-7", 3)
        assert app.backend is not None
        end = app.backend.describe_topic("sales").partitions[expected].log_end_offset
        await pilot.press("3")
        await pilot.pause()
        log = app.panel("log")
        await log.show("sales")  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        view = log.log_view  # type: ignore[attr-defined]
        view.move_to(expected, end - 2)
        await pilot.pause(0.3)
        first = view.record_at(view.cursor)
        await pilot.press("right")
        await pilot.pause(0.3)
        second = view.record_at(view.cursor)
        assert (first.partition, first.offset, first.key, first.value) == (
            expected,
            end - 2,
            b"client-7",
            b'{"price": 1}',
        )
        assert (second.partition, second.offset, second.value) == (expected, end - 1, b'{"price": 2}')


async def test_a_cluster_that_cannot_open_ends_with_one_clear_line(tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    """A held data dir (or any start-up failure) exits with the error, not a traceback."""
    from kafkatui.engine.cluster import Cluster
    from kafkatui.tui.config import Settings

    holder = await Cluster.open(tmp_path, command="kafkatui serve")

    async def factory():  # type: ignore[no-untyped-def]
        return await Cluster.open(tmp_path)

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
        assert app.return_code == 1
        err = " ".join(capfd.readouterr().err.split())
        assert err.startswith("error: DATA_DIR_LOCKED:") and "(kafkatui serve)" in err
        assert "Traceback" not in err
    finally:
        await holder.close()


async def test_start_up_objects_leave_the_collectors_way_until_exit() -> None:
    """A full collection walks every tracked object: start-up's are frozen (gc.freeze)
    once the workbench stands, so one no longer stalls a frame; exit unfreezes them."""
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
        await pilot.press("3")  # a panel's work after start-up stays collectable
        await pilot.pause()
        assert gc.get_freeze_count() <= frozen  # (frozen objects still die by refcount)
    assert gc.get_freeze_count() == 0
