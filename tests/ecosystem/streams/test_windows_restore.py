"""Sliding- and session-window stores on kafkatui's cluster: their changelogs (Kafka's
window and session key schemas) bring a killed application's windows back into a new
instance with an empty state dir: every window the first instance held, with its count.
The changelog also still has windows past the store's retention, which the first
instance had dropped; restored, they stay until the next record expires them (as
Kafka keeps whole segments), and none of them is one a record could still update."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.streams import SessionWindows, SlidingWindows, StreamsBuilder
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from tests.ecosystem.streams.conftest import Served, until


def _app(served: Served, state_dir: Path) -> KafkaStreams:
    builder = StreamsBuilder()
    grouped = builder.stream("clicks").group_by_key()
    grouped.windowed_by(SlidingWindows.of_time_difference_and_grace(1_000, 500)).count("sliding")
    grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(300, 500)).count("sessions")
    settings = {"application.id": "windows", "state.dir": str(state_dir), "commit.interval.ms": 100}
    return KafkaStreams(builder.build(), settings, served.backend)


def _windows(streams: KafkaStreams, store: str) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    for task in streams.tasks.values():
        if store in task.stores:
            found.update({str(k): getattr(v, "value", v) for k, v in task.stores[store].all()})
    return found


async def test_sliding_and_session_windows_come_back_from_their_changelogs(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic("clicks", 2, 1)
    producer = served.backend.producer(ProducerConfig(linger_ms=5))
    stamps = [10_000 + i * 37 + (i // 50) * 900 for i in range(400)]  # bursts, pauses past the gap
    for i, timestamp in enumerate(stamps):
        await producer.send("clicks", b"x", key=f"u{i % 7}".encode(), timestamp=timestamp)
    await producer.flush()
    await producer.close()
    last = max(stamps)
    first = _app(served, tmp_path / "one")
    await first.start()
    await until(lambda: served.caught_up(first, "clicks"), "the clicks processed")
    sliding, sessions = _windows(first, "sliding"), _windows(first, "sessions")
    assert len(sliding) > 100 and len(sessions) > 7
    first.kill()
    await first.wait()
    second = _app(served, tmp_path / "two")
    await second.start()
    await until(lambda: served.caught_up(second, "clicks"), "the restore")
    assert sum(second.restored.values()) > 0
    for store, held, retention in (("sliding", sliding, 2_500), ("sessions", sessions, 800)):
        restored = _windows(second, store)
        assert {k: restored.get(k) for k in held} == held
        assert all(_end(k) <= last - retention for k in set(restored) - set(held))
    await second.close()


def _end(windowed: str) -> int:
    return int(windowed.rsplit("/", 1)[1].rstrip("]"))
