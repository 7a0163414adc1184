"""ListOffsets by time through the log's time index (engine/log/time_index.py) answers
what a scan of every batch answers, whatever order timestamps come in and whatever
truncation, retention and the cleaner did to the log, and again after a reopen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.engine.log.records import Record, encode_batch, read_header
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.log.time_index import TimeIndex


def batch(base_offset: int, timestamps: list[int]) -> tuple[object, bytes]:
    records = [Record(base_offset + i, ts, None, b"v") for i, ts in enumerate(timestamps)]
    data = encode_batch(records)
    return read_header(data), data


def scanned(log: list[tuple[int, int, int]], timestamp: int, upper: int) -> int | None:
    """The answer by brute force: the first batch (base, last, max ts) below `upper`
    whose max timestamp reaches `timestamp`."""
    return next((base for base, _, top in log if top >= timestamp and base < upper), None)


# An operation: append a batch of these timestamps, truncate at a fraction of the log,
# drop the batches below a fraction of it (retention), or shrink a batch (the cleaner
# keeping its first record only).
operation = st.one_of(
    st.tuples(st.just("append"), st.lists(st.integers(0, 1000), min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("retain"), st.floats(0, 1)),
    st.tuples(st.just("clean"), st.floats(0, 1)),
)


async def play(ops: list[tuple[str, object]], probes: list[int], path: Path | None) -> None:
    storage = await BrokerStorage.open(path)
    log_id = (await storage.create_log("id", "t", 0)).log_id
    log: list[tuple[int, int, int]] = []  # (base, last, max timestamp) per batch, in offset order
    end = 0
    for kind, arg in ops:
        if kind == "append":
            timestamps = list(arg)  # type: ignore[call-overload]
            h, data = batch(end, timestamps)
            await storage.append(log_id, [(h, data)])  # type: ignore[list-item]
            log.append((end, end + len(timestamps) - 1, max(timestamps)))
            end += len(timestamps)
        elif log:
            at = log[min(len(log) - 1, int(arg * len(log)))]  # type: ignore[operator]
            if kind == "truncate":
                await storage.truncate(log_id, at[0])
                log = [b for b in log if b[0] < at[0]]
                end = at[0]
            elif kind == "retain":
                await storage.delete_before(log_id, at[0])
                log = [b for b in log if b[1] >= at[0]]
            else:  # the cleaner keeps the batch's first record, with the batch's offsets
                base, last, _ = at
                stored = await storage.read(log_id, base, last + 1, 1 << 20)
                first = read_header(stored[0].data)
                kept = Record(base, first.base_timestamp, None, b"v")
                data = encode_batch([kept], last_offset_delta=last - base)
                await storage.replace_batches(log_id, base, last + 1, [(read_header(data), data)], 0)
                log = [(b, lst, first.base_timestamp if b == base else top) for b, lst, top in log]
        for ts in probes:
            for upper in (end, max(0, end - 2)):
                found = await storage.first_batch_at_or_after_time(log_id, ts, upper)
                got = None if found is None else read_header(found).base_offset
                assert got == scanned(log, ts, upper), (kind, ts, upper, log)
    await storage.close()
    if path is not None:  # opened again, the index is built from the rows
        again = await BrokerStorage.open(path)
        for ts in probes:
            found = await again.first_batch_at_or_after_time(log_id, ts, end)
            assert (None if found is None else read_header(found).base_offset) == scanned(log, ts, end)
        await again.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, max_size=25), st.lists(st.integers(-1, 1001), min_size=1, max_size=5))
def test_the_index_answers_as_a_scan_does(ops: list[tuple[str, object]], probes: list[int]) -> None:
    asyncio.run(play(ops, probes, None))


def test_a_truncation_forgets_what_it_cut() -> None:
    # Offset 3 held the largest timestamp (9) before the truncation; after it, 9 is at 2.
    ops: list[tuple[str, object]] = [("append", [1]), ("append", [2]), ("append", [3]), ("append", [9])]
    ops += [("truncate", 0.25), ("append", [2]), ("append", [9]), ("append", [1])]
    asyncio.run(play(ops, [9], None))


def test_after_a_reopen_the_index_is_rebuilt(tmp_path: Path) -> None:
    ops: list[tuple[str, object]] = [
        ("append", [5, 1]),
        ("append", [3]),
        ("append", [9, 2]),
        ("truncate", 0.9),
    ]
    ops += [("append", [4, 8]), ("clean", 0.0), ("append", [7])]
    asyncio.run(play(ops, [0, 3, 5, 6, 8, 9, 10], tmp_path / "broker.db"))


def test_entries_only_when_the_largest_timestamp_grows() -> None:
    index = TimeIndex()
    for base, top in [(0, 10), (3, 7), (5, 10), (8, 12), (9, 11)]:
        index.add(top, base)
    assert len(index) == 2
    assert [index.lookup(t) for t in (0, 10, 11, 12, 13)] == [0, 0, 8, 8, None]
    index.truncate(8)
    assert len(index) == 1 and index.lookup(11) is None
