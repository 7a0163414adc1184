"""What every REST Proxy v3 resource shares (kafka-rest's `resources/v3`, `entities/v3`,
`CrnFactoryImpl`, the v3 exception mappers): the cluster id the paths carry, the
resource shapes (`kind`, `metadata` {self, resource_name}, `{related: url}` links, lists
as `{kind, metadata: {self, next}, data}`), the media type (`application/json` only)
and the errors, whose `error_code` is the HTTP status or Confluent's five-digit code
(40403 for an unknown topic or partition, 40002 for a request Kafka refused)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kafkatui.backends.base import Backend
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.http import JSON, Handler, media, read_json
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.errors import RestError
from kafkatui.ecosystem.rest.produce import RestProducer

# Every v3 resource reads and answers application/json (`@Consumes`/`@Produces`
# MediaType.APPLICATION_JSON), whatever the v2 resources beside it take.
v3_media: Callable[[Handler], Handler] = media(produces=(JSON,), consumes=(JSON,))

UNKNOWN_TOPIC_OR_PARTITION = 40403  # rest-utils' KafkaExceptionMapper: 404
KAFKA_BAD_REQUEST = 40002  # KafkaExceptionMapper: a request Kafka refused, 400
# Kafka's errors that KafkaExceptionMapper answers 400 / 40002 (the request is wrong).
_BAD_REQUEST_ERRORS = frozenset({
    ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_PARTITIONS,
    ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_REQUEST, ErrorCode.POLICY_VIOLATION, ErrorCode.UNSUPPORTED_VERSION,
})  # fmt: skip


def unknown_topic_or_partition() -> RestError:
    """Kafka's UnknownTopicOrPartitionException as KafkaExceptionMapper answers it."""
    return RestError(UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.")


def not_found(message: str) -> RestError:
    """A missing entity (kafka-rest's `Entities.checkEntityExists`: a plain 404)."""
    return RestError(404, message)


def payload_error(message: str) -> RestError:
    """Errors.invalidPayloadException, as the v3 OpenAPI shows it answered: 422, code 422."""
    return RestError(422, f"Payload error. {message}")


def from_kafka(error: KafkaError) -> RestError:
    """A Kafka error as rest-utils' KafkaExceptionMapper answers it in v3."""
    if error.code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        return unknown_topic_or_partition()
    if error.code in _BAD_REQUEST_ERRORS:
        return RestError(KAFKA_BAD_REQUEST, error.message)
    return errors.from_kafka(error)


@contextlib.contextmanager
def kafka_errors() -> Any:
    try:
        yield
    except KafkaError as error:
        raise from_kafka(error) from None


async def cluster_id_of(backend: Backend) -> str:
    """The cluster's id (Kafka's `cluster.id`, as DescribeCluster gives it)."""
    if backend.cluster_id:
        return backend.cluster_id
    raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "the cluster does not say its id")


@dataclass
class V3Context:
    """What the v3 resources share: the backend, the producer v2 uses too, and the
    cluster id (read once)."""

    backend: Backend
    producer: RestProducer
    max_body: int
    _cluster_id: str | None = None

    async def cluster_id(self) -> str:
        if self._cluster_id is None:
            self._cluster_id = await cluster_id_of(self.backend)
        return self._cluster_id


V3 = web.AppKey("v3", V3Context)


@dataclass(frozen=True)
class Cluster:
    """The cluster a request's path names, checked, with the URLs and CRNs under it."""

    cluster_id: str
    base: str  # http://host:port/v3/clusters/<id>
    context: V3Context

    @property
    def backend(self) -> Backend:
        return self.context.backend

    def url(self, *parts: object) -> str:
        return "/".join((self.base, *(str(p) for p in parts)))

    def crn(self, *pairs: object) -> str:
        """A Confluent Resource Name (CrnFactoryImpl, empty authority):
        `crn:///kafka=<id>/topic=<name>/...`; `pairs` alternate type and id (an id of None:
        the type alone, as `lag-summary`)."""
        parts = ["crn://", f"kafka={self.cluster_id}"]
        for kind, name in zip(pairs[::2], pairs[1::2], strict=True):
            parts.append(str(kind) if name is None else f"{kind}={name}")
        return "/".join(parts)

    def related(self, *parts: object) -> dict[str, str]:
        return {"related": self.url(*parts)}

    def resource(
        self, kind: str, path: Sequence[object], crn: Sequence[object], **fields: Any
    ) -> dict[str, Any]:
        return {
            "kind": kind,
            "metadata": {"self": self.url(*path), "resource_name": self.crn(*crn)},
            "cluster_id": self.cluster_id,
            **fields,
        }

    def collection(self, kind: str, path: Sequence[object], data: list[dict[str, Any]]) -> dict[str, Any]:
        return {"kind": kind, "metadata": {"self": self.url(*path), "next": None}, "data": data}


async def cluster(request: web.Request) -> Cluster:
    """The path's cluster; another id is 404 as ClusterManager answers it."""
    context = request.app[V3]
    own = await context.cluster_id()
    named = request.match_info["cluster_id"]
    if named != own:
        raise not_found(f"Cluster {named} cannot be found.")
    return Cluster(own, f"{request.url.origin()}/v3/clusters/{own}", context)


def path_int(request: web.Request, name: str, missing: Callable[[], RestError]) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise missing() from None


async def body_object(request: web.Request) -> dict[str, Any]:
    """A required JSON object body (422 when empty, 400 when not an object)."""
    body = await read_json(request, empty=None)
    if body is None:
        raise payload_error("Request body is empty. Data is required.")
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    return body


def no_content() -> web.Response:
    return web.Response(status=204)
