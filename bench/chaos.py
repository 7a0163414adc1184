"""The long chaos run, and a real kill -9 under real clients.

    python bench/chaos.py [--runs 1000] [--seed 1] [--steps 16] [--faults LIST]
                          [--kills 5] [--producers 2] [--skip-harness] [--skip-kill]

1. The harness (`kafkatui.chaos`, what `kafkatui chaos run` plays): `--runs` seeded
   runs of crashes, shutdowns, controller failover, cuts, latency, loss, lost acks,
   whole-cluster restarts and database damage against a 3-broker cluster (RF=3,
   min.insync.replicas=2) under producers of every kind and a consumer group. Prints
   runs per second, the faults injected by kind, the records acknowledged, how many
   runs broke each promise, and the first seeds that did with the command replaying
   each. `--faults` as for `kafkatui chaos run` (default: every family).

2. A real process: `kafkatui serve` (3 brokers, a data dir on disk, a topic of 3
   partitions, RF=3, min.insync.replicas=2) is killed with SIGKILL `--kills` times, a
   random 1 to 3 s apart, and restarted on the same data dir and ports, while
   `--producers` confluent-kafka producers (enable.idempotence=true, acks=all) write
   unique values as fast as they are acknowledged. Then a read_committed consumer
   reads every partition from the beginning. Prints records acknowledged, read back,
   acknowledged but missing (must be 0), duplicated (must be 0 with idempotence), and
   not acknowledged but present (allowed: the ack was lost with the process).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from kafkatui.chaos.disk import Damage
from kafkatui.chaos.plan import ALL_FAMILIES, ChaosConfig, Family
from kafkatui.chaos.runner import ChaosReport, run_seeds

TOPIC = "bench-chaos"
SHOWN = 10  # seeds listed with their replay command (those without database damage first)
DAMAGE = frozenset(d.value for d in Damage)


def harness(args: argparse.Namespace) -> ChaosReport:
    families = ChaosConfig.parse_families(args.faults.split(",")) if args.faults else ALL_FAMILIES
    config = ChaosConfig(steps=args.steps, families=families)
    started = time.perf_counter()
    done = 0

    def tick(_: object) -> None:
        nonlocal done
        done += 1
        if done % 100 == 0:
            print(f"  {done} runs, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    report = asyncio.run(run_seeds(range(args.seed, args.seed + args.runs), config, on_result=tick))
    took = time.perf_counter() - started
    totals = report.totals()
    kinds = Counter(f.kind for r in report.results for f in r.faults)
    print(f"harness: {totals['runs']} runs of {args.steps} steps, faults: {','.join(sorted(families))}")
    cluster_s = totals["cluster_ms"] / 1000
    print(f"  {took:.0f} s, {totals['runs'] / took:.1f} runs/s, {cluster_s:.0f} s of cluster time")
    print(f"  faults injected: {totals['faults']} ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    print(f"  records acknowledged (acks=all, or in a committed transaction): {totals['acked']}")
    counts: Counter[str] = Counter()
    for r in report.results:
        counts.update(r.counts)
    print(
        "  allowed by Kafka and counted: acks=1 records lost "
        f"{counts['acks=1 lost']} of {counts['acked acks=1']}, acks=all (not idempotent) duplicates "
        f"{counts['acks=all duplicates']}; transactions committed {counts['transactions committed']}, "
        f"aborted {counts['transactions aborted']}, abandoned {counts['transactions abandoned']}, "
        f"unknown {counts['transactions unknown']}"
    )
    refused = sum(1 for r in report.results for x in r.repairs if "not repaired" in x)
    print(f"  offline log dirs repaired while healing: {totals['repairs'] - refused} (refused: {refused})")
    print(f"  runs that broke a promise: {totals['runs_with_violations']}")
    for promise, n in totals["violations"].items():
        print(f"    {promise}: {n} runs")
    print("  by the damage done to a broker's database in the run (at most one per run):")
    damage_of = {r.seed: next((f.kind for f in r.faults if f.kind in DAMAGE), None) for r in report.results}
    for kind in [*sorted(DAMAGE), None]:
        runs = [r for r in report.results if damage_of[r.seed] == kind]
        broken = [r for r in runs if not r.ok]
        promises = Counter(v.promise.value for r in broken for v in r.violations)
        detail = f": {', '.join(f'{p} {n}' for p, n in promises.most_common())}" if promises else ""
        print(
            f"    {kind or 'no database damage'}: {len(broken)} of {len(runs)} runs broke a promise{detail}"
        )
    alone = [r for r in report.results if r.only_copy_damaged]
    print(
        f"  runs whose damaged database held a partition's only in-sync replica: {len(alone)}, of which "
        f"{sum(not r.ok for r in alone)} broke a promise; the other runs with damage: "
        f"{sum(not r.ok for r in report.results if damage_of[r.seed] and not r.only_copy_damaged)} did"
    )
    undamaged = [r for r in report.failed if damage_of[r.seed] is None]
    for r in (undamaged or report.failed)[:SHOWN]:
        print(f"  seed {r.seed}: {'; '.join(str(f) for f in r.faults)}")
        for v in r.violations:
            print(f"    {v.promise.value}: {v.detail[:300]}")
        print(f"    replay: {report.replay_command(r.seed)}")
    return report


# --- 2. kill -9 of kafkatui serve under confluent-kafka ---------------------------------


def free_port_base(count: int = 3) -> int:
    """A port with the next `count - 1` free too (broker N listens on base + N - 1)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise SystemExit("no free ports")


