"""A partition whose leader is not serving it yet (just elected, its replica still
opening) sits a fetch round out and is read once it is: poll never raises the retriable
NOT_LEADER_OR_FOLLOWER, as a Kafka consumer retries ListOffsets after retry.backoff.ms."""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.cluster import Cluster
from tests.conftest import fast_producer


async def test_a_leader_not_serving_yet_is_retried_not_raised(
    cluster: Cluster, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cluster.create_topic("lines", 1)
    async with fast_producer(cluster) as producer:
        for i in range(3):
            await producer.send_and_wait("lines", f"line {i}")
    leader = cluster.leader("lines", 0)
    real = leader.list_offset
    refusals = 2

    def not_yet(*args: object, **kwargs: object) -> int:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "broker is not serving lines-0 yet")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(leader, "list_offset", not_yet)
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign_topic("lines")
    poll = asyncio.ensure_future(consumer.poll(5_000))
    while not poll.done():
        await clock.advance(100)
    records = poll.result()
    assert refusals == 0
    assert [r.value for r in records] == [b"line 0", b"line 1", b"line 2"]


async def test_an_error_that_is_not_retriable_still_raises(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cluster.create_topic("lines", 1)
    leader = cluster.leader("lines", 0)

    def refused(*args: object, **kwargs: object) -> int:
        raise KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "not allowed")

    monkeypatch.setattr(leader, "list_offset", refused)
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign_topic("lines")
    with pytest.raises(KafkaError) as raised:
        await consumer.poll(0)
    assert raised.value.code is ErrorCode.TOPIC_AUTHORIZATION_FAILED
