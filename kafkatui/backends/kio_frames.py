"""Kafka request and response frames built with `kio`, for the few requests the
RemoteBackend sends itself because librdkafka has no call for them (DescribeTopicPartitions,
ListTransactions, DescribeTransactions, a Connect worker's group membership).
`kafkatui.wire` frames the same classes, but it is a layer above the backends, so this is
the backends' own small copy of the framing: a 4-byte size, the request header (v1 or v2
as the message class says), the body; and `ask`, one request on a connection of its own."""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import struct
from typing import Any

from kio.index import load_payload_module
from kio.serial import entity_reader, entity_writer
from kio.static.constants import EntityType
from kio.static.primitive import i32

from kafkatui.common.errors import ErrorCode, KafkaError

SIZE = struct.Struct(">i")
_correlation = itertools.count(1)


def request_frame(body: Any, correlation_id: int, client_id: str) -> bytes:
    """`body` (a kio request) framed as it goes on the socket."""
    cls = type(body)
    out = io.BytesIO()
    header = cls.__header_schema__(
        request_api_key=cls.__api_key__,
        request_api_version=cls.__version__,
        correlation_id=i32(correlation_id),
        client_id=client_id,
    )
    entity_writer(cls.__header_schema__)(out, header)
    entity_writer(cls)(out, body)
    payload = out.getvalue()
    return SIZE.pack(len(payload)) + payload


def read_response(payload: bytes, response_cls: type, correlation_id: int, peer: str) -> Any:
    """A response frame's body (without its size), checked to answer `correlation_id`."""
    header, pos = entity_reader(response_cls.__header_schema__)(payload, 0)  # type: ignore[attr-defined]
    if header.correlation_id != correlation_id:
        raise KafkaError(
            ErrorCode.CORRUPT_MESSAGE,
            f"{peer} answered correlation id {header.correlation_id}, expected {correlation_id}",
        )
    return entity_reader(response_cls)(payload, pos)[0]


@functools.cache
def kio_entity(api: tuple[int, int], kind: EntityType, name: str = "") -> Any:
    """The kio class of an (API key, version)'s request or response, or of one of its
    nested entities by `name` (e.g. "JoinGroupRequestProtocol")."""
    module = load_payload_module(api[0], api[1], kind)
    if name:
        return getattr(module, name)
    return next(v for v in vars(module).values() if getattr(v, "__type__", None) is kind)


def api_name(api: tuple[int, int]) -> str:
    return kio_entity(api, EntityType.request).__name__.removesuffix("Request")


async def ask(
    address: str,
    api: tuple[int, int],
    client_id: str,
    timeout_s: float,
    *,
    response_type: type | None = None,
    **fields: Any,
) -> Any:
    """One request to the broker at host:port on a connection of its own; its decoded
    response (NETWORK_EXCEPTION if the broker cannot be reached or closes the connection),
    read as `response_type` when kio's own class cannot read what Kafka sends."""
    host, _, port = address.rpartition(":")
    body = kio_entity(api, EntityType.request)(**fields)
    correlation_id = next(_correlation)
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
            try:
                writer.write(request_frame(body, correlation_id, client_id))
                await writer.drain()
                (size,) = SIZE.unpack(await reader.readexactly(4))
                frame = await reader.readexactly(size)
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
        raise KafkaError(
            ErrorCode.NETWORK_EXCEPTION, f"{api_name(api)} to the broker at {address} failed: {error}"
        ) from None
    response_type = response_type or kio_entity(api, EntityType.response)
    return read_response(frame, response_type, correlation_id, f"the broker at {address}")
