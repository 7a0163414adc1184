"""A jq filter against plain Python over the same JSON records, in one run.

    python bench/browse.py [--records 1000000] [--filter 'select(.price > 50)'] [--screen-records 10000000]

Records are in memory, as a consumer's poll hands them over: batches of 500
(`max.poll.records`) `ConsumerRecord`s with JSON values of ~110 bytes (an order: id,
customer, price, quantity, status, tags), each batch built before its clock starts. The jq
run is kafkatui's filter module (`ecosystem/browse/filters.py`: `RecordFilter.select`, a
batch's JSON objects in one libjq call); the plain run is `json.loads(value)["price"] > 50`
per record, each batch through both in turn. Both must keep the same records. The ratio
jq/plain is the part of the plain rate a jq filter keeps (goal ≥ 0.5).

Then time-to-first-screen: a 1-broker cluster in a temporary data dir holds a topic of
`--screen-records` records (6 partitions, ~110-byte JSON values in batches of 2,000,
bulk-loaded through the broker's produce path: 10M in about a minute, ~1.2 GB of disk);
the workbench opens on the Records panel (`0`) showing a small topic, and the time from
choosing the large one (all partitions) until every line on screen shows its record is
measured (goal < 300 ms), then `end` jumps to the last record and the pages the table
holds are counted (bounded memory: it reads what the screen shows, not the topic).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.ecosystem.browse.filters import JqFilter, RecordFilter

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

BATCH = 500


def batches(count: int, seed: int = 7) -> Iterator[list[ConsumerRecord]]:
    rng = random.Random(seed)
    statuses = ("new", "paid", "shipped", "returned")
    for start in range(0, count, BATCH):
        batch = []
        for offset in range(start, min(start + BATCH, count)):
            value = {
                "id": f"o-{offset:08d}", "customer": f"c-{rng.randrange(10_000)}",
                "price": round(rng.uniform(1, 100), 2), "quantity": rng.randrange(1, 9),
                "status": rng.choice(statuses), "tags": ["web", "eu"],
            }  # fmt: skip
            batch.append(
                ConsumerRecord(
                    "orders", 0, offset, 1_765_000_000_000 + offset, TimestampType.CREATE_TIME,
                    f"c-{offset % 97}".encode(), json.dumps(value).encode(), (), 0,
                )
            )  # fmt: skip
        yield batch


def run_both(count: int, program: str) -> tuple[float, float, int]:
    """(plain seconds, jq seconds, matched): each batch through both, one after the
    other, so a machine shared with other work slows both alike and the ratio holds."""
    wanted = RecordFilter(jq=JqFilter(program))
    loads = json.loads
    matched = 0
    plain_s = jq_s = 0.0
    for batch in batches(count):
        started = time.perf_counter()
        for record in batch:
            if loads(record.value)["price"] > 50:
                matched += 1
        middle = time.perf_counter()
        wanted.select(batch)
        jq_s += time.perf_counter() - middle
        plain_s += middle - started
    assert wanted.counts.scanned == count and not wanted.counts.not_json and not wanted.counts.failed
    assert wanted.counts.matched == matched, (wanted.counts.matched, matched)
    return plain_s, jq_s, matched


LOAD_BATCH = 2_000  # records a batch: ~230 KB, what a producer with batch.size=256 KiB sends
LOAD_BODIES = 50  # distinct batch bodies; each is framed again at its own time


async def bulk_load(cluster: Cluster, topic: str, partitions: int, records: int) -> None:
    """`records` JSON records over the partitions, a batch at a time in turn, through the
    broker's produce path itself (acks=1), as a producer's ready-made batches arrive. The
    records of `LOAD_BODIES` batches are encoded once; each batch sent frames one of
    those bodies again at a later base timestamp (its own CRC), so 10M records cost the
    broker's appends, not 10M Python records."""
    from kafkatui.engine.log import records as codec

    values = [(r.key, r.value) for batch in batches(LOAD_BODIES * LOAD_BATCH) for r in batch]

    def body(first: int, count: int) -> tuple[bytes, int]:
        """Records first.. as one batch's body: offset and timestamp deltas 0..count-1."""
        chunk = [codec.Record(i, i, *values[first + i]) for i in range(count)]
        if codec._recordsc is not None:
            return codec._recordsc.encode_records(chunk, 0, 0)  # (body, its largest timestamp delta)
        return codec._encode_records_py(chunk, 0, 0)

    bodies = [body(n * LOAD_BATCH, LOAD_BATCH) for n in range(LOAD_BODIES)]
    timestamp = 1_765_000_000_000
    sent = n = 0
    while sent < records:
        count = min(LOAD_BATCH, records - sent)
        data, span = bodies[n % LOAD_BODIES] if count == LOAD_BATCH else body(0, count)
        batch = codec.frame_batch(
            data, count, base_offset=0, base_timestamp=timestamp, max_timestamp=timestamp + span,
            last_offset_delta=count - 1,
        )  # fmt: skip
        partition = n % partitions
        await cluster.leader(topic, partition).produce(topic, partition, batch, acks=1)
        sent, n, timestamp = sent + count, n + 1, timestamp + span + 1


