"""The simulated network between brokers: latency, loss and cuts, per link.

Brokers live in one process, so "the network" is this object: a replica fetch or a
heartbeat from broker `a` to broker `b` first asks it whether the request gets through
(`delivers`) and how long the round trip takes (`latency_ms`). Links are undirected, as
a cable is. Loss draws from the cluster's seeded RNG, so a scenario on a manual clock
replays the same drops.

Only broker-to-broker traffic crosses it (replication, heartbeats to the controller,
AlterPartition); clients inside the workbench reach brokers directly, and metadata
reaches every running broker (kafkatui does not model a broker that misses metadata).
The one client fault is a lost acknowledgement: `drop_acks` makes the next produce
responses vanish after the leader appended the batch, so the producer retries it —
the case the idempotent producer (KIP-98) exists for.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from kafkatui.common.admin import LinkState


def _link(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


class Network:
    """Latency, loss and cuts between pairs of brokers."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._latency: dict[tuple[int, int], int] = {}
        self._loss: dict[tuple[int, int], float] = {}
        self._cut: set[tuple[int, int]] = set()
        self.on_change: Callable[[LinkState], None] | None = None
        # Produce responses still to lose: per topic, and for any topic (key None).
        self._acks_to_drop: dict[str | None, int] = {}

    def link(self, a: int, b: int) -> LinkState:
        key = _link(a, b)
        return LinkState(*key, self._latency.get(key, 0), self._loss.get(key, 0.0), key in self._cut)

    def links(self) -> list[LinkState]:
        """Every link that differs from a perfect one."""
        keys = sorted(set(self._latency) | set(self._loss) | self._cut)
        return [state for key in keys if (state := self.link(*key)) != LinkState(*key)]

    def set_latency(self, a: int, b: int, ms: int) -> None:
        """(Values are checked by `Cluster.set_latency` / `set_loss`, with Kafka's errors.)"""
        self._latency[_link(a, b)] = ms
        self._changed(a, b)

    def set_loss(self, a: int, b: int, loss: float) -> None:
        self._loss[_link(a, b)] = loss
        self._changed(a, b)

    def cut(self, a: int, b: int) -> None:
        self._cut.add(_link(a, b))
        self._changed(a, b)

    def heal(self, a: int, b: int) -> None:
        """Reconnect a cut link and drop its loss (latency stays as set)."""
        self._cut.discard(_link(a, b))
        self._loss.pop(_link(a, b), None)
        self._changed(a, b)

    def reachable(self, a: int, b: int) -> bool:
        return a == b or _link(a, b) not in self._cut

    def delivers(self, a: int, b: int) -> bool:
        """Does one request from `a` to `b` get through? (A cut never does; a lossy link
        drops a request with its loss probability.)"""
        if a == b:
            return True
        key = _link(a, b)
        if key in self._cut:
            return False
        loss = self._loss.get(key, 0.0)
        return loss <= 0.0 or self._rng.random() >= loss

    def drop_acks(self, count: int, topic: str | None = None) -> None:
        """Lose the next `count` produce responses (of `topic`, or of any topic)."""
        self._acks_to_drop[topic] = self._acks_to_drop.get(topic, 0) + count

    def pending_ack_drops(self) -> int:
        return sum(self._acks_to_drop.values())

    def loses_ack(self, topic: str) -> bool:
        """Is this produce response lost? (Consumes one drop of the topic, or else one
        of any topic.)"""
        if not self._acks_to_drop:
            return False
        for key in (topic, None):
            left = self._acks_to_drop.get(key, 0)
            if left > 0:
                if left == 1:
                    del self._acks_to_drop[key]
                else:
                    self._acks_to_drop[key] = left - 1
                return True
        return False

    def latency_ms(self, a: int, b: int) -> int:
        return 0 if a == b else self._latency.get(_link(a, b), 0)

    def _changed(self, a: int, b: int) -> None:
        if self.on_change is not None:
            self.on_change(self.link(a, b))
