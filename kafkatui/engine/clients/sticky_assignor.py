"""`AbstractStickyAssignor` (KIP-54) as Kafka runs it, for `sticky` and `cooperative-sticky`:
the "constrained" builder when every member subscribes to the same topics, the "general"
one otherwise, and the Java `HashMap`/`HashSet` iteration order their output depends on.
See `assignors.py` for the deliberate differences from Kafka."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kafkatui.common.utils import java_string_hash

if TYPE_CHECKING:
    from kafkatui.engine.clients.partition_assignor import Assignment, Subscription, TopicPartition


# --- Java collection iteration order -------------------------------------------------------


def _java_tp_hash(tp: TopicPartition) -> int:
    """`TopicPartition.hashCode`."""
    return (31 * (31 + tp[1]) + (java_string_hash(tp[0]) & 0xFFFFFFFF)) & 0xFFFFFFFF


def _bucket(h: int, capacity: int) -> int:
    return (h ^ (h >> 16)) & (capacity - 1)  # HashMap.hash spreads the high bits down


def _capacity(max_size: int) -> int:
    capacity = 16  # a default-constructed HashMap, doubled whenever size exceeds 3/4 of it
    while max_size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def _java_hash_order(keys: Sequence[str]) -> list[str]:
    """The iteration order of a `new HashMap<>()` that had `keys` put in this order.

    Bins are visited in index order and keep insertion order (Java 8+ appends, and a resize
    splits a bin without reordering). Bins of 8+ colliding keys (treeified, or forcing an early
    resize) are not modelled.
    """
    capacity = _capacity(len(keys))
    return [
        k
        for _, _, k in sorted(
            (_bucket(java_string_hash(k) & 0xFFFFFFFF, capacity), i, k) for i, k in enumerate(keys)
        )
    ]


class _JavaHashSet:
    """A `HashSet<TopicPartition>` that knows which element its iterator yields first."""

    def __init__(self) -> None:
        self._seq: dict[TopicPartition, int] = {}
        self._next = 0
        self._capacity = 16

    def add(self, tp: TopicPartition) -> None:
        if tp not in self._seq:
            self._seq[tp] = self._next
            self._next += 1
            self._capacity = max(self._capacity, _capacity(len(self._seq)))

    def remove(self, tp: TopicPartition) -> None:
        del self._seq[tp]  # capacity never shrinks

    def __bool__(self) -> bool:
        return bool(self._seq)

    def first(self) -> TopicPartition:
        return min(self._seq, key=lambda tp: (_bucket(_java_tp_hash(tp), self._capacity), self._seq[tp]))


# --- AbstractStickyAssignor ----------------------------------------------------------------


def sticky_assignment(
    counts: Mapping[str, int], members: Sequence[Subscription]
) -> tuple[Assignment, dict[TopicPartition, str] | None]:
    """`AbstractStickyAssignor.assignPartitions`: the assignment and, for the constrained
    builder, the partitions transferring ownership (None from the general builder)."""
    if not members:
        return {}, {}
    by_id = {s.member_id: s for s in members}
    order = _java_hash_order([s.member_id for s in members])
    owned, multiply_claimed = _previous_owners(order, by_id, counts)
    if all(set(s.topics) == set(members[0].topics) for s in members):
        return _constrained(counts, order, owned, multiply_claimed)
    general = _GeneralAssignmentBuilder(counts, order, by_id, owned)
    return general.build(), None


def _previous_owners(
    order: Sequence[str], by_id: Mapping[str, Subscription], counts: Mapping[str, int]
) -> tuple[dict[str, list[TopicPartition]], set[TopicPartition]]:
    """`allSubscriptionsEqual`'s second job: each member's valid previously owned partitions.

    When members claim the same partition the higher generation keeps it; with equal
    generations nobody does and the partition is marked as claimed by multiple owners.
    """
    owned: dict[str, list[TopicPartition]] = {}
    claimant: dict[TopicPartition, str] = {}
    multiply_claimed: set[TopicPartition] = set()
    for member in order:
        generation = by_id[member].generation
        mine = owned[member] = []
        for tp in by_id[member].owned:
            if tp[0] not in counts:  # a topic nobody subscribes to any more
                continue
            other = claimant.get(tp)
            if other is None:
                mine.append(tp)
                claimant[tp] = member
            elif generation >= by_id[other].generation:
                if tp in owned[other]:
                    owned[other].remove(tp)
                if generation == by_id[other].generation:
                    multiply_claimed.add(tp)
                else:
                    mine.append(tp)
                claimant[tp] = member
    return owned, multiply_claimed


def _constrained(
    counts: Mapping[str, int],
    order: Sequence[str],
    owned: Mapping[str, list[TopicPartition]],
    multiply_claimed: set[TopicPartition],
) -> tuple[Assignment, dict[TopicPartition, str]]:
    """`ConstrainedAssignmentBuilder`: everyone subscribes to the same topics.

    Members keep owned partitions up to their quota (maxQuota for the first members owning that
    many, while such slots remain), then the rest are dealt round-robin to unfilled members.
    """
    total = sum(counts.values())
    min_quota, extra = divmod(total, len(order))
    max_quota = min_quota + (extra > 0)
    over_min = 0  # members given maxQuota so far; `extra` of them are expected
    assignment: Assignment = {m: [] for m in order}
    maybe_revoked: dict[TopicPartition, str] = {}
    under_min: list[str] = []
    exactly_min: list[str] = []  # may still take one more, while over_min < extra
    for member in order:
        mine = sorted(
            (tp for tp in owned[member] if tp not in multiply_claimed), key=lambda tp: (tp[1], tp[0])
        )
        if len(mine) < min_quota:
            keep = len(mine)
            under_min.append(member)
        elif len(mine) >= max_quota and over_min < extra:
            keep = max_quota
            over_min += 1
            if over_min == extra:
                exactly_min.clear()
        else:
            keep = min_quota
            if over_min < extra:
                exactly_min.append(member)
        assignment[member].extend(mine[:keep])
        maybe_revoked.update((tp, member) for tp in mine[keep:])

    assigned = {tp for tps in assignment.values() for tp in tps}
    unassigned = [(t, p) for t in sorted(counts) for p in range(counts[t]) if (t, p) not in assigned]
    under_min.sort()
    filled_to_min = deque(sorted(exactly_min))
    transferring: dict[TopicPartition, str] = {}
    pos = 0  # a LinkedList iterator over under_min, restarted when it runs out
    for tp in unassigned:
        if pos < len(under_min):
            member = under_min[pos]
            pos += 1
        elif under_min:
            member, pos = under_min[0], 1
        elif filled_to_min:
            member = filled_to_min.popleft()
        else:
            raise RuntimeError("No more unfilled consumers to be assigned.")
        assignment[member].append(tp)
        if (tp in maybe_revoked and maybe_revoked[tp] != member) or tp in multiply_claimed:
            transferring[tp] = member
        if len(assignment[member]) == min_quota:
            pos -= 1
            del under_min[pos]
            filled_to_min.append(member)
        elif len(assignment[member]) == max_quota:
            over_min += 1
    if under_min and (over_min != extra or any(len(assignment[m]) != min_quota for m in under_min)):
        raise RuntimeError("A consumer did not reach minQuota partitions.")
    return assignment, transferring


class _SortedMembers:
    """`sortedCurrentSubscriptions`: a TreeSet of members by (partitions assigned, member id).

    Keys are fixed when a member is added, so callers remove a member before changing its
    assignment and add it back afterwards, as Kafka does.
    """

    def __init__(self, assignment: Assignment) -> None:
        self._assignment = assignment
        self._keys: list[tuple[int, str]] = []

    def add(self, member: str) -> None:
        key = (len(self._assignment[member]), member)
        i = bisect.bisect_left(self._keys, key)
        if i == len(self._keys) or self._keys[i] != key:
            self._keys.insert(i, key)

    def remove(self, member: str) -> None:
        for i, (_, m) in enumerate(self._keys):
            if m == member:
                del self._keys[i]
                return

    def __iter__(self):
        return iter([m for _, m in self._keys])

    def first(self) -> str:
        return self._keys[0][1]

    def last(self) -> str:
        return self._keys[-1][1]


class _PartitionMovements:
    """`AbstractStickyAssignor.PartitionMovements`: where each partition moved from this round.

    Used to move a partition back along a recorded move rather than a second one of the same
    topic the other way, which would undo stickiness.
    """

    def __init__(self) -> None:
        self._by_topic: dict[str, dict[tuple[str, str], _JavaHashSet]] = {}
        self._moves: dict[TopicPartition, tuple[str, str]] = {}

    def _remove_record(self, tp: TopicPartition) -> tuple[str, str]:
        pair = self._moves.pop(tp)
        pairs = self._by_topic[tp[0]]
        pairs[pair].remove(tp)
        if not pairs[pair]:
            del pairs[pair]
        if not pairs:
            del self._by_topic[tp[0]]
        return pair

    def _add_record(self, tp: TopicPartition, pair: tuple[str, str]) -> None:
        self._moves[tp] = pair
        self._by_topic.setdefault(tp[0], {}).setdefault(pair, _JavaHashSet()).add(tp)

    def move(self, tp: TopicPartition, old: str, new: str) -> None:
        if tp in self._moves:
            src, _ = self._remove_record(tp)
            if src != new:  # not simply moving back to where it came from
                self._add_record(tp, (src, new))
        else:
            self._add_record(tp, (old, new))

    def partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        pairs = self._by_topic.get(tp[0])
        if pairs is None:
            return tp
        if tp in self._moves:
            old = self._moves[tp][0]
        reverse = pairs.get((new, old))
        return tp if reverse is None else reverse.first()


class _GeneralAssignmentBuilder:
    """`GeneralAssignmentBuilder`: members subscribe to different topics.

    Keeps every still-valid owned partition, gives each unassigned one to the least loaded
    subscriber, then moves partitions from more to less loaded subscribers until balanced,
    reverting if that did not lower the balance score.
    """

    def __init__(
        self,
        counts: Mapping[str, int],
        order: Sequence[str],
        by_id: Mapping[str, Subscription],
        owned: dict[str, list[TopicPartition]],
    ) -> None:
        self.counts = counts
        self.total = sum(counts.values())
        self.order = order
        self.by_id = by_id
        self.current = owned
        self.topic_consumers: dict[str, list[str]] = {t: [] for t in counts}
        self.consumer_topics: dict[str, list[str]] = {}
        for member in order:
            topics = [t for t in by_id[member].topics if t in counts]
            self.consumer_topics[member] = topics
            for t in topics:
                self.topic_consumers[t].append(member)
        self.owner = {tp: m for m, tps in self.current.items() for tp in tps}
        topics_sorted = sorted(counts, key=lambda t: (len(self.topic_consumers[t]), t))
        self.all_partitions = [(t, p) for t in topics_sorted for p in range(counts[t])]
        self.sorted_members = _SortedMembers(self.current)
        self.movements = _PartitionMovements()
        self.revocation_required = False

    def build(self) -> Assignment:
        previous = self._previous_generation_owners()
        assigned = set()
        for member, tps in self.current.items():
            subscribed = self.by_id[member].topics
            for tp in list(tps):
                if tp[0] in subscribed:
                    assigned.add(tp)
                else:  # no longer subscribed to its topic
                    tps.remove(tp)
                    self.revocation_required = True
        unassigned = [tp for tp in self.all_partitions if tp not in assigned]
        for member in self.current:
            self.sorted_members.add(member)
        self._balance(previous, unassigned)
        return self.current

    def _previous_generation_owners(self) -> dict[TopicPartition, tuple[str, int]]:
        """`prepopulateCurrentAssignments`: who owned each partition in an older generation."""
        max_generation = max(self.by_id[m].generation for m in self.order)
        previous: dict[TopicPartition, tuple[str, int]] = {}
        for member in self.order:
            generation = self.by_id[member].generation
            if generation < max_generation:
                for tp in self.by_id[member].owned:
                    if tp not in previous or generation > previous[tp][1]:
                        previous[tp] = (member, generation)
        return previous

    def _max_size(self, member: str) -> int:
        return sum(self.counts[t] for t in self.consumer_topics[member])

    def _can_topic_move(self, topic: str) -> bool:
        return len(self.topic_consumers[topic]) >= 2

    def _can_member_move(self, member: str) -> bool:
        tps = self.current[member]
        return len(tps) < self._max_size(member) or any(self._can_topic_move(tp[0]) for tp in tps)

    def _assign_to_least_loaded(self, tp: TopicPartition) -> None:
        for member in self.sorted_members:
            if tp[0] in self.consumer_topics[member]:
                self.sorted_members.remove(member)
                self.current[member].append(tp)
                self.owner[tp] = member
                self.sorted_members.add(member)
                return

    def _balance(
        self, previous: dict[TopicPartition, tuple[str, int]], unassigned: list[TopicPartition]
    ) -> None:
        initializing = not self.current[self.sorted_members.last()]
        for tp in unassigned:
            if self.topic_consumers[tp[0]]:
                self._assign_to_least_loaded(tp)

        # Only partitions with a choice of consumer, and consumers with a choice, take part.
        movable = [tp for tp in self.all_partitions if self._can_topic_move(tp[0])]
        unassigned = [tp for tp in unassigned if self._can_topic_move(tp[0])]
        fixed: Assignment = {}
        for member in self.consumer_topics:
            if not self._can_member_move(member):
                self.sorted_members.remove(member)
                fixed[member] = self.current.pop(member)

        before = {m: list(tps) for m, tps in self.current.items()}
        owner_before = dict(self.owner)
        if not self.revocation_required:  # first try to balance by moving only new partitions
            self._reassign(unassigned, previous)
        moved = self._reassign(movable, previous)
        if not initializing and moved and _balance_score(self.current) >= _balance_score(before):
            self.current.clear()
            self.current.update(before)
            self.owner = owner_before
        self.current.update(fixed)

    def _is_balanced(self) -> bool:
        if (
            len(self.current[self.sorted_members.first()])
            >= len(self.current[self.sorted_members.last()]) - 1
        ):
            return True
        owners = {tp: m for m, tps in self.current.items() for tp in tps}
        for member in self.sorted_members:
            count = len(self.current[member])
            if count == self._max_size(member):
                continue
            mine = set(self.current[member])
            for topic in self.consumer_topics[member]:
                for p in range(self.counts[topic]):
                    other = owners.get((topic, p))
                    if (topic, p) not in mine and other is not None and count + 1 < len(self.current[other]):
                        return False
        return True

    def _reassign(
        self, partitions: Sequence[TopicPartition], previous: dict[TopicPartition, tuple[str, int]]
    ) -> bool:
        """`performReassignments`: move partitions to less loaded subscribers until balanced."""
        performed = False
        modified = True
        while modified:
            modified = False
            for tp in partitions:
                if self._is_balanced():
                    break
                size = len(self.current[self.owner[tp]])
                prev = previous.get(tp)
                if (
                    prev is not None
                    and self._may_return(tp, prev[0])
                    and size > len(self.current[prev[0]]) + 1
                ):
                    self._move(tp, prev[0])
                    performed = modified = True
                    continue
                if any(size > len(self.current[other]) + 1 for other in self.topic_consumers[tp[0]]):
                    new = next(m for m in self.sorted_members if tp[0] in self.consumer_topics[m])
                    self._move(tp, new)
                    performed = modified = True
        return performed

    def _may_return(self, tp: TopicPartition, member: str) -> bool:
        return member in self.current and tp[0] in self.consumer_topics[member]

    def _move(self, tp: TopicPartition, new: str) -> None:
        tp = self.movements.partition_to_move(tp, self.owner[tp], new)
        old = self.owner[tp]
        self.sorted_members.remove(old)
        self.sorted_members.remove(new)
        self.movements.move(tp, old, new)
        self.current[old].remove(tp)
        self.current[new].append(tp)
        self.owner[tp] = new
        self.sorted_members.add(new)
        self.sorted_members.add(old)


def _balance_score(assignment: Assignment) -> int:
    """`getBalanceScore`: the sum of size differences over all pairs of members."""
    sizes = [len(tps) for tps in assignment.values()]
    return sum(abs(a - b) for i, a in enumerate(sizes) for b in sizes[i + 1 :])
