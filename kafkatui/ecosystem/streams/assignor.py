"""The Streams task assignor: which instance runs which task (active) and which keeps a
warm copy (standby), in the shape of Kafka's StreamsPartitionAssignor with a simplified
HighAvailabilityTaskAssignor (KIP-441).

Simplification of KIP-441, and why: Kafka assigns actives to "caught-up" clients only
(lag <= acceptable.recovery.lag) and schedules probing rebalances to move tasks once a
warm-up catches up. Here one assignment does: each task goes to the client with the smallest
reported lag (its previous owner reports -1: stickiness) unless that client already holds
its even share (ceil(tasks / clients)); otherwise to the least-loaded client. There are no
warm-up replicas or probing rebalances: a standby is the warm copy a later move uses.
Standbys (num.standby.replicas) go to other clients than the active, preferring the ones
with the smallest lag, then the least loaded ones."""

from __future__ import annotations

import math
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
    share = math.ceil(len(ordered) / len(ids))
    # First pass: tasks whose state some client has (caught-up first) go to that client
    # while it is under its share; second pass: the rest to the least-loaded client.
    # Two passes keep a rebalance to the fewest moves (a joining client takes only the
    # overflow, not a shifted run of tasks).
    deferred: list[str] = []
    warm = sorted(ordered, key=lambda t: (min(by_id[c].lag(t) for c in ids), _task_order(t)))
    for task in warm:
        best = min(ids, key=lambda c: (by_id[c].lag(task), len(active[c]), c))
        if by_id[best].lag(task) != UNKNOWN_LAG and len(active[best]) < share:
            active[best].append(task)
        else:
            deferred.append(task)
    for task in sorted(deferred, key=_task_order):
        under = [c for c in ids if len(active[c]) < share]
        best = min(under, key=lambda c: (by_id[c].lag(task), len(active[c]), c))
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
