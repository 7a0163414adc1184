"""The runtime on kafkatui's cluster: word count over 10,000 records, its state in
SQLite per task and in compacted changelogs; an app killed (its task cancelled: nothing
committed or flushed) and started again gets its counts back from the changelog, equal
to a reference the test computes; killed mid-run it loses nothing (at least once); a
record the serde cannot read goes to the configured handler with its offset named."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder
from kafkatui.ecosystem.streams.examples import word_count
from kafkatui.ecosystem.streams.runtime import ERROR, NOT_RUNNING, RUNNING, KafkaStreams
from kafkatui.ecosystem.streams.task import StreamsError
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

APP = "wc"
REPARTITION, CHANGELOG = f"{APP}-counts-store-repartition", f"{APP}-counts-store-changelog"


def lines(start: int, count: int) -> list[str]:
    return [f"the w{i % 37} and w{i % 101} Q{i % 7}" for i in range(start, start + count)]


def app(served: Served, state_dir: Path, **config: object) -> KafkaStreams:
    builder = StreamsBuilder()
    word_count.topology(builder)
    settings = {"application.id": APP, "state.dir": str(state_dir), "commit.interval.ms": 100, **config}
    return KafkaStreams(builder.build(), settings, served.backend)


def counts(streams: KafkaStreams) -> dict[str, int]:
    found: dict[str, int] = {}
    for task in streams.tasks.values():
        if "counts-store" in task.stores:
            found.update(dict(task.stores["counts-store"].all()))
    return found


async def output_counts(served: Served) -> dict[str, int]:
    """The last count per word in the output topic (what a downstream reader sees)."""
    latest: dict[str, int] = {}
    for partition in range(len(served.backend.describe_topic(word_count.OUTPUT).partitions)):
        offset = 0
        while batch := await served.backend.read_log(word_count.OUTPUT, partition, offset, 5000):
            for r in batch:
                latest[bytes(r.key).decode()] = Serdes.long().deserialize("", bytes(r.value))
            offset = batch[-1].offset + 1
    return latest


async def produce_lines(served: Served, text: list[str]) -> Counter[str]:
    await served.produce(word_count.INPUT, [(str(i).encode(), line.encode()) for i, line in enumerate(text)])
    return Counter(w for line in text for w in word_count.words(line))


async def run_until_caught_up(served: Served, streams: KafkaStreams) -> None:
    await streams.start()
    await until(
        lambda: served.caught_up(streams, word_count.INPUT, REPARTITION), "the app to commit everything"
    )


async def test_word_count_restores_from_the_changelog_after_a_kill(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(word_count.INPUT, 3, 1)
    reference = await produce_lines(served, lines(0, 10_000))
    first = app(served, tmp_path / "one")
    await run_until_caught_up(served, first)
    assert first.state == RUNNING
    assert sorted(first.tasks) == ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]
    assert counts(first) == dict(reference)
    changelog = served.backend.describe_topic(CHANGELOG)
    assert len(changelog.partitions) == 3 and changelog.configs.get("cleanup.policy") == "compact"
    first.kill()
    await first.wait()
    assert first.state == NOT_RUNNING

    # A new instance on an empty state dir: every store comes back from its changelog.
    second = app(served, tmp_path / "two")
    await run_until_caught_up(served, second)
    changelog_records = sum(e for e in (await served.ends(CHANGELOG)).values())
    assert sum(second.restored.values()) == changelog_records > 0
    assert counts(second) == dict(reference)

    # More input: the counts go on from the restored ones, not from zero.
    reference += await produce_lines(served, lines(10_000, 500))
    await until(lambda: served.caught_up(second, word_count.INPUT, REPARTITION), "the new lines")
    assert counts(second) == dict(reference)
    assert await output_counts(served) == dict(reference)
    await second.close()

    # Its own state dir kept: the SQLite files and their checkpoint, nothing to replay.
    third = app(served, tmp_path / "two")
    await run_until_caught_up(served, third)
    assert sum(third.restored.values()) == 0
    assert sum(third.loaded.values()) == len(reference)
    assert counts(third) == dict(reference)
    await third.close()


async def test_a_kill_mid_run_loses_nothing(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(word_count.INPUT, 2, 1)
    reference = await produce_lines(served, lines(0, 10_000))
    first = app(served, tmp_path / "state", **{"commit.interval.ms": 50})
    await first.start()
    await until(lambda: first.metrics()["process-total"] > 5_000, "some records processed")
    first.kill()
    await first.wait()
    second = app(served, tmp_path / "state")
    await run_until_caught_up(served, second)
    found = counts(second)
    # at_least_once: records after the last commit are processed again, never skipped.
    assert set(found) == set(reference)
    assert all(found[w] >= n for w, n in reference.items())
    await second.close()


async def test_log_and_continue_skips_an_unreadable_record_naming_its_offset(
    served: Served, tmp_path: Path
) -> None:
    builder = StreamsBuilder()
    builder.stream("in", value_serde=Serdes.json()).map_values(lambda v: v["n"] * 2).to(
        "out", value_serde=Serdes.json()
    )
    await served.backend.create_topic("in", 1, 1)
    await served.produce("in", [(None, b'{"n": 1}'), (None, b"garbage"), (None, b'{"n": 3}')])
    settings = {"application.id": "doubler", "state.dir": str(tmp_path), "commit.interval.ms": 100,
                "default.deserialization.exception.handler": "logAndContinue"}  # fmt: skip
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()
    await until(lambda: served.caught_up(streams, "in"), "the input committed")
    await streams.close()
    assert [(s.topic, s.partition, s.offset) for s in streams.skipped] == [("in", 0, 1)]
    assert streams.metrics()["dropped-records-total"] == 1
    out = await served.backend.read_log("out", 0, 0, 10)
    assert [bytes(r.value) for r in out] == [b"2", b"6"]
    assert "skipped in-0 offset 1" in streams.summary()


async def test_log_and_fail_stops_the_app_naming_the_offset(served: Served, tmp_path: Path) -> None:
    builder = StreamsBuilder()
    builder.stream("in", value_serde=Serdes.long()).to("out", value_serde=Serdes.long())
    await served.backend.create_topic("in", 1, 1)
    await served.produce("in", [(None, (7).to_bytes(8, "big")), (None, b"short")])
    streams = KafkaStreams(
        builder.build(), {"application.id": "strict", "state.dir": str(tmp_path)}, served.backend
    )
    await streams.start()
    with pytest.raises(StreamsError, match="topic: in, partition: 0, offset: 1"):
        await streams.wait()
    assert streams.state == ERROR


async def test_a_missing_source_topic_refuses_to_start(served: Served, tmp_path: Path) -> None:
    builder = StreamsBuilder()
    builder.stream("nowhere").to("out")
    streams = KafkaStreams(
        builder.build(), {"application.id": "a", "state.dir": str(tmp_path)}, served.backend
    )
    with pytest.raises(StreamsError, match=r"MissingSourceTopicException.*nowhere"):
        await streams.start()


async def test_word_count_on_the_remote_backend(tmp_path: Path) -> None:
    served = await open_served("remote")
    try:
        await served.backend.create_topic(word_count.INPUT, 2, 1)
        reference = await produce_lines(served, lines(0, 2_000))
        first = app(served, tmp_path / "one")
        await run_until_caught_up(served, first)
        assert counts(first) == dict(reference)
        first.kill()
        await first.wait()
        shutil.rmtree(tmp_path / "one")
        second = app(served, tmp_path / "one")
        await run_until_caught_up(served, second)
        assert sum(second.restored.values()) > 0
        assert counts(second) == dict(reference)
        await second.close()
    finally:
        await close_served(served)
