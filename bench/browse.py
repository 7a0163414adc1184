"""A jq filter against plain Python over the same JSON records, in one run.

    python bench/browse.py [--records 1000000] [--filter 'select(.price > 50)']

Records are in memory, as a consumer's poll hands them over: batches of 500
(`max.poll.records`) `ConsumerRecord`s with JSON values of ~110 bytes (an order: id,
customer, price, quantity, status, tags), each batch built before its clock starts. The jq
run is kafkatui's filter module (`ecosystem/browse/filters.py`: `RecordFilter.select`, one
libjq call per value); the plain run is `json.loads(value)["price"] > 50` per record. Both
must keep the same records. The ratio jq/plain is the part of the plain rate a jq filter
keeps (goal ≥ 0.5). Time-to-first-screen of a 10M-record topic belongs to the Records
panel, a later slice.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator

from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.ecosystem.browse.filters import JqFilter, RecordFilter

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


def run_jq(count: int, program: str) -> tuple[float, int]:
    wanted = RecordFilter(jq=JqFilter(program))
    elapsed = 0.0
    for batch in batches(count):
        started = time.perf_counter()
        wanted.select(batch)
        elapsed += time.perf_counter() - started
    assert wanted.counts.scanned == count and not wanted.counts.not_json and not wanted.counts.failed
    return elapsed, wanted.counts.matched


def run_plain(count: int) -> tuple[float, int]:
    matched = 0
    elapsed = 0.0
    loads = json.loads
    for batch in batches(count):
        started = time.perf_counter()
        for record in batch:
            if loads(record.value)["price"] > 50:
                matched += 1
        elapsed += time.perf_counter() - started
    return elapsed, matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--filter", default="select(.price > 50)", help="a jq program equal to price > 50")
    args = parser.parse_args()
    plain_s, plain_matched = run_plain(args.records)
    jq_s, jq_matched = run_jq(args.records, args.filter)
    assert jq_matched == plain_matched, (jq_matched, plain_matched)
    plain_rate, jq_rate = args.records / plain_s, args.records / jq_s
    print(f"records: {args.records:,} (JSON, ~110 bytes each), matched: {jq_matched:,}")
    print(f"plain json.loads + comparison: {plain_rate:>12,.0f} records/s")
    print(f"jq {args.filter!r} (RecordFilter): {jq_rate:>12,.0f} records/s")
    print(f"ratio jq/plain: {jq_rate / plain_rate:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
