"""One chaos run: play a seed's plan against a fresh three-broker cluster on a
ManualClock, heal it, read back what it holds and check Kafka's promises.

The topic has 3 partitions replicated 3 times with `min.insync.replicas=2`; the
brokers' timers are Kafka's scaled down (heartbeat 20 ms, session 120 ms, election 40
ms, replica lag 200 ms) and the internal topics have one partition each, so a run of a
few hundred ms of cluster time exercises elections, ISR changes, coordinator moves and
transaction timeouts. The clock moves only when the run moves it, and SQLite answers
in call order (`determinism.py`), so the same seed gives the same faults and the same
outcome.

Healing: every broker started, every link whole, every offline log dir repaired as an
operator would (a new disk, a restart: `Cluster.repair_broker`), the clients finish
(producers flush, transactions end, members leave), then the clock runs until each partition has a
full ISR with replicas at the high watermark and no open transaction holds the last
stable offset back; then everything is read back from the beginning.

A restart (clean stop, then a start on the same data dir) needs a real data dir: runs
whose plan has one play in a temporary directory (on tmpfs when there is one), the
others in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafkatui.chaos.checkers import Violation, check
from kafkatui.chaos.determinism import inline_sqlite
from kafkatui.chaos.disk import Damage, damage
from kafkatui.chaos.faults import heal, inject
from kafkatui.chaos.history import DURABLE_KINDS, History, Outcome, ProducerKind
from kafkatui.chaos.plan import ChaosConfig, Client, Fault, Plan, generate
from kafkatui.chaos.readback import ScanForTimedOutTransactions, healed, read_back
from kafkatui.chaos.workload import PARTITIONS, TOPIC, Fleet, observe_offsets
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

BROKERS = 3
FAST = BrokerDefaults(
    broker_heartbeat_interval_ms=20,
    broker_session_timeout_ms=120,
    controller_quorum_election_timeout_ms=40,
    replica_lag_time_max_ms=200,
    replica_fetch_wait_max_ms=50,
    replica_fetch_backoff_ms=20,
    leader_imbalance_check_interval_ms=500,
    group_initial_rebalance_delay_ms=0,
    offsets_topic_num_partitions=1,
    transaction_state_log_num_partitions=1,
)
# Real files, but in memory where the OS offers it (tmpfs): the disk's speed is not
# what a run is about, and fsyncs would make restarts the slowest part of a run.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
# A stopping process waits this long for its clients (a producer's flush, an EndTxn
# whose markers cannot be written while partitions lack in-sync replicas) and then goes
# anyway, as a killed one would: what they had in flight is unknown.
RESTART_STOP_MS = 2_000
STOP_LIMIT_MS = 10_000  # after healing, clients finish within their delivery.timeout.ms
HEAL_LIMIT_MS = 30_000  # to a full ISR everywhere, with elections and catch-up
STEP_MS = 10  # how far the clock moves between checks while waiting for a condition


@dataclass(frozen=True)
class InjectedFault:
    at_ms: int  # cluster time since the run began
    kind: str  # the plan's fault (crash, cut, db-delete...), or "<kind> refused"
    what: str  # in words, with the brokers it hit

    def __str__(self) -> str:
        return f"t+{self.at_ms}ms {self.what}"

    def to_json(self) -> dict[str, Any]:
        return {"at_ms": self.at_ms, "kind": self.kind, "what": self.what}


@dataclass
class RunResult:
    """What a run did and which promises it broke."""

    seed: int
    clients: list[str] = field(default_factory=list)  # the plan's producers and group
    faults: list[InjectedFault] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    acked: int = 0  # acknowledged with acks=all, plus the records of committed transactions
    counts: dict[str, int] = field(default_factory=dict)
    cluster_ms: int = 0
    repairs: list[str] = field(default_factory=list)  # offline log dirs rebuilt while healing
    # Partitions whose only in-sync replica was on the database the run damaged: a second
    # fault, survived only where an eligible leader replica (KIP-966) has every committed
    # record; else the partition stays offline, as in Kafka.
    only_copy_damaged: list[str] = field(default_factory=list)
    history: History = field(default_factory=History, repr=False)  # what the checkers read

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "clients": self.clients,
            "faults": [f.to_json() for f in self.faults],
            "acked": self.acked,
            "violations": [v.to_json() for v in self.violations],
            "counts": self.counts,
            "cluster_ms": self.cluster_ms,
            "repairs": self.repairs,
            "only_copy_damaged": self.only_copy_damaged,
        }


async def run_seed(seed: int, config: ChaosConfig | None = None) -> RunResult:
    """Play seed `seed`'s plan and check the promises; never raises for what the cluster
    does (that is a violation), only for the harness's own bugs."""
    plan = generate(seed, config or ChaosConfig())
    data_dir = (
        Path(tempfile.mkdtemp(prefix=f"kafkatui-chaos-{seed}-", dir=SCRATCH)) if plan.needs_disk else None
    )
    try:
        with inline_sqlite():
            return await _Run(plan, data_dir).play()
    finally:
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


