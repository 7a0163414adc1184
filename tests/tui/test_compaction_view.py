"""The log view's segments, dirty split and tombstones; the log cleaner and retention
run from the Log panel (c, r), with snapshots before and after cleaning."""

from __future__ import annotations

from textual.pilot import Pilot

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.log import LogPanel
from tests.tui.conftest import SIZE, make_app, sales


async def _compacted(backend: EmbeddedBackend) -> None:
    """A compacted topic whose small segments close every three records."""
    configs = {"cleanup.policy": "compact", "segment.bytes": "250", "delete.retention.ms": "1000"}
    await backend.create_topic("addresses", 1, 3, configs)
    for i in range(10):
        value = None if i == 7 else f"street {i}"
        await backend.produce(ProduceRequest("addresses", value, key=f"client-{i % 3}", acks="1"))
    await backend.cluster.settle()


async def _open(app: KafkaTuiApp, pilot: Pilot) -> LogPanel:
    """The Log panel on the compacted topic, its segments read."""
    await app.ready.wait()
    await pilot.press("3")
    panel = app.panel("log")
    assert isinstance(panel, LogPanel)
    await panel.show("addresses", 0, 0)
    await panel._read_layout()
    return panel


async def test_compact_now_removes_old_records_and_shows_where() -> None:
    app = make_app(_compacted)
    async with app.run_test(size=SIZE) as pilot:
        panel = await _open(app, pilot)
        layout = panel.log_view.log_layout[0]
        assert layout.compacted and layout.segment_bases[0] == 0 and len(layout.segment_bases) >= 3
        await pilot.press("c")
        await pilot.pause()
        cleaned = panel.log_view.cleaned[0]
        active = panel.log_view.log_layout[0].segment_bases[-1]
        # Below the active segment only each key's latest record is left.
        assert cleaned and max(cleaned) < active
        assert panel.log_view.log_layout[0].first_dirty == active
        assert any("Compacted addresses" in (n.title or "") for n in app._notifications)
        records = await app.backend.read_log("addresses", 0, 0, 100)  # type: ignore[union-attr]
        assert not {r.offset for r in records} & cleaned


async def test_compact_and_retention_explain_when_there_is_nothing_to_do() -> None:
    app = make_app(sales)  # cleanup.policy=delete, nothing old
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("3", "c")
        await pilot.pause()
        assert any(n.severity == "error" and "cleanup.policy" in n.message for n in app._notifications)
        await pilot.press("r")
        await pilot.pause()
        assert any(n.title == "Retention" for n in app._notifications)


def test_snapshot_log_after_compaction(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_compacted)

    async def run_before(pilot: Pilot) -> None:
        panel = await _open(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        panel.log_view.show_cleaned({})  # the "cleaned" marks fade after a few seconds
        app.clear_notifications()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_log_before_compaction(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(_compacted)

    async def run_before(pilot: Pilot) -> None:
        await _open(app, pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
