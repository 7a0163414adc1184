from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import LeaderElected, TopicCreated
from kafkatui.common.topic import validate_topic_name
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.controller.controller import assign_replicas


def test_assignment_matches_kafkas_admin_utils_test() -> None:
    # AdminUtilsTest.testReplicaAssignment: 5 brokers, 10 partitions, RF 3, fixed start 0.
    expected = [
        [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
        [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]  # fmt: skip
    assert assign_replicas([0, 1, 2, 3, 4], 10, 3, random.Random(), fixed_start_index=0) == expected


@given(
    st.integers(min_value=1, max_value=7),
    st.integers(min_value=1, max_value=30),
    st.data(),
)
def test_assignment_spreads_leaders_and_never_repeats_a_broker(
    n_brokers: int, n_partitions: int, data: st.DataObject
) -> None:
    rf = data.draw(st.integers(min_value=1, max_value=n_brokers))
    brokers = list(range(1, n_brokers + 1))
    assignment = assign_replicas(brokers, n_partitions, rf, random.Random(data.draw(st.integers())))
    assert len(assignment) == n_partitions
    for replicas in assignment:
        assert len(replicas) == rf == len(set(replicas))
        assert set(replicas) <= set(brokers)
    leaders = Counter(r[0] for r in assignment)
    # Round-robin start: leader counts differ by at most one.
    counts = [leaders.get(b, 0) for b in brokers]
    assert max(counts) - min(counts) <= 1


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "bad name!", "a/b", "x" * 250, "ação"],
)
def test_illegal_topic_names(name: str) -> None:
    with pytest.raises(KafkaError) as info:
        validate_topic_name(name)
    assert info.value.code is ErrorCode.INVALID_TOPIC_EXCEPTION


@pytest.mark.parametrize("name", ["sales", "a.b_c-D9", "x" * 249, "__internal"])
async def test_legal_topic_names_are_accepted_and_created(cluster: Cluster, name: str) -> None:
    validate_topic_name(name)  # raises KafkaError for an illegal name
    await cluster.create_topic(name, 1, 1)
    assert name in cluster.topic_names(include_internal=True)
    assert cluster.describe_topic(name).name == name


async def test_create_topic_places_partitions_over_brokers(cluster: Cluster) -> None:
    events = cluster.bus.subscribe(TopicCreated, LeaderElected)
    await cluster.create_topic("sales", 3, 2)
    await cluster.create_topic("clients", 3, 2)
    desc = cluster.describe_topic("sales")
    assert [p.partition for p in desc.partitions] == [0, 1, 2]
    leaders = {p.leader for p in desc.partitions}
    assert leaders == {1, 2, 3}  # one leader per broker, as in the seed's picture
    for p in desc.partitions:
        assert len(p.replicas) == 2 and p.leader == p.replicas[0]
        assert p.isr == p.replicas  # a new partition: every (empty) replica is in sync
    kinds = Counter(type(e).__name__ for e in events.drain())
    assert kinds == {"TopicCreated": 2, "LeaderElected": 6}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"partitions": 0}, ErrorCode.INVALID_PARTITIONS),
        ({"replication_factor": 4}, ErrorCode.INVALID_REPLICATION_FACTOR),
        ({"replication_factor": 0}, ErrorCode.INVALID_REPLICATION_FACTOR),
        ({"configs": {"retention.ms": "soon"}}, ErrorCode.INVALID_CONFIG),
        ({"configs": {"no.such.config": "1"}}, ErrorCode.INVALID_CONFIG),
    ],
)
async def test_bad_create_requests(cluster: Cluster, kwargs: dict, code: ErrorCode) -> None:
    with pytest.raises(KafkaError) as info:
        await cluster.create_topic("t", **kwargs)
    assert info.value.code is code
    assert "t" not in cluster.metadata.topics


async def test_duplicate_and_colliding_topics(cluster: Cluster) -> None:
    await cluster.create_topic("a.b")
    with pytest.raises(KafkaError) as info:
        await cluster.create_topic("a.b")
    assert info.value.code is ErrorCode.TOPIC_ALREADY_EXISTS
    with pytest.raises(KafkaError) as info:
        await cluster.create_topic("a_b")
    assert info.value.code is ErrorCode.INVALID_TOPIC_EXCEPTION
    assert "collides" in info.value.message


async def test_concurrent_admin_requests_are_checked_one_at_a_time(cluster: Cluster) -> None:
    # Each check is made against the image its change commits on: two creates of one
    # name (a TUI refresh and a consumer both finding the group coordinator created
    # __consumer_offsets twice) give one topic and one TOPIC_ALREADY_EXISTS.
    results = await asyncio.gather(*(cluster.create_topic("t", 2) for _ in range(3)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, KafkaError)]
    assert len(errors) == 2 and all(e.code is ErrorCode.TOPIC_ALREADY_EXISTS for e in errors)
    assert cluster.topic_names() == ["t"]
    created: list[TopicCreated] = []
    cluster.bus.listen(lambda e: created.append(e) if isinstance(e, TopicCreated) else None)
    coordinators = await asyncio.gather(*(cluster.find_coordinator(f"g{i}") for i in range(4)))
    assert all(c in cluster.brokers for c in coordinators)
    assert [e.topic for e in created] == ["__consumer_offsets"]
    results = await asyncio.gather(
        cluster.create_partitions("t", 4), cluster.create_partitions("t", 4), return_exceptions=True
    )
    assert [type(r).__name__ for r in results].count("KafkaError") == 1
    assert len(cluster.describe_topic("t").partitions) == 4
    results = await asyncio.gather(
        cluster.delete_topic("t"), cluster.delete_topic("t"), return_exceptions=True
    )
    assert [r.code for r in results if isinstance(r, KafkaError)] == [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]


async def test_add_partitions_only_increases(cluster: Cluster) -> None:
    await cluster.create_topic("t", 2)
    await cluster.create_partitions("t", 5)
    assert len(cluster.describe_topic("t").partitions) == 5
    with pytest.raises(KafkaError) as info:
        await cluster.create_partitions("t", 3)
    assert info.value.code is ErrorCode.INVALID_PARTITIONS


async def test_alter_and_delete_config_override(cluster: Cluster) -> None:
    await cluster.create_topic("t", configs={"retention.ms": "1000"})
    await cluster.alter_topic_configs("t", {"retention.ms": None, "cleanup.policy": "compact"})
    assert cluster.describe_topic("t").configs == {"cleanup.policy": "compact"}
    with pytest.raises(KafkaError) as info:
        await cluster.alter_topic_configs("t", {"min.insync.replicas": "0"})
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert "min.insync.replicas" in info.value.message


async def test_delete_topic_and_unknown_topic(cluster: Cluster) -> None:
    await cluster.create_topic("t")
    await cluster.delete_topic("t")
    assert cluster.topic_names() == []
    with pytest.raises(KafkaError) as info:
        await cluster.delete_topic("t")
    assert info.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
