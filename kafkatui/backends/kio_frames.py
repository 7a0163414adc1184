"""Kafka request and response frames built with `kio`, for the few requests the
RemoteBackend sends itself because librdkafka has no call for them (DescribeTopicPartitions,
ListTransactions, DescribeTransactions). `kafkatui.wire` frames the same classes, but it
is a layer above the backends, so this is the backends' own small copy of the framing:
a 4-byte size, the request header (v1 or v2 as the message class says), the body."""

from __future__ import annotations

import io
import struct
from typing import Any

from kio.serial import entity_reader, entity_writer
from kio.static.primitive import i32

from kafkatui.common.errors import ErrorCode, KafkaError

SIZE = struct.Struct(">i")


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
