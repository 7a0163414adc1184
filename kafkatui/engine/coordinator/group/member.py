"""A classic group's member on its coordinator (Kafka's `ClassicGroupMember`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from kafkatui.common.errors import KafkaError
from kafkatui.engine.coordinator.group.model import JoinResult


@dataclass(eq=False)
class ClassicGroupMember:
    """A member awaits JoinGroup's or SyncGroup's answer while it has a future there."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    is_new: bool = False
    join_future: asyncio.Future[JoinResult] | None = None
    sync_future: asyncio.Future[bytes] | None = None

    @property
    def protocol_names(self) -> list[str]:
        return [name for name, _ in self.protocols]

    def metadata(self, protocol: str | None) -> bytes:
        return next((meta for name, meta in self.protocols if name == protocol), b"")

    def vote(self, candidates: set[str]) -> str:
        # The member's first preference that every member supports.
        return next(name for name in self.protocol_names if name in candidates)


def answer(future: asyncio.Future[Any] | None, result: Any = None, error: KafkaError | None = None) -> None:
    """Answer a member's waiting JoinGroup or SyncGroup with a result or an error."""
    if future is None or future.done():
        return  # nobody waits (the client gave up)
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
