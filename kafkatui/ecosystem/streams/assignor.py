"""The Streams task assignor: which instance runs which task (active) and which keeps a
warm copy (standby), in the shape of Kafka's StreamsPartitionAssignor with a simplified
HighAvailabilityTaskAssignor (KIP-441).

Simplification of KIP-441, and why: Kafka assigns actives to "caught-up" clients only
(lag <= acceptable.recovery.lag) and schedules probing rebalances to move tasks once a
warm-up catches up. Here one assignment does: each task goes to the client with the smallest
reported lag (its previous owner reports -1: stickiness) unless that client already holds
its even share (floor or ceil of tasks / clients); otherwise to the least-loaded client. A previous
owner over its share gives up first the tasks another client has state for. There are no
warm-up replicas or probing rebalances: a standby is the warm copy a later move uses.
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


def _task_order(task_id: str) -> tuple[int, int]:
    sub, _, partition = task_id.partition("_")
    return int(sub), int(partition)


def assign_tasks(tasks: list[str], clients: list[ClientState], num_standby_replicas: int = 0) -> Assignment:
    """Actives spread evenly and stickily; standbys on other clients (never two copies of
    one task on one client, as Kafka's assignor guarantees)."""
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
    standby: dict[str, list[str]] = {c: [] for c in ids}
    load = {c: len(active[c]) for c in ids}
    for task in ordered:
        owner = next(c for c in ids if task in active[c])
        others = [c for c in ids if c != owner]
        for _ in range(min(num_standby_replicas, len(others))):
            pick = min(others, key=lambda c: (by_id[c].lag(task), load[c], c))
            standby[pick].append(task)
            load[pick] += 1
            others.remove(pick)
    return Assignment(active, standby)


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
