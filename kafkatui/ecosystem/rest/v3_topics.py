"""REST Proxy v3: topics, their configs, partitions and replicas (kafka-rest's
`TopicsResource`, `TopicConfigsResource`, `AlterTopicConfigBatchAction`,
`PartitionsResource`, `ReplicasResource`, `ListAllReassignmentsAction`), over a
`Backend`. Kafka's own refusals (an existing topic, too large a replication factor, an
unknown config) are 400 with code 40002 and Kafka's message, as KafkaExceptionMapper
answers them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kafkatui.common.admin import PartitionDescription, TopicDescription
from kafkatui.common.errors import KafkaError
from kafkatui.common.topic import validate_topic_name
from kafkatui.ecosystem.http import json_response as respond
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.v3_cluster import config_json
from kafkatui.ecosystem.rest.v3_common import (
    Cluster,
    body_object,
    cluster,
    kafka_errors,
    no_content,
    not_found,
    path_int,
    payload_error,
    unknown_topic_or_partition,
    v3_media,
)


def _described(c: Cluster, name: str) -> TopicDescription:
    try:
        return c.backend.describe_topic(name)
    except KafkaError:
        raise unknown_topic_or_partition() from None


def _partition(c: Cluster, request: web.Request) -> tuple[TopicDescription, PartitionDescription]:
    topic = _described(c, request.match_info["topic_name"])
    partition_id = path_int(request, "partition_id", unknown_topic_or_partition)
    found = next((p for p in topic.partitions if p.partition == partition_id), None)
    if found is None:
        raise unknown_topic_or_partition()
    return topic, found


def topic_json(c: Cluster, topic: TopicDescription, internal: bool) -> dict[str, Any]:
    name = topic.name
    return c.resource(
        "KafkaTopic", ("topics", name), ("topic", name),
        topic_name=name, is_internal=internal, replication_factor=topic.replication_factor,
        partitions_count=len(topic.partitions),
        partitions=c.related("topics", name, "partitions"),
        configs=c.related("topics", name, "configs"),
        partition_reassignments=c.related("topics", name, "partitions", "-", "reassignment"),
    )  # fmt: skip


def _internal(c: Cluster, name: str) -> bool:
    return name in c.backend.topic_names(include_internal=True) and name not in c.backend.topic_names()


# --- topics ------------------------------------------------------------------------------


@v3_media
async def list_topics(request: web.Request) -> web.Response:
    c = await cluster(request)
    data = []
    for name in c.backend.topic_names():  # ListTopics' default: internal topics left out
        try:
            data.append(topic_json(c, c.backend.describe_topic(name), False))
        except KafkaError:
            continue  # deleted while listing
    return respond(request, c.collection("KafkaTopicList", ("topics",), data))


@v3_media
async def get_topic(request: web.Request) -> web.Response:
    c = await cluster(request)
    name = request.match_info["topic_name"]
    return respond(request, topic_json(c, _described(c, name), _internal(c, name)))


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise errors.bad_request(f"`{name}` must be an integer, not {value!r}")
    return value


def _configs(body: dict[str, Any]) -> dict[str, str | None]:
    """`configs` / `data`: a list of {name, value} (CreateTopicRequest's ConfigEntry)."""
    items = body.get("configs") or []
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
    ):
        raise errors.bad_request("`configs` must be a list of objects with a `name`")
    out: dict[str, str | None] = {}
    for item in items:
        value = item.get("value")
        if value is not None and not isinstance(value, str):
            raise errors.bad_request(f"the value of config {item['name']} must be a string")
        out[item["name"]] = value
    return out


@v3_media
async def create_topic(request: web.Request) -> web.Response:
    """201 with the topic (200 under validate_only), as TopicsResource.createTopic."""
    c = await cluster(request)
    body = await body_object(request)
    name = body.get("topic_name")
    if not isinstance(name, str):
        raise payload_error("Invalid topic name.")
    try:
        validate_topic_name(name)
    except KafkaError:
        raise payload_error("Invalid topic name.") from None
    partitions = _optional_int(body, "partitions_count")
    replication = _optional_int(body, "replication_factor")
    configs = {k: v for k, v in _configs(body).items() if v is not None}
    validate_only = body.get("validate_only") is True
    with kafka_errors():
        await c.backend.create_topic(name, partitions, replication, configs, validate_only=validate_only)
    if validate_only:
        # Nothing exists to describe: the topic as asked for (TopicsResource builds it from
        # the request, the replication factor 0 when not given).
        answer = c.resource(
            "KafkaTopic", ("topics", name), ("topic", name),
            topic_name=name, is_internal=False, replication_factor=replication or 0,
            partitions_count=partitions or 0, partitions=c.related("topics", name, "partitions"),
            configs=c.related("topics", name, "configs"),
            partition_reassignments=c.related("topics", name, "partitions", "-", "reassignment"),
        )  # fmt: skip
        return respond(request, answer, 200)
    answer = topic_json(c, _described(c, name), False)
    response = respond(request, answer, 201)
    response.headers["Location"] = answer["metadata"]["self"]
    return response


