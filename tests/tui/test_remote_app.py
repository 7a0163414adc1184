"""The workbench over the wire: a RemoteBackend on a served kafkatui cluster shows its
topics, follows what another client produces, and dims what needs kafkatui's own
cluster (pressing it explains, never a traceback)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from textual.widgets import DataTable

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.remote import RemoteBackend
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from tests.tui.conftest import SIZE
from tests.wire.conftest import ServedCluster


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


def _remote_app(served: ServedCluster) -> KafkaTuiApp:
    async def factory() -> RemoteBackend:
        backend = await RemoteBackend.connect(served.bootstrap)
        await backend.create_topic("sales", 3, 2)
        await backend.produce(ProduceRequest("sales", "first", key="k1"))
        await backend.refresh()
        backend.watch(0.2)
        return backend

    return KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)


def _cell(app: KafkaTuiApp, table_id: str, row: str, column: int) -> str:
    table = app.query_one(table_id, DataTable)
    return str(table.get_row(row)[column])


async def _until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_topics_over_the_wire_follow_another_client(served: ServedCluster) -> None:
    app = _remote_app(served)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("2")
        await pilot.pause(0.2)
        assert "over the wire" in app.sub_title
        assert _cell(app, "#topic-list", "sales", 1) == "3"  # partitions
        assert _cell(app, "#topic-list", "sales", 3) == "1"  # records
        # Another client (here: the engine behind the listeners) writes two more.
        other = await RemoteBackend.connect(served.bootstrap)
        try:
            await other.produce(ProduceRequest("sales", "second", partition=0))
            await other.produce(ProduceRequest("sales", "third", partition=1))
        finally:
            await other.close()
        await _until(lambda: _cell(app, "#topic-list", "sales", 3) == "3")


async def test_engine_only_keys_are_dimmed_and_explain_themselves(served: ServedCluster) -> None:
    app = _remote_app(served)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("6")
        await pilot.pause(0.2)
        panel = app.panel("partitions")
        assert panel.check_action("crash", ()) is None  # shown in the footer, dimmed
        assert panel.check_action("elect_preferred", ()) is True  # an admin request: fine
        await pilot.press("k")
        await pilot.pause(0.1)
        last = list(app._notifications)[-1]
        assert last.title == "Crash: not available"
        assert last.message.startswith(
            "stopping, crashing or restarting a broker needs kafkatui's own cluster"
        )
        assert served.bootstrap in last.message
        assert served.cluster.brokers[1].running  # nothing happened to the broker
        assert app.panel("produce").check_action("drop_ack", ()) is None
        await pilot.press("4", "d")  # Produce: drop next ack
        await pilot.pause(0.1)
        assert list(app._notifications)[-1].message.startswith("losing a produce acknowledgement needs")
        await pilot.press("7", "k")  # Groups: crash a consumer (librdkafka always leaves)
        await pilot.pause(0.1)
        assert list(app._notifications)[-1].message.startswith(
            "crashing a consumer (gone without LeaveGroup) needs"
        )
        assert app.is_running
