"""Keys as a new user meets them in the workbench: text fields (and the way out of
them), a fast burst of keys, the tombstone question, actions that cannot run yet, and
the command palette. The whole app over the seeded, manual-clock sample cluster."""

from __future__ import annotations

import asyncio

from textual import events
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input, Switch

from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels import PANELS
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.screens.confirm import ConfirmScreen
from kafkatui.tui.screens.create_topic import CreateTopicScreen
from kafkatui.tui.widgets.producer_path import ProducerPath
from tests.tui.conftest import SIZE, make_app, sales


async def _produce_panel(app: KafkaTuiApp, pilot: Pilot[None]) -> ProducePanel:
    await app.ready.wait()
    await pilot.pause()
    await pilot.press("4")
    await pilot.pause()
    panel = app.panel("produce")
    assert isinstance(panel, ProducePanel)
    return panel


def _footer_keys(app: KafkaTuiApp) -> dict[str, str]:
    """What the footer offers now: key -> description (dimmed ones included)."""
    return {key: b.binding.description for key, b in app.screen.active_bindings.items() if b.binding.show}


async def _sent(app: KafkaTuiApp, pilot: Pilot[None], panel: ProducePanel) -> ProducerPath:
    path = panel.query_one(ProducerPath)
    for _ in range(200):
        await app.workers.wait_for_complete()
        if path.complete:
            return path
        await pilot.pause(0.02)
    raise AssertionError(f"nothing was sent: {path.outcome!r}")


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Press `keys` with `pilot.press` as a terminal delivers a fast typist's burst: all of
    them read at once, so every key is queued before the app handles the first.

    pilot.press lets the app settle between keys, which no terminal does; holding the
    app's queue until the burst is in it takes that settling away (and nothing else).
    """
    app = pilot.app
    gate = asyncio.Event()
    app.call_next(gate.wait)
    await asyncio.sleep(0)
    pressing = asyncio.ensure_future(pilot.press(*keys))

    def queued() -> int:  # the keys waiting in the app's queue (Textual's own Queue)
        return sum(isinstance(m, events.Key) for m in app._message_queue.values)

    while queued() < len(keys) and not pressing.done():
        await asyncio.sleep(0.005)
    gate.set()
    await pressing


# --- 11: escape leaves a field --------------------------------------------------------


async def test_number_keys_type_in_a_field_and_escape_gives_them_back_to_the_panels() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        value = panel.query_one("#value", Input)
        value.focus()
        await pilot.pause()
        assert _footer_keys(app).get("escape") == "Leave field"  # the footer says how out
        await pilot.press(*"abc5")
        assert value.value == "abc5"  # in a field, 5 is a character
        assert app.current_panel_id == "produce"
        await pilot.press("escape")
        assert app.focused is panel  # the panel has the keys again
        assert "escape" not in _footer_keys(app)  # nothing left to leave
        await pilot.press("a")
        assert panel.auto_running  # a panel key works again: auto-produce started
        await pilot.press("a", "5")
        assert not panel.auto_running
        assert app.current_panel_id == "events"
        assert value.value == "abc5"


async def test_escape_leaves_a_switch_and_closes_dialogs_as_before() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        panel.query_one("#json", Switch).focus()
        await pilot.pause()
        await pilot.press("escape")
        assert app.focused is panel
        await pilot.press("2")
        assert app.current_panel_id == "topics"
        await pilot.press("n")
        assert isinstance(app.screen, CreateTopicScreen)
        await pilot.press(*"t1", "escape")  # in a dialog, escape still cancels it
        assert not isinstance(app.screen, CreateTopicScreen)


# --- 12: a fast burst, and the tombstone question -------------------------------------


async def test_a_fast_burst_of_ctrl_u_text_enter_sends_the_text() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        value = panel.query_one("#value", Input)
        value.focus()
        value.value = "the previous record"
        await pilot.pause()
        await burst(pilot, "ctrl+u", *"hello", "enter")
        path = await _sent(app, pilot, panel)
        assert value.value == "hello"
        assert not isinstance(app.screen, ConfirmScreen)  # not taken for an empty value
        assert app.backend is not None
        topic = str(panel.query_one("#topic").value)  # type: ignore[attr-defined]
        trace = path.trace
        assert trace is not None
        [record] = await app.backend.read_log(topic, trace.partition, trace.offset, 1)
        assert record.value == b"hello"


async def test_an_empty_value_asks_before_sending_a_tombstone() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        assert app.backend is not None
        before = app.backend.describe_topic("clients").record_count
        panel.query_one("#key", Input).focus()
        await burst(pilot, *"client-9", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "tombstone" in app.screen.question and "'client-9'" in app.screen.question
        await pilot.press("n")  # no: nothing is sent
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.backend.describe_topic("clients").record_count == before
        await pilot.press("ctrl+s", "y")  # yes: the tombstone goes
        await _sent(app, pilot, panel)
        assert app.backend.describe_topic("clients").record_count == before + 1
        trace = panel.query_one(ProducerPath).trace
        assert trace is not None
        [record] = await app.backend.read_log("clients", trace.partition, trace.offset, 1)
        assert (record.key, record.value) == (b"client-9", None)


# --- 13: actions that cannot run say why ----------------------------------------------


async def test_begin_txn_is_dimmed_until_txn_is_on_and_says_why_when_pressed() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _produce_panel(app, pilot)
        panel.query_one("#send", Button).focus()
        await pilot.pause()
        assert panel.check_action("begin_txn", ()) is None  # dimmed in the footer
        await pilot.press("b")
        last = list(app._notifications)[-1]
        assert last.title == "Begin txn: not available"
        assert last.message.startswith("Turn on the txn switch first")
        await pilot.press("c")
        assert list(app._notifications)[-1].title == "Commit: not available"
        await pilot.press("x")
        assert list(app._notifications)[-1].title == "Abort: not available"

        panel.query_one("#transactional", Switch).value = True
        await pilot.pause()
        assert panel.check_action("begin_txn", ()) is True
        assert panel.check_action("end_txn", (True,)) is None  # nothing to commit yet
        await pilot.press("c")
        assert list(app._notifications)[-1].message == "No transaction is open: b begins one."
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.backend is not None and app.backend.transaction("workbench-txn").state == "IN_TRANSACTION"
        assert panel.check_action("end_txn", (True,)) is True
        await pilot.press("b")
        assert list(app._notifications)[-1].message.startswith("A transaction is open already")


async def test_log_actions_without_a_topic_say_why() -> None:
    app = make_app()  # no topics at all
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("3")
        await pilot.pause()
        assert app.panel("log").check_action("jump", ()) is None
        app.panel("log").focus()
        await pilot.press("g")
        assert list(app._notifications)[-1].message.startswith("No topic shown")
        await pilot.press("2", "d")
        assert list(app._notifications)[-1].message == "No topic yet: n creates one."


# --- 14: the command palette ------------------------------------------------------------


def _hits(app: KafkaTuiApp) -> list[tuple[str, str]]:
    options = app.screen.query_one(CommandList)
    hits = [options.get_option_at_index(i) for i in range(options.option_count)]
    return [(str(h.hit.text), str(h.hit.help or "")) for h in hits]  # type: ignore[attr-defined]


async def _palette(app: KafkaTuiApp, pilot: Pilot[None], query: str) -> list[tuple[str, str]]:
    await pilot.press("ctrl+p")
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    for _ in range(100):
        await pilot.pause(0.02)
        hits = _hits(app)
        if hits:
            return hits
    raise AssertionError(f"the palette found nothing for {query!r}")


async def test_palette_finds_another_panels_action_by_what_it_does_and_runs_it_there() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("7")  # on Groups
        await pilot.pause()
        hits = await _palette(app, pilot, "create")
        title, help = hits[0]
        assert title == "Topics: New topic"
        assert help == "Create a topic: name, partitions, replication factor and configs (key n on Topics)"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.current_panel_id == "topics"
        assert isinstance(app.screen, CreateTopicScreen)


async def test_palette_lists_every_action_of_every_panel_with_a_human_description() -> None:
    app = make_app(sales)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        commands = {c.title: c.help for c in app.palette_commands()}
        for panel in PANELS:
            assert f"Show {panel.TITLE}" in commands
            for binding in panel.BINDINGS:
                title = f"{panel.TITLE}: {binding.description}"  # type: ignore[union-attr]
                assert title in commands
                assert binding.tooltip, title  # type: ignore[union-attr]
                action = binding.action.partition("(")[0]  # type: ignore[union-attr]
                assert f"{action} (" not in commands[title]  # never the internal name
        hits = await _palette(app, pilot, "consumer")
        assert "Groups: Add consumer" in [t for t, _ in hits]
        assert not any("add_consumer" in help or "select_member" in help for _, help in hits)
