"""Metadata (key 3): the brokers clients may connect to and who leads each partition.

Each broker is advertised at its own listener address. Only unfenced (running,
registered) brokers are listed, as in KRaft. A topic asked for by name that does not
exist is created when the broker's `auto.create.topics.enable` and the request's
`allow_auto_topic_creation` (v4+; older versions always allow it) both say so, with
`num.partitions` and `default.replication.factor` (Kafka's `AutoTopicCreationManager`);
`__consumer_offsets` and `__transaction_state` are left to their coordinators, which
create them on first use. *Differs from Kafka:* the topic is created before the answer,
so it is described at once where Kafka first answers LEADER_NOT_AVAILABLE.
"""

from __future__ import annotations

import uuid
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC
from kafkatui.engine.coordinator.transaction.coordinator import TRANSACTION_STATE_TOPIC
from kafkatui.engine.metadata.image import TopicInfo
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

API_KEY = 3
_NO_ID = uuid.UUID(int=0)


def cluster_id(ctx: RequestContext) -> str:
    """The id in the metadata log (`cluster.id`, as `kafka-storage format` writes to
    meta.properties): clients compare it across brokers and reconnects."""
    return ctx.cluster.metadata.cluster_id


def offline_replicas(ctx: RequestContext, replicas: tuple[int, ...], live: list[int]) -> tuple[int, ...]:
    """Replicas on a broker that is not live or whose log dir is offline (KIP-112; as
    Kafka's `KRaftMetadataCache.getOfflineReplicas`)."""
    brokers = ctx.cluster.metadata.brokers
    return tuple(r for r in replicas if r not in live or not brokers[r].dir_online)


def live_brokers(ctx: RequestContext) -> list[int]:
    image = ctx.cluster.metadata
    return [
        b
        for b in sorted(ctx.server.addresses)
        if b in image.brokers and not image.brokers[b].fenced and ctx.cluster.brokers[b].running
    ]


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(API_KEY, ctx.version)
    broker_cls = nested(cls, "MetadataResponseBroker")
    topic_cls = nested(cls, "MetadataResponseTopic")
    partition_cls = nested(cls, "MetadataResponsePartition")
    image = ctx.cluster.metadata
    live = live_brokers(ctx)
    brokers = tuple(
        build(
            broker_cls, node_id=b, host=ctx.server.addresses[b][0], port=ctx.server.addresses[b][1], rack=None
        )
        for b in live
    )

    def describe(info: TopicInfo) -> Any:
        partitions = []
        for p in info.partitions:
            error = ErrorCode.NONE if p.leader in live else ErrorCode.LEADER_NOT_AVAILABLE
            partitions.append(
                build(
                    partition_cls,
                    error_code=error,
                    partition_index=p.partition,
                    leader_id=p.leader if p.leader in live else -1,
                    leader_epoch=p.leader_epoch,
                    replica_nodes=p.replicas,
                    isr_nodes=p.isr,
                    offline_replicas=offline_replicas(ctx, p.replicas, live),
                )
            )
        return build(
            topic_cls,
            error_code=ErrorCode.NONE,
            name=info.name,
            topic_id=uuid.UUID(info.topic_id),
            is_internal=info.is_internal,
            partitions=tuple(partitions),
        )

    def missing(name: str | None, topic_id: uuid.UUID | None, error: ErrorCode | None = None) -> Any:
        return build(
            topic_cls,
            error_code=error
            or (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if name else ErrorCode.UNKNOWN_TOPIC_ID),
            name=name if name is not None or ctx.version >= 12 else "",  # nullable from v12
            topic_id=topic_id or _NO_ID,
            partitions=(),
        )

    wanted = request.topics
    auto_create = ctx.cluster.defaults.auto_create_topics_enable and getattr(
        request, "allow_auto_topic_creation", True
    )
    denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED
    if wanted is None or (ctx.version == 0 and not wanted):  # v0: an empty list means all
        # Topics the principal may not DESCRIBE are left out of a full listing, unnamed.
        visible = auth.filter_authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, image.topics, str)
        topics = tuple(describe(t) for name, t in sorted(image.topics.items()) if name in visible)
    else:
        out = []
        for t in wanted:
            topic_id = getattr(t, "topic_id", None)
            info = image.topics.get(t.name) if t.name else None
            if info is None and topic_id is not None and topic_id != _NO_ID:
                info = image.topics_by_id.get(str(topic_id))
            name = t.name or (info.name if info is not None else None)
            # DESCRIBE is checked before existence, so a refusal never says whether it exists.
            if name is not None and not auth.authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name):
                out.append(missing(t.name, topic_id, denied))
                continue
            if info is None and t.name and auto_create:
                if not _may_create(ctx, t.name):
                    out.append(missing(t.name, topic_id, denied))
                    continue
                try:
                    info = await _auto_create(ctx, t.name)
                except KafkaError as error:
                    out.append(missing(t.name, topic_id, error.code))
                    continue
            out.append(describe(info) if info is not None else missing(t.name, topic_id))
        topics = tuple(out)
    controller = ctx.cluster.controller_id
    return build(
        cls,
        throttle_time=0,
        brokers=brokers,
        cluster_id=cluster_id(ctx),
        controller_id=controller if controller in live else -1,
        topics=topics,
    )


def _may_create(ctx: RequestContext, name: str) -> bool:
    """Auto-creation needs CREATE on the cluster or on the topic (KafkaApis)."""
    return auth.authorize_cluster(ctx, AclOperation.CREATE) or auth.authorize(
        ctx, AclOperation.CREATE, ResourceType.TOPIC, name
    )


async def _auto_create(ctx: RequestContext, name: str) -> TopicInfo | None:
    """Create a topic a client asked for (None if it was an internal topic's name)."""
    if name in (OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC):
        return None  # created by their coordinators (on the first FindCoordinator) only
    try:
        return await ctx.cluster.create_topic(name)
    except KafkaError as error:
        if error.code is ErrorCode.TOPIC_ALREADY_EXISTS:  # created meanwhile
            return ctx.cluster.metadata.topics.get(name)
        raise


APIS = [Api(API_KEY, "Metadata", 0, 12, handle)]
