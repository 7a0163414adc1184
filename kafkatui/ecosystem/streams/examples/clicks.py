"""A windowed click count (Kafka Streams' PageViewRegion/ClickStream demos in their
simplest form): clicks keyed by user in `clicks`, counted per user in tumbling one-minute
windows with ten seconds of grace for late clicks, one final count per window once it
closes (`suppress(until_window_closes)`) to `clicks-per-minute`, the key printed as
Kafka's Windowed.toString() (`[user@start/end]`), the value a long. A click later than
the grace is dropped and counted in dropped-records.

    kafkatui topic create clicks
    kafkatui streams run kafkatui.ecosystem.streams.examples.clicks
"""

from __future__ import annotations

from datetime import timedelta

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, Suppressed, TimeWindows

CONFIG = {"application.id": "clicks-per-minute", "commit.interval.ms": 1000}
INPUT, OUTPUT = "clicks", "clicks-per-minute"
WINDOWS = TimeWindows.of_size_and_grace(timedelta(minutes=1), timedelta(seconds=10))


def topology(builder: StreamsBuilder) -> None:
    counts = (
        builder.stream(INPUT)
        .group_by_key()
        .windowed_by(WINDOWS)
        .count("clicks-store")
        .suppress(Suppressed.until_window_closes())
    )
    counts.to_stream().to(OUTPUT, key_serde=Serdes.windowed_text(), value_serde=Serdes.long())