@v3_media
async def delete_topic(request: web.Request) -> web.Response:
    c = await cluster(request)
    name = request.match_info["topic_name"]
    _described(c, name)
    with kafka_errors():
        await c.backend.delete_topic(name)
    return no_content()


# --- topic configs -----------------------------------------------------------------------


def _topic_configs(c: Cluster, name: str) -> list[dict[str, Any]]:
    _described(c, name)
    with kafka_errors():
        entries = c.backend.topic_configs(name)
    return [config_json(c, "KafkaTopicConfig", ("topic", name), e) for e in entries]


def _one_config(c: Cluster, request: web.Request) -> dict[str, Any]:
    topic, name = request.match_info["topic_name"], request.match_info["name"]
    found = next((d for d in _topic_configs(c, topic) if d["name"] == name), None)
    if found is None:
        raise not_found(f"Config {name} cannot be found for topic {topic} in cluster {c.cluster_id}.")
    return found


@v3_media
async def list_topic_configs(request: web.Request) -> web.Response:
    c = await cluster(request)
    topic = request.match_info["topic_name"]
    return respond(
        request, c.collection("KafkaTopicConfigList", ("topics", topic, "configs"), _topic_configs(c, topic))
    )


@v3_media
async def get_topic_config(request: web.Request) -> web.Response:
    c = await cluster(request)
    return respond(request, _one_config(c, request))


@v3_media
async def update_topic_config(request: web.Request) -> web.Response:
    """PUT {value}: IncrementalAlterConfigs SET of one config."""
    c = await cluster(request)
    _one_config(c, request)
    value = (await body_object(request)).get("value")
    if value is not None and not isinstance(value, str):
        raise errors.bad_request("`value` must be a string")
    with kafka_errors():
        await c.backend.alter_topic_configs(
            request.match_info["topic_name"], {request.match_info["name"]: value}
        )
    return no_content()


@v3_media
async def reset_topic_config(request: web.Request) -> web.Response:
    """DELETE: IncrementalAlterConfigs DELETE, back to the broker's (or Kafka's) default."""
    c = await cluster(request)
    _one_config(c, request)
    with kafka_errors():
        await c.backend.alter_topic_configs(
            request.match_info["topic_name"], {request.match_info["name"]: None}
        )
    return no_content()


@v3_media
async def alter_topic_configs(request: web.Request) -> web.Response:
    """`configs:alter` {data: [{name, value, operation: SET|DELETE}], validate_only}:
    every change in one IncrementalAlterConfigs (all or none)."""
    c = await cluster(request)
    topic = request.match_info["topic_name"]
    known = {d["name"] for d in _topic_configs(c, topic)}
    body = await body_object(request)
    items = body.get("data")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
    ):
        raise errors.bad_request("`data` must be a list of objects with a `name`")
    changes: dict[str, str | None] = {}
    for item in items:
        operation = str(item.get("operation") or "SET").upper()
        if operation not in ("SET", "DELETE"):
            raise errors.bad_request(f"operation {item.get('operation')!r} is not SET or DELETE")
        value = item.get("value")
        if operation == "SET" and not isinstance(value, str):
            raise errors.bad_request(f"config {item['name']}: SET needs a string `value`")
        if item["name"] not in known:
            raise not_found(
                f"Config {item['name']} cannot be found for topic {topic} in cluster {c.cluster_id}."
            )
        changes[item["name"]] = value if operation == "SET" else None
    if body.get("validate_only") is not True and changes:
        with kafka_errors():
            await c.backend.alter_topic_configs(topic, changes)
    return no_content()


# --- partitions, replicas, reassignments -------------------------------------------------


def partition_json(c: Cluster, topic: str, p: PartitionDescription) -> dict[str, Any]:
    here = ("topics", topic, "partitions", p.partition)
    return c.resource(
        "KafkaPartition", here, ("topic", topic, "partition", p.partition),
        topic_name=topic, partition_id=p.partition,
        leader=None if p.leader < 0 else c.related(*here, "replicas", p.leader),
        replicas=c.related(*here, "replicas"), reassignment=c.related(*here, "reassignment"),
    )  # fmt: skip