def start_serve(data_dir: Path, port_base: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable, "-c", "from kafkatui.cli.main import run; run()",
            "--data-dir", str(data_dir), "serve", "--brokers", "3", "--port-base", str(port_base),
            "--no-schema-registry", "--no-rest-proxy", "--no-connect",
            "--group-initial-rebalance-delay-ms", "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap servers: "):
            # Keep reading its output in the background, so a full pipe never blocks it.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc
    raise SystemExit(f"kafkatui serve did not start (exit {proc.wait()})")


class ProducerThread(threading.Thread):
    """One idempotent acks=all producer sending unique values until told to stop."""

    def __init__(self, name: str, bootstrap: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        from confluent_kafka import Producer

        self.prefix = name
        self.acked: set[str] = set()
        self.failed: Counter[str] = Counter()
        self.errors: list[str] = []
        self.sent = 0
        self._halt = stop
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "message.timeout.ms": 120_000,
                "reconnect.backoff.max.ms": 1_000,
                "error_cb": lambda e: self.errors.append(str(e)),
                "log_level": 2,  # the kills disconnect every broker: librdkafka would say so at length
            }
        )

    def _delivered(self, error: object, message: object) -> None:
        if error is None:
            self.acked.add(message.value().decode())  # type: ignore[attr-defined]
        else:
            self.failed[str(error.name())] += 1  # type: ignore[attr-defined]

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self._producer.produce(
                    TOPIC, f"{self.prefix}-{self.sent}".encode(), on_delivery=self._delivered
                )
                self.sent += 1
            except BufferError:
                self._producer.poll(0.05)
            self._producer.poll(0)
            if self.sent % 200 == 0:
                time.sleep(0.01)  # a steady stream, not a flood the kills only interrupt
        self._producer.flush(150)


def read_back(bootstrap: str) -> list[str]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-chaos-{time.monotonic_ns()}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "log_level": 2,
        }
    )
    consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(3)])
    values: list[str] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + 120
    while len(at_end) < 3 and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            if message.error().code() == -191:  # KafkaError._PARTITION_EOF
                at_end.add(message.partition())
            continue
        values.append(message.value().decode())
    consumer.close()
    return values


def kill_nine(args: argparse.Namespace) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="kafkatui-bench-chaos-") as tmp:
        data_dir, base = Path(tmp) / "data", free_port_base()
        bootstrap = ",".join(f"127.0.0.1:{base + i}" for i in range(3))
        proc = start_serve(data_dir, base)
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        for future in admin.create_topics(
            [NewTopic(TOPIC, 3, 3, config={"min.insync.replicas": "2"})]
        ).values():
            future.result(30)
        stop = threading.Event()
        producers = [ProducerThread(f"p{n}", bootstrap, stop) for n in range(args.producers)]
        for p in producers:
            p.start()
        downtime = 0.0
        try:
            for _ in range(args.kills):
                time.sleep(rng.uniform(1, 3))
                proc.kill()  # SIGKILL: no shutdown, no checkpoint
                proc.wait()
                gone = time.monotonic()
                proc = start_serve(data_dir, base)
                downtime += time.monotonic() - gone
            time.sleep(2)
            stop.set()
            for p in producers:
                p.join(180)
            values = read_back(bootstrap)
        finally:
            proc.kill()
            proc.wait()
    acked = set().union(*(p.acked for p in producers))
    copies = Counter(values)
    sent = sum(p.sent for p in producers)
    failed: Counter[str] = Counter()
    for p in producers:
        failed.update(p.failed)
    print(
        f"kill -9: kafkatui serve killed {args.kills} times, {args.producers} idempotent acks=all producers"
    )
    print(f"  restarts took {downtime / max(1, args.kills):.2f} s on average (start to `bootstrap servers:`)")
    print(f"  sent {sent}, acknowledged {len(acked)}, failed {sum(failed.values())} {dict(failed) or ''}")
    print(f"  read back (read_committed): {len(values)} records, {len(copies)} distinct")
    print(f"  acknowledged but missing: {len(acked - copies.keys())}")
    print(f"  duplicated: {sum(1 for n in copies.values() if n > 1)}")
    print(f"  not acknowledged but present (ack lost with the process): {len(copies.keys() - acked)}")
    fatal = [e for p in producers for e in p.errors if "FATAL" in e.upper()]
    if fatal:
        print(f"  producer fatal errors: {fatal[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=ChaosConfig.steps)
    parser.add_argument("--faults", default=",".join(sorted(Family)), help="comma-separated fault families")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--producers", type=int, default=2)
    parser.add_argument("--skip-harness", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    if not args.skip_harness:
        harness(args)
    if not args.skip_kill:
        kill_nine(args)


if __name__ == "__main__":
    main()
