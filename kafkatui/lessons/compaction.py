"""The compaction lesson: a compacted topic keeps the latest value of each key.

The seed's "Log compactado" picture. Customers change address again and again, one
moves away (a tombstone: a null value); small segments (`segment.bytes`) close often,
so most of the log is cleanable. One pass of the log cleaner keeps only the latest
record per key — at its original offset, so the log has gaps — and the tombstone,
which goes once `delete.retention.ms` has passed. Deterministic (ManualClock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.lessons import Story, close_lesson

TOPIC = "customer-addresses"
DELETE_RETENTION_MS = 60_000

# (key, value): addresses over time; None deletes the customer (a tombstone).
UPDATES: tuple[tuple[str, str | None], ...] = (
    ("ana", "Rua A, 1"), ("bruno", "Rua B, 2"), ("carla", "Rua C, 3"), ("ana", "Rua D, 4"),
    ("bruno", "Rua E, 5"), ("ana", "Rua F, 6"), ("davi", "Rua G, 7"), ("carla", None),
    ("bruno", "Rua H, 8"), ("ana", "Rua I, 9"), ("davi", "Rua J, 10"), ("elis", "Rua K, 11"),
)  # fmt: skip


@dataclass
class CompactionReport:
    records_before: int
    records_after_cleaning: int
    records_after_delete_retention: int
    surviving_offsets: list[int]
    latest_value_per_key: dict[str, str | None]
    active_segment_base_offset: int
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


async def compaction_scenario(narrate: Callable[[str], None] | None = None) -> CompactionReport:
    clock = ManualClock()
    story = Story(narrate)
    say = story.say

    backend = await EmbeddedBackend.open(brokers=1, clock=clock, seed=1)
    try:
        configs = {
            "cleanup.policy": "compact",
            "segment.bytes": "300",  # about three records a segment: many close
            "delete.retention.ms": str(DELETE_RETENTION_MS),
        }
        await backend.create_topic(TOPIC, 1, 1, configs)
        cleaner = backend.engine_controls(Feature.LOG_CLEANER)
        say(
            f"Topic {TOPIC}: cleanup.policy=compact, segment.bytes=300, "
            f"delete.retention.ms={DELETE_RETENTION_MS}"
        )
        producer = backend.producer(ProducerConfig(linger_ms=0))
        for key, value in UPDATES:
            meta = await producer.send_and_wait(TOPIC, value, key=key)
            say(f"  offset {meta.offset:2}: {key} → {value if value is not None else 'null (tombstone)'}")

        async def log() -> list[tuple[int, str, str | None]]:
            return [
                (r.offset, (r.key or b"").decode(), None if r.value is None else r.value.decode())
                for r in await backend.read_log(TOPIC, 0, 0, 10_000)
            ]

        before = await log()
        layout = (await backend.log_layout(TOPIC))[0]
        segments, ratio = layout.segments, layout.dirty_ratio  # set: the topic is compacted
        active = segments[-1].base_offset
        say(
            f"{len(before)} records in {len(segments)} segments; the active one starts at offset {active} "
            f"and is never cleaned; dirty ratio {ratio:.2f}"
        )
        await cleaner.compact_topic(TOPIC)
        cleaned = await log()
        say(f"After the log cleaner: {len(cleaned)} records, offsets {[o for o, _, _ in cleaned]}")
        for offset, key, value in cleaned:
            say(
                f"  offset {offset:2}: {key} → "
                + (value if value is not None else "null (a tombstone: kept for delete.retention.ms)")
            )
        twice = sorted({k for _, k, _ in cleaned if sum(1 for _, k2, _ in cleaned if k2 == k) > 1})
        if twice:
            say(
                f"  ({', '.join(twice)} still appear twice: their newest records are in the active "
                "segment, which the cleaner neither cleans nor reads)"
            )
        await clock.advance(DELETE_RETENTION_MS + 1)
        await cleaner.compact_topic(TOPIC)
        final = await log()
        gone = sorted({k for _, k, _ in cleaned} - {k for _, k, _ in final})
        say(
            f"After delete.retention.ms: {len(final)} records"
            + (f"; the tombstone took {', '.join(gone)} away for good" if gone else "")
        )
        latest: dict[str, str | None] = {}
        for _, key, value in final:
            latest[key] = value
        return CompactionReport(
            len(before), len(cleaned), len(final), [o for o, _, _ in final], latest, active, story.lines
        )
    finally:
        await close_lesson(backend)
