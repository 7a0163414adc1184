from __future__ import annotations

import asyncio

from kafkatui.common.clock import ManualClock, wait_event
from kafkatui.common.events import BrokerStarted, EventBus, TopicCreated


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
