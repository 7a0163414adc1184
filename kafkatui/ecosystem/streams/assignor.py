"""The Streams task assignor: which instance runs which task (active) and which keeps a
warm copy (standby), in the shape of Kafka's StreamsPartitionAssignor with a simplified
HighAvailabilityTaskAssignor (KIP-441).

The balanced placement: each task goes to the client with the smallest reported lag
(its previous owner reports -1: stickiness) unless that client already holds its even
share (floor or ceil of tasks / clients); otherwise to the least-loaded client. A
previous owner over its share gives up first the tasks another client has state for.
Then KIP-441's rule (`WarmupPolicy`): an active moves only to a client that is caught up
(lag <= acceptable.recovery.lag); otherwise it stays where it is caught up and a warm-up
replica (a standby the AssignmentInfo lists with the others) restores at its balanced
place, up to max.warmup.replicas, and the leader schedules a probing rebalance
(probing.rebalance.interval.ms) at which the caught-up warm-up takes the task.
Standbys (num.standby.replicas) go to other clients than the active, preferring the ones
with the smallest lag, then the least loaded ones."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafkatui.common.utils import murmur2

# KIP-441: lags a client reports for tasks it has no state for; Kafka uses -1 for a
# task it runs now (caught up by definition) and Long.MAX_VALUE for no state at all.
ACTIVE_LAG = -1
UNKNOWN_LAG = 2**63 - 1


@dataclass
class ClientState:
    """One instance's SubscriptionInfo: its previous tasks and its lags per task."""

    client_id: str
    previous_active: set[str] = field(default_factory=set)
    task_lags: dict[str, int] = field(default_factory=dict)
    application_server: str | None = None  # host:port, application.server

    def lag(self, task_id: str) -> int:
        if task_id in self.previous_active:
            return ACTIVE_LAG
        return self.task_lags.get(task_id, UNKNOWN_LAG)


@dataclass
class Assignment:
    active: dict[str, list[str]]  # client -> tasks
    standby: dict[str, list[str]]
    warmup: dict[str, list[str]] = field(default_factory=dict)  # client -> tasks restoring there

    @property
    def probing_rebalance_needed(self) -> bool:
        """KIP-441: a warm-up is waiting to catch up; a later rebalance may move its task."""
        return any(self.warmup.values())


@dataclass(frozen=True)
class WarmupPolicy:
    """KIP-441's `acceptable.recovery.lag` and `max.warmup.replicas`, with what restoring a
    task from nothing costs (its changelogs' end offsets; 0 for a stateless task): the
    lag of a client that reports no state for it."""

    acceptable_recovery_lag: int
    max_warmup_replicas: int
    scratch_lag: dict[str, int] = field(default_factory=dict)

    def caught_up(self, client: ClientState, task: str) -> bool:
        lag = client.lag(task)
        if lag == UNKNOWN_LAG:
            lag = self.scratch_lag.get(task, UNKNOWN_LAG)
        return lag <= self.acceptable_recovery_lag


def _task_order(task_id: str) -> tuple[int, int]:
    sub, _, partition = task_id.partition("_")
    return int(sub), int(partition)


