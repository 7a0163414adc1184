"""REST Proxy v3: the cluster, its brokers and their configs (kafka-rest's
`ClustersResource`, `BrokersResource`, `BrokerConfigsResource`), over a `Backend`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kafkatui.backends.base import BrokerView
from kafkatui.common.admin import ConfigEntry
from kafkatui.ecosystem.http import json_response as respond
from kafkatui.ecosystem.rest.v3_common import (
    V3,
    Cluster,
    cluster,
    kafka_errors,
    not_found,
    path_int,
    v3_media,
)


def cluster_json(c: Cluster) -> dict[str, Any]:
    controller = c.backend.controller_id
    return {
        "kind": "KafkaCluster",
        "metadata": {"self": c.base, "resource_name": c.crn()},
        "cluster_id": c.cluster_id,
        "controller": None if controller < 0 else c.related("brokers", controller),
        "acls": c.related("acls"),
        "brokers": c.related("brokers"),
        "broker_configs": c.related("broker-configs"),
        "consumer_groups": c.related("consumer-groups"),
        "topics": c.related("topics"),
        "partition_reassignments": c.related("topics", "-", "partitions", "-", "reassignment"),
    }


def config_json(c: Cluster, kind: str, owner: tuple[str, object], entry: ConfigEntry) -> dict[str, Any]:
    """AbstractConfigData: a broker's or topic's config; `owner` is ("broker", id) or
    ("topic", name). Synonyms: the one source DescribeConfigs reported."""
    where = ("brokers" if owner[0] == "broker" else "topics", owner[1], "configs", entry.name)
    return c.resource(
        kind, where, (*owner, "config", entry.name),
        **{f"{owner[0]}_id" if owner[0] == "broker" else "topic_name": owner[1]},
        name=entry.name, value=entry.value, is_default=entry.is_default, is_read_only=entry.read_only,
        is_sensitive=entry.sensitive, source=entry.source,
        synonyms=[{"name": entry.name, "value": entry.value, "source": entry.source}],
    )  # fmt: skip


def broker_json(c: Cluster, broker: BrokerView) -> dict[str, Any]:
    # The Backend's BrokerView carries no listener address: host and port are null,
    # as BrokerData allows.
    return c.resource(
        "KafkaBroker", ("brokers", broker.broker_id), ("broker", broker.broker_id),
        broker_id=broker.broker_id, host=None, port=None, rack=None,
        configs=c.related("brokers", broker.broker_id, "configs"),
        partition_replicas=c.related("brokers", broker.broker_id, "partition-replicas"),
    )  # fmt: skip


def _live_brokers(c: Cluster) -> list[BrokerView]:
    """The brokers a Metadata (DescribeCluster) answer lists: those running."""
    return [b for b in c.backend.brokers() if b.running]


def _broker(c: Cluster, request: web.Request) -> BrokerView:
    def missing() -> Any:
        return not_found(f"Broker {request.match_info['broker_id']} cannot be found.")

    broker_id = path_int(request, "broker_id", missing)
    found = next((b for b in _live_brokers(c) if b.broker_id == broker_id), None)
    if found is None:
        raise missing()
    return found


@v3_media
async def list_clusters(request: web.Request) -> web.Response:
    own = await request.app[V3].cluster_id()
    c = Cluster(own, f"{request.url.origin()}/v3/clusters/{own}", request.app[V3])
    listed = {
        "kind": "KafkaClusterList",
        "metadata": {"self": f"{request.url.origin()}/v3/clusters", "next": None},
    }
    return respond(request, {**listed, "data": [cluster_json(c)]})


@v3_media
async def get_cluster(request: web.Request) -> web.Response:
    return respond(request, cluster_json(await cluster(request)))


@v3_media
async def list_brokers(request: web.Request) -> web.Response:
    c = await cluster(request)
    return respond(
        request, c.collection("KafkaBrokerList", ("brokers",), [broker_json(c, b) for b in _live_brokers(c)])
    )


@v3_media
async def get_broker(request: web.Request) -> web.Response:
    c = await cluster(request)
    return respond(request, broker_json(c, _broker(c, request)))


async def _broker_configs(c: Cluster, broker_id: int) -> list[dict[str, Any]]:
    with kafka_errors():
        entries = await c.backend.broker_configs(broker_id)
    return [config_json(c, "KafkaBrokerConfig", ("broker", broker_id), e) for e in entries]


@v3_media
async def list_broker_configs(request: web.Request) -> web.Response:
    c = await cluster(request)
    broker = _broker(c, request)
    data = await _broker_configs(c, broker.broker_id)
    return respond(
        request, c.collection("KafkaBrokerConfigList", ("brokers", broker.broker_id, "configs"), data)
    )


@v3_media
async def all_broker_configs(request: web.Request) -> web.Response:
    """`/brokers/-/configs`: every live broker's configs in one list."""
    c = await cluster(request)
    data = [config for b in _live_brokers(c) for config in await _broker_configs(c, b.broker_id)]
    return respond(request, c.collection("KafkaBrokerConfigList", ("brokers", "-", "configs"), data))


@v3_media
async def get_broker_config(request: web.Request) -> web.Response:
    c = await cluster(request)
    broker = _broker(c, request)
    name = request.match_info["name"]
    found = next((d for d in await _broker_configs(c, broker.broker_id) if d["name"] == name), None)
    if found is None:
        raise not_found(
            f"Config {name} cannot be found for broker {broker.broker_id} in cluster {c.cluster_id}."
        )
    return respond(request, found)


@v3_media
async def cluster_broker_configs(request: web.Request) -> web.Response:
    """`/broker-configs`: the cluster-wide dynamic broker configs (DYNAMIC_DEFAULT_BROKER_CONFIG).
    kafkatui's brokers take their settings at start-up only, so there are none."""
    c = await cluster(request)
    return respond(request, c.collection("KafkaClusterConfigList", ("broker-configs",), []))


def routes(prefix: str) -> list[web.RouteDef]:
    return [
        web.get("/v3/clusters", list_clusters),
        web.get(prefix, get_cluster),
        web.get(f"{prefix}/broker-configs", cluster_broker_configs),
        web.get(f"{prefix}/brokers", list_brokers),
        web.get(f"{prefix}/brokers/-/configs", all_broker_configs),
        web.get(f"{prefix}/brokers/{{broker_id}}", get_broker),
        web.get(f"{prefix}/brokers/{{broker_id}}/configs", list_broker_configs),
        web.get(f"{prefix}/brokers/{{broker_id}}/configs/{{name}}", get_broker_config),
    ]
