"""The eligible leader replicas of a remote cluster's partitions, from DescribeTopicPartitions
(key 75, KIP-966), which librdkafka does not speak.

Metadata tells a client the ISR, not who else may lead: the ELR (replicas that left the
ISR while it was below `min.insync.replicas`, holding every committed record) and the
last known ELR (those that may have lost data). Kafka 3.7+ brokers (and kafkatui's)
answer DescribeTopicPartitions with both; Java's AdminClient asks it for
`describeTopics`. This keeps one plain connection of its own to a broker (ApiVersions
first, as every client does, to learn whether the broker has key 75), sends the request
in kio's frames and follows `NextCursor` until every partition is described.

A broker that does not advertise key 75 (older Kafka, tansu), or any failure on this
connection, leaves the descriptions as Metadata gave them: the ELR is extra detail, the
snapshot was already read.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Mapping
from typing import Any

from kio.schema.api_versions.v0.request import ApiVersionsRequest
from kio.schema.api_versions.v0.response import ApiVersionsResponse
from kio.schema.describe_topic_partitions.v0.request import (
    Cursor,
    DescribeTopicPartitionsRequest,
    TopicRequest,
)
from kio.schema.describe_topic_partitions.v0.response import DescribeTopicPartitionsResponse
from kio.serial.errors import SerialError
from kio.static.primitive import i32

from kafkatui.backends.kio_frames import SIZE, read_response, request_frame
from kafkatui.common.admin import TopicDescription
from kafkatui.common.errors import KafkaError

API_KEY = 75
CLIENT_ID = "kafkatui"
# Kafka's AdminClient asks for at most this many partitions a page
# (`partitionSizeLimitPerResponse`, the broker's max.request.partition.size.limit).
PARTITION_LIMIT = 2000

_Elr = dict[tuple[str, int], tuple[tuple[int, ...], tuple[int, ...]]]


def _with_elr(topic: TopicDescription, found: _Elr) -> TopicDescription:
    partitions = []
    for p in topic.partitions:
        elr, last_known = found.get((topic.name, p.partition), (p.eligible_leader_replicas, p.last_known_elr))
        partitions.append(dataclasses.replace(p, eligible_leader_replicas=elr, last_known_elr=last_known))
    return dataclasses.replace(topic, partitions=tuple(partitions))


class EligibleLeaderReplicas:
    """Reads the ELR and last known ELR of every partition over its own connection."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._supported = False  # whether the connected broker advertises key 75
        self._correlation_id = 0

    async def fill(
        self, brokers: Mapping[int, str], topics: dict[str, TopicDescription]
    ) -> dict[str, TopicDescription]:
        """`topics` with each partition's ELR and last known ELR, when a broker of
        `brokers` (id → host:port) answers DescribeTopicPartitions; unchanged otherwise."""
        if not topics or not brokers:
            return topics
        try:
            found = await asyncio.wait_for(self._read(brokers, sorted(topics)), self._timeout_s)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, SerialError, KafkaError):
            await self.close()  # the next refresh connects again
            return topics
        if found is None:
            return topics
        return {name: _with_elr(t, found) for name, t in topics.items()}

    async def _read(self, brokers: Mapping[int, str], names: list[str]) -> _Elr | None:
        if self._connection is None:
            await self._connect(brokers)
        if not self._supported:
            return None
        found: _Elr = {}
        cursor: Cursor | None = None
        while True:
            request = DescribeTopicPartitionsRequest(
                topics=tuple(TopicRequest(name=n) for n in names),
                response_partition_limit=i32(PARTITION_LIMIT),
                cursor=cursor,
            )
            response: DescribeTopicPartitionsResponse = await self._ask(
                request, DescribeTopicPartitionsResponse
            )
            for topic in response.topics:
                for p in topic.partitions:
                    found[(topic.name or "", p.partition_index)] = (
                        tuple(p.eligible_leader_replicas or ()),
                        tuple(p.last_known_elr or ()),
                    )
            if response.next_cursor is None:
                return found
            cursor = Cursor(
                topic_name=response.next_cursor.topic_name,
                partition_index=response.next_cursor.partition_index,
            )

    async def _connect(self, brokers: Mapping[int, str]) -> None:
        """The first broker (by id) that accepts a connection, and whether it has key 75."""
        error: OSError | None = None
        for broker_id in sorted(brokers):
            host, _, port = brokers[broker_id].rpartition(":")
            try:
                self._connection = await asyncio.open_connection(host, int(port))
            except OSError as failed:
                error = failed
                continue
            versions = await self._ask(ApiVersionsRequest(), ApiVersionsResponse)
            self._supported = any(
                k.api_key == API_KEY and k.min_version <= 0 <= k.max_version for k in versions.api_keys
            )
            return
        raise error or OSError("no broker to connect to")

    async def _ask(self, body: Any, response_cls: type) -> Any:
        assert self._connection is not None
        reader, writer = self._connection
        self._correlation_id += 1
        writer.write(request_frame(body, self._correlation_id, CLIENT_ID))
        await writer.drain()
        (size,) = SIZE.unpack(await reader.readexactly(4))
        payload = await reader.readexactly(size)
        return read_response(payload, response_cls, self._correlation_id, "the broker")

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        self._supported = False
        if connection is not None:
            connection[1].close()
            with contextlib.suppress(OSError):
                await connection[1].wait_closed()
