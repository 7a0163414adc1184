"""How many connections a broker takes, and the warnings it logs when it refuses one.

Kafka's `ConnectionQuotas`: `max.connections.per.ip` refuses a connection from an
address that already has that many open (the new one is closed at once and logged);
`max.connections` (per broker, over all its listeners) stops accepting until a slot
frees, so a connection past it waits before its first request is read. kafkatui counts
per broker the connections it serves; a waiting one holds no slot.

`RefusalLog` is what keeps `kafkatui serve` readable under abuse: one WARN line per
refusal with the peer and the reason, but at most one per reason per interval, the
lines held back counted into the next one ("… and 41 more like it").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable


class ConnectionQuotas:
    """Connection counts per broker and per client address, with Kafka's two limits."""

    def __init__(self, max_connections: int, max_connections_per_ip: int) -> None:
        self.max_connections = max_connections
        self.max_connections_per_ip = max_connections_per_ip
        self._per_ip: Counter[str] = Counter()
        self._per_broker: Counter[int] = Counter()
        self._freed = asyncio.Condition()

    def admit_ip(self, ip: str) -> bool:
        """Count a new connection from `ip`, unless it already has its maximum."""
        if self._per_ip[ip] >= self.max_connections_per_ip:
            return False
        self._per_ip[ip] += 1
        return True

    def release_ip(self, ip: str) -> None:
        self._per_ip[ip] -= 1
        if self._per_ip[ip] <= 0:
            del self._per_ip[ip]

    def has_slot(self, broker_id: int) -> bool:
        return self._per_broker[broker_id] < self.max_connections

    async def take_slot(self, broker_id: int) -> None:
        """Wait until the broker serves fewer than max.connections, then hold a slot."""
        async with self._freed:
            await self._freed.wait_for(lambda: self.has_slot(broker_id))
            self._per_broker[broker_id] += 1

    async def release_slot(self, broker_id: int) -> None:
        async with self._freed:
            self._per_broker[broker_id] -= 1
            self._freed.notify_all()


class RefusalLog:
    """WARN lines for refused connections and requests, rate-limited per reason."""

    def __init__(
        self, log: logging.Logger, interval_s: float = 1.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = log
        self._interval_s = interval_s
        self._now = now
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def refused(self, reason: str, broker_id: int, peer: str, detail: str) -> bool:
        """Log one refusal (`reason` is a short kind, e.g. "request too large");
        returns whether a line was written or it was held back."""
        now = self._now()
        last = self._last.get(reason)
        if last is not None and now - last < self._interval_s:
            self._held[reason] += 1
            return False
        self._last[reason] = now
        held = self._held.pop(reason, 0)
        more = f" (and {held} more like it since)" if held else ""
        self._log.warning(
            "broker %d: %s from %s: %s%s",
            broker_id,
            reason,
            peer,
            detail,
            more,
            extra={"broker": broker_id, "peer": peer, "reason": reason, "held_back": held},
        )
        return True
