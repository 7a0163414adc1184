"""DescribeTopicPartitions (key 75, KIP-966) in raw frames over a real socket: no Python
client speaks it (only Java's AdminClient), so the frames are built here from kio's
schema, as Kafka's DescribeTopicPartitionsRequest.json/Response.json define them."""

from __future__ import annotations

import asyncio
import struct
import uuid
from pathlib import Path
from typing import Any

from kio.schema.describe_topic_partitions.v0.request import (
    Cursor,
    DescribeTopicPartitionsRequest,
    TopicRequest,
)
from kio.serial import entity_reader
from kio.static.primitive import i32

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode
from kafkatui.engine.cluster import Cluster
from kafkatui.wire.codec import build, decode_request, encode_response, nested, response_class
from kafkatui.wire.server import WireServer
from kafkatui.wire.topic_partitions import API_KEY
from tests.wire.conftest import ServedCluster
from tests.wire.test_frames import api_versions, connect, read_frame, request_frame


def request(*names: str, limit: int = 2000, cursor: tuple[str, int] | None = None) -> Any:
    return DescribeTopicPartitionsRequest(
        topics=tuple(TopicRequest(name=n) for n in names),
        response_partition_limit=i32(limit),
        cursor=None if cursor is None else Cursor(topic_name=cursor[0], partition_index=i32(cursor[1])),
    )


def decode(frame: bytes) -> Any:
    cls = response_class(API_KEY, 0)
    header, pos = entity_reader(cls.__header_schema__)(frame, 0)
    assert header.correlation_id == 9
    body, _ = entity_reader(cls)(frame, pos)
    return body


def describe(served: ServedCluster, body: Any, broker_id: int = 1) -> Any:
    with connect(served, broker_id) as sock:
        sock.sendall(request_frame(body, correlation_id=9))
        frame = read_frame(sock)
    assert frame is not None
    return decode(frame)


def pages(body: Any) -> list[tuple[str, int, list[int]]]:
    """(topic, error, partition indexes) for each topic of a response."""
    return [(t.name, t.error_code.value, [p.partition_index for p in t.partitions]) for t in body.topics]


def test_the_codec_reads_the_request_and_writes_the_response_kio_reads_back() -> None:
    sent = request("a", "b", limit=3, cursor=("b", 1))
    frame = request_frame(sent, correlation_id=9)[4:]
    decoded = decode_request(frame)
    assert (decoded.api_key, decoded.api_version, decoded.correlation_id) == (75, 0, 9)
    assert decoded.body == sent
    cls = response_class(API_KEY, 0)
    partition = build(
        nested(cls, "DescribeTopicPartitionsResponsePartition"),
        error_code=ErrorCode.NONE,
        partition_index=0,
        leader_id=2,
        replica_nodes=(1, 2, 3),
        isr_nodes=(2,),
        eligible_leader_replicas=(3,),
        last_known_elr=(1,),
        offline_replicas=(1, 3),
    )
    topic = build(
        nested(cls, "DescribeTopicPartitionsResponseTopic"),
        error_code=ErrorCode.NONE,
        name="a",
        topic_id=uuid.uuid4(),
        partitions=(partition,),
    )
    cursor = build(nested(cls, "Cursor"), topic_name="b", partition_index=0)
    answer = build(cls, throttle_time=0, topics=(topic,), next_cursor=cursor)
    assert decode(encode_response(9, answer)[4:]) == answer


def test_api_versions_advertises_it(served: ServedCluster) -> None:
    advertised = {k.api_key: (k.min_version, k.max_version) for k in api_versions(served).api_keys}
    assert advertised[API_KEY] == (0, 0)


