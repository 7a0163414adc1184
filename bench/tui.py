"""Workbench responsiveness under load: key press → repaint latency, and memory.

    python bench/tui.py [--rate 10000] [--presses 200] [--records 1000000]

A 3-broker cluster in a temporary data dir runs inside the app (one event loop, as in
real use; an in-memory cluster would count the whole log as resident memory). A
producer task writes `--rate` records/s into a 6-partition topic while the Log panel
follows it; key presses (right/left/down/up) are posted to the app and the time until
the next frame is written is measured. Then the topic is filled to `--records` records
and the resident memory is read. Baseline for comparison: the same presses with no load.
Prints p50/p95 latencies, then `p95 latency` and `RSS` last.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from textual import events

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings

TOPIC = "load"
KEYS = ["right", "right", "down", "left", "up", "right"]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class FrameClock:
    """Records when the app writes a frame, by wrapping App._display."""

    def __init__(self, app: KafkaTuiApp) -> None:
        self.frame = asyncio.Event()
        original = app._display

        def display(*args: object, **kwargs: object) -> None:
            original(*args, **kwargs)  # type: ignore[arg-type]
            self.frame.set()

        app._display = display  # type: ignore[method-assign]


async def measure_presses(app: KafkaTuiApp, frames: FrameClock, presses: int) -> list[float]:
    latencies = []
    for i in range(presses):
        key = KEYS[i % len(KEYS)]
        frames.frame.clear()
        started = time.perf_counter()
        app.post_message(events.Key(key, None))
        await asyncio.wait_for(frames.frame.wait(), timeout=5)
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)  # a fast typist, not a flood
    return latencies


async def produce_at(producer: Producer, rate: int, stop: asyncio.Event, sent: list[int]) -> None:
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    started = time.perf_counter()
    n = 0
    while not stop.is_set():
        for _ in range(per_tick):
            await producer.send(TOPIC, b"x" * 100, key=f"k{n % 64}".encode())
            n += 1
        sent[0] = n
        delay = started + n / rate - time.perf_counter()
        await asyncio.sleep(max(0.0, delay))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=10_000, help="records/s produced during the presses")
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="records in the topic for the RSS figure"
    )
    args = parser.parse_args()

    data_dir = tempfile.TemporaryDirectory()

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(data_dir.name, brokers=3, seed=1)
        await cluster.create_topic(TOPIC, 6)
        return EmbeddedBackend(cluster)

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.ready.wait()
        frames = FrameClock(app)
        await pilot.press("3")
        await pilot.pause(0.5)
        idle = await measure_presses(app, frames, min(50, args.presses))

        backend = app.backend
        assert isinstance(backend, EmbeddedBackend)
        producer = Producer(backend.cluster, ProducerConfig(acks="1", linger_ms=5, batch_size=64 * 1024))
        stop = asyncio.Event()
        sent = [0]
        load = asyncio.ensure_future(produce_at(producer, args.rate, stop, sent))
        await asyncio.sleep(1.0)
        before = sent[0]
        started = time.perf_counter()
        loaded = await measure_presses(app, frames, args.presses)
        achieved = (sent[0] - before) / (time.perf_counter() - started)
        stop.set()
        await load

        remaining = args.records - sent[0]
        for n in range(max(0, remaining)):
            await producer.send(TOPIC, b"x" * 100, key=f"k{n % 64}".encode())
            if n % 5000 == 4999:
                await asyncio.sleep(0)
        await producer.flush()
        await pilot.pause(0.5)
        total = backend.describe_topic(TOPIC).record_count
        rss = rss_mib()
        await producer.close()
    data_dir.cleanup()

    print(f"idle: p50 {percentile(idle, 50):.1f} ms, p95 {percentile(idle, 95):.1f} ms ({len(idle)} presses)")
    print(f"load: {achieved:,.0f} records/s produced while pressing keys ({len(loaded)} presses)")
    print(f"load: p50 {percentile(loaded, 50):.1f} ms, max {max(loaded):.1f} ms")
    print(f"records in topic: {total:,}")
    print(
        f"p95 latency: {percentile(loaded, 95):.1f} ms "
        f"(goal < 100 ms; idle p95 {percentile(idle, 95):.1f} ms)"
    )
    print(f"RSS: {rss:.0f} MiB (goal < 300 MiB)")


if __name__ == "__main__":
    asyncio.run(main())
