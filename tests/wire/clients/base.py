"""What every client adapter offers: the operations, a group member, and the record
shape they all return."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, Protocol

from tests.wire.conftest import ServedCluster

Records = list[tuple[bytes | None, bytes]]  # (key, value), produced in this order

# Fast group membership: Kafka's smallest session timeout (group.min.session.timeout.ms),
# and heartbeats often enough that a member hears of a rebalance within half a second.
SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_INTERVAL_MS = 500
POLL_S = 0.2


class Rec(NamedTuple):
    """A consumed record, whichever client read it."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes


class Member(Protocol):
    """A consumer: a group member (`Client.member`) or assigned every partition (`Client.reader`)."""

    records: list[Rec]  # everything it has read so far

    def poll(self) -> None: ...
    def assignment(self) -> set[int]: ...
    def position(self, partition: int) -> int: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


def poll_until(members: Iterable[Member], done: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll every member in turn until `done()`: clients make progress (heartbeats, joins,
    fetches) inside poll, so waiting is polling."""
    members = list(members)
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        for m in members:
            m.poll()


def high_watermarks(served: ServedCluster, topic: str) -> dict[int, int]:
    return {p.partition: p.high_watermark for p in served.cluster.describe_topic(topic).partitions}


def logged(served: ServedCluster, topic: str) -> list[Rec]:
    """Every record in the leaders' logs, partition by partition, in offset order."""
    out: list[Rec] = []
    for p in sorted(high_watermarks(served, topic)):
        for batch in served.call(served.cluster.read_log(topic, p, 0)):
            if not batch.header.is_control:
                out += [Rec(p, r.offset, r.key, r.value) for r in batch.records]
    return out


class Client:
    """The operations every scenario uses; each client overrides what it can do."""

    name = ""
    cannot: dict[str, str] = {}

    def __init__(self, served: ServedCluster) -> None:
        self.served = served
        self._open: list[Any] = []  # closed by close(), whatever a failed test left

    # admin
    def create_topic(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        raise NotImplementedError

    def describe_topic(self, name: str) -> tuple[int, int]:
        """(partition count, replication factor) as the client's metadata shows them."""
        raise NotImplementedError

    def delete_topic(self, name: str) -> None:
        raise NotImplementedError

    def describe_configs(self, topic: str) -> dict[str, str]:
        raise NotImplementedError

    def alter_configs(self, topic: str, configs: dict[str, str]) -> None:
        raise NotImplementedError

    # produce / consume
    def produce(self, topic: str, records: Records, *, idempotent: bool = False) -> None:
        """Send with acks=all and wait until every record is acknowledged."""
        raise NotImplementedError

    def reader(self, topic: str, *, isolation: str = "read_uncommitted") -> Member:
        """A consumer assigned every partition of `topic` from its beginning (no group)."""
        raise NotImplementedError

    def read(self, topic: str, *, isolation: str = "read_uncommitted") -> list[Rec]:
        """Every record from the beginning of each partition to its current end, in the
        order the client returned them."""
        ends = high_watermarks(self.served, topic)
        reader = self.reader(topic, isolation=isolation)
        poll_until(
            [reader],
            lambda: all(end == 0 or reader.position(p) >= end for p, end in ends.items()),
            f"reading {topic} to {ends}",
        )
        reader.close()
        return reader.records

    def member(self, group: str, topic: str) -> Member:
        raise NotImplementedError

    def committed(self, group: str, topic: str, partitions: int) -> dict[int, int] | None:
        """OffsetFetch: the group's committed offset of each partition."""
        raise NotImplementedError

    def transaction(self, tid: str, topic: str, records: list[tuple[int, bytes]], *, commit: bool) -> None:
        """One transaction of (partition, value) records, committed or aborted."""
        raise NotImplementedError

    def close(self) -> None:
        for thing in reversed(self._open):
            with contextlib.suppress(Exception):  # best effort, whatever a failed test left
                thing.close()
