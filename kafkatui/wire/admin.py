"""CreateTopics (key 19) and DeleteTopics (key 20), validated and committed by the controller.

Any broker accepts them (KRaft forwards admin requests to the active controller).
Manual replica assignments are not supported yet (INVALID_REQUEST).
"""

from __future__ import annotations

import uuid
from typing import Any

from kafkatui.common.acl import AclOperation
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

CREATE_TOPICS = 19
DELETE_TOPICS = 20
_NO_ID = uuid.UUID(int=0)


def refuse_manual_assignments(assignments: Any) -> None:
    """Manual replica assignments (CreateTopics, CreatePartitions) are not supported yet."""
    if assignments:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "manual replica assignments are not supported yet")


async def create_topics(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(CREATE_TOPICS, ctx.version)
    result_cls = nested(cls, "CreatableTopicResult")
    results = []
    cluster_create = auth.authorize_cluster(ctx, AclOperation.CREATE)
    for t in request.topics:
        try:
            # CREATE on the cluster, or on the topic (KafkaApis.handleCreateTopicsRequest)
            if not cluster_create:
                auth.check_topic(ctx, AclOperation.CREATE, t.name)
            refuse_manual_assignments(t.assignments)
            info = await ctx.cluster.create_topic(
                t.name,
                None if t.num_partitions == -1 else t.num_partitions,
                None if t.replication_factor == -1 else t.replication_factor,
                {c.name: c.value for c in t.configs if c.value is not None},
                validate_only=getattr(request, "validate_only", False),
            )
        except KafkaError as error:
            results.append(
                build(
                    result_cls,
                    name=t.name,
                    topic_id=_NO_ID,
                    error_code=error,
                    error_message=error.message,
                    num_partitions=-1,
                    replication_factor=-1,
                    configs=None,
                )
            )
            continue
        results.append(
            build(
                result_cls,
                name=t.name,
                # validate_only creates nothing: no topic id (zero, as for an error) and
                # no partitions yet, so the counts are the request's.
                topic_id=uuid.UUID(info.topic_id) if info.topic_id else _NO_ID,
                error_code=ErrorCode.NONE,
                error_message=None,
                num_partitions=len(info.partitions) if info.partitions else t.num_partitions,
                replication_factor=info.replication_factor if info.partitions else t.replication_factor,
                configs=(),
            )
        )
    return build(cls, throttle_time=0, topics=tuple(results))


async def delete_topics(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DELETE_TOPICS, ctx.version)
    result_cls = nested(cls, "DeletableTopicResult")
    if hasattr(request, "topic_names"):
        wanted: list[tuple[str | None, uuid.UUID]] = [(n, _NO_ID) for n in request.topic_names]
    else:
        wanted = [(t.name, t.topic_id or _NO_ID) for t in request.topics]
    results = []
    for name, topic_id in wanted:
        try:
            if name is None:
                info = ctx.cluster.metadata.topics_by_id.get(str(topic_id))
                if info is None:
                    raise KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, f"no topic has id {topic_id}")
                name = info.name
            auth.check_topic(ctx, AclOperation.DELETE, name)
            found = ctx.cluster.topic(name)
            await ctx.cluster.delete_topic(name)
            topic_id = uuid.UUID(found.topic_id)
            error: KafkaError | None = None
        except KafkaError as failure:
            error = failure
        results.append(
            build(
                result_cls,
                name=name,
                topic_id=topic_id,
                error_code=error or ErrorCode.NONE,
                error_message=error.message if error else None,
            )
        )
    return build(cls, throttle_time=0, responses=tuple(results))


APIS = [
    Api(CREATE_TOPICS, "CreateTopics", 2, 7, create_topics),
    Api(DELETE_TOPICS, "DeleteTopics", 1, 6, delete_topics),
]
