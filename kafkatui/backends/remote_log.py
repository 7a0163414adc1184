"""Reading a partition's log over the wire, as the Log panel shows it: one
confluent-kafka consumer without a group that assigns the partition, seeks and reads up
to the high watermark.

A client gets records, not batch headers, so each record read back is shown as its own
batch: CRC, producer id and sequence read as unknown, the compression as "unknown".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from confluent_kafka import TopicPartition as CKTopicPartition

from kafkatui.backends.base import BatchView, LogRecordView
from kafkatui.backends.confluent import call, consumer_conf, record_of
from kafkatui.backends.remote_admin import TIMEOUT_S
from kafkatui.common.clients import ConsumerConfig

# librdkafka's RD_KAFKA_RESP_ERR__PARTITION_EOF, with enable.partition.eof.
_PARTITION_EOF = -191


class LogReader:
    """One consumer, created on the first read and used by one read at a time."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._reader: Any = None
        self._lock = asyncio.Lock()

    async def read(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
        """Records from `offset` on (at most `limit`, up to the high watermark)."""
        async with self._lock:
            if self._reader is None:
                from confluent_kafka import Consumer

                config = ConsumerConfig(auto_offset_reset="earliest", client_id="kafkatui-log-view")
                self._reader = Consumer(
                    {**consumer_conf(self.bootstrap_servers, config), "enable.partition.eof": True}
                )
            return await call(_read, self._reader, topic, partition, offset, limit)

    async def close(self) -> None:
        async with self._lock:
            if self._reader is not None:
                await call(self._reader.close)
                self._reader = None


def _read(reader: Any, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
    low, high = reader.get_watermark_offsets(CKTopicPartition(topic, partition), timeout=TIMEOUT_S)
    start = max(offset, low)
    if start >= high or limit <= 0:
        return []
    reader.assign([CKTopicPartition(topic, partition, start)])
    out: list[LogRecordView] = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(out) < limit and time.monotonic() < deadline:
        for message in reader.consume(min(limit - len(out), 500), 0.5):
            error = message.error()
            if error is not None:
                if error.code() == _PARTITION_EOF:  # read up to the high watermark
                    return out
                continue
            r = record_of(message)
            out.append(_record_view(r))
            if r.offset >= high - 1 or len(out) >= limit:
                return out
    return out


def _record_view(r: Any) -> LogRecordView:
    size = len(r.key or b"") + len(r.value or b"")
    epoch = r.leader_epoch
    batch = BatchView(
        r.offset, r.offset, 1, size, 0, epoch, -1, -1, -1, False, False, "unknown",
        r.timestamp_type.config_name, r.timestamp,
    )  # fmt: skip
    headers = tuple((k, v) for k, v in r.headers)
    return LogRecordView(r.partition, r.offset, r.timestamp, r.key, r.value, headers, batch)
