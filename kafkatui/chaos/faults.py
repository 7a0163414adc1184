"""Fault injection steps on a running cluster, through the engine's own fault API
(`engine/faults.py`): brokers crashed, stopped and started, the active controller
killed, links cut, slowed and made lossy, produce acknowledgements lost; and healing
all of it at the end of a run. Restarts and database damage replace the cluster, so the
run itself plays those (`run.py`)."""

from __future__ import annotations

import random

from kafkatui.chaos.plan import Fault
from kafkatui.common.errors import KafkaError
from kafkatui.engine.cluster import Cluster

LOSS = 0.3
LATENCIES_MS = (5, 30, 80)


async def inject(cluster: Cluster, fault: Fault, rng: random.Random, topic: str) -> str | None:
    """Inject `fault`; returns what was done, in words, or None if it did not apply (no
    broker to start, no controller to kill). A fault the cluster refuses (a controlled
    shutdown during an election: NOT_CONTROLLER) is reported as refused."""
    brokers = sorted(cluster.brokers)
    running = [b for b in brokers if cluster.brokers[b].running]
    down = [b for b in brokers if not cluster.brokers[b].running]
    a, b = rng.sample(brokers, 2)
    try:
        if fault is Fault.CRASH and running:
            victim = rng.choice(running)
            await cluster.stop_broker(victim, crash=True)
            return f"crash {victim}"
        if fault is Fault.STOP and running:
            victim = rng.choice(running)
            await cluster.stop_broker(victim)
            return f"stop {victim}"
        if fault is Fault.CONTROLLER and cluster.quorum.active != -1:
            victim = cluster.quorum.active
            await cluster.stop_broker(victim, crash=True)
            return f"controller {victim} crash"
        if fault is Fault.START and down:
            back = rng.choice(down)
            await cluster.start_broker(back)
            return f"start {back}"
        if fault is Fault.CUT:
            cluster.cut_link(a, b)
            return f"cut {a}-{b}"
        if fault is Fault.HEAL:
            cluster.heal_link(a, b)
            return f"heal {a}-{b}"
        if fault is Fault.LATENCY:
            ms = rng.choice(LATENCIES_MS)
            cluster.set_latency(ms, a, b)
            return f"latency {a}-{b} {ms}ms"
        if fault is Fault.LOSS:
            cluster.set_loss(a, b, LOSS)
            return f"loss {a}-{b} {LOSS:.0%}"
        if fault is Fault.LOST_ACKS:
            count = rng.randint(1, 3)
            cluster.drop_next_acks(count, topic)
            return f"lost-acks {count}"
    except KafkaError as error:
        return f"{fault.value} refused: {error.name}"
    return None


async def heal(cluster: Cluster) -> None:
    """Every link whole and fast again, every broker running."""
    for a in cluster.brokers:
        for b in cluster.brokers:
            if a < b:
                cluster.heal_link(a, b)
                cluster.set_latency(0, a, b)
    for broker_id, broker in sorted(cluster.brokers.items()):
        if not broker.running:
            await cluster.start_broker(broker_id)
