"""Transactions in the workbench (KIP-98): begin / commit / abort and a zombie from the
Produce panel, and the Log view's aborted records, open transactions and the
read_committed toggle with the last stable offset — over the real engine."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, RadioButton, Switch

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.tui.panels.log import LogPanel
from kafkatui.tui.panels.produce import ProducePanel
from kafkatui.tui.widgets.producer_path import ProducerPath
from tests.tui.conftest import SIZE, make_app, until
from tests.tui.test_produce_panel import Harness, fill, path_shown, ready, records, text_of

TXN = "workbench-txn"


@pytest.fixture(autouse=True)
def quick_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProducerPath, "STEP_DELAY", 0.01)


async def transactional(pilot: Pilot[None]) -> ProducePanel:
    panel = await ready(pilot)
    panel.query_one("#transactional", Switch).value = True
    panel.query_one("#send", Button).focus()  # the panel's keys act where focus is
    await pilot.pause()
    return panel


async def transactional_with_backend(
    pilot: Pilot[None], app: Harness
) -> tuple[ProducePanel, EmbeddedBackend]:
    panel = await transactional(pilot)
    assert app.backend is not None
    return panel, app.backend


async def press(pilot: Pilot[None], key: str) -> None:
    """A panel key, with focus off the text fields (where it would be typed)."""
    pilot.app.query_one(ProducePanel).query_one("#send", Button).focus()
    await pilot.pause()
    await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def send(pilot: Pilot[None], panel: ProducePanel, key: str, value: str) -> None:
    await fill(pilot, panel, key=key, value=value)
    panel.action_send()
    await path_shown(pilot, panel)


async def read_committed(backend: EmbeddedBackend, topic: str = "sales") -> list[bytes | None]:
    """Every value a read_committed consumer is given (from the start of each partition)."""
    consumer = Consumer(
        backend.cluster, ConsumerConfig(isolation_level="read_committed", auto_offset_reset="earliest")
    )
    consumer.assign([(topic, p) for p in range(3)])
    values: list[bytes | None] = []
    for _ in range(5):  # a poll may stop at one partition's records
        values += [r.value for r in await consumer.poll(timeout_ms=0)]
    await consumer.close()
    return values


async def test_binding_is_off_until_txn_is_on_and_txn_needs_idempotence() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel = await ready(pilot)
        panel.query_one("#send", Button).focus()
        await pilot.pause()
        assert panel.check_action("begin_txn", ()) is None  # shown disabled in the footer
        assert "each record is visible on its own" in text_of(panel, "#txn-msg")
        await pilot.press("b")  # nothing happens, no error
        assert app.backend is not None and app.backend.transaction(TXN).state == "UNINITIALIZED"
        panel.query_one("#acks-1", RadioButton).value = True
        await pilot.pause()
        switch = panel.query_one("#transactional", Switch)
        assert switch.disabled and "needs idempotence" in text_of(panel, "#txn-msg")
        panel.query_one("#acks-all", RadioButton).value = True
        await pilot.pause()
        assert not switch.disabled
        switch.value = True
        await pilot.pause()
        assert panel.check_action("begin_txn", ()) is True
        assert "no producer yet" in text_of(panel, "#txn-msg")


async def test_commit_makes_the_records_visible_to_read_committed_at_once() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel, backend = await transactional_with_backend(pilot, app)
        await press(pilot, "b")
        shown = text_of(panel, "#txn-msg")
        assert "IN_TRANSACTION" in shown and "producer id" in shown
        await send(pilot, panel, "client-1", "one")
        await send(pilot, panel, "client-2", "two")
        shown = text_of(panel, "#txn-msg")
        assert "open: 2 record(s)" in shown and "(Ongoing)" in shown
        assert records(app) == 2
        assert await read_committed(backend) == []  # appended, but not committed yet
        await press(pilot, "c")
        shown = text_of(panel, "#txn-msg")
        assert "READY" in shown and "committed 1" in shown and "CompleteCommit" in shown
        assert sorted(await read_committed(backend)) == [b"one", b"two"]
        assert any(n.title == "Transaction committed" for n in app._notifications)
        assert panel.query_one("#txn-commit", Button).disabled


async def test_abort_hides_the_records_and_a_send_outside_a_transaction_is_refused() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel, backend = await transactional_with_backend(pilot, app)
        await fill(pilot, panel, key="k", value="too early")
        panel.action_send()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert records(app) == 0
        assert any("begin one first" in n.message for n in app._notifications)
        await press(pilot, "b")
        await send(pilot, panel, "client-1", "lost")
        await press(pilot, "x")
        assert "aborted 1" in text_of(panel, "#txn-msg")
        assert await read_committed(backend) == []
        marks = backend.stable_offsets("sales")
        [stable] = [s for s in marks.values() if s.aborted]
        assert (
            stable.aborted[0].first_offset == 0
            and stable.status(stable.aborted[0].producer_id, 0) == "aborted"
        )


async def test_a_zombie_is_fenced_and_begin_starts_a_new_producer() -> None:
    app = Harness()
    async with app.run_test(size=(120, 36)) as pilot:
        panel, backend = await transactional_with_backend(pilot, app)
        await press(pilot, "b")
        epoch = backend.transaction(TXN).producer_epoch
        await send(pilot, panel, "client-1", "zombie's")
        await press(pilot, "z")  # another instance with the same transactional.id starts
        assert any(n.title == "Zombie fenced" for n in app._notifications)
        await press(pilot, "c")
        assert any(n.severity == "error" and n.title == "PRODUCER_FENCED" for n in app._notifications)
        shown = text_of(panel, "#txn-msg")
        assert "FATAL_ERROR" in shown and "fenced" in shown
        assert await read_committed(backend) == []  # the coordinator aborted it
        await press(pilot, "b")
        view = backend.transaction(TXN)
        assert view.state == "IN_TRANSACTION" and view.producer_epoch > epoch + 1


async def _open_and_aborted(backend: EmbeddedBackend) -> None:
    """Topic orders: an aborted transaction, a committed one, and one still open."""
    await backend.create_topic("orders", 1, 3)
    await backend.produce(ProduceRequest("orders", "plain", key="a"))
    for value, commit in (("refund", False), ("paid", True)):
        await backend.begin_transaction(TXN)
        await backend.produce(ProduceRequest("orders", value, key="a", transactional_id=TXN))
        await backend.end_transaction(TXN, commit=commit)
    await backend.begin_transaction(TXN)
    await backend.produce(ProduceRequest("orders", "pending", key="a", transactional_id=TXN))
    await backend.produce(ProduceRequest("orders", "after", key="b"))
    await backend.cluster.settle()


async def _log(app, pilot: Pilot[None]) -> LogPanel:  # type: ignore[no-untyped-def]
    await app.ready.wait()
    await pilot.press("3")
    panel = app.panel("log")
    assert isinstance(panel, LogPanel)
    await panel.show("orders", 0, 0)
    await until(pilot, lambda: panel.log_view.pages.get(0, 0) is not None, "the first log page")
    return panel


async def test_log_view_marks_aborted_and_open_records_and_read_committed_stops_at_the_lso() -> None:
    app = make_app(_open_and_aborted)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _log(app, pilot)
        view = panel.log_view
        # 0 plain, 1 refund, 2 ABORT, 3 paid, 4 COMMIT, 5 pending (open), 6 after
        stable = view.stable[0]
        assert stable.last_stable_offset == 5 and stable.open_transactions
        fates = {o: view.txn_status(r) for o in range(7) if (r := view.pages.get(0, o)) is not None}
        assert fates == {0: None, 1: "aborted", 2: None, 3: None, 4: None, 5: "open", 6: None}
        assert view.visible_end(view.bounds[0]) == view.bounds[0].high_watermark
        await pilot.press("i")
        assert view.read_committed and view.visible_end(view.bounds[0]) == 5
        assert "read_committed" in str(panel.query_one("#log-status").content)
        await pilot.press("i")
        assert not view.read_committed


async def test_log_view_lso_moves_when_the_open_transaction_commits() -> None:
    app = make_app(_open_and_aborted)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _log(app, pilot)
        await app.backend.end_transaction(TXN, commit=True)  # type: ignore[union-attr]
        for _ in range(50):
            await pilot.pause(0.02)
            if not panel.log_view.stable[0].open_transactions:
                break
        stable = panel.log_view.stable[0]
        assert (
            not stable.open_transactions
            and stable.last_stable_offset == panel.log_view.bounds[0].high_watermark
        )


def test_snapshot_produce_panel_with_an_open_transaction(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        panel = await transactional(pilot)
        await press(pilot, "b")
        await send(pilot, panel, "client-1", "debit 10")
        await send(pilot, panel, "client-2", "credit 10")
        pilot.app.set_focus(None)  # no blinking cursor in the picture
        pilot.app.clear_notifications()
        await pilot.pause(0.2)

    assert snap_compare(Harness(), terminal_size=(120, 44), run_before=run_before)


def test_snapshot_log_with_transactions(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_open_and_aborted)

    async def run_before(pilot: Pilot[None]) -> None:
        await _log(app, pilot)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_log_read_committed(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_open_and_aborted)

    async def run_before(pilot: Pilot[None]) -> None:
        await _log(app, pilot)
        await pilot.press("i")
        app.clear_notifications()
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
