"""More admin APIs: DeleteRecords (21), CreatePartitions (37), DeleteGroups (42),
ElectLeaders (43), IncrementalAlterConfigs (44) and DescribeCluster (60), each mapped onto
the engine's own admin call (any broker accepts them: KRaft forwards to the active
controller)."""

from __future__ import annotations

from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.admin import refuse_manual_assignments
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.configs import alter_resource_configs
from kafkatui.wire.metadata import cluster_id

DELETE_RECORDS = 21
CREATE_PARTITIONS = 37
DELETE_GROUPS = 42
ELECT_LEADERS = 43
ELECTION_TYPES = {0: "preferred", 1: "unclean"}  # ElectionType (KIP-460)
INCREMENTAL_ALTER_CONFIGS = 44
DESCRIBE_CLUSTER = 60

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3  # AlterConfigOp.OpType


async def delete_records(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DELETE_RECORDS, ctx.version)
    topic_cls = nested(cls, "DeleteRecordsTopicResult")
    partition_cls = nested(cls, "DeleteRecordsPartitionResult")
    topics = []
    for t in request.topics:
        results = []
        for p in t.partitions:
            try:
                auth.check_topic(ctx, AclOperation.DELETE, t.name)
                low = await ctx.cluster.delete_records(t.name, p.partition_index, p.offset)
                results.append(build(partition_cls, partition_index=p.partition_index, low_watermark=low,
                                     error_code=ErrorCode.NONE))  # fmt: skip
            except KafkaError as error:
                results.append(build(partition_cls, partition_index=p.partition_index, low_watermark=-1,
                                     error_code=error))  # fmt: skip
        topics.append(build(topic_cls, name=t.name, partitions=tuple(results)))
    return build(cls, throttle_time=0, topics=tuple(topics))


async def create_partitions(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(CREATE_PARTITIONS, ctx.version)
    result_cls = nested(cls, "CreatePartitionsTopicResult")
    results = []
    for t in request.topics:
        try:
            auth.check_topic(ctx, AclOperation.ALTER, t.name)
            refuse_manual_assignments(t.assignments)
            await ctx.cluster.create_partitions(t.name, t.count, validate_only=request.validate_only)
            results.append(build(result_cls, name=t.name, error_code=ErrorCode.NONE, error_message=None))
        except KafkaError as error:
            results.append(build(result_cls, name=t.name, error_code=error, error_message=error.message))
    return build(cls, throttle_time=0, results=tuple(results))


async def delete_groups(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DELETE_GROUPS, ctx.version)
    result_cls = nested(cls, "DeletableGroupResult")
    results = []
    for group_id in request.groups_names:
        try:
            auth.check_group(ctx, AclOperation.DELETE, group_id)
            await ctx.cluster.delete_group(group_id)
            results.append(build(result_cls, group_id=group_id, error_code=ErrorCode.NONE))
        except KafkaError as error:
            results.append(build(result_cls, group_id=group_id, error_code=error))
    return build(cls, throttle_time=0, results=tuple(results))


def _topic_changes(ctx: RequestContext, name: str, configs: Any) -> dict[str, str | None]:
    """The resource's AlterableConfigs as engine changes (None deletes an override)."""
    current = ctx.cluster.topic(name).config
    changes: dict[str, str | None] = {}
    for c in configs:
        op = int(c.config_operation)
        if op == SET:
            changes[c.name] = c.value
        elif op == DELETE:
            changes[c.name] = None
        elif op in (APPEND, SUBTRACT):
            value = current.get(c.name)
            if not isinstance(value, list):
                raise KafkaError(
                    ErrorCode.INVALID_CONFIG, f"{c.name} is not a list: APPEND/SUBTRACT need one"
                )
            items = [v.strip() for v in (c.value or "").split(",") if v.strip()]
            kept = (
                [v for v in value if v not in items]
                if op == SUBTRACT
                else value + [v for v in items if v not in value]
            )
            changes[c.name] = ",".join(kept)
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"unknown config operation {op} for {c.name}")
    return changes


async def incremental_alter_configs(ctx: RequestContext, request: Any) -> Any:
    return await alter_resource_configs(ctx, INCREMENTAL_ALTER_CONFIGS, request, _topic_changes)


async def describe_cluster(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_CLUSTER, ctx.version)
    broker_cls = nested(cls, "DescribeClusterBroker")
    brokers = tuple(
        build(broker_cls, broker_id=b, host=host, port=port, rack=None)
        for b, (host, port) in sorted(ctx.server.addresses.items())
        if ctx.cluster.brokers[b].running
    )
    return build(
        cls, throttle_time=0, error_code=ErrorCode.NONE, error_message=None, endpoint_type=1,
        cluster_id=cluster_id(ctx), controller_id=ctx.cluster.controller_id, brokers=brokers,
        cluster_authorized_operations=-2147483648,
    )  # fmt: skip


async def elect_leaders(ctx: RequestContext, request: Any) -> Any:
    """ElectLeaders (KIP-460): preferred (v0's only kind) or unclean elections. Asked for
    every partition (a null list), partitions already led by their preferred replica are
    left out of the answer, as Kafka's controller leaves out ELECTION_NOT_NEEDED then."""
    cls = response_class(ELECT_LEADERS, ctx.version)
    result_cls = nested(cls, "ReplicaElectionResult")
    partition_cls = nested(cls, "PartitionResult")
    election = ELECTION_TYPES.get(int(getattr(request, "election_type", 0)))
    if election is None:
        return build(cls, throttle_time=0, error_code=ErrorCode.INVALID_REQUEST, replica_election_results=())
    if not auth.authorize_cluster(ctx, AclOperation.ALTER):
        error = auth.denied(ResourceType.CLUSTER, AclOperation.ALTER, "")
        return build(cls, throttle_time=0, error_code=error, replica_election_results=())
    wanted = None
    if request.topic_partitions is not None:
        wanted = [(t.topic, int(p)) for t in request.topic_partitions for p in t.partitions]
    results = await ctx.cluster.elect_leaders(election, wanted)
    by_topic: dict[str, list[Any]] = {}
    for (topic, partition), error in sorted(results.items()):
        if wanted is None and error is not None and error.code is ErrorCode.ELECTION_NOT_NEEDED:
            continue
        by_topic.setdefault(topic, []).append(
            build(partition_cls, partition_id=partition, error_code=error.code if error else ErrorCode.NONE,
                  error_message=error.message if error else None)
        )  # fmt: skip
    return build(
        cls,
        throttle_time=0,
        error_code=ErrorCode.NONE,
        replica_election_results=tuple(
            build(result_cls, topic=t, partition_result=tuple(ps)) for t, ps in by_topic.items()
        ),
    )


APIS = [
    Api(DELETE_RECORDS, "DeleteRecords", 0, 2, delete_records),
    Api(CREATE_PARTITIONS, "CreatePartitions", 0, 3, create_partitions),
    Api(DELETE_GROUPS, "DeleteGroups", 0, 2, delete_groups),
    Api(ELECT_LEADERS, "ElectLeaders", 0, 2, elect_leaders),
    Api(INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 0, 1, incremental_alter_configs),
    Api(DESCRIBE_CLUSTER, "DescribeCluster", 0, 1, describe_cluster),
]