def test_partitions_are_paged_by_the_cursor(served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("b", 3, 1))
    served.call(served.cluster.create_topic("a", 2, 1))
    first = describe(served, request("b", "a", limit=3))
    assert pages(first) == [("a", 0, [0, 1]), ("b", 0, [0])]  # name order, 3 partitions
    assert (first.next_cursor.topic_name, first.next_cursor.partition_index) == ("b", 1)
    assert first.topics[0].topic_id == uuid.UUID(served.cluster.metadata.topics["a"].topic_id)
    second = describe(served, request("b", "a", limit=3, cursor=("b", 1)))
    assert pages(second) == [("b", 0, [1, 2])]
    assert second.next_cursor is None
    # A page that ends with a topic's last partition points at the next topic's first.
    exact = describe(served, request("a", "b", limit=2))
    assert pages(exact) == [("a", 0, [0, 1])]
    assert (exact.next_cursor.topic_name, exact.next_cursor.partition_index) == ("b", 0)
    # No names: every topic, the internal ones too when they exist.
    assert pages(describe(served, request())) == [("a", 0, [0, 1]), ("b", 0, [0, 1, 2])]
    assert pages(describe(served, request(limit=1, cursor=("b", 2)))) == [("b", 0, [2])]


def test_missing_topics_and_bad_cursors_are_errors(served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("a", 1, 1))
    body = describe(served, request("a", "nope", "bad/name"))
    unknown = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.value
    invalid_name = ErrorCode.INVALID_TOPIC_EXCEPTION.value
    assert pages(body) == [("a", 0, [0]), ("bad/name", invalid_name, []), ("nope", unknown, [])]
    assert body.topics[1].topic_id is None  # kio reads the zero UUID (Kafka's none) as None
    invalid = ErrorCode.INVALID_REQUEST.value
    # The cursor's topic must be one of those named, its partition not negative.
    assert pages(describe(served, request("a", cursor=("z", 0)))) == [("a", invalid, [])]
    assert pages(describe(served, request("a", cursor=("a", -1)))) == [("a", invalid, [])]


def test_eligible_leader_replicas_and_offline_replicas(served: ServedCluster) -> None:
    """RF 3, min.insync.replicas=2: the first follower stopped while the ISR was still
    at 2 is not eligible; the second, stopped with the ISR below, is the ELR."""
    served.call(served.cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"}))
    leader, first, second = served.cluster.describe_topic("t").partitions[0].replicas
    served.call(served.cluster.stop_broker(first))
    served.call(served.cluster.stop_broker(second))
    [partition] = describe(served, request("t"), broker_id=leader).topics[0].partitions
    assert (partition.leader_id, partition.isr_nodes) == (leader, (leader,))
    assert partition.replica_nodes == (leader, first, second)
    assert partition.eligible_leader_replicas == (second,)
    assert partition.last_known_elr == ()
    assert sorted(partition.offline_replicas) == sorted((first, second))


async def _ask(server: WireServer, broker_id: int, body: Any) -> Any:
    host, port = server.addresses[broker_id]
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request_frame(body, correlation_id=9))
        (size,) = struct.unpack(">i", await reader.readexactly(4))
        return decode(await reader.readexactly(size))
    finally:
        writer.close()


async def test_a_lost_database_puts_its_broker_in_the_last_known_elr(tmp_path: Path) -> None:
    """The leader's database lost with the ELR's member stopped: no live leader (-1, no
    error), the ELR names who may lead and the last known ELR who may not."""
    from tests.engine.test_eligible_leader_replicas import new_cluster, produce, remove_database

    data = tmp_path / "data"
    async with await new_cluster(data) as cluster:
        leader, first, second = cluster.describe_topic("t").partitions[0].replicas
        await produce(cluster, range(10))
        await cluster.stop_broker(first)
        await cluster.stop_broker(second)
    remove_database(data / f"broker-{leader}.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        server = WireServer(cluster, port_base=0)
        await server.start()
        try:
            [partition] = (await _ask(server, leader, request("t"))).topics[0].partitions
        finally:
            await server.close()
    assert (partition.error_code.value, partition.leader_id, partition.isr_nodes) == (0, -1, ())
    assert (partition.eligible_leader_replicas, partition.last_known_elr) == ((second,), (leader,))
    assert sorted(partition.offline_replicas) == sorted((first, second))
