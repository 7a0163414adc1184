"""A log read (BrokerStorage.read) returns whole batches from the offset asked, up to
max_bytes but at least one (Kafka's fetch rule), and holds only those: the batches past
max_bytes are never loaded, so reading a page of a log of large batches costs that page."""

from __future__ import annotations

import asyncio
import tracemalloc

from kafkatui.engine.log.records import Record, encode_batch, read_header
from kafkatui.engine.log.storage import BrokerStorage


def batch(base_offset: int, count: int, value_size: int) -> bytes:
    return encode_batch([Record(base_offset + i, 0, None, bytes(value_size)) for i in range(count)])


async def log_of(sizes: list[int]) -> tuple[BrokerStorage, int, list[tuple[int, int, int]]]:
    """A log of batches of 4 records with values of these sizes; (base, last, size) each."""
    storage = await BrokerStorage.open(None)
    log_id = (await storage.create_log("id", "t", 0)).log_id
    layout = []
    for n, value_size in enumerate(sizes):
        data = batch(4 * n, 4, value_size)
        await storage.append(log_id, [(read_header(data), data)])
        layout.append((4 * n, 4 * n + 3, len(data)))
    return storage, log_id, layout


def expected(layout: list[tuple[int, int, int]], offset: int, upper: int, max_bytes: int) -> list[int]:
    """The bases a read should give, by brute force."""
    out: list[int] = []
    total = 0
    for base, last, size in layout:
        if last < offset or base >= upper:
            continue
        if out and total + size > max_bytes:
            break
        out.append(base)
        total += size
    return out


def test_a_read_gives_whole_batches_up_to_max_bytes_and_at_least_one() -> None:
    async def run() -> None:
        storage, log_id, layout = await log_of([10, 300, 50, 2_000, 5, 5, 700])
        try:
            sizes = [size for _, _, size in layout]
            for offset in (0, 3, 4, 9, 13, 27):
                for max_bytes in (1, sizes[0], sizes[0] + sizes[1], sum(sizes) - 1, 10**6):
                    for upper in (offset + 1, 16, 28):
                        got = await storage.read(log_id, offset, upper, max_bytes)
                        want = expected(layout, offset, upper, max_bytes)
                        assert [b.base_offset for b in got] == want, (offset, upper, max_bytes)
                        for b in got:
                            assert read_header(b.data).base_offset == b.base_offset
        finally:
            await storage.close()

    asyncio.run(run())


def test_a_read_holds_only_the_batches_it_returns() -> None:
    """One 100 KB batch asked of 40: the read allocates about that batch, not the 40
    (selecting every candidate's data copied them all: ~4 MB here, 15 MB for a page of
    the browser's 10M-record topic)."""

    async def run() -> None:
        storage, log_id, layout = await log_of([25_000] * 40)
        try:
            size = layout[0][2]
            tracemalloc.start()
            try:
                got = await storage.read(log_id, 0, 160, 1)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert [b.base_offset for b in got] == [0]
            assert peak < 4 * size, (peak, size)
        finally:
            await storage.close()

    asyncio.run(run())
