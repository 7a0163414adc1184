"""The rebalance lesson: three consumers share six partitions; one crashes, one joins.

The seed's "Consumer group" and "Consumer rebalances" made visible. Each generation of
the group is one assignment: who reads which partitions. A crashed member is noticed
only after `session.timeout.ms` without heartbeats; a new member triggers a rebalance
at once. The assignor decides how much moves: range and roundrobin recompute from
scratch, sticky keeps what it can. Deterministic (ManualClock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import ConsumerClient, Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.lessons import Story, close_lesson

TOPIC = "orders"
GROUP = "shipping"
PARTITIONS = 6
SESSION_TIMEOUT_MS = 10_000


@dataclass
class Generation:
    generation: int
    why: str
    members: dict[str, list[int]]
    moved: list[int]  # partitions whose reader changed since the previous generation
    at_ms: int


@dataclass
class RebalanceReport:
    assignor: str
    generations: list[Generation] = field(default_factory=list)
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


async def rebalance_scenario(
    assignor: str = "range", *, narrate: Callable[[str], None] | None = None
) -> RebalanceReport:
    clock = ManualClock()
    start = clock.now_ms()
    report = RebalanceReport(assignor)
    say = Story(narrate, clock, lambda ms: f"t={ms / 1000:>5.1f} s", report.story).say

    backend = await EmbeddedBackend.open(brokers=3, clock=clock, seed=1)
    scenario = backend.engine_controls(Feature.SCENARIO)
    consumers: dict[str, ConsumerClient] = {}
    try:
        await backend.create_topic(TOPIC, PARTITIONS, 3)

        def join(name: str) -> ConsumerClient:
            config = ConsumerConfig(
                group_id=GROUP, client_id=name, auto_offset_reset="earliest",
                partition_assignment_strategy=(assignor,), session_timeout_ms=SESSION_TIMEOUT_MS,
            )  # fmt: skip
            consumer = backend.consumer(config)
            consumer.subscribe([TOPIC])
            consumers[name] = consumer
            return consumer

        async def settle_group(why: str) -> None:
            """Every consumer keeps polling (as an application's loop does) until the group
            is Stable, nobody needs to rejoin and every poll has returned."""
            polling: dict[str, asyncio.Future[object]] = {}
            try:
                for _ in range(2_000):
                    for name, consumer in consumers.items():
                        if name in polling and polling[name].done():
                            polling.pop(name).result()
                        if name not in polling:
                            polling[name] = asyncio.ensure_future(consumer.poll(0))
                    await scenario.settle()
                    await clock.advance(250)
                    await scenario.settle()
                    desc = await backend.describe_group(GROUP)
                    if (
                        desc.state == "Stable"
                        and all(p.done() for p in polling.values())
                        and not any(scenario.rejoin_needed(c) for c in consumers.values())
                    ):
                        break
            except BaseException:  # stopped (a closed stdout): no poll outlives the cluster
                for future in polling.values():
                    future.cancel()
                await asyncio.gather(*polling.values(), return_exceptions=True)
                raise
            for future in polling.values():
                future.result()
            members = {n: sorted(p for _, p in c.assignment()) for n, c in sorted(consumers.items())}
            owner_before = {
                p: n
                for n, ps in (report.generations[-1].members if report.generations else {}).items()
                for p in ps
            }
            moved = sorted(p for n, ps in members.items() for p in ps if owner_before.get(p) not in (None, n))
            generation = desc.generation_id
            report.generations.append(Generation(generation, why, members, moved, clock.now_ms() - start))
            say(
                f"generation {generation} ({why}): "
                + "; ".join(f"{n} reads {ps}" for n, ps in members.items())
            )
            if report.generations[:-1]:
                say(f"  partitions that changed reader: {moved or 'none'}")

        say(f"three consumers join group {GROUP} on {TOPIC} ({PARTITIONS} partitions), assignor {assignor}")
        for name in ("c1", "c2", "c3"):
            join(name)
        await settle_group("three members joined")

        await backend.engine_controls(Feature.CRASH_CONSUMER).crash_consumer_client(consumers.pop("c2"))
        say(f"c2 crashes: no LeaveGroup; the coordinator waits session.timeout.ms={SESSION_TIMEOUT_MS}")
        await scenario.advance_until(
            lambda: any(scenario.rejoin_needed(c) for c in consumers.values()), limit_ms=60_000
        )
        say("the coordinator dropped c2; the others learn it from their heartbeats (REBALANCE_IN_PROGRESS)")
        await settle_group("c2's session expired")

        say("c4 joins: a new member triggers a rebalance at once")
        join("c4")
        await settle_group("c4 joined")
        for consumer in consumers.values():
            await consumer.close()
        return report
    finally:
        await close_lesson(backend)
