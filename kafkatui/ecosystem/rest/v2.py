"""Confluent REST Proxy's v2 API (paths, JSON shapes, media types and error codes of
kafka-rest's `resources/v2`), on aiohttp, over a `Backend`.

Media types follow the resources' `@Consumes` / `@Produces`: produce takes one of the
embedded formats' types (`application/vnd.kafka.binary.v2+json`, …; 415 otherwise)
and answers `application/vnd.kafka.v2+json`; a consumer's read answers in the type of
its format (406, error 40601, when the Accept names another)."""

from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web

from kafkatui.backends.base import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, Backend
from kafkatui.common.admin import PartitionDescription
from kafkatui.common.clients import TopicPartition
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.http import json_response as respond
from kafkatui.ecosystem.http import media, read_json, request_type, response_type
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.consumers import ConsumerManager
from kafkatui.ecosystem.rest.formats import (
    CONSUMER_REQUEST_TYPES,
    EMBEDDED_TYPES,
    RECORDS_RESPONSE_TYPES,
    V2_RESPONSE_TYPES,
    EmbeddedFormat,
)
from kafkatui.ecosystem.rest.instance import ConsumerInstance
from kafkatui.ecosystem.rest.produce import RestProducer

BACKEND = web.AppKey("backend", Backend)
PRODUCER = web.AppKey("producer", RestProducer)
CONSUMERS = web.AppKey("consumers", ConsumerManager)

# Every consumer resource reads and answers the v2 type and the embedded ones.
_consumer_media = media(produces=(V2_RESPONSE_TYPES[0], *EMBEDDED_TYPES, "application/json"),
                        consumes=CONSUMER_REQUEST_TYPES)  # fmt: skip


def _no_content() -> web.Response:
    return web.Response(status=204)


def _partition_json(p: PartitionDescription) -> dict[str, Any]:
    return {
        "partition": p.partition,
        "leader": p.leader,
        "replicas": [{"broker": b, "leader": b == p.leader, "in_sync": b in p.isr} for b in p.replicas],
    }


def _topic(backend: Backend, name: str) -> Any:
    try:
        return backend.describe_topic(name)
    except KafkaError:
        raise errors.topic_not_found() from None


def _partition_of(request: web.Request) -> int:
    try:
        return int(request.match_info["partition"])
    except ValueError:
        raise errors.partition_not_found() from None


def _described_partition(backend: Backend, topic: str, partition: int) -> PartitionDescription:
    found = next((p for p in _topic(backend, topic).partitions if p.partition == partition), None)
    if found is None:
        raise errors.partition_not_found()
    return found


# --- topics, partitions, brokers ---------------------------------------------------------


async def root(request: web.Request) -> web.Response:
    return respond(request, {})


async def list_topics(request: web.Request) -> web.Response:
    return respond(request, request.app[BACKEND].topic_names())


async def get_topic(request: web.Request) -> web.Response:
    backend = request.app[BACKEND]
    name = request.match_info["topic"]
    described = _topic(backend, name)
    configs = {c.name: c.value for c in backend.topic_configs(name)}
    partitions = [_partition_json(p) for p in described.partitions]
    return respond(request, {"name": name, "configs": configs, "partitions": partitions})


async def list_partitions(request: web.Request) -> web.Response:
    described = _topic(request.app[BACKEND], request.match_info["topic"])
    return respond(request, [_partition_json(p) for p in described.partitions])


async def get_partition(request: web.Request) -> web.Response:
    p = _described_partition(request.app[BACKEND], request.match_info["topic"], _partition_of(request))
    return respond(request, _partition_json(p))


async def partition_offsets(request: web.Request) -> web.Response:
    backend = request.app[BACKEND]
    topic, partition = request.match_info["topic"], _partition_of(request)
    _described_partition(backend, topic, partition)
    beginning = await backend.list_offsets(topic, [partition], EARLIEST_TIMESTAMP)
    end = await backend.list_offsets(topic, [partition], LATEST_TIMESTAMP)
    return respond(request, {"beginning_offset": beginning[partition], "end_offset": end[partition]})


async def list_brokers(request: web.Request) -> web.Response:
    brokers = [b.broker_id for b in request.app[BACKEND].brokers() if b.running]
    return respond(request, {"brokers": brokers})


# --- produce -----------------------------------------------------------------------------


