"""Seeded chaos: random crashes, restarts, graceful stops, cuts, loss and latency while a
producer writes with acks=all to RF=3, min.insync.replicas=2 — then heal everything.

Invariants, for every schedule:
- every acknowledged record is in the log, at the offset it was acknowledged with;
- after healing, all replicas of a partition hold byte-identical logs, the ISR is
  complete and every replica's high watermark is the log end.

Liveness timers are Kafka's scaled down (heartbeat 20 ms, session 120 ms, election 40
ms, replica lag 200 ms) so a schedule plays in a few hundred ms of cluster time.
`KAFKATUI_CHAOS_SCHEDULES` sets how many schedules run (default 200); a failing seed
replays alone with `KAFKATUI_CHAOS_SEED`.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field

from kafkatui.common.clients import ProducerConfig, RecordMetadata
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import KafkaError
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from tests.engine.test_produce_consume import read_all
from tests.engine.test_replication import replica_bytes

TOPIC = "chaos"
PARTITIONS = 2
STEPS = 25
FAST = BrokerDefaults(
    broker_heartbeat_interval_ms=20,
    broker_session_timeout_ms=120,
    controller_quorum_election_timeout_ms=40,
    replica_lag_time_max_ms=200,
    replica_fetch_wait_max_ms=50,
    replica_fetch_backoff_ms=20,
    leader_imbalance_check_interval_ms=500,
)
SCHEDULES = int(os.environ.get("KAFKATUI_CHAOS_SCHEDULES", "200"))
CONCURRENT = 8  # schedules in flight at once; each has its own cluster and clock


@dataclass
class Outcome:
    seed: int
    faults: list[str] = field(default_factory=list)
    acked: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


async def fault(cluster: Cluster, rng: random.Random) -> str | None:
    brokers = sorted(cluster.brokers)
    running = [b for b in brokers if cluster.brokers[b].running]
    down = [b for b in brokers if not cluster.brokers[b].running]
    a, b = rng.sample(brokers, 2)
    kind = rng.choice(["crash", "stop", "start", "start", "cut", "heal", "latency", "loss"])
    try:
        if kind == "crash" and running:
            victim = rng.choice(running)
            await cluster.stop_broker(victim, crash=True)
            return f"crash {victim}"
        if kind == "stop" and running:
            victim = rng.choice(running)
            await cluster.stop_broker(victim)
            return f"stop {victim}"
        if kind == "start" and down:
            back = rng.choice(down)
            await cluster.start_broker(back)
            return f"start {back}"
        if kind == "cut":
            cluster.cut_link(a, b)
            return f"cut {a}-{b}"
        if kind == "heal":
            cluster.heal_link(a, b)
            return f"heal {a}-{b}"
        if kind == "latency":
            ms = rng.choice([0, 5, 30])
            cluster.set_latency(ms, a, b)
            return f"latency {a}-{b} {ms}ms"
        if kind == "loss":
            cluster.set_loss(a, b, 0.3)
            return f"loss {a}-{b}"
    except KafkaError as error:  # e.g. NOT_CONTROLLER during an election: fine, skip
        return f"{kind} refused: {error.name}"
    return None


async def heal(cluster: Cluster) -> None:
    for a in cluster.brokers:
        for b in cluster.brokers:
            if a < b:
                cluster.heal_link(a, b)
                cluster.set_latency(0, a, b)
    for broker_id, broker in sorted(cluster.brokers.items()):
        if not broker.running:
            await cluster.start_broker(broker_id)


def healed(cluster: Cluster, futures: list[asyncio.Future[RecordMetadata]]) -> bool:
    if not all(f.done() for f in futures):
        return False
    for p in cluster.describe_topic(TOPIC).partitions:
        if p.leader == -1 or set(p.isr) != set(p.replicas):
            return False
        states = p.replica_states
        if len(states) != len(p.replicas):
            return False
        if {(s.log_end_offset, s.high_watermark) for s in states} != {(p.log_end_offset, p.log_end_offset)}:
            return False
    return True


async def run_schedule(seed: int) -> Outcome:
    rng = random.Random(seed)
    outcome = Outcome(seed)
    clock = ManualClock()
    cluster = await Cluster.open(None, brokers=3, clock=clock, seed=seed, defaults=FAST)
    try:
        await cluster.create_topic(TOPIC, PARTITIONS, 3, configs={"min.insync.replicas": "2"})
        config = ProducerConfig(
            acks="all", linger_ms=0, retry_backoff_ms=10, delivery_timeout_ms=3_000, request_timeout_ms=1_000
        )
        producer = Producer(cluster, config)
        sent: list[tuple[str, asyncio.Future[RecordMetadata]]] = []
        for step in range(STEPS):
            for i in range(2):
                value = f"s{step}-{i}"
                sent.append((value, await producer.send(TOPIC, value, key=f"k{rng.randrange(6)}")))
            if rng.random() < 0.35 and (done := await fault(cluster, rng)):
                outcome.faults.append(f"t{step}: {done}")
            await cluster.settle()
            await clock.advance(rng.randint(1, 40))
            await cluster.settle()
        await heal(cluster)
        await cluster.advance_until(lambda: healed(cluster, [f for _, f in sent]), limit_ms=60_000)
        await producer.close()
        stored = {(r.partition, r.offset): r.value for r in await read_all(cluster, TOPIC)}
        for value, future in sent:
            if future.exception() is not None:
                outcome.failed += 1
                continue
            outcome.acked += 1
            meta = future.result()
            if stored.get((meta.partition, meta.offset)) != value.encode():
                found = stored.get((meta.partition, meta.offset))
                outcome.problems.append(f"acked {value} at {meta.partition}/{meta.offset}, log has {found!r}")
        for partition in range(PARTITIONS):
            logs = await replica_bytes(cluster, TOPIC, partition)
            if len(set(logs.values())) != 1:
                outcome.problems.append(
                    f"partition {partition}: replicas differ ({ {b: len(v) for b, v in logs.items()} })"
                )
        outcome.problems.extend(f"timer error: {e!r}" for e in cluster.errors)
    except Exception as error:  # a schedule that cannot heal is a failure, with its seed
        outcome.problems.append(f"{type(error).__name__}: {error}")
    finally:
        await cluster.close()
    return outcome


async def test_chaos_schedules_lose_nothing_acknowledged() -> None:
    only = os.environ.get("KAFKATUI_CHAOS_SEED")
    seeds = [int(only)] if only else list(range(SCHEDULES))
    outcomes: list[Outcome] = []
    for start in range(0, len(seeds), CONCURRENT):
        outcomes += await asyncio.gather(*(run_schedule(s) for s in seeds[start : start + CONCURRENT]))
    bad = [o for o in outcomes if o.problems]
    assert not bad, "\n".join(f"seed {o.seed}: {o.problems} after {o.faults}" for o in bad[:5])
    # The schedules did exercise faults and acknowledgements (not an idle run).
    assert sum(len(o.faults) for o in outcomes) >= len(outcomes)
    assert sum(o.acked for o in outcomes) >= len(outcomes) * STEPS
