"""The scenario generator: a seed becomes a plan, a list of steps, each moving the
cluster's ManualClock a little and perhaps injecting one fault.

Which broker a fault hits is chosen when it is injected (from the brokers running
then), with the run's own seeded RNG, so a seed replays the same faults exactly.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable
from dataclasses import dataclass

from kafkatui.chaos.disk import Damage
from kafkatui.chaos.history import ProducerKind


class Family(enum.StrEnum):
    """Groups of faults, as `kafkatui chaos run --faults` names them."""

    CRASH = "crash"  # kill -9 a broker; restart it later
    STOP = "stop"  # a controlled shutdown; restart it later
    NETWORK = "network"  # links cut and healed, slowed, lossy; produce acknowledgements lost
    CONTROLLER = "controller"  # kill -9 the broker that is the active controller
    RESTART = "restart"  # the whole cluster stops cleanly and starts again on its data dir
    DISK = "disk"  # a restart with one broker's database deleted, emptied or damaged between


class Fault(enum.StrEnum):
    CRASH = "crash"
    STOP = "stop"
    START = "start"
    CUT = "cut"
    HEAL = "heal"
    LATENCY = "latency"
    LOSS = "loss"
    LOST_ACKS = "lost-acks"
    CONTROLLER = "controller"
    RESTART = "restart"


FAULTS: dict[Family, tuple[Fault | Damage, ...]] = {
    Family.CRASH: (Fault.CRASH, Fault.START),
    Family.STOP: (Fault.STOP, Fault.START),
    Family.NETWORK: (Fault.CUT, Fault.HEAL, Fault.LATENCY, Fault.LOSS, Fault.LOST_ACKS),
    Family.CONTROLLER: (Fault.CONTROLLER, Fault.START),
    Family.RESTART: (Fault.RESTART,),
    Family.DISK: tuple(Damage),
}
ALL_FAMILIES = frozenset(Family)
# What the engine survives in every run. `disk` too, except where the damaged database
# held a partition's only in-sync replica (`RunResult.only_copy_damaged`) and the ISR had
# not fallen below min.insync.replicas first (the internal topics, at 1): with no
# eligible leader replica (KIP-966) Kafka keeps such a partition offline.
SURVIVED = ALL_FAMILIES - {Family.DISK}

MAX_RESTARTS = 2  # a restart costs a clean stop and a start: keep runs short
MAX_DAMAGE = 1  # one broker's database per run: Kafka keeps every acknowledged record then


@dataclass(frozen=True)
class ChaosConfig:
    """What a run does: how many steps, which faults, how often."""

    steps: int = 16
    families: frozenset[Family] = ALL_FAMILIES
    fault_chance: float = 0.35  # per step
    max_step_ms: int = 40  # each step moves the clock 1..max_step_ms

    @classmethod
    def parse_families(cls, names: Iterable[str]) -> frozenset[Family]:
        return frozenset(Family(name.strip()) for name in names if name.strip())


@dataclass(frozen=True)
class Step:
    advance_ms: int
    fault: Fault | Damage | None


class Client(enum.StrEnum):
    """The clients a run may have: a producer of each kind, and a consumer group (two
    read_committed members committing what they read, and an observer of its offsets)."""

    ACKS_0 = ProducerKind.ACKS_0.value
    ACKS_1 = ProducerKind.ACKS_1.value
    ACKS_ALL = ProducerKind.ACKS_ALL.value
    IDEMPOTENT = ProducerKind.IDEMPOTENT.value
    TRANSACTIONAL = ProducerKind.TRANSACTIONAL.value
    GROUP = "group"


@dataclass(frozen=True)
class Plan:
    seed: int
    steps: tuple[Step, ...]
    clients: frozenset[Client]

    @property
    def needs_disk(self) -> bool:
        """Restarts and damage need a real data dir; other runs stay in memory."""
        return any(s.fault is Fault.RESTART or isinstance(s.fault, Damage) for s in self.steps)


def generate(seed: int, config: ChaosConfig) -> Plan:
    rng = random.Random(f"{seed}/plan")
    families = sorted(config.families)
    steps = []
    restarts = damaged = 0
    for _ in range(config.steps):
        fault: Fault | Damage | None = None
        if families and rng.random() < config.fault_chance:
            fault = rng.choice(FAULTS[rng.choice(families)])
            damaging = isinstance(fault, Damage)
            if damaging or fault is Fault.RESTART:
                if restarts == MAX_RESTARTS or (damaging and damaged == MAX_DAMAGE):
                    fault = None
                else:
                    restarts += 1
                    damaged += damaging
        steps.append(Step(rng.randint(1, config.max_step_ms), fault))
    # Each run has some of the clients (each one costs time a step): always a producer
    # whose acknowledgements must survive, about half of the others.
    clients = {rng.choice((Client.ACKS_ALL, Client.IDEMPOTENT))}
    clients |= {c for c in Client if rng.random() < 0.5}
    return Plan(seed, tuple(steps), frozenset(clients))
