"""The fast slice of the chaos harness (`kafkatui.chaos`; the long run is bench/chaos.py).

Seeded runs of broker crashes, controlled shutdowns, the active controller killed,
links cut, slowed and lossy, produce acknowledgements lost and whole-cluster restarts
on a data dir, under producers with acks 0, 1 and all, idempotent and transactional,
and a consumer group committing as it reads; each run heals the cluster and checks
Kafka's promises (`kafkatui/chaos/checkers.py`). Then runs that also damage a broker's
database between a clean stop and a restart (issue 17's table): nothing acknowledged
may be lost while another replica was in sync (`SURVIVED` leaves `disk` out for the
other case, a partition's only in-sync copy damaged: see kafkatui/chaos/plan.py).

`KAFKATUI_CHAOS_RUNS` sets how many runs (default 200, and 75 with damage); a failing
seed replays alone with `KAFKATUI_CHAOS_SEED` (or the `kafkatui chaos run` command the
failure prints).
"""

from __future__ import annotations

import os
from collections import Counter

from kafkatui.chaos.checkers import Promise, check
from kafkatui.chaos.disk import Damage
from kafkatui.chaos.history import ProducerKind, StoredRecord
from kafkatui.chaos.plan import SURVIVED, ChaosConfig, Client, Family, Plan, generate
from kafkatui.chaos.run import RunResult, run_seed
from kafkatui.chaos.runner import ChaosReport, run_seeds

RUNS = int(os.environ.get("KAFKATUI_CHAOS_RUNS", "200"))
CONFIG = ChaosConfig(steps=8, families=SURVIVED)
DAMAGE_RUNS = max(1, RUNS * 3 // 8)
# Damage, with crashes and shutdowns so that ISRs shrink before it.
DAMAGE = ChaosConfig(steps=8, families=frozenset({Family.DISK, Family.CRASH, Family.STOP}), fault_chance=0.5)


def _explain(report: ChaosReport, results: list[RunResult]) -> str:
    return "\n".join(
        f"seed {r.seed}: {[f'{v.promise}: {v.detail}' for v in r.violations]} after "
        f"{[str(f) for f in r.faults]}\n  replay: {report.replay_command(r.seed)}"
        for r in results[:5]
    )


async def test_chaos_runs_keep_every_promise() -> None:
    only = os.environ.get("KAFKATUI_CHAOS_SEED")
    report = await run_seeds([int(only)] if only else range(RUNS), CONFIG)
    assert not report.failed, _explain(report, report.failed)
    if only or RUNS < 100:  # too few runs to meet every fault and client
        return
    # Not an idle run: every kind of fault was injected, records and transactions of
    # every kind were acknowledged, and the group committed.
    kinds = Counter(f.kind for r in report.results for f in r.faults)
    assert {"crash", "stop", "start", "controller", "restart", "cut", "latency", "loss", "lost-acks"} <= set(
        kinds
    )
    counts: Counter[str] = Counter()
    for r in report.results:
        counts.update(r.counts)
    for kind in ProducerKind:
        if kind is not ProducerKind.TRANSACTIONAL:
            assert counts[f"acked {kind.value}"] > RUNS, kind
    assert counts["transactions committed"] > RUNS // 2
    assert counts["transactions aborted"] > 0 and counts["transactions abandoned"] > 0
    assert counts["commits"] > RUNS
    assert sum(r.acked for r in report.results) >= RUNS * 10


async def test_a_damaged_database_loses_nothing_another_replica_has() -> None:
    """Deleted, emptied, halved, header zeroed, scribbled over: the broker rejoins as a new
    incarnation or its log dir goes offline and is repaired, and every promise holds —
    unless the damage took a partition's only in-sync copy (counted, not asserted)."""
    only = os.environ.get("KAFKATUI_CHAOS_SEED")
    report = await run_seeds([int(only)] if only else range(DAMAGE_RUNS), DAMAGE)
    broken = [r for r in report.failed if not r.only_copy_damaged]
    assert not broken, _explain(report, broken)
    if only or RUNS < 100:
        return
    damaged = Counter(f.kind for r in report.results for f in r.faults if f.kind.startswith("db-"))
    assert set(damaged) == {d.value for d in Damage}, damaged
    assert sum(1 for r in report.results if r.repairs) > 0  # offline log dirs were met and repaired


def _seed_with(*, disk: bool) -> int:
    """The first seed whose plan has every client and a few faults, one of them a
    restart on a data dir (or none)."""

    def fits(plan: Plan) -> bool:
        faults = sum(1 for step in plan.steps if step.fault is not None)
        return plan.needs_disk is disk and plan.clients == frozenset(Client) and faults >= 3

    return next(s for s in range(1_000) if fits(generate(s, CONFIG)))


async def test_a_seed_replays_exactly() -> None:
    """Same seed, same faults at the same cluster times, same counts, same log."""
    for seed in (_seed_with(disk=False), _seed_with(disk=True)):
        first, again = await run_seed(seed, CONFIG), await run_seed(seed, CONFIG)
        assert first.faults, seed
        assert first.to_json() == again.to_json()
        assert first.history.readback == again.history.readback
        assert first.history.commits == again.history.commits


async def test_a_run_does_not_depend_on_the_runs_before_it() -> None:
    seed = _seed_with(disk=False)
    alone = await run_seed(seed, CONFIG)
    after_others = (await run_seeds([seed + 1, seed - 1, seed], CONFIG)).results[-1]
    assert after_others.to_json() == alone.to_json()


async def test_the_checkers_read_what_a_real_run_holds() -> None:
    """A record taken out of a real run's log, or copied in it, is found."""
    seed = _seed_with(disk=False)
    result = await run_seed(seed, CONFIG)
    history, readback = result.history, result.history.readback
    assert readback is not None and check(history) == []
    durable = next(d for d in history.deliveries if d.acked and d.kind is ProducerKind.IDEMPOTENT)
    kept = list(readback.records)
    readback.records = [r for r in kept if (r.partition, r.offset) != (durable.partition, durable.offset)]
    assert {v.promise for v in check(history)} == {Promise.ACKED_DURABLE}
    readback.records = [*kept, StoredRecord(durable.partition, 10_000, durable.value)]
    assert {v.promise for v in check(history)} == {Promise.NO_DUPLICATES}
