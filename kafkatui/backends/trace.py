"""The words of the seed's producer path (send → serialize → partition → write), the same
whichever backend sent the record."""

from __future__ import annotations

import json

from kafkatui.backends.base import ProduceRequest, TraceStep
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.utils import murmur2, to_positive


def send_step(request: ProduceRequest, config: ProducerConfig, idempotent: bool, via: str = "") -> TraceStep:
    """What was sent, and with which producer settings."""
    detail = f"topic {request.topic}, key {request.key!r}, acks={config.acks}"
    if idempotent:
        detail += ", idempotent"
    if config.compression_type != "none":
        detail += f", {config.compression_type}"
    if request.transactional_id is not None:
        detail += f", in transaction {request.transactional_id!r}"
    return TraceStep("send", detail + (f" ({via})" if via else ""))


def serialize_step(key: bytes | None, value: bytes | None, value_serializer: str = "") -> TraceStep:
    """How the key and value became bytes: UTF-8 text, or what `value_serializer` names."""
    key_part = "null key" if key is None else f"key {len(key)} B"
    if value is not None and value_serializer:
        key_part += "" if key is None else " (UTF-8)"
        return TraceStep("serialize", f"{key_part}, value {len(value)} B: {value_serializer}")
    kind = "JSON" if value is not None and _is_json(value) else "text"
    value_part = "null value (tombstone)" if value is None else f"{kind} value {len(value)} B"
    return TraceStep("serialize", f"{key_part}, {value_part}, UTF-8")


def partition_step(key: bytes | None, explicit: int | None, chosen: int, n: int) -> TraceStep:
    """Why the record went to `chosen` of `n` partitions (Kafka's default partitioner)."""
    if explicit is not None:
        return TraceStep("partition", f"partition {chosen}, chosen explicitly")
    if key is not None:
        h = to_positive(murmur2(key))
        return TraceStep("partition", f"murmur2(key) = {h}; {h} % {n} partitions = {chosen}")
    return TraceStep("partition", f"no key: sticky partitioner keeps partition {chosen} until a batch fills")


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True
