"""The backend interface, the same on both sides: the embedded cluster in this process,
and RemoteBackend over the wire to a served kafkatui cluster. Each test runs against
both and checks what it got against the engine underneath, so parity is proven."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from kafkatui.backends.base import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    Backend,
    BrokerState,
    Feature,
    FeatureUnavailable,
    ProduceRequest,
)
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.offset_reset import ResetStrategy, execute_reset, plan_reset
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.errors import KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from tests.backends.conftest import ServedCluster

T = TypeVar("T")
DEFAULTS = BrokerDefaults(group_initial_rebalance_delay_ms=0)  # as the served cluster's


@dataclass
class Side:
    """A backend and the engine cluster behind it (in this loop, or the server's thread)."""

    name: str
    backend: Backend
    cluster: Cluster
    served: ServedCluster | None = None

    async def engine(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run an engine call where the cluster lives (for setup and for the truth)."""
        if self.served is None:
            return await coro
        return await asyncio.to_thread(self.served.call, coro)


@pytest.fixture(scope="module")
def shared() -> Iterator[ServedCluster]:
    """One served cluster for the module's remote runs (each test uses its own names)."""
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


async def _side(name: str, served: ServedCluster | None) -> Side:
    if served is None:
        cluster = await Cluster.open(None, brokers=3, seed=11, defaults=DEFAULTS)
        return Side(name, EmbeddedBackend(cluster), cluster)
    return Side(name, await RemoteBackend.connect(served.bootstrap), served.cluster, served)


@pytest.fixture(params=["embedded", "remote"])
async def side(request: pytest.FixtureRequest, shared: ServedCluster) -> AsyncIterator[Side]:
    made = await _side(request.param, shared if request.param == "remote" else None)
    try:
        yield made
    finally:
        await made.backend.close()


@pytest.fixture(params=["embedded", "remote"])
async def own_side(request: pytest.FixtureRequest) -> AsyncIterator[Side]:
    """A side on a cluster of its own, for tests that stop brokers."""
    served = ServedCluster(defaults=DEFAULTS) if request.param == "remote" else None
    made = await _side(request.param, served)
    try:
        yield made
    finally:
        await made.backend.close()
        if served is not None:
            served.close()


async def test_brokers_and_their_configs(side: Side) -> None:
    b = side.backend
    assert [v.broker_id for v in b.brokers()] == [1, 2, 3]
    assert all(v.state is BrokerState.RUNNING for v in b.brokers())
    assert [v.broker_id for v in b.brokers() if v.is_controller] == [side.cluster.controller_id]
    configs = {c.name: c for c in await b.broker_configs(2)}
    assert configs["node.id"].value == "2"
    assert configs["broker.session.timeout.ms"].value == str(DEFAULTS.broker_session_timeout_ms)
    assert configs["num.partitions"].source == "STATIC_BROKER_CONFIG" and configs["num.partitions"].read_only
    with pytest.raises(KafkaError) as error:
        await b.broker_configs(9)
    assert error.value.name == "BROKER_NOT_AVAILABLE" and "no broker 9" in error.value.message


async def test_list_offsets_by_time_and_delete_records(side: Side) -> None:
    b, topic = side.backend, f"ledger-{side.name}"
    await b.create_topic(topic, 2, 2)
    for n in range(2):
        await b.produce(ProduceRequest(topic, f"early-{n}", partition=0))
    await asyncio.sleep(0.05)
    mark = b.clock.now_ms()
    await asyncio.sleep(0.05)
    for n in range(3):
        await b.produce(ProduceRequest(topic, f"late-{n}", partition=0))
    assert await b.list_offsets(topic, [0, 1], EARLIEST_TIMESTAMP) == {0: 0, 1: 0}
    assert await b.list_offsets(topic, [0, 1], LATEST_TIMESTAMP) == {0: 5, 1: 0}
    assert await b.list_offsets(topic, [0, 1], mark) == {0: 2, 1: -1}  # the first "late" record
    assert await b.list_offsets(topic, [0], mark + 3_600_000) == {0: -1}  # nothing that recent

    assert await b.delete_records(topic, 0, 2) == 2
    assert await b.list_offsets(topic, [0], EARLIEST_TIMESTAMP) == {0: 2}
    assert b.describe_topic(topic).partitions[0].log_start_offset == 2
    engine = await side.engine(_log_starts(side.cluster, topic))
    assert engine == [2, 0]
    assert await b.delete_records(topic, 0, -1) == 5  # -1: up to the high watermark
    with pytest.raises(KafkaError) as error:
        await b.delete_records(topic, 0, 99)
    assert error.value.name == "OFFSET_OUT_OF_RANGE"


async def _log_starts(cluster: Cluster, topic: str) -> list[int]:
    return [p.log_start_offset for p in cluster.describe_topic(topic).partitions]


async def _leaders(cluster: Cluster, topic: str) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
    return [(p.leader, p.replicas, p.isr) for p in cluster.describe_topic(topic).partitions]


async def test_preferred_and_unclean_elections(own_side: Side) -> None:
    side, b = own_side, own_side.backend
    await b.create_topic("votes", 3, 3)
    asked = [("votes", p) for p in range(3)]
    results = await b.elect_leaders("preferred", asked)
    assert {tp: e.name if e else None for tp, e in results.items()} == dict.fromkeys(
        asked, "ELECTION_NOT_NEEDED"
    )
    assert await b.elect_leaders("preferred") == {}  # every partition asked: only changes come back

    # Stop a preferred leader and bring it back: its partition stays with the other leader
    # until a preferred election gives it back.
    [(leader, replicas, _), *_] = await side.engine(_leaders(side.cluster, "votes"))
    assert leader == replicas[0]
    await side.engine(side.cluster.stop_broker(leader))
    await side.engine(side.cluster.start_broker(leader))

    async def caught_up() -> bool:  # back in every ISR
        return all(leader in isr for _, _, isr in await side.engine(_leaders(side.cluster, "votes")))

    await _until(caught_up)
    await b.refresh_disk_usage()  # over the wire, also a fresh read of the metadata
    assert b.describe_topic("votes").partitions[0].leader != leader
    results = await b.elect_leaders("preferred", [("votes", 0)])
    assert results == {("votes", 0): None}
    assert b.describe_topic("votes").partitions[0].leader == leader
    assert (await side.engine(_leaders(side.cluster, "votes")))[0][0] == leader

    # Unclean: the only in-sync replica dies, an out-of-sync one may lead (and lose what it lacks).
    await b.create_topic("risky", 1, 2)
    [(first, (_, second), _)] = await side.engine(_leaders(side.cluster, "risky"))
    await side.engine(side.cluster.stop_broker(second))
    await b.produce(ProduceRequest("risky", "only on the leader", acks="1"))
    await side.engine(side.cluster.stop_broker(first))
    await side.engine(side.cluster.start_broker(second))
    assert (await side.engine(_leaders(side.cluster, "risky")))[0][0] == -1  # offline
    clean = await b.elect_leaders("preferred", [("risky", 0)])
    assert clean[("risky", 0)] is not None  # the preferred replica is down
    assert await b.elect_leaders("unclean", [("risky", 0)]) == {("risky", 0): None}
    assert b.describe_topic("risky").partitions[0].leader == second
    assert b.describe_topic("risky").partitions[0].high_watermark == 0  # the record is lost


async def test_reset_offsets_every_strategy_then_delete_the_group(side: Side) -> None:
    b, topic, group = side.backend, f"sales-{side.name}", f"billing-{side.name}"
    await b.create_topic(topic, 2, 2)
    for n in range(6):
        await b.produce(ProduceRequest(topic, f"v{n}", partition=n % 2))
    await b.delete_records(topic, 1, 1)  # partition 1 now starts at 1: [1, 3)

    async def plan(
        strategy: ResetStrategy, value: int | None = None, partitions: list[int] | None = None
    ) -> list[tuple[int, int, int]]:
        planned = await plan_reset(b, group, topic, strategy, value, partitions)
        return [(r.partition, r.old, r.new) for r in planned]

    assert await plan(ResetStrategy.TO_EARLIEST) == [(0, -1, 0), (1, -1, 1)]
    assert group not in dict(await b.groups())  # a plan commits nothing
    execute = await plan_reset(b, group, topic, ResetStrategy.TO_LATEST)
    await execute_reset(b, group, execute)
    committed = await side.engine(side.cluster.fetch_offsets(group))
    assert {tp: v.offset for tp, v in committed.items()} == {(topic, 0): 3, (topic, 1): 3}
    assert await plan(ResetStrategy.SHIFT_BY, -2) == [(0, 3, 1), (1, 3, 1)]  # clamped at the log start
    assert await plan(ResetStrategy.TO_OFFSET, 99) == [(0, 3, 3), (1, 3, 3)]  # and at the high watermark
    assert await plan(ResetStrategy.TO_OFFSET, 2, [0]) == [(0, 3, 2)]
    assert await plan(ResetStrategy.TO_DATETIME, 0) == [(0, 3, 0), (1, 3, 1)]
    far = b.clock.now_ms() + 3_600_000
    assert await plan(ResetStrategy.TO_DATETIME, far) == [(0, 3, 3), (1, 3, 3)]  # none so recent
    assert await plan(ResetStrategy.BY_DURATION, 3_600_000) == [(0, 3, 0), (1, 3, 1)]  # an hour back
    with pytest.raises(KafkaError) as error:
        await plan(ResetStrategy.TO_LATEST, partitions=[5])
    assert error.value.name == "UNKNOWN_TOPIC_OR_PARTITION"

    # A group with a member: ConsumerGroupCommand refuses, and so does DeleteGroups.
    consumer = await b.add_consumer(group, topic, "range")

    async def stable() -> bool:
        return (await b.describe_group(group)).state == "Stable"

    await _until(stable)
    with pytest.raises(KafkaError) as error:
        await plan(ResetStrategy.TO_EARLIEST)
    assert error.value.name == "NON_EMPTY_GROUP" and "the current state is Stable" in error.value.message
    with pytest.raises(KafkaError) as error:
        await b.delete_group(group)
    assert error.value.name == "NON_EMPTY_GROUP"
    await b.stop_consumer(consumer.consumer_id)

    await b.delete_group(group)
    assert await side.engine(side.cluster.fetch_offsets(group)) == {}
    with pytest.raises(KafkaError) as error:
        await b.delete_group(group)
    assert error.value.name == "GROUP_ID_NOT_FOUND"


async def test_offsets_sent_to_a_transaction_count_only_if_it_commits(side: Side) -> None:
    """Exactly-once's consume-process-produce step (KIP-98): the group's offsets travel in
    the producer's transaction (AddOffsetsToTxn, TxnOffsetCommit), committed with it or
    dropped with it."""
    b, topic, group = side.backend, f"receipts-{side.name}", f"processor-{side.name}"
    await b.create_topic(topic, 1, 3)
    producer = b.producer(ProducerConfig(acks="all", linger_ms=0, transactional_id=f"txn-{side.name}"))
    try:
        await producer.init_transactions()
        producer.begin_transaction()
        await producer.send_and_wait(topic, "receipt-0")
        await producer.send_offsets_to_transaction({(topic, 0): 5}, group)
        await producer.abort_transaction()
        assert await side.engine(side.cluster.fetch_offsets(group)) == {}
        producer.begin_transaction()
        await producer.send_and_wait(topic, "receipt-1")
        await producer.send_offsets_to_transaction({(topic, 0): 7}, group)
        await producer.commit_transaction()
        committed = await side.engine(side.cluster.fetch_offsets(group))
        assert {tp: v.offset for tp, v in committed.items()} == {(topic, 0): 7}
    finally:
        await producer.close()


async def _until(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_engine_controls_only_where_the_brokers_are_ours(own_side: Side) -> None:
    b = own_side.backend
    if own_side.served is not None:
        for feature in (
            Feature.STOP_BROKER, Feature.NETWORK, Feature.LOST_ACKS, Feature.LOG_CLEANER,
            Feature.LOSE_DATABASE, Feature.SCENARIO,
        ):  # fmt: skip
            reason = b.unavailable(feature)
            assert reason is not None and "needs kafkatui's own cluster" in reason
            with pytest.raises(FeatureUnavailable) as error:
                b.engine_controls(feature)
            assert error.value.name == "FEATURE_UNAVAILABLE" and error.value.message == reason
        return
    assert b.unavailable(Feature.STOP_BROKER) is None
    await b.create_topic("compacted", 1, 1, {"cleanup.policy": "compact", "segment.bytes": "200"})
    for n in range(8):
        await b.produce(ProduceRequest("compacted", f"v{n}", key=f"k{n % 2}"))
    done = await b.engine_controls(Feature.LOG_CLEANER).compact_topic("compacted")
    assert done and all(d.records_after < d.records_before for d in done)  # older values went
    await b.engine_controls(Feature.STOP_BROKER).stop_broker(3, crash=True)
    assert [v.state for v in b.brokers()] == [BrokerState.RUNNING, BrokerState.RUNNING, BrokerState.CRASHED]
