"""Session windows' keys on a sink topic (`WINDOW SESSION (gap)`): the aggregation itself
is the Streams library's SessionWindows (its session store holds each session under its
windowed key; pull queries read it with find_sessions).

Before that, kafkatui's own processor kept one record per grouping key in the store's
changelog, the key as JSON and the value every session of it, `[[start, end, aggregate],
…]`. The session store reads its changelog by Kafka's SessionKeySchema (key bytes, end,
start), which such a record is not: `refuse_old_layout` finds one before the query starts
and refuses it, naming the store, rather than let the restore fail inside Streams."""

from __future__ import annotations

import json
import struct
from typing import Any

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.common.clients import ConsumerConfig
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError
from kafkatui.ecosystem.streams import TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError

EMPTY_POLLS = 20  # a changelog read stops after this many empty polls (compaction's gaps)


class SessionWindowedSerde:
    """Kafka's SessionWindowedSerializer: the key's bytes, then the session's end and
    start as 8 bytes each, big-endian (SessionKeySchema)."""

    def __init__(self, inner: Serde) -> None:
        self.inner = inner

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        return (self.inner.serialize(topic, data.key) or b"") + struct.pack(
            ">qq", data.window.end, data.window.start
        )

    def deserialize(self, topic: str, data: bytes | None) -> Windowed | None:
        if data is None:
            return None
        if len(data) < 16:
            raise SerializationError("a session-windowed key is at least 16 bytes")
        end, start = struct.unpack(">qq", data[-16:])
        return Windowed(self.inner.deserialize(topic, bytes(data[:-16])), TimeWindow(start, end))


def _previous_layout(key: bytes | None, value: bytes | None) -> bool:
    """A record of the previous layout: the whole key is JSON (a SessionKeySchema key ends
    in 16 bytes of window bounds, never JSON) and the value a list of [start, end, state]."""
    if key is None:
        return False
    try:
        json.loads(bytes(key))
        sessions = None if value is None else json.loads(bytes(value))
    except ValueError:
        return False
    return sessions is None or (
        isinstance(sessions, list)
        and all(isinstance(s, list) and len(s) == 3 and isinstance(s[0], int) for s in sessions)
    )


async def refuse_old_layout(backend: Backend, app_id: str, store: str, query_id: str) -> None:
    """Refuse to start `query_id` if its session store's changelog holds a record of the
    previous layout (see the module's note): a `KsqlError` naming the store, its
    changelog and what to do."""
    topic = f"{app_id}-{store}-changelog"
    if topic not in backend.topic_names(include_internal=True):
        return
    partitions = list(range(len(backend.describe_topic(topic).partitions)))
    ends = await backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)
    left = {p for p in partitions if ends.get(p, 0) > 0}
    if not left:
        return
    consumer = backend.consumer(ConsumerConfig(enable_auto_commit=False, auto_offset_reset="earliest"))
    try:
        consumer.assign([(topic, p) for p in sorted(left)])
        for p in sorted(left):
            consumer.seek((topic, p), 0)
        empty = 0
        while left and empty < EMPTY_POLLS:
            batch = await consumer.poll(200)
            empty = 0 if batch else empty + 1
            for record in batch:
                if _previous_layout(record.key, record.value):
                    raise KsqlError(
                        f"Query {query_id} cannot start: its session store {store} (changelog "
                        f"{topic}) holds sessions written by kafkatui's previous session-window "
                        "layout (one record per key with all its sessions), which the session store "
                        "cannot read. Create the table again: its new query keeps its sessions in a "
                        "store of its own (the old changelog can then be deleted).",
                        ErrorCode.SERVER_ERROR,
                    )
                if record.offset >= ends[record.partition] - 1:
                    left.discard(record.partition)
    finally:
        await consumer.close()
