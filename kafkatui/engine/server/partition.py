"""A partition this broker leads, as its leader sees it: the leader's side of Kafka's
`Partition` (`makeLeader`, `maybeIncrementLeaderHW`, `updateFollowerFetchState`,
`getOutOfSyncReplicas`), with what it knows of each follower (Kafka's `Replica`).

The replica's data is its `PartitionLog`; the assignment, the ISR and the leader epoch are
the metadata image's `PartitionInfo`, since the controller owns them in KRaft (a leader asks
it to change the ISR with AlterPartition). A follower's side is its `ReplicaFetcher`
(`replication.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kafkatui.engine.metadata.image import PartitionInfo


@dataclass
class FollowerState:
    """What a leader knows of one follower (Kafka's `Replica` state on the leader)."""

    log_end_offset: int = 0  # the follower's last fetch offset: it has everything below
    last_caught_up_ms: int = 0  # last time it had all the leader had (replica.lag.time.max.ms)
    last_fetch_leader_end: int = 0
    last_fetch_ms: int = 0


@dataclass
class Partition:
    """A partition this broker leads in `leader_epoch`, and its followers' progress."""

    leader_id: int
    leader_epoch: int
    followers: dict[int, FollowerState] = field(default_factory=dict)

    @classmethod
    def make_leader(cls, leader_id: int, info: PartitionInfo, now_ms: int) -> Partition:
        """Kafka's `Partition.makeLeader`: on a new leader epoch, forget what followers had
        (they may have truncated), so the HW waits for each in-sync follower's next fetch.
        In-sync followers count as caught up now, the others never."""
        return cls(
            leader_id,
            info.leader_epoch,
            {
                b: FollowerState(last_caught_up_ms=now_ms if b in info.isr else 0)
                for b in info.replicas
                if b != leader_id
            },
        )

    def update_follower_fetch_state(
        self, replica_id: int, fetch_offset: int, leader_end_offset: int, now_ms: int
    ) -> None:
        """Kafka's `Replica.updateFetchState`: a follower fetching at the leader's end is
        caught up now; one fetching at least where the leader ended at its previous
        fetch was caught up then."""
        state = self.followers.setdefault(replica_id, FollowerState())
        if fetch_offset >= leader_end_offset:
            state.last_caught_up_ms = now_ms
        elif fetch_offset >= state.last_fetch_leader_end:
            state.last_caught_up_ms = max(state.last_caught_up_ms, state.last_fetch_ms)
        state.log_end_offset = fetch_offset
        state.last_fetch_leader_end = leader_end_offset
        state.last_fetch_ms = now_ms

    def out_of_sync_replicas(self, isr: Sequence[int], now_ms: int, lag_time_max_ms: int) -> list[int]:
        """Kafka's `getOutOfSyncReplicas`: in-sync followers not caught up for
        replica.lag.time.max.ms, which the leader asks the controller to drop."""
        states = self.followers
        return [
            b
            for b in isr
            if b != self.leader_id
            and now_ms - (states[b].last_caught_up_ms if b in states else 0) > lag_time_max_ms
        ]


def leader_high_watermark(
    leader_id: int, log_end_offset: int, isr: Sequence[int], followers: Mapping[int, FollowerState]
) -> int:
    """Kafka's `maybeIncrementLeaderHW`: the smallest log end offset in the ISR, the
    leader's own and what each in-sync follower has fetched (0 for one not heard from in
    this leader epoch). With the leader alone in the ISR that is its own LEO, also right
    after a restart from a checkpoint that lagged behind."""
    ends = [s.log_end_offset if (s := followers.get(b)) else 0 for b in isr if b != leader_id]
    return min([log_end_offset, *ends])
