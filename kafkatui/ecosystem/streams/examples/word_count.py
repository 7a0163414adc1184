"""Kafka's WordCountDemo: lines from `streams-plaintext-input`, the count of each word
(lower case, split on non-word characters) to `streams-wordcount-output`, a long per
word (the count store `counts-store` behind the changelog
`streams-wordcount-counts-store-changelog`).

    kafkatui topic create streams-plaintext-input
    kafkatui streams run kafkatui.ecosystem.streams.examples.word_count
"""

from __future__ import annotations

import re

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder

CONFIG = {"application.id": "streams-wordcount", "commit.interval.ms": 1000}
INPUT, OUTPUT = "streams-plaintext-input", "streams-wordcount-output"
WORD = re.compile(r"\W+")


def words(line: str) -> list[str]:
    return [w for w in WORD.split(line.lower()) if w]


def topology(builder: StreamsBuilder) -> None:
    counts = (
        builder.stream(INPUT).flat_map_values(words).group_by(lambda key, word: word).count("counts-store")
    )
    counts.to_stream().to(OUTPUT, value_serde=Serdes.long())
