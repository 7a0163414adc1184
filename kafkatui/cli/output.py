"""Shared formatting for people (Rich) and scripts (JSON)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from kafkatui.formatting import human_bytes

if TYPE_CHECKING:  # the engine loads when a command runs, not when it is parsed
    from kafkatui.common.admin import TopicDescription

__all__ = ["bytes_to_json", "describe_json", "human_bytes", "print_json"]


def print_json(obj: Any) -> None:
    """One JSON document on stdout, with no Rich markup in the way."""
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def bytes_to_json(data: bytes | None) -> tuple[str | None, bool]:
    """Text if the bytes are UTF-8, otherwise base64; the flag says which."""
    if data is None:
        return None, False
    try:
        return data.decode(), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), True


def describe_json(desc: TopicDescription) -> dict[str, Any]:
    return {
        "name": desc.name,
        "topic_id": desc.topic_id,
        "partition_count": len(desc.partitions),
        "replication_factor": desc.replication_factor,
        "record_count": desc.record_count,
        "size_bytes": desc.size_bytes,
        "configs": desc.configs,
        "partitions": [
            {
                "partition": p.partition,
                "leader": p.leader,
                "leader_epoch": p.leader_epoch,
                "replicas": list(p.replicas),
                "isr": list(p.isr),
                "log_start_offset": p.log_start_offset,
                "log_end_offset": p.log_end_offset,
                "high_watermark": p.high_watermark,
                "size_bytes": p.size_bytes,
            }
            for p in desc.partitions
        ],
    }
