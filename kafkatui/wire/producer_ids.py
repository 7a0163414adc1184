"""InitProducerId (22): a producer id for an idempotent producer (KIP-98).

Without a transactional id Kafka's coordinator always hands out a fresh producer id with
epoch 0 (`TransactionCoordinator.handleInitProducerId`), whatever id and epoch the client
sends (v3+, KIP-360): so does this one, from the engine's blocks of ids (KIP-730).
Transactional producers come with the transactions work.
"""

from __future__ import annotations

from typing import Any

from kafkatui.engine.errors import ErrorCode, KafkaError
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, response_class

INIT_PRODUCER_ID = 22


async def init_producer_id(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(INIT_PRODUCER_ID, ctx.version)
    try:
        if request.transactional_id is not None:
            raise KafkaError(
                ErrorCode.COORDINATOR_NOT_AVAILABLE,
                "transactional producers are not supported yet (only idempotent ones)",
            )
        producer_id, epoch = await ctx.cluster.init_producer_id()
    except KafkaError as error:
        return build(cls, throttle_time=0, error_code=error, producer_id=-1, producer_epoch=-1)
    return build(
        cls, throttle_time=0, error_code=ErrorCode.NONE, producer_id=producer_id, producer_epoch=epoch
    )


APIS = [Api(INIT_PRODUCER_ID, "InitProducerId", 0, 4, init_producer_id)]
