from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clock import ManualClock, wait_event
from kafkatui.common.events import BrokerStarted, EventBus, TopicCreated
from kafkatui.engine.cluster import Cluster


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock(start_ms=0)
    woke: list[tuple[str, int]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now_ms()))

    tasks = [asyncio.ensure_future(sleeper("late", 3)), asyncio.ensure_future(sleeper("early", 1))]
    await clock.advance(2000)
    assert woke == [("early", 1000)]
    await clock.advance(2000)
    assert woke == [("early", 1000), ("late", 3000)]
    assert clock.now_ms() == 4000
    await asyncio.gather(*tasks)


async def test_wait_event_times_out_on_the_clock() -> None:
    clock = ManualClock(start_ms=0)
    event = asyncio.Event()
    waiter = asyncio.ensure_future(wait_event(clock, event, 0.5))
    await clock.advance(400)
    assert not waiter.done()
    await clock.advance(200)
    assert await waiter is False
    event.set()
    assert await wait_event(clock, event, 0.5) is True


async def test_bus_filters_by_type_and_drops_oldest_when_full() -> None:
    bus = EventBus()
    topics = bus.subscribe(TopicCreated, maxsize=2)
    everything: list[object] = []
    stop = bus.listen(everything.append)
    for i in range(3):
        bus.publish(
            TopicCreated(timestamp_ms=i, topic=f"t{i}", topic_id="x", partitions=1, replication_factor=1)
        )
    bus.publish(BrokerStarted(timestamp_ms=9, broker_id=1))
    assert [e.topic for e in topics.drain()] == ["t1", "t2"]  # type: ignore[attr-defined]
    assert topics.dropped == 1
    assert len(everything) == 4
    stop()
    bus.publish(BrokerStarted(timestamp_ms=10, broker_id=2))
    assert len(everything) == 4


async def test_settle_waits_for_sqlite_without_polling(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a call waits on SQLite's thread, `settle` waits for its answer instead of
    checking the cluster every round of the loop (that polling took the GIL from
    SQLite's thread: a 1 s demo took 25 s)."""
    checks = 0
    progress = Cluster.progress

    def counting(self: Cluster) -> tuple[object, ...]:
        nonlocal checks
        checks += 1
        return progress(self)

    monkeypatch.setattr(Cluster, "progress", counting)
    calls = next(iter(cluster.brokers.values())).storage.calls
    with calls:  # a call in flight
        settling = asyncio.ensure_future(cluster.settle())
        for _ in range(200):
            await asyncio.sleep(0)
        assert not settling.done()
        assert checks <= 2, f"settle checked the cluster {checks} times while SQLite worked"
    await asyncio.wait_for(settling, 5)
