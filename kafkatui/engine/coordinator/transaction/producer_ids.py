"""Producer ids for InitProducerId (KIP-98), handed out in blocks by the controller.

Kafka's `RPCProducerIdManager`: each broker takes a block of ids from the controller
(AllocateProducerIds, KIP-730), committed in the metadata log as a `ProducerIdsRecord`,
and gives them out one by one. A block is only in memory: a restarted broker asks for a
new one, so ids are never reused across restarts (the rest of the old block is skipped).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from kafkatui.common.errors import ErrorCode, KafkaError

# Ask the controller for the next block: (broker id) -> the ids it may hand out.
AllocateProducerIds = Callable[[int], Awaitable[range]]


class ProducerIdManager:
    """One broker's current block of producer ids."""

    def __init__(self, broker_id: int) -> None:
        self.broker_id = broker_id
        self._block = range(0)
        self._next = 0
        self.allocate: AllocateProducerIds | None = None

    def reset(self) -> None:
        """Forget the block (the broker stopped); the next id comes from a new block."""
        self._block = range(0)
        self._next = 0

    async def generate(self) -> int:
        if self._next >= len(self._block):
            if self.allocate is None:
                raise KafkaError(
                    ErrorCode.COORDINATOR_NOT_AVAILABLE,
                    f"broker {self.broker_id} cannot reach the controller for producer ids",
                )
            self._block = await self.allocate(self.broker_id)
            self._next = 0
        producer_id = self._block[self._next]
        self._next += 1
        return producer_id