async def _produce(request: web.Request, partition: int | None) -> web.Response:
    body = await read_json(request, empty=None)
    if body is None:
        raise errors.unprocessable("Request body is empty. Data is required.")
    fmt = EmbeddedFormat.of_media_type(request_type(request))
    assert fmt is not None  # read_json took only the embedded types
    answer = await request.app[PRODUCER].produce(fmt, request.match_info["topic"], partition, body)
    return respond(request, answer)


@media(produces=V2_RESPONSE_TYPES, consumes=EMBEDDED_TYPES)
async def produce_to_topic(request: web.Request) -> web.Response:
    return await _produce(request, None)


@media(produces=V2_RESPONSE_TYPES, consumes=EMBEDDED_TYPES)
async def produce_to_partition(request: web.Request) -> web.Response:
    return await _produce(request, _partition_of(request))


# --- consumer instances ------------------------------------------------------------------


def _instance(request: web.Request) -> ConsumerInstance:
    return request.app[CONSUMERS].get(request.match_info["group"], request.match_info["instance"])


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise errors.bad_request(f"`{name}` must be an integer, not {value!r}")
    return value


def _topic_partitions(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise errors.bad_request("the request must be a JSON object")
    items = body.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise errors.bad_request(f"`{key}` must be a list of objects")
    for item in items:
        if not isinstance(item.get("topic"), str):
            raise errors.bad_request(f"each of `{key}` needs a `topic`")
        _int(item.get("partition"), "partition")
    return items


def _tp(item: dict[str, Any]) -> TopicPartition:
    return TopicPartition(item["topic"], item["partition"])


async def _required(request: web.Request) -> Any:
    body = await read_json(request, empty=None)
    if body is None:
        raise errors.unprocessable("The request body may not be empty.")
    return body


@_consumer_media
async def create_consumer(request: web.Request) -> web.Response:
    group = request.match_info["group"]
    instance = request.app[CONSUMERS].create(group, await read_json(request, empty={}))
    base = f"{request.url.origin()}/consumers/{group}/instances/{instance.name}"
    return respond(request, {"instance_id": instance.name, "base_uri": base})


@_consumer_media
async def delete_consumer(request: web.Request) -> web.Response:
    await request.app[CONSUMERS].delete(request.match_info["group"], request.match_info["instance"])
    return _no_content()


@_consumer_media
async def subscribe(request: web.Request) -> web.Response:
    instance = _instance(request)
    body = await _required(request)
    topics = body.get("topics") if isinstance(body, dict) else None
    pattern = body.get("topic_pattern") if isinstance(body, dict) else None
    if topics is not None and (not isinstance(topics, list) or not all(isinstance(t, str) for t in topics)):
        raise errors.bad_request("`topics` must be a list of topic names")
    if pattern is not None and not isinstance(pattern, str):
        raise errors.bad_request("`topic_pattern` must be a string")
    if not topics and not pattern:
        raise errors.unprocessable("A subscription needs `topics` or a `topic_pattern`.")
    async with instance.lock:
        await instance.subscribe(topics or None, None if topics else pattern)
    return _no_content()


@_consumer_media
async def get_subscription(request: web.Request) -> web.Response:
    return respond(request, {"topics": _instance(request).subscription()})


@_consumer_media
async def unsubscribe(request: web.Request) -> web.Response:
    instance = _instance(request)
    async with instance.lock:
        await instance.unsubscribe()
    return _no_content()


@_consumer_media
async def assign(request: web.Request) -> web.Response:
    instance = _instance(request)
    partitions = [_tp(i) for i in _topic_partitions(await _required(request), "partitions")]
    async with instance.lock:
        await instance.assign(partitions)
    return _no_content()


@_consumer_media
async def get_assignments(request: web.Request) -> web.Response:
    partitions = [{"topic": t, "partition": p} for t, p in _instance(request).assignment()]
    return respond(request, {"partitions": partitions})


def _timestamp_ms(value: Any) -> int:
    """A seek timestamp as Jackson reads a `java.time.Instant`: ISO-8601 text, or a
    number of seconds since the epoch."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000)
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise errors.bad_request(f"`timestamp` {value!r} is not an ISO-8601 instant") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp() * 1000)


@_consumer_media
async def seek(request: web.Request) -> web.Response:
    instance = _instance(request)
    body = await _required(request)
    offsets = {_tp(i): _int(i.get("offset"), "offset") for i in _topic_partitions(body, "offsets")}
    timestamps = [(_tp(i), _timestamp_ms(i.get("timestamp"))) for i in _topic_partitions(body, "timestamps")]
    async with instance.lock:
        await instance.seek(offsets)
        for tp, at in timestamps:
            await instance.seek_to([tp], at)
    return _no_content()


@_consumer_media
async def seek_to_beginning(request: web.Request) -> web.Response:
    instance = _instance(request)
    partitions = [_tp(i) for i in _topic_partitions(await _required(request), "partitions")]
    async with instance.lock:
        await instance.seek_to_beginning(partitions)
    return _no_content()


@_consumer_media
async def seek_to_end(request: web.Request) -> web.Response:
    instance = _instance(request)
    partitions = [_tp(i) for i in _topic_partitions(await _required(request), "partitions")]
    async with instance.lock:
        await instance.seek_to_end(partitions)
    return _no_content()


@_consumer_media
async def commit_offsets(request: web.Request) -> web.Response:
    """Without a body, what reads returned; with `offsets`, each one's offset + 1 (the
    offset of the last record processed, as KafkaConsumerState.commitOffsets reads it)."""
    manager = request.app[CONSUMERS]
    instance = _instance(request)
    body = await read_json(request, empty=None)
    offsets = None
    if body is not None:
        offsets = {_tp(i): _int(i.get("offset"), "offset") + 1 for i in _topic_partitions(body, "offsets")}
    async with instance.lock:
        await instance.commit(offsets, manager.now_ms())
    return respond(request, [])


@_consumer_media
async def committed_offsets(request: web.Request) -> web.Response:
    instance = _instance(request)
    body = await read_json(request, empty=None)
    if body is None:
        raise errors.partition_not_found()  # ConsumersResource.committedOffsets does so
    partitions = [_tp(i) for i in _topic_partitions(body, "partitions")]
    return respond(request, {"offsets": await instance.committed(partitions)})


def _query_int(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "-1")
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request(f"query parameter {name}={raw!r} is not an integer") from None


@media(produces=RECORDS_RESPONSE_TYPES, consumes=CONSUMER_REQUEST_TYPES)
async def read_records(request: web.Request) -> web.Response:
    manager = request.app[CONSUMERS]
    instance = _instance(request)
    if EmbeddedFormat.of_media_type(response_type(request)) is not instance.format:
        raise errors.format_mismatch()
    wait_ms = manager.read_wait_ms(instance, _query_int(request, "timeout"))
    max_bytes = manager.read_max_bytes(_query_int(request, "max_bytes"))
    async with instance.lock:
        records = await instance.read(wait_ms, max_bytes, manager.now_ms)
    instance.last_used_ms = manager.now_ms()
    return respond(request, records)


def add_routes(app: web.Application) -> None:
    """The v2 resources, at the root as Confluent serves them (v3 goes under /v3)."""
    instance = "/consumers/{group}/instances/{instance}"
    app.router.add_routes(
        [
            web.get("/", root),
            web.get("/topics", list_topics),
            web.get("/topics/{topic}", get_topic),
            web.post("/topics/{topic}", produce_to_topic),
            web.get("/topics/{topic}/partitions", list_partitions),
            web.get("/topics/{topic}/partitions/{partition}", get_partition),
            web.post("/topics/{topic}/partitions/{partition}", produce_to_partition),
            web.get("/topics/{topic}/partitions/{partition}/offsets", partition_offsets),
            web.get("/brokers", list_brokers),
            web.post("/consumers/{group}", create_consumer),
            web.delete(instance, delete_consumer),
            web.post(f"{instance}/subscription", subscribe),
            web.get(f"{instance}/subscription", get_subscription),
            web.delete(f"{instance}/subscription", unsubscribe),
            web.post(f"{instance}/assignments", assign),
            web.get(f"{instance}/assignments", get_assignments),
            web.post(f"{instance}/positions", seek),
            web.post(f"{instance}/positions/beginning", seek_to_beginning),
            web.post(f"{instance}/positions/end", seek_to_end),
            web.post(f"{instance}/offsets", commit_offsets),
            web.get(f"{instance}/offsets", committed_offsets),
            web.get(f"{instance}/records", read_records),
        ]
    )
