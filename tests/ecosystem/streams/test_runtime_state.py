"""State on the cluster beyond the word count: a compacted changelog (the cleaner has
removed superseded counts) restores the same state, and a windowed count behind a
repartition topic keeps event time through it (records carry their CreateTime on), so
suppress gives the same final results as on the test driver."""

from __future__ import annotations

from pathlib import Path

from kafkatui.backends.base import Feature
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, Suppressed, TimeWindows
from kafkatui.ecosystem.streams.examples import word_count
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from tests.ecosystem.streams.conftest import Served, until
from tests.ecosystem.streams.test_runtime import (
    CHANGELOG,
    REPARTITION,
    app,
    counts,
    lines,
    produce_lines,
)


async def test_a_compacted_changelog_restores_the_same_counts(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(word_count.INPUT, 2, 1)
    # Small segments, so the cleaner has closed ones to compact.
    await served.backend.create_topic(CHANGELOG, 2, 1, {"cleanup.policy": "compact", "segment.bytes": "4096"})
    reference = await produce_lines(served, lines(0, 3_000))
    first = app(served, tmp_path / "one")
    await first.start()
    await until(lambda: served.caught_up(first, word_count.INPUT, REPARTITION), "the first run")
    first.kill()
    await first.wait()
    cleaned = await served.backend.engine_controls(Feature.LOG_CLEANER).compact_topic(CHANGELOG)
    before, after = sum(c.records_before for c in cleaned), sum(c.records_after for c in cleaned)
    assert after < before  # superseded counts are gone from the changelog
    second = app(served, tmp_path / "two")
    await second.start()
    await until(lambda: served.caught_up(second, word_count.INPUT, REPARTITION), "the restart")
    assert sum(second.restored.values()) < sum(e for e in (await served.ends(CHANGELOG)).values())
    assert counts(second) == dict(reference)
    await second.close()


async def test_windowed_counts_keep_event_time_through_a_repartition(served: Served, tmp_path: Path) -> None:
    builder = StreamsBuilder()
    clicks = builder.stream("clicks", value_serde=Serdes.json())
    per_page = clicks.group_by(lambda user, click: click["page"], value_serde=Serdes.json())
    windows = TimeWindows.of_size_and_grace(60_000, 10_000)
    final = (
        per_page.windowed_by(windows).count("clicks-per-minute").suppress(Suppressed.until_window_closes())
    )
    final.to_stream().to("clicks-final", value_serde=Serdes.long())
    await served.backend.create_topic("clicks", 2, 1)
    producer = served.backend.producer(ProducerConfig(linger_ms=5))
    base = 1_700_000_040_000  # a minute boundary
    events = [("ana", "home", 1_000), ("bob", "home", 20_000), ("ana", "cart", 30_000),
              ("bob", "home", 65_000), ("ana", "home", 55_000), ("ana", "home", 200_000)]  # fmt: skip
    for user, page, at in events:
        await producer.send(
            "clicks", f'{{"page": "{page}"}}'.encode(), key=user.encode(), timestamp=base + at
        )
    await producer.flush()
    await producer.close()
    settings = {"application.id": "clicks", "state.dir": str(tmp_path), "commit.interval.ms": 100}
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()
    await until(
        lambda: served.caught_up(streams, "clicks", "clicks-clicks-per-minute-repartition"), "the clicks"
    )
    await streams.close()
    changelog = served.backend.describe_topic("clicks-clicks-per-minute-changelog")
    assert changelog.configs.get("cleanup.policy") == "compact,delete"
    found = []
    for partition in range(len(served.backend.describe_topic("clicks-final").partitions)):
        for r in await served.backend.read_log("clicks-final", partition, 0, 100):
            found.append((bytes(r.key).decode(), Serdes.long().deserialize("", bytes(r.value))))
    # Stream time reaches base+200s only in the task of "home"; there both its minutes
    # close. "cart" sits in the other task, whose stream time never passes its window.
    assert sorted(found) == [
        (f"[home@{base}/{base + 60_000}]", 3),
        (f"[home@{base + 60_000}/{base + 120_000}]", 1),
    ]