def replica_json(c: Cluster, topic: str, p: PartitionDescription, broker_id: int) -> dict[str, Any]:
    here = ("topics", topic, "partitions", p.partition, "replicas", broker_id)
    return c.resource(
        "KafkaReplica", here, ("topic", topic, "partition", p.partition, "replica", broker_id),
        topic_name=topic, partition_id=p.partition, broker_id=broker_id, is_leader=broker_id == p.leader,
        is_in_sync=broker_id in p.isr, broker=c.related("brokers", broker_id),
    )  # fmt: skip


@v3_media
async def list_partitions(request: web.Request) -> web.Response:
    c = await cluster(request)
    topic = _described(c, request.match_info["topic_name"])
    data = [partition_json(c, topic.name, p) for p in topic.partitions]
    return respond(request, c.collection("KafkaPartitionList", ("topics", topic.name, "partitions"), data))


@v3_media
async def get_partition(request: web.Request) -> web.Response:
    c = await cluster(request)
    topic, p = _partition(c, request)
    return respond(request, partition_json(c, topic.name, p))


@v3_media
async def list_replicas(request: web.Request) -> web.Response:
    c = await cluster(request)
    topic, p = _partition(c, request)
    data = [replica_json(c, topic.name, p, b) for b in p.replicas]
    where = ("topics", topic.name, "partitions", p.partition, "replicas")
    return respond(request, c.collection("KafkaReplicaList", where, data))


@v3_media
async def get_replica(request: web.Request) -> web.Response:
    c = await cluster(request)
    topic, p = _partition(c, request)
    broker_id = path_int(request, "broker_id", unknown_topic_or_partition)
    if broker_id not in p.replicas:
        raise not_found(f"Replica {broker_id} cannot be found.")
    return respond(request, replica_json(c, topic.name, p, broker_id))


@v3_media
async def broker_replicas(request: web.Request) -> web.Response:
    """`/brokers/{id}/partition-replicas`: every partition replica the broker hosts."""
    c = await cluster(request)
    raw = request.match_info["broker_id"]
    broker_id = path_int(request, "broker_id", lambda: not_found(f"Broker {raw} cannot be found."))
    if broker_id not in {b.broker_id for b in c.backend.brokers() if b.running}:
        raise not_found(f"Broker {broker_id} cannot be found.")
    data = []
    for name in c.backend.topic_names():
        try:
            topic = c.backend.describe_topic(name)
        except KafkaError:
            continue  # deleted while listing
        data += [replica_json(c, name, p, broker_id) for p in topic.partitions if broker_id in p.replicas]
    return respond(
        request, c.collection("KafkaReplicaList", ("brokers", broker_id, "partition-replicas"), data)
    )


@v3_media
async def list_reassignments(request: web.Request) -> web.Response:
    """ListPartitionReassignments: kafkatui never moves replicas, so there are none
    (a topic named in the path must exist)."""
    c = await cluster(request)
    topic = request.match_info.get("topic_name")
    if topic is not None:
        _described(c, topic)
    where = ("topics", topic or "-", "partitions", "-", "reassignment")
    return respond(request, c.collection("KafkaReassignmentList", where, []))


@v3_media
async def get_reassignment(request: web.Request) -> web.Response:
    """One partition's reassignment: never one in progress, so GetReassignmentAction's
    bare NotFoundException (once the partition is known to exist)."""
    c = await cluster(request)
    _partition(c, request)
    raise not_found("HTTP 404 Not Found")


def routes(prefix: str) -> list[web.RouteDef]:
    topic = f"{prefix}/topics/{{topic_name}}"
    partition = f"{topic}/partitions/{{partition_id}}"
    return [
        web.get(f"{prefix}/topics/-/partitions/-/reassignment", list_reassignments),
        web.get(f"{prefix}/topics", list_topics),
        web.post(f"{prefix}/topics", create_topic),
        web.get(topic, get_topic),
        web.delete(topic, delete_topic),
        web.get(f"{topic}/configs", list_topic_configs),
        web.post(f"{topic}/configs:alter", alter_topic_configs),
        web.get(f"{topic}/configs/{{name}}", get_topic_config),
        web.put(f"{topic}/configs/{{name}}", update_topic_config),
        web.delete(f"{topic}/configs/{{name}}", reset_topic_config),
        web.get(f"{topic}/partitions/-/reassignment", list_reassignments),
        web.get(f"{topic}/partitions", list_partitions),
        web.get(partition, get_partition),
        web.get(f"{partition}/replicas", list_replicas),
        web.get(f"{partition}/reassignment", get_reassignment),
        web.get(f"{partition}/replicas/{{broker_id}}", get_replica),
        web.get(f"{prefix}/brokers/{{broker_id}}/partition-replicas", broker_replicas),
    ]
