from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.utils import murmur2, to_positive
from kafkatui.engine.clients.partitioner import RoundRobinPartitioner, StickyPartitioner, partition_for_key

# Apache Kafka's own vectors (UtilsTest.testMurmur2).
KAFKA_VECTORS = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]


@pytest.mark.parametrize(("key", "expected"), KAFKA_VECTORS)
def test_murmur2_matches_java(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_to_positive_clears_sign_bit_like_java() -> None:
    assert to_positive(-(2**31)) == 0
    assert to_positive(-1) == 2**31 - 1


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=200))
def test_same_key_same_partition(key: bytes, n: int) -> None:
    p = partition_for_key(key, n)
    assert 0 <= p < n
    assert partition_for_key(bytes(key), n) == p


@given(st.integers(min_value=2, max_value=12))
def test_keys_spread_over_partitions(n: int) -> None:
    counts = Counter(partition_for_key(f"client-{i}".encode(), n) for i in range(2000))
    assert set(counts) == set(range(n))
    # murmur2 is close to uniform: no partition gets under half its fair share.
    assert min(counts.values()) > 2000 / n / 2


def test_sticky_partitioner_sticks_then_switches() -> None:
    sticky = StickyPartitioner(random.Random(1), batch_size=100)
    first = sticky.partition("t", 3)
    for _ in range(4):
        assert sticky.partition("t", 3) == first
        sticky.record_appended("t", first, 20, 3)
    sticky.record_appended("t", first, 20, 3)  # 100 bytes: a batch's worth
    second = sticky.partition("t", 3)
    assert second != first


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=2, max_value=8))
def test_sticky_visits_every_partition_eventually(seed: int, n: int) -> None:
    sticky = StickyPartitioner(random.Random(seed), batch_size=10)
    seen = set()
    for _ in range(400):
        p = sticky.partition("t", n)
        seen.add(p)
        sticky.record_appended("t", p, 10, n)
    assert seen == set(range(n))


def test_round_robin_cycles() -> None:
    rr = RoundRobinPartitioner()
    assert [rr.partition("t", 3) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]
