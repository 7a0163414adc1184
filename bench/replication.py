"""Produce throughput of the engine with replication, against RF=1 acks=1, in one run.

    python bench/replication.py [--records 200000] [--size 100] [--repeat 1]

Three cases, each on a fresh 3-broker cluster in its own temporary data dir (SQLite, WAL),
the real clock, one partition, and a Producer (linger.ms=5, batch.size=128 KiB) sending
every record to partition 0:

  RF=1 acks=1     the baseline: the leader alone, as in bench/produce.py
  RF=3 acks=1     the leader answers once it has written a batch; two followers copy it
  RF=3 acks=all   min.insync.replicas=2: the leader answers once every in-sync replica
                  has fetched the batch (the high watermark covers it)

Time runs from the first send to the producer's close (every batch acknowledged). Then
every replica's log end offset must reach the record count, and the leader's high
watermark too; for RF=3 the time the followers took to catch up after the close is
shown as well. `--repeat N` runs the three cases N times, interleaved, and shows the
median of each. Ratios below 1 mean replication costs throughput; the goal for
RF=3 acks=all is at least half the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kafkatui.common.clients import ProducerConfig
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster

BROKERS = 3
CATCH_UP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Case:
    label: str
    replication_factor: int
    acks: str
    configs: dict[str, str]


CASES = (
    Case("RF=1 acks=1", 1, "1", {}),
    Case("RF=3 acks=1", 3, "1", {}),
    Case("RF=3 acks=all", 3, "all", {"min.insync.replicas": "2"}),
)


def make_values(count: int, size: int) -> list[bytes]:
    payload = os.urandom(size // 2 + 1).hex().encode()[:size]
    return [payload for _ in range(count)]


async def caught_up(cluster: Cluster, count: int) -> float:
    """Wait until every replica holds `count` records and the leader's HW covers them;
    return how long that took. Raises if it does not happen within the timeout."""
    started = time.perf_counter()
    while True:
        partition = cluster.describe_topic("bench").partitions[0]
        ends = [s.log_end_offset for s in partition.replica_states]
        if all(end == count for end in ends) and partition.high_watermark == count:
            return time.perf_counter() - started
        if time.perf_counter() - started > CATCH_UP_TIMEOUT_S:
            raise RuntimeError(
                f"replicas did not catch up within {CATCH_UP_TIMEOUT_S:.0f} s: "
                f"expected {count} records, leader {partition.leader} HW "
                f"{partition.high_watermark}, ISR {partition.isr}, replicas {partition.replica_states}"
            )
        await asyncio.sleep(0.01)


async def run_case(data_dir: Path, case: Case, values: list[bytes]) -> tuple[float, float | None]:
    """Produce `values` in one case; return the produce time and the followers' catch-up
    time after the producer closed (None with RF=1)."""
    count = len(values)
    async with await Cluster.open(data_dir, brokers=BROKERS, seed=1) as cluster:
        await cluster.create_topic("bench", 1, case.replication_factor, case.configs)
        config = ProducerConfig(acks=case.acks, linger_ms=5, batch_size=128 * 1024)
        started = time.perf_counter()
        async with Producer(cluster, config) as producer:
            for i, value in enumerate(values):
                last = await producer.send("bench", value, partition=0)
                if i % 5000 == 4999:
                    await asyncio.sleep(0)
        elapsed = time.perf_counter() - started
        last.result()  # raises the engine's error if the last batch failed
        replicas = cluster.describe_topic("bench").partitions[0].replica_states
        assert len(replicas) == case.replication_factor, replicas
        catch_up = await caught_up(cluster, count)
    return elapsed, (catch_up if case.replication_factor > 1 else None)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=100, help="value bytes per record")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the three cases, interleaved")
    args = parser.parse_args()
    values = make_values(args.records, args.size)
    n = args.records
    rates: dict[str, list[float]] = {case.label: [] for case in CASES}
    catch_ups: dict[str, list[float]] = {case.label: [] for case in CASES}
    for run in range(args.repeat):
        for case in CASES:
            with tempfile.TemporaryDirectory() as tmp:
                elapsed, catch_up = await run_case(Path(tmp), case, values)
            rates[case.label].append(n / elapsed)
            if catch_up is not None:
                catch_ups[case.label].append(catch_up)
            if args.repeat > 1:
                extra = f", caught up in {catch_up * 1000:,.0f} ms" if catch_up is not None else ""
                print(f"run {run + 1}: {case.label + ':':<15} {n / elapsed:>10,.0f} records/s{extra}")
    median = {label: statistics.median(r) for label, r in rates.items()}
    runs = f", median of {args.repeat} runs" if args.repeat > 1 else ""
    print(f"records: {n:,} of {args.size} bytes, {BROKERS} brokers{runs}")
    for case in CASES:
        line = f"{case.label + ':':<15} {median[case.label]:>12,.0f} records/s"
        if catch_ups[case.label]:
            ms = statistics.median(catch_ups[case.label]) * 1000
            line += f"   followers caught up {ms:,.0f} ms after the producer closed"
        print(line)
    base = median["RF=1 acks=1"]
    print(f"RF=3 acks=1 / RF=1 acks=1: {median['RF=3 acks=1'] / base:.2f}")
    print(f"RF=3 acks=all / RF=1 acks=1: {median['RF=3 acks=all'] / base:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    asyncio.run(main())