async def first_screen(records: int) -> tuple[float, float, int, int]:
    """(fill seconds, ms to the first full screen, rows, pages held after `end`)."""
    from kafkatui.backends.embedded import EmbeddedBackend
    from kafkatui.engine.cluster import Cluster
    from kafkatui.tui.app import KafkaTuiApp
    from kafkatui.tui.config import Settings
    from kafkatui.tui.panels.records import RecordsPanel

    data_dir = tempfile.TemporaryDirectory()
    filled = [0.0]

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(data_dir.name, brokers=1, seed=1)
        await cluster.create_topic("a-small", 1)  # shown first: the panel is open before the clock
        await cluster.create_topic("orders", 6)
        started = time.perf_counter()
        await bulk_load(cluster, "orders", 6, records)
        filled[0] = time.perf_counter() - started
        return EmbeddedBackend(cluster)

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await app.ready.wait()
        await pilot.pause(0.5)
        panel = app.panel("records")
        assert isinstance(panel, RecordsPanel)
        await pilot.press("0")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        started = time.perf_counter()
        await panel.show("orders")
        table = panel.table
        while True:
            await asyncio.sleep(0.001)
            height = table.size.height - 1  # under the column titles
            if len(table.rows) and height > 0 and all(table.record_at(r) for r in range(height)):
                break
        elapsed_ms = (time.perf_counter() - started) * 1000
        rows = len(table.rows)
        await pilot.press("end")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        assert table.record_at(rows - 1) is not None
        held = table.pages.cached_pages if table.pages is not None else 0
    data_dir.cleanup()
    return filled[0], elapsed_ms, rows, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--filter", default="select(.price > 50)", help="a jq program equal to price > 50")
    parser.add_argument(
        "--screen-records", type=int, default=10_000_000, help="the large topic (0: no time-to-first-screen)"
    )
    args = parser.parse_args()
    plain_s, jq_s, jq_matched = run_both(args.records, args.filter)
    plain_rate, jq_rate = args.records / plain_s, args.records / jq_s
    print(f"records: {args.records:,} (JSON, ~110 bytes each), matched: {jq_matched:,}")
    print(f"plain json.loads + comparison: {plain_rate:>12,.0f} records/s")
    print(f"jq {args.filter!r} (RecordFilter): {jq_rate:>12,.0f} records/s")
    print(f"ratio jq/plain: {jq_rate / plain_rate:.2f} (goal >= 0.5)")
    if args.screen_records:
        fill_s, screen_ms, rows, held = asyncio.run(first_screen(args.screen_records))
        print(f"topic of {rows:,} records filled in {fill_s:.0f} s")
        print(f"time to first screen: {screen_ms:.0f} ms (goal < 300 ms)")
        print(f"after end: {held} pages of the log held (of {rows // 512:,}), the last record shown")


if __name__ == "__main__":
    main()
