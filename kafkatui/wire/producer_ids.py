"""InitProducerId (22): a producer id for an idempotent or transactional producer (KIP-98).

Without a transactional id Kafka's coordinator always hands out a fresh producer id with
epoch 0 (`TransactionCoordinator.handleInitProducerId`), whatever id and epoch the client
sends (v3+, KIP-360): so does this one, from the engine's blocks of ids (KIP-730), at any
broker. With a transactional id only the id's transaction coordinator answers
(NOT_COORDINATOR elsewhere): the id keeps its producer id and the epoch is bumped, which
fences the previous producer with that id. A v3+ client bumping its own epoch names its
current producer id and epoch; any other pair is PRODUCER_FENCED, which versions below 4
(KIP-588) get as INVALID_PRODUCER_EPOCH, as Kafka's KafkaApis does.
"""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, millis, response_class

INIT_PRODUCER_ID = 22
NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1


def fenced_for(version: int, first_with_producer_fenced: int, error: KafkaError) -> KafkaError:
    """PRODUCER_FENCED (KIP-588) as INVALID_PRODUCER_EPOCH for clients older than the
    version that introduced it, as Kafka's KafkaApis answers them."""
    if error.code is ErrorCode.PRODUCER_FENCED and version < first_with_producer_fenced:
        return KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, error.message)
    return error


async def check_txn_coordinator(ctx: RequestContext, transactional_id: str) -> None:
    """NOT_COORDINATOR unless this broker coordinates the transactional id."""
    coordinator = await ctx.cluster.find_transaction_coordinator(transactional_id)
    if coordinator != ctx.broker_id:
        raise KafkaError(
            ErrorCode.NOT_COORDINATOR,
            f"broker {ctx.broker_id} is not the coordinator of transactional id "
            f"'{transactional_id}' (broker {coordinator} is)",
        )


def _expected(request: Any) -> tuple[int, int] | None:
    producer_id = getattr(request, "producer_id", NO_PRODUCER_ID)
    epoch = getattr(request, "producer_epoch", NO_PRODUCER_EPOCH)
    if (producer_id, epoch) == (NO_PRODUCER_ID, NO_PRODUCER_EPOCH):
        return None
    if NO_PRODUCER_ID in (producer_id, epoch):
        raise KafkaError(
            ErrorCode.INVALID_REQUEST,
            f"producer id {producer_id} and epoch {epoch} must both be set or both be -1",
        )
    return producer_id, epoch


async def init_producer_id(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(INIT_PRODUCER_ID, ctx.version)
    try:
        expected = _expected(request)
        if request.transactional_id is None:
            # KIP-679: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic, will do.
            if not auth.authorize_cluster(ctx, AclOperation.IDEMPOTENT_WRITE) and not auth.authorize_on_some(
                ctx, AclOperation.WRITE, ResourceType.TOPIC
            ):
                raise auth.denied(ResourceType.CLUSTER, AclOperation.IDEMPOTENT_WRITE, "")
            producer_id, epoch = await ctx.cluster.init_producer_id()
        else:
            auth.check_transactional_id(ctx, AclOperation.WRITE, request.transactional_id)
            await check_txn_coordinator(ctx, request.transactional_id)
            producer_id, epoch = await ctx.cluster.init_producer_id(
                request.transactional_id, millis(request.transaction_timeout), expected
            )
    except KafkaError as error:
        error = fenced_for(ctx.version, 4, error)
        return build(cls, throttle_time=0, error_code=error, producer_id=-1, producer_epoch=-1)
    return build(
        cls, throttle_time=0, error_code=ErrorCode.NONE, producer_id=producer_id, producer_epoch=epoch
    )


APIS = [Api(INIT_PRODUCER_ID, "InitProducerId", 0, 4, init_producer_id)]
