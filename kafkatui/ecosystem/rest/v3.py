"""Confluent REST Proxy's v3 API (kafka-rest's `resources/v3`): everything under
`/v3/clusters/{cluster_id}`, in application/json, over a `Backend` — the cluster and its
brokers (`v3_cluster`), topics, configs, partitions and replicas (`v3_topics`),
consumer groups and lag (`v3_groups`), and produce, streaming or not (`v3_records`)."""

from __future__ import annotations

from aiohttp import web

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.rest import v3_cluster, v3_groups, v3_records, v3_topics
from kafkatui.ecosystem.rest.produce import RestProducer
from kafkatui.ecosystem.rest.v3_common import V3, V3Context

PREFIX = "/v3/clusters/{cluster_id}"


def add_routes(app: web.Application, backend: Backend, producer: RestProducer, *, max_body: int) -> None:
    """The v3 resources beside v2's, sharing its producer (and so its batches)."""
    app[V3] = V3Context(backend, producer, max_body)
    app.router.add_routes(
        [
            *v3_cluster.routes(PREFIX),
            *v3_topics.routes(PREFIX),
            *v3_groups.routes(PREFIX),
            *v3_records.routes(PREFIX),
        ]
    )
