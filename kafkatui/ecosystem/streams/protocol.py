"""What Streams instances tell each other through their group: Kafka's SubscriptionInfo
(in each member's JoinGroup metadata) and AssignmentInfo (in each member's SyncGroup
assignment), carried as the user data of the ordinary consumer protocol, so the group
reads as a "consumer" group with the assignor "stream" to every tool
(ConsumerProtocolSubscription v0: topics, user data; ConsumerProtocolAssignment v0:
partitions, user data).

Kafka encodes both user data as versioned structs (SubscriptionInfoData,
AssignmentInfo v10); here they are versioned JSON objects, readable in a dump of the
group and with the same fields: the process id, `application.server`, the previous
active and standby tasks, the task offset sums (KIP-441) in the subscription; the
active and standby tasks, partitions by host and standby partitions by host (KIP-535)
in the assignment."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.kafka_types import read_bytes, read_string, write_bytes, write_string

PROTOCOL_TYPE = "consumer"
ASSIGNOR = "stream"  # StreamsPartitionAssignor#name
VERSION = 1
# SubscriptionInfo's offset sum for a task the member runs now (Task.LATEST_OFFSET).
LATEST_OFFSET = -2


@dataclass
class SubscriptionInfo:
    process_id: str
    application_server: str | None = None
    previous_active: list[str] = field(default_factory=list)
    previous_standby: list[str] = field(default_factory=list)
    task_offset_sums: dict[str, int] = field(default_factory=dict)  # task -> sum of checkpointed offsets


@dataclass
class AssignmentInfo:
    active_tasks: list[str] = field(default_factory=list)
    standby_tasks: list[str] = field(default_factory=list)
    partitions_by_host: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    standby_partitions_by_host: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    error_code: int = 0  # AssignmentInfo's errCode (0: none)


def _partitions(partitions: Sequence[tuple[str, int]]) -> bytes:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in partitions:
        by_topic.setdefault(topic, []).append(partition)
    out = struct.pack(">i", len(by_topic))
    for topic, numbers in sorted(by_topic.items()):
        out += write_string(topic) + struct.pack(f">i{len(numbers)}i", len(numbers), *sorted(numbers))
    return out


def encode_subscription(topics: Sequence[str], info: SubscriptionInfo) -> bytes:
    data = json.dumps({"version": VERSION, **info.__dict__}, sort_keys=True).encode()
    body = struct.pack(">hi", 0, len(topics)) + b"".join(write_string(t) for t in sorted(topics))
    return body + write_bytes(data)


def _user_data(data: bytes, what: str) -> dict:
    try:
        found = json.loads(data)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("version"), int):
        # A member with another assignor's user data: Kafka's assignor fails the same way.
        raise KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, f"unreadable Streams {what} user data")
    found.pop("version")
    return found


def decode_subscription(data: bytes) -> tuple[list[str], SubscriptionInfo]:
    _, count = struct.unpack_from(">hi", data, 0)
    pos, topics = 6, []
    for _ in range(count):
        topic, pos = read_string(data, pos)
        topics.append(topic)
    user, _ = read_bytes(data, pos)
    return topics, SubscriptionInfo(**_user_data(user, "subscription"))


def encode_assignment(partitions: Sequence[tuple[str, int]], info: AssignmentInfo) -> bytes:
    data = json.dumps({"version": VERSION, **info.__dict__}, sort_keys=True).encode()
    return struct.pack(">h", 0) + _partitions(partitions) + write_bytes(data)


def decode_assignment(data: bytes) -> tuple[list[tuple[str, int]], AssignmentInfo]:
    if not data:  # a member the leader left out
        return [], AssignmentInfo()
    (count,) = struct.unpack_from(">i", data, 2)
    pos, partitions = 6, []
    for _ in range(count):
        topic, pos = read_string(data, pos)
        (n,) = struct.unpack_from(">i", data, pos)
        partitions += [(topic, p) for p in struct.unpack_from(f">{n}i", data, pos + 4)]
        pos += 4 + 4 * n
    user, _ = read_bytes(data, pos)
    raw = _user_data(user, "assignment")
    for key in ("partitions_by_host", "standby_partitions_by_host"):
        raw[key] = {host: [(t, int(p)) for t, p in parts] for host, parts in raw.get(key, {}).items()}
    return partitions, AssignmentInfo(**raw)
