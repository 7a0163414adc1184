"""The scenario generator: a seed is a plan, the families asked for are the only faults,
and restarts and database damage stay within a run's limits."""

from __future__ import annotations

from collections import Counter

from kafkatui.chaos.disk import Damage
from kafkatui.chaos.plan import (
    ALL_FAMILIES,
    FAULTS,
    MAX_DAMAGE,
    MAX_RESTARTS,
    ChaosConfig,
    Client,
    Family,
    Fault,
    generate,
)


def test_a_seed_is_a_plan() -> None:
    config = ChaosConfig(steps=12)
    assert generate(5, config) == generate(5, config)
    assert len({generate(s, config) for s in range(20)}) == 20


def test_only_the_families_asked_for() -> None:
    config = ChaosConfig(steps=30, families=frozenset({Family.NETWORK, Family.CONTROLLER}))
    allowed = {*FAULTS[Family.NETWORK], *FAULTS[Family.CONTROLLER]}
    seen = {s.fault for seed in range(50) for s in generate(seed, config).steps if s.fault is not None}
    assert seen == allowed
    assert not any(generate(seed, config).needs_disk for seed in range(50))  # in memory, then


def test_restarts_and_damage_are_bounded_and_need_a_data_dir() -> None:
    config = ChaosConfig(steps=40, families=ALL_FAMILIES, fault_chance=0.9)
    damaged_somewhere = False
    for seed in range(50):
        plan = generate(seed, config)
        faults = [s.fault for s in plan.steps]
        damage = sum(isinstance(f, Damage) for f in faults)
        assert damage <= MAX_DAMAGE and damage + faults.count(Fault.RESTART) <= MAX_RESTARTS
        assert plan.needs_disk is (damage + faults.count(Fault.RESTART) > 0)
        damaged_somewhere |= damage > 0
    assert damaged_somewhere


def test_every_run_has_a_producer_whose_acks_must_survive() -> None:
    clients = Counter(c for seed in range(200) for c in generate(seed, ChaosConfig()).clients)
    assert set(clients) == set(Client)
    for seed in range(200):
        assert generate(seed, ChaosConfig()).clients & {Client.ACKS_ALL, Client.IDEMPOTENT}
