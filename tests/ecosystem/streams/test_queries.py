"""Interactive queries: the running word count's store read by key, by range and in
full while the app runs, equal to a reference the test computes once it caught up."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.ecosystem.streams import Serdes
from kafkatui.ecosystem.streams.queries import InvalidStateStoreException, ReadOnlyWindowStore
from kafkatui.ecosystem.streams.stores import WindowStore
from tests.ecosystem.streams.conftest import Served, until
from tests.ecosystem.streams.test_runtime import app, lines, produce_lines, run_until_caught_up, word_count


async def test_live_counts_are_read_while_the_app_runs(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(word_count.INPUT, 3, 1)
    streams = app(served, tmp_path)
    with pytest.raises(InvalidStateStoreException):
        streams.store("counts-store").get("the")  # no task yet: nothing hosted here
    first = await produce_lines(served, lines(0, 500))
    await run_until_caught_up(served, streams)
    view = streams.store("counts-store")
    assert dict(view.all()) == dict(first)
    more = await produce_lines(served, lines(500, 500))
    reference = first + more
    await until(lambda: view.get("the") == reference["the"], "the live count of 'the' to grow")
    await until(lambda: dict(view.all()) == dict(reference), "every live count to match")
    assert view.approximate_num_entries() == len(reference)
    assert dict(view.range("w1", "w2")) == {w: n for w, n in reference.items() if "w1" <= w <= "w2"}
    with pytest.raises(KeyError):
        streams.store("no-such-store")
    await streams.close()


def test_a_window_store_view_fetches_across_local_tasks() -> None:
    tasks = [
        WindowStore(f"clicks-{p}", Serdes.string(), Serdes.long(), size_ms=60_000, retention_ms=600_000)
        for p in range(2)
    ]
    tasks[0].put("alice", 3, window_start=0)
    tasks[0].put("alice", 5, window_start=60_000)
    tasks[1].put("bob", 7, window_start=0)
    view = ReadOnlyWindowStore("clicks", lambda: tasks)
    assert view.fetch("bob", 0) == 7
    assert view.fetch("bob", 60_000) is None
    assert view.fetch_range("alice", 0, 60_000) == [(0, 3), (60_000, 5)]
    assert view.fetch_range("alice", 1, 60_000) == [(60_000, 5)]
