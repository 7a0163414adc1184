"""Consumer partition assignors, as the group leader runs them (`org.apache.kafka.clients.consumer`).

- `range` (`RangeAssignor`): per topic, members sorted (static members by `group.instance.id`
  first, then dynamic ones by member id, `AbstractPartitionAssignor.MemberInfo`) get contiguous
  ranges; the first `partitions % members` get one extra.
- `roundrobin` (`RoundRobinAssignor`): every subscribed partition in (topic, partition) order
  dealt to the sorted members in turn, skipping members not subscribed to its topic.
- `sticky` (`StickyAssignor`, KIP-54) and `cooperative-sticky` (`CooperativeStickyAssignor`,
  KIP-429): `AbstractStickyAssignor` — balanced, keeping as many previous owners as possible.
  With equal subscriptions the "constrained" builder runs, otherwise the "general" one.
  `cooperative-sticky` then withholds partitions still owned by another member (KIP-429).

The output is Kafka's for the same input, including where Kafka's depends on `HashMap`
iteration order: `subscriptions` is taken in JoinGroup order, as `ConsumerCoordinator` puts it
into its `HashMap`, and that order is reproduced (`_java_hash_order`). Racks (KIP-881) are not
modelled. Where this differs from Kafka on purpose (inputs Kafka mishandles):

- a member's `generation` below 0 means "none", as in `Subscription`; claims of partitions that
  no longer exist, and duplicate claims, are dropped first;
- subscriptions count as equal only when every member's topic set is the same (Kafka's check
  lets members with an empty subscription through when they come first, then gives them
  partitions of topics they did not subscribe to);
- the general builder moves a partition back to its previous-generation owner only if that
  owner still subscribes to its topic (Kafka would assign it to a non-subscriber);
- `maxGeneration` is the highest generation in this call (Kafka's assignor object keeps the
  highest seen across all the rebalances it led).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.partition_assignor import (
    DEFAULT_GENERATION,
    Assignment,
    Subscription,
    TopicPartition,
)
from kafkatui.engine.clients.sticky_assignor import sticky_assignment

ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")


class RebalanceProtocol(enum.StrEnum):
    """`ConsumerPartitionAssignor.RebalanceProtocol` (KIP-429)."""

    EAGER = "EAGER"  # every member revokes everything before rejoining
    COOPERATIVE = "COOPERATIVE"  # members keep what they own; moves take two rebalances


@dataclass(frozen=True)
class CooperativeStep:
    """One cooperative rebalance (KIP-429): what each member gets now, and what it must give up.

    A partition moving between members is absent from `assignment` until its owner has revoked
    it; members with something in `revoked` rejoin, and that follow-up rebalance hands it over.
    """

    assignment: Assignment
    revoked: Assignment

    @property
    def needs_follow_up(self) -> bool:
        return any(self.revoked.values())


def protocol_type(name: str) -> RebalanceProtocol:
    """The protocol a group gets when all its members use assignor `name`.

    Kafka picks the highest protocol all assignors support: only `CooperativeStickyAssignor`
    lists COOPERATIVE (before EAGER).
    """
    _check_name(name)
    return RebalanceProtocol.COOPERATIVE if name == "cooperative-sticky" else RebalanceProtocol.EAGER


def assign(
    name: str, partitions_per_topic: Mapping[str, int], subscriptions: Sequence[Subscription]
) -> Assignment:
    """Run assignor `name` as the group leader does; every member maps to its sorted partitions.

    `partitions_per_topic` is the leader's metadata: subscribed topics missing from it (or with
    no partitions) are skipped, like `AbstractPartitionAssignor.assign(Cluster, ...)`.
    """
    _check_name(name)
    members = _normalize(subscriptions, partitions_per_topic)
    subscribed = {t for s in members for t in s.topics}
    counts = {t: n for t, n in partitions_per_topic.items() if n > 0 and t in subscribed}
    if name == "range":
        result = _range(counts, members)
    elif name == "roundrobin":
        result = _round_robin(counts, members)
    else:
        result, transferring = sticky_assignment(counts, members)
        if name == "cooperative-sticky":
            if transferring is None:  # the general builder leaves it to the cooperative assignor
                transferring = _transferring(result, {s.member_id: s.owned for s in members})
            for tp, member in transferring.items():
                result[member].remove(tp)
    return {s.member_id: sorted(result[s.member_id]) for s in members}


def cooperative_step(
    owned: Mapping[str, Iterable[TopicPartition]], target: Mapping[str, Sequence[TopicPartition]]
) -> CooperativeStep:
    """Split a target assignment into this generation's part and the revocations it needs.

    `CooperativeStickyAssignor.computePartitionsTransferringOwnership` + `adjustAssignment`:
    a partition newly given to one member while another member gives it up is held back.
    Each member then revokes what it owns but was not given (`ConsumerCoordinator`).
    """
    owned_sets = {member: set(tps) for member, tps in owned.items()}
    transferring = _transferring(target, owned_sets)
    assignment = {m: sorted(tp for tp in tps if transferring.get(tp) != m) for m, tps in target.items()}
    revoked = {m: sorted(owned_sets.get(m, set()) - set(assignment[m])) for m in target}
    return CooperativeStep(assignment, revoked)


def _check_name(name: str) -> None:
    if name not in ASSIGNORS:
        raise KafkaError(
            ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
            f"Unknown assignor {name!r}; known: {', '.join(ASSIGNORS)}.",
        )


def _normalize(subscriptions: Sequence[Subscription], counts: Mapping[str, int]) -> list[Subscription]:
    seen: set[str] = set()
    members = []
    for s in subscriptions:
        if s.member_id in seen:
            raise ValueError(f"member {s.member_id!r} appears twice")
        seen.add(s.member_id)
        owned = dict.fromkeys(tp for tp in s.owned if 0 <= tp[1] < counts.get(tp[0], 0))
        generation = s.generation if s.generation >= 0 else DEFAULT_GENERATION
        members.append(
            Subscription(
                s.member_id, tuple(dict.fromkeys(s.topics)), tuple(owned), generation, s.group_instance_id
            )
        )
    return members


def _member_order(s: Subscription) -> tuple[int, str]:
    """`MemberInfo.compareTo`: static members (by instance id) before dynamic ones (by member id)."""
    return (0, s.group_instance_id) if s.group_instance_id is not None else (1, s.member_id)


def _range(counts: Mapping[str, int], members: Sequence[Subscription]) -> Assignment:
    result: Assignment = {s.member_id: [] for s in members}
    for topic, n in counts.items():
        consumers = sorted((s for s in members if topic in s.topics), key=_member_order)
        quota, extra = divmod(n, len(consumers))
        start = 0
        for i, s in enumerate(consumers):
            end = start + quota + (i < extra)
            result[s.member_id].extend((topic, p) for p in range(start, end))
            start = end
    return result


def _round_robin(counts: Mapping[str, int], members: Sequence[Subscription]) -> Assignment:
    result: Assignment = {s.member_id: [] for s in members}
    ring = sorted(members, key=_member_order)
    i = 0
    for topic in sorted(counts):
        for p in range(counts[topic]):
            while topic not in ring[i].topics:
                i = (i + 1) % len(ring)
            result[ring[i].member_id].append((topic, p))
            i = (i + 1) % len(ring)
    return result


def _transferring(
    target: Mapping[str, Sequence[TopicPartition]], owned: Mapping[str, Iterable[TopicPartition]]
) -> dict[TopicPartition, str]:
    """Partitions given to a member that did not own them while some member gives them up."""
    added: dict[TopicPartition, str] = {}
    revoked: set[TopicPartition] = set()
    for member, tps in target.items():
        mine = set(owned.get(member, ()))
        added.update((tp, member) for tp in tps if tp not in mine)
        revoked |= mine - set(tps)
    return {tp: member for tp, member in added.items() if tp in revoked}