def assign_tasks(
    tasks: list[str],
    clients: list[ClientState],
    num_standby_replicas: int = 0,
    warmups: WarmupPolicy | None = None,
) -> Assignment:
    """Actives spread evenly and stickily; standbys on other clients (never two copies of
    one task on one client, as Kafka's assignor guarantees). With `warmups` (KIP-441) a
    task whose balanced place is not caught up stays on the most caught-up client, and a
    warm-up replica restores at its balanced place (at most max.warmup.replicas)."""
    if not clients:
        raise ValueError("no clients to assign tasks to")
    ids = sorted(c.client_id for c in clients)
    by_id = {c.client_id: c for c in clients}
    active: dict[str, list[str]] = {c: [] for c in ids}
    ordered = sorted(set(tasks), key=_task_order)
    # Balanced as Kafka's: every client gets floor(tasks / clients), and `extra` of them one more.
    low, extra = divmod(len(ordered), len(ids))

    def has_room(client: str) -> bool:
        held = len(active[client])
        return held < low or (held == low and sum(len(active[c]) > low for c in ids) < extra)

    # 1. Stickiness: each client keeps up to its share of the tasks it ran, keeping first
    #    those nobody else has state for (a task warm elsewhere is the cheap one to move:
    #    an instance restarted on its state directory gets its own tasks back).
    claimed: set[str] = set()

    def elsewhere(task: str, owner: str) -> int:
        return min((by_id[c].lag(task) for c in ids if c != owner), default=UNKNOWN_LAG)

    for client in ids:
        mine = [t for t in ordered if t in by_id[client].previous_active and t not in claimed]
        for task in sorted(mine, key=lambda t: (-elsewhere(t, client), _task_order(t))):
            if not has_room(client):
                break
            active[client].append(task)
            claimed.add(task)
    # 2. The others, least lag first, to the client under its share with the least lag
    #    for it; 3. tasks nobody has state for, to the least-loaded clients. Filling by
    #    share keeps a rebalance to the fewest moves (a joining client takes only the
    #    overflow, not a shifted run of tasks).
    deferred: list[str] = []
    rest = [t for t in ordered if t not in claimed]
    for task in sorted(rest, key=lambda t: (min(by_id[c].lag(t) for c in ids), _task_order(t))):
        under = [c for c in ids if has_room(c)]
        best = min(under, key=lambda c: (by_id[c].lag(task), len(active[c]), c))
        if by_id[best].lag(task) != UNKNOWN_LAG:
            active[best].append(task)
        else:
            deferred.append(task)
    for task in deferred:
        under = [c for c in ids if has_room(c)]
        best = min(under, key=lambda c: (len(active[c]), c))
        active[best].append(task)
    warmup: dict[str, list[str]] = {c: [] for c in ids}
    if warmups is not None:
        _hold_for_warmups(ordered, ids, by_id, active, warmup, warmups)
    standby: dict[str, list[str]] = {c: [] for c in ids}
    load = {c: len(active[c]) + len(warmup[c]) for c in ids}
    for task in ordered:
        owner = next(c for c in ids if task in active[c])
        others = [c for c in ids if c != owner and task not in warmup[c]]
        for _ in range(min(num_standby_replicas, len(others))):
            pick = min(others, key=lambda c: (by_id[c].lag(task), load[c], c))
            standby[pick].append(task)
            load[pick] += 1
            others.remove(pick)
    return Assignment(active, standby, warmup)


def _hold_for_warmups(
    ordered: list[str],
    ids: list[str],
    by_id: dict[str, ClientState],
    active: dict[str, list[str]],
    warmup: dict[str, list[str]],
    policy: WarmupPolicy,
) -> None:
    """KIP-441 (HighAvailabilityTaskAssignor's `assignActiveStatefulTasks` then
    `assignTaskMovements`): the balanced assignment is the goal, but an active task moves
    only to a caught-up client. A task placed on a client that is not caught up goes back
    to the caught-up client with the least lag (its previous owner first) while the
    balanced one gets a warm-up replica, if fewer than max.warmup.replicas are out; when
    no client is caught up, the balanced place stands (all must restore anyway)."""
    used = 0
    for task in ordered:
        target = next(c for c in ids if task in active[c])
        if policy.caught_up(by_id[target], task):
            continue
        ready = [c for c in ids if c != target and policy.caught_up(by_id[c], task)]
        if not ready:
            continue
        keeper = min(ready, key=lambda c: (by_id[c].lag(task), len(active[c]), c))
        active[target].remove(task)
        active[keeper].append(task)
        if used < policy.max_warmup_replicas:
            warmup[target].append(task)
            used += 1


def partitions_by_host(
    assignment: Assignment, clients: list[ClientState], partitions_of: dict[str, list[tuple[str, int]]]
) -> dict[str, set[tuple[str, int]]]:
    """StreamsMetadata: application.server -> the source partitions of its active tasks
    (a task owns the same partition of every source topic of its sub-topology)."""
    hosts: dict[str, set[tuple[str, int]]] = {}
    for client in clients:
        if client.application_server is None:
            continue
        owned = hosts.setdefault(client.application_server, set())
        for task in assignment.active.get(client.client_id, []):
            owned.update(partitions_of.get(task, []))
    return hosts


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """Kafka's DefaultPartitioner for a keyed record: `toPositive(murmur2(key)) % n`, so a
    store key maps to the partition (hence the task) the producer wrote it to."""
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions


def host_for_key(
    hosts: dict[str, set[tuple[str, int]]], topic: str, key: bytes, num_partitions: int
) -> str | None:
    """The application.server hosting `key` of a store fed by `topic` (the lookup under
    KafkaStreams.queryMetadataForKey), or None when no instance reported that partition."""
    partition = partition_for_key(key, num_partitions)
    for host, owned in hosts.items():
        if (topic, partition) in owned:
            return host
    return None