class _Run:
    def __init__(self, plan: Plan, data_dir: Path | None) -> None:
        self.plan = plan
        self.data_dir = data_dir
        self.clock = ManualClock()
        self.rng = random.Random(f"{plan.seed}/faults")
        self.result = RunResult(plan.seed, sorted(c.value for c in plan.clients))
        self.history = self.result.history
        self.cluster: Cluster | None = None
        self.fleet: Fleet | None = None
        self.incarnation = 0

    def _say(self, kind: str, what: str) -> None:
        self.result.faults.append(InjectedFault(self.clock.now_ms() - self._start, kind, what))

    async def play(self) -> RunResult:
        self._start = self.clock.now_ms()
        try:
            if await self._open():
                cluster = self._cluster()
                await cluster.create_topic(TOPIC, PARTITIONS, BROKERS, configs={"min.insync.replicas": "2"})
                self._start_fleet()
                if await self._steps():
                    await self._finish()
        except Exception as error:  # the engine failed a call a run makes: a finding, checked
            self.history.unexpected("the run", error)
        finally:
            if self.fleet is not None:
                self.fleet.cancel()
            if self.cluster is not None:
                try:
                    await self.cluster.close()
                except Exception as error:
                    self.history.unexpected("close", error)
        self._scrub_data_dir()
        self.result.violations = check(self.history)
        self.result.cluster_ms = self.clock.now_ms() - self._start
        self._count()
        return self.result

    def _scrub_data_dir(self) -> None:
        """The temporary data dir's name is random: out of every text a run kept, so the
        same seed gives the same result."""
        if self.data_dir is None:
            return
        here = str(self.data_dir)
        h, r = self.history, self.result

        def scrub(text: str) -> str:
            return text.replace(here, "<data dir>")

        h.errors, h.unavailable = [scrub(e) for e in h.errors], [scrub(e) for e in h.unavailable]
        h.not_healed = scrub(h.not_healed) if h.not_healed is not None else None
        r.repairs = [scrub(x) for x in r.repairs]
        r.faults = [InjectedFault(f.at_ms, f.kind, scrub(f.what)) for f in r.faults]

    def _cluster(self) -> Cluster:
        assert self.cluster is not None
        return self.cluster

    async def _open(self) -> bool:
        try:
            self.cluster = await Cluster.open(
                self.data_dir, brokers=BROKERS, clock=self.clock, seed=self.plan.seed, defaults=FAST
            )
        except Exception as error:  # a data dir the engine refuses: the run ends here
            if isinstance(error, KafkaError):
                said = f"{error.name}: {error.message}"
            else:
                said = f"{type(error).__name__}: {error}"
            self.history.unavailable.append(f"the cluster did not start: {said}")
            return False
        return True

    def _start_fleet(self) -> None:
        # A restarted process's transactional producer comes back under the same id half
        # the time (InitProducerId fences and aborts what it left open); otherwise only
        # the coordinator's timeout can end a transaction it left open.
        same_id = self.incarnation == 0 or self.rng.random() < 0.5
        txn_id = "txn" if same_id else f"txn-{self.incarnation}"
        self.fleet = Fleet(
            self._cluster(), self.history, self.plan.seed, self.incarnation, txn_id, self.plan.clients
        )
        self.fleet.start()

    async def _steps(self) -> bool:
        for step in self.plan.steps:
            if isinstance(step.fault, Damage) or step.fault is Fault.RESTART:
                if not await self._restart(step.fault if isinstance(step.fault, Damage) else None):
                    return False
            elif step.fault is not None and (
                done := await inject(self._cluster(), step.fault, self.rng, TOPIC)
            ):
                self._say(step.fault.value + (" refused" if "refused" in done else ""), done)
            await self.clock.advance(step.advance_ms)
        return True

    async def _wait(self, check: Callable[[], bool], limit_ms: int, what: str) -> None:
        """Move the clock until `check()` holds; TimeoutError after `limit_ms`."""
        waited = 0
        while not check():
            if waited >= limit_ms:
                raise TimeoutError(f"{what} not reached within {limit_ms} ms of cluster time")
            await self.clock.advance(STEP_MS)
            waited += STEP_MS

    async def _stop_fleet(self, *, abandon: bool, limit_ms: int) -> list[str]:
        """Ask the clients to finish and wait up to `limit_ms`; the ones still busy then
        are cancelled and returned (what they had in flight stays unknown)."""
        fleet = self.fleet
        assert fleet is not None
        fleet.stop(abandon=abandon)
        busy: list[str] = []
        with contextlib.suppress(TimeoutError):
            await self._wait(fleet.done, limit_ms, "clients stopped")
        if not fleet.done():
            busy = fleet.busy()
            fleet.cancel()
            await self.clock.advance(0)  # let the cancellations land
        self.fleet = None
        return busy

    async def _restart(self, harm: Damage | None) -> bool:
        """A clean stop of the whole process (clients first, given RESTART_STOP_MS),
        perhaps damage to one broker's database, then a start on the same data dir."""
        assert self.data_dir is not None
        abandon = self.rng.random() < 0.5
        victim = self.rng.randint(1, BROKERS)
        killed = await self._stop_fleet(abandon=abandon, limit_ms=RESTART_STOP_MS)
        alone = sorted(
            f"{t.name}-{p.partition}"
            for t in self._cluster().metadata.topics.values()
            for p in t.partitions
            if list(p.isr) == [victim]
        )
        await self._cluster().close()
        self.cluster = None
        what = "restart" + (" (a transaction left open)" if abandon else "")
        if killed:
            what += f" (stopped while busy: {', '.join(killed)})"
        if harm is not None:
            what += f", {damage(self.data_dir, victim, harm, self.rng)}"
            if alone:
                what += f" (the only in-sync replica of {', '.join(alone)})"
                self.result.only_copy_damaged = alone
        self._say(harm.value if harm is not None else Fault.RESTART.value, what)
        if not await self._open():
            return False
        self.incarnation += 1
        self._start_fleet()
        return True

    async def _finish(self) -> None:
        """Heal, let the clients finish, wait for the cluster to converge, read it back."""
        cluster = self._cluster()
        await heal(cluster)
        offline = await self._repair_offline_log_dirs(cluster)
        problems = []  # what kept the healed cluster from converging
        if busy := await self._stop_fleet(abandon=False, limit_ms=STOP_LIMIT_MS):
            # e.g. an EndTxn whose markers cannot be written to an offline partition
            problems.append(f"clients still busy {STOP_LIMIT_MS} ms after healing: {', '.join(busy)}")
        try:
            if offline:  # no waiting will bring those partitions back
                raise TimeoutError("; ".join(offline))
            await self._wait(lambda: self._healed(lso=False), HEAL_LIMIT_MS, "a full ISR everywhere")
            scans = ScanForTimedOutTransactions(cluster)
            await self._wait(lambda: scans.step(self.clock.now_ms()) and self._healed(lso=True),
                             HEAL_LIMIT_MS, "no open transaction")  # fmt: skip
        except TimeoutError as error:
            problems.append(f"did not converge after healing: {error}")
        if problems:
            self.history.not_healed = "; ".join(problems)
        for _ in range(50 if Client.GROUP in self.plan.clients else 0):  # its coordinator may be moving
            if await observe_offsets(cluster, self.history):
                break
            await self.clock.advance(STEP_MS)
        try:
            self.history.readback = await read_back(cluster)
        except KafkaError as error:
            self.history.unavailable.append(f"reading the healed cluster: {error.name}: {error.message}")
        except Exception as error:  # not a Kafka error: what a damaged database does today
            self.history.unexpected("reading the healed cluster", error)
        self.history.errors.extend(f"engine timer: {e!r}" for e in cluster.errors)

    async def _repair_offline_log_dirs(self, cluster: Cluster) -> list[str]:
        """What an operator does about a log dir that went offline (KIP-112): replace the
        disk and restart the broker (`Cluster.repair_broker`: a new incarnation that
        refetches every replica). Refused where that broker holds a partition's only
        in-sync copy: then the partition stays offline, as Kafka keeps it. Returns what
        was refused."""
        refused = []
        for broker_id, broker in sorted(cluster.brokers.items()):
            failure = broker.log_dir_offline
            if failure is None:
                continue
            with contextlib.suppress(TimeoutError):  # the quorum may be electing a controller
                await self._wait(lambda: cluster.quorum.active != -1, HEAL_LIMIT_MS, "a controller")
            repair = asyncio.ensure_future(cluster.repair_broker(broker_id))
            try:
                await self._wait(repair.done, HEAL_LIMIT_MS, f"broker {broker_id} repaired")
            except TimeoutError:
                repair.cancel()
            error = None if repair.cancelled() else repair.exception()
            if isinstance(error, KafkaError):
                refused.append(f"broker {broker_id} not repaired: {error.name}: {error.message}")
                self.result.repairs.append(refused[-1])
            elif error is not None:
                self.history.unexpected(f"repairing broker {broker_id}", error)
            elif not repair.cancelled():
                self.result.repairs.append(f"broker {broker_id} repaired ({failure.reason})")
        return refused

    def _healed(self, *, lso: bool) -> bool:
        return (self.fleet is None or self.fleet.done()) and healed(self._cluster(), lso=lso)

    def _count(self) -> None:
        h = self.history
        kinds = Counter(d.kind for d in h.deliveries if d.acked)
        counts = {f"sent {k.value}": n for k, n in sorted(Counter(d.kind for d in h.deliveries).items())}
        counts |= {f"acked {k.value}": kinds[k] for k in ProducerKind if k in kinds}
        outcomes = Counter(t.outcome for t in h.transactions)
        counts |= {f"transactions {o.value}": outcomes[o] for o in Outcome if o in outcomes}
        counts["commits"] = len(h.commits)
        if h.readback is not None:
            stored = {(r.partition, r.offset): r.value for r in h.readback.records}
            acks1 = [d for d in h.deliveries if d.acked and d.kind is ProducerKind.ACKS_1]
            # Allowed by Kafka: acks=1 loses what only the old leader had (counted, not checked).
            counts["acks=1 lost"] = sum(1 for d in acks1 if stored.get((d.partition, d.offset)) != d.value)
            copies = Counter(r.value for r in h.readback.records)
            # Allowed too: a plain acks=all producer's retry after a lost ack is a second copy.
            counts["acks=all duplicates"] = sum(
                1 for d in h.deliveries if d.kind is ProducerKind.ACKS_ALL and copies[d.value] > 1
            )
        counts |= {f"error {name}": n for name, n in sorted(h.client_errors.items())}
        self.result.counts = counts
        committed = sum(len(t.records) for t in h.transactions if t.outcome is Outcome.COMMITTED)
        self.result.acked = committed + sum(kinds[k] for k in DURABLE_KINDS)
