"""KIP-447 over the wire: the RemoteBackend's confluent-kafka transactional producer
sends a group member's metadata (librdkafka's consumer group metadata) with its offsets,
TxnOffsetCommit v3 carries it to kafkatui's wire server, and the group coordinator
refuses a zombie with Kafka's codes; the transaction is then aborted, its records never
read_committed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kafkatui.backends.base import GroupMember
from kafkatui.common.clients import ConsumerConfig, ConsumerGroupMetadata, ProducerConfig
from kafkatui.common.errors import ErrorCode, KafkaError
from tests.ecosystem.streams.conftest import Served, close_served, open_served

TOPIC, OUT, GROUP = "orders", "receipts", "etl"


@pytest.fixture
async def remote() -> AsyncIterator[Served]:
    s = await open_served("remote")
    try:
        yield s
    finally:
        await close_served(s)


async def member_of(served: Served, client: str) -> tuple[GroupMember, ConsumerGroupMetadata]:
    member = served.backend.group_member(GROUP, "consumer", 10_000, 30_000, client_id=client)
    joined = await member.join([("range", b"")])
    await member.sync({m: b"" for m, _ in joined.members} if joined.is_leader else None)
    return member, ConsumerGroupMetadata(GROUP, joined.generation_id, joined.member_id)


async def read_committed(served: Served) -> list[bytes]:
    ends = await served.ends(OUT)
    reader = served.backend.consumer(
        ConsumerConfig(auto_offset_reset="earliest", isolation_level="read_committed")
    )
    reader.assign_topic(OUT)
    found: list[bytes] = []
    idle = 0
    while idle < 5 and len(found) < ends[0]:
        records = await reader.poll(100)
        idle = 0 if records else idle + 1
        found += [bytes(r.value) for r in records]
    await reader.close()
    return found


async def test_a_zombies_offsets_are_refused_over_the_wire(remote: Served) -> None:
    await remote.backend.create_topic(TOPIC, 1, 1)
    await remote.backend.create_topic(OUT, 1, 1)
    _, zombie = await member_of(remote, "c1")
    producer = remote.backend.producer(ProducerConfig(transactional_id="tx-w", linger_ms=0))
    await producer.init_transactions()
    producer.begin_transaction()
    await producer.send_and_wait(OUT, b"first")
    await producer.send_offsets_to_transaction({(TOPIC, 0): 5}, zombie)
    await producer.commit_transaction()

    await remote.cluster.leave_group(GROUP, [(zombie.member_id, None)])  # a session timeout
    second, current = await member_of(remote, "c2")
    assert current.generation_id > zombie.generation_id
    producer.begin_transaction()
    await producer.send_and_wait(OUT, b"zombie")
    with pytest.raises(KafkaError) as refused:
        await producer.send_offsets_to_transaction({(TOPIC, 0): 9}, zombie)
    assert refused.value.code is ErrorCode.UNKNOWN_MEMBER_ID
    await producer.abort_transaction()

    producer.begin_transaction()
    older = ConsumerGroupMetadata(GROUP, zombie.generation_id, current.member_id)
    with pytest.raises(KafkaError) as illegal:
        await producer.send_offsets_to_transaction({(TOPIC, 0): 9}, older)
    assert illegal.value.code is ErrorCode.ILLEGAL_GENERATION
    await producer.abort_transaction()

    producer.begin_transaction()
    await producer.send_and_wait(OUT, b"current")
    await producer.send_offsets_to_transaction({(TOPIC, 0): 7}, current)
    await producer.commit_transaction()
    await producer.close()
    await second.leave()
    view = await remote.backend.describe_group(GROUP)
    assert {(p.topic, p.partition): p.committed for p in view.partitions} == {(TOPIC, 0): 7}
    assert await read_committed(remote) == [b"first", b"current"]
