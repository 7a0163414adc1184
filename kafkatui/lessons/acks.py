"""The acks lesson: crash the partition leader mid-stream and count what survives.

The seed's "ACK 0 / 1 / -1" made measurable. Three brokers, one partition replicated
three times, min.insync.replicas=2, and replication that takes `latency_ms` per fetch.
A producer sends one record per millisecond; at a seeded moment the leader crashes
before its followers have fetched the newest records; an in-sync follower takes over;
the old leader comes back, truncates to the new leader's log and catches up. Then we
read the partition and compare with what the producer was told.

As in Kafka: acks=1 loses records the leader had acknowledged alone; acks=all (with
min.insync.replicas=2) loses none; retries without idempotence may duplicate.
Deterministic for a seed: the cluster runs on a ManualClock and each millisecond is
played only once the cluster has settled.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.events import (
    BrokerFenced,
    BrokerStarted,
    BrokerStopped,
    ControllerElected,
    Event,
    IsrExpanded,
    IsrShrunk,
    LeaderElected,
)
from kafkatui.lessons import Story, close_lesson

TOPIC = "payments"
NARRATED = (
    BrokerStopped,
    BrokerStarted,
    BrokerFenced,
    ControllerElected,
    LeaderElected,
    IsrShrunk,
    IsrExpanded,
)


@dataclass
class AcksReport:
    acks: str
    seed: int
    sent: int
    acked: int
    lost: int
    duplicated: int
    leader_before: int
    leader_after: int
    crashed_at_ms: int
    lost_values: list[str] = field(default_factory=list)
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


async def acks_scenario(
    acks: str,
    seed: int = 1,
    *,
    records: int = 60,
    latency_ms: int = 15,
    narrate: Callable[[str], None] | None = None,
) -> AcksReport:
    rng = random.Random(seed)
    crash_at = rng.randrange(records // 3, 2 * records // 3)
    clock = ManualClock()
    story = Story(narrate, clock, lambda ms: f"t={ms:>4} ms")
    say = story.say

    # Kafka's liveness timers shrunk to the scale of this story (defaults: heartbeat
    # 2000 ms, session 9000 ms, election 1000 ms), so the crash is noticed in time.
    session_timeout_ms = 6 * latency_ms
    broker_configs = {
        "broker.heartbeat.interval.ms": 10,
        "broker.session.timeout.ms": session_timeout_ms,
        "controller.quorum.election.timeout.ms": 2 * latency_ms,
    }
    backend = await EmbeddedBackend.open(brokers=3, clock=clock, seed=seed, broker_configs=broker_configs)
    try:
        await backend.create_topic(TOPIC, 1, 3, configs={"min.insync.replicas": "2"})
        faults = backend.engine_controls(Feature.STOP_BROKER)
        scenario = backend.engine_controls(Feature.SCENARIO)
        network = backend.engine_controls(Feature.NETWORK)
        for a, b in itertools.combinations([b.broker_id for b in backend.brokers()], 2):
            await network.set_latency(a, b, latency_ms)  # every link

        def on_event(event: Event) -> None:
            if isinstance(event, NARRATED):
                fields = {k: v for k, v in asdict(event).items() if k != "timestamp_ms"}
                say(f"{type(event).__name__} {fields}")

        stop_listening = backend.bus.listen(on_event)
        leader_before = backend.describe_topic(TOPIC).partitions[0].leader
        say(f"leader is broker {leader_before}; replication takes {latency_ms} ms per fetch; acks={acks}")
        say(
            f"the controller fences a broker it has not heard from for broker.session.timeout.ms="
            f"{session_timeout_ms} (shortened for this demo; Kafka's default is 9000)"
        )
        producer = backend.producer(ProducerConfig(acks=acks, linger_ms=0, retry_backoff_ms=20))
        futures = []
        restart_at = crash_at + 20 * latency_ms
        for t in range(restart_at + 20 * latency_ms):
            await scenario.settle()  # what the last tick woke up has finished
            if t < records:
                futures.append((f"r{t}", await producer.send(TOPIC, f"r{t}")))
                await scenario.settle()
            if t == crash_at:
                say(f"crashing leader broker {leader_before} (its newest records are not on followers yet)")
                await faults.stop_broker(leader_before, crash=True)
            if t == restart_at:
                say(f"restarting broker {leader_before}: it truncates to the new leader and catches up")
                await faults.start_broker(leader_before)
            await scenario.settle()
            await clock.advance(1)
        # Let retries and replication finish: the clock only moves when we move it.
        for _ in range(60_000):
            if all(f.done() for _, f in futures):
                break
            await scenario.settle()
            await clock.advance(1)
        await scenario.settle()
        acked = [v for v, f in futures if f.done() and f.exception() is None]
        consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", max_poll_records=10_000))
        consumer.assign([(TOPIC, 0)])
        stored = Counter(r.value.decode() for r in await consumer.poll(0) if r.value is not None)
        lost = [v for v in acked if v not in stored]
        leader_after = backend.describe_topic(TOPIC).partitions[0].leader
        report = AcksReport(
            acks, seed, len(futures), len(acked), len(lost),
            sum(n - 1 for n in stored.values() if n > 1),
            leader_before, leader_after, crash_at, lost, story.lines,
        )  # fmt: skip
        say(
            f"sent {report.sent}, acknowledged {report.acked}, lost {report.lost}, "
            f"duplicated {report.duplicated}"
        )
        await producer.close()
        stop_listening()
        return report
    finally:
        await close_lesson(backend)
