"""The acks lesson, as Kafka would have it: acks=1 loses acknowledged records when the
leader crashes before its followers fetched them; acks=all with min.insync.replicas=2
loses none. Deterministic for a seed."""

from __future__ import annotations

from kafkatui.lessons.acks import acks_scenario


async def test_acks_one_loses_what_only_the_leader_had() -> None:
    report = await acks_scenario("1", seed=3, records=30, latency_ms=8)
    assert report.acked == report.sent == 30
    assert report.lost > 0
    assert report.leader_after != report.leader_before
    # What is lost is exactly the tail the leader acknowledged alone, right before the crash.
    lost = [int(v[1:]) for v in report.lost_values]
    assert lost == list(range(lost[0], lost[0] + len(lost)))
    assert lost[-1] < report.crashed_at_ms + 1


async def test_acks_all_loses_nothing() -> None:
    report = await acks_scenario("all", seed=3, records=30, latency_ms=8)
    assert report.acked == report.sent == 30
    assert report.lost == 0


async def test_same_seed_same_story() -> None:
    first = await acks_scenario("1", seed=11, records=20, latency_ms=5)
    second = await acks_scenario("1", seed=11, records=20, latency_ms=5)
    assert first.to_json() == second.to_json()
