"""The Connect group leader's assignor, after Kafka's IncrementalCooperativeAssignor
(KIP-415): members keep what they run; work nobody owns is handed to the least loaded
members; a member over its fair share gives the surplus up (revoked) and the follow-up
rebalance places it. Work a departed member ran is "lost": it waits
`scheduled.rebalance.max.delay.ms` (a bounced worker may come back for it) and the
assignment carries the remaining delay so every member rejoins then."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kafkatui.ecosystem.connect.protocol import CONNECTOR_TASK, Work


@dataclass
class AssignorState:
    """What the leader remembers between rebalances (a new leader starts afresh)."""

    previous: set[Work] = field(default_factory=set)  # what was assigned and not revoked
    lost_deadline_ms: int | None = None


@dataclass(frozen=True)
class Plan:
    assigned: dict[str, list[Work]]  # member → everything it should run now
    revoked: dict[str, list[Work]]
    delay_ms: int


def _balance(kind: list[Work], members: Sequence[str], owned: dict[str, list[Work]]) -> dict[str, list[Work]]:
    """One kind (connectors or tasks): the surplus each member gives up, so that no one
    runs more than ceil(total / members)."""
    total = len(kind)
    n = len(members)
    if not n:
        return {}
    ceiling = -(-total // n)
    floor = total // n
    counts = {m: len([w for w in owned[m] if w in kind]) for m in members}
    extra_allowed = total - floor * n  # members that may hold ceiling
    revoked: dict[str, list[Work]] = {}
    for m in sorted(members, key=lambda m: -counts[m]):
        limit = ceiling if extra_allowed > 0 else floor
        if counts[m] >= ceiling and extra_allowed > 0:
            extra_allowed -= 1
        mine = sorted(w for w in owned[m] if w in kind)
        if len(mine) > limit:
            revoked[m] = mine[limit:]
    return revoked


def assign(
    members: Mapping[str, Sequence[Work]],
    work: Sequence[Work],
    state: AssignorState,
    now_ms: int,
    max_delay_ms: int,
) -> Plan:
    """`members`: each member's id and what it reports running; `work`: every connector
    and task the config topic holds."""
    wanted = set(work)
    ids = sorted(members)
    owned: dict[str, list[Work]] = {m: [] for m in ids}
    revoked: dict[str, list[Work]] = {m: [] for m in ids}
    seen: set[Work] = set()
    for m in ids:
        for w in members[m]:
            if w not in wanted or w in seen:  # deleted, or a duplicate: give it up
                revoked[m].append(w)
            else:
                owned[m].append(w)
                seen.add(w)
    unowned = [w for w in sorted(wanted) if w not in seen]
    lost = [w for w in unowned if w in state.previous]
    delay = 0
    if lost and max_delay_ms > 0:
        if state.lost_deadline_ms is None:
            state.lost_deadline_ms = now_ms + max_delay_ms
        if now_ms < state.lost_deadline_ms:
            delay = state.lost_deadline_ms - now_ms
            unowned = [w for w in unowned if w not in lost]
    if not delay:
        state.lost_deadline_ms = None
    # New work goes to the least loaded members, connectors and tasks each balanced.
    for w in unowned:
        same_kind = [m for m in ids]
        target = min(
            same_kind,
            key=lambda m: (
                len([x for x in owned[m] if (x[1] == CONNECTOR_TASK) == (w[1] == CONNECTOR_TASK)]),
                m,
            ),
        )
        owned[target].append(w)
    if not unowned and not any(revoked.values()) and not delay:
        # Stable: move surplus off the busiest members (placed in the follow-up round).
        for kind_is_connector in (True, False):
            kind = [w for w in sorted(wanted) if (w[1] == CONNECTOR_TASK) == kind_is_connector]
            for m, surplus in _balance(kind, ids, owned).items():
                revoked[m] += surplus
                owned[m] = [w for w in owned[m] if w not in surplus]
    state.previous = {w for m in ids for w in owned[m]} | (set(lost) if delay else set())
    return Plan(owned, {m: r for m, r in revoked.items() if r}, delay)
