"""The Streams assignor on its own: even and sticky actives, state-aware placement
(KIP-441 lags), standbys never on the active's instance, StreamsMetadata by host."""

from __future__ import annotations

from kafkatui.common.utils import murmur2
from kafkatui.ecosystem.streams.assignor import (
    ClientState,
    WarmupPolicy,
    assign_tasks,
    host_for_key,
    partition_for_key,
    partitions_by_host,
)

TASKS = [f"{s}_{p}" for s in (0, 1) for p in range(3)]


def test_tasks_spread_evenly_over_instances() -> None:
    result = assign_tasks(TASKS, [ClientState("a"), ClientState("b"), ClientState("c")])
    assert sorted(len(t) for t in result.active.values()) == [2, 2, 2]
    assert sorted(t for ts in result.active.values() for t in ts) == sorted(TASKS)


def test_a_second_instance_takes_half_and_the_first_keeps_the_rest() -> None:
    first = ClientState("a", previous_active=set(TASKS))
    result = assign_tasks(TASKS, [first, ClientState("b")])
    assert len(result.active["a"]) == 3 and len(result.active["b"]) == 3


def test_a_third_instance_takes_only_the_overflow() -> None:
    a = ClientState("a", previous_active={"0_0", "0_1", "0_2"})
    b = ClientState("b", previous_active={"1_0", "1_1", "1_2"})
    result = assign_tasks(TASKS, [a, b, ClientState("c")])
    assert set(result.active["a"]) <= a.previous_active and len(result.active["a"]) == 2
    assert set(result.active["b"]) <= b.previous_active and len(result.active["b"]) == 2
    assert len(result.active["c"]) == 2


def test_moves_stick_to_the_instance_with_warm_state() -> None:
    # b was a's standby for 0_1 and 1_2 (small lag): when a leaves, b gets those back.
    b = ClientState("b", previous_active={"0_0"}, task_lags={"0_1": 5, "1_2": 0})
    c = ClientState("c", previous_active={"1_0"})
    result = assign_tasks(["0_0", "0_1", "1_0", "1_2"], [b, c])
    assert set(result.active["b"]) == {"0_0", "1_2"}  # 1_2 caught up (lag 0) beats 0_1 (lag 5)
    assert set(result.active["c"]) == {"1_0", "0_1"}


def test_standbys_go_to_other_instances() -> None:
    clients = [ClientState("a"), ClientState("b"), ClientState("c")]
    result = assign_tasks(TASKS, clients, num_standby_replicas=2)
    for client in result.active:
        assert not set(result.active[client]) & set(result.standby[client])
    assert sorted(t for ts in result.standby.values() for t in ts) == sorted(TASKS * 2)


def test_more_standbys_than_other_instances_are_capped() -> None:
    result = assign_tasks(["0_0"], [ClientState("a"), ClientState("b")], num_standby_replicas=3)
    assert sum(len(t) for t in result.standby.values()) == 1


def test_streams_metadata_names_the_host_of_each_partition() -> None:
    clients = [ClientState("a", application_server="h1:1"), ClientState("b", application_server="h2:2")]
    result = assign_tasks(["0_0", "0_1"], clients)
    parts = {"0_0": [("in", 0)], "0_1": [("in", 1)]}
    hosts = partitions_by_host(result, clients, parts)
    assert hosts["h1:1"] | hosts["h2:2"] == {("in", 0), ("in", 1)}
    assert hosts["h1:1"] and hosts["h2:2"]


def test_a_key_is_found_on_the_instance_hosting_its_partition() -> None:
    # Kafka's DefaultPartitioner: murmur2 of the key, sign bit cleared, modulo partitions
    assert partition_for_key(b"kafka", 3) == (murmur2(b"kafka") & 0x7FFFFFFF) % 3
    clients = [ClientState("a", application_server="h1:1"), ClientState("b", application_server="h2:2")]
    result = assign_tasks(["0_0", "0_1", "0_2"], clients)
    hosts = partitions_by_host(result, clients, {f"0_{p}": [("words", p)] for p in range(3)})
    for key in (b"kafka", b"streams", b"x"):
        partition = partition_for_key(key, 3)
        owner = next(c for c in clients if f"0_{partition}" in result.active[c.client_id])
        assert host_for_key(hosts, "words", key, 3) == owner.application_server
    assert host_for_key(hosts, "other", b"kafka", 3) is None


def test_an_owner_over_its_share_gives_up_what_another_has_state_for() -> None:
    # b restarted on its state directory (0_3..0_5, caught up) while a ran everything.
    a = ClientState("a", previous_active=set(TASKS))
    b = ClientState("b", task_lags={"1_0": 0, "1_1": 3, "1_2": 0})
    result = assign_tasks(TASKS, [a, b])
    assert set(result.active["b"]) == {"1_0", "1_1", "1_2"}
    assert set(result.active["a"]) == {"0_0", "0_1", "0_2"}
    # the other way round: what b has state for stays with b whichever names sort first
    result = assign_tasks(
        TASKS, [ClientState("z", previous_active=set(TASKS)), ClientState("b", task_lags={"0_0": 0})]
    )
    assert "0_0" in result.active["b"]


def test_uneven_counts_differ_by_one_at_most() -> None:
    a = ClientState("a", previous_active={"0_0", "0_1"})
    b = ClientState("b", previous_active={"0_2", "0_3"})
    result = assign_tasks(["0_0", "0_1", "0_2", "0_3"], [a, b, ClientState("c")])
    assert sorted(len(t) for t in result.active.values()) == [1, 1, 2]
    assert len(result.active["c"]) == 1


# --- KIP-441: warm-up replicas and probing rebalances ----------------------------------
FOUR = ["0_0", "0_1", "0_2", "0_3"]


def policy(scratch: int, max_warmups: int = 2) -> WarmupPolicy:
    """acceptable.recovery.lag 10,000; restoring a task from nothing costs `scratch`."""
    return WarmupPolicy(10_000, max_warmups, dict.fromkeys(FOUR, scratch))


def test_a_task_moves_only_to_a_caught_up_instance_else_a_warmup_restores_there() -> None:
    a, b = ClientState("a", previous_active=set(FOUR)), ClientState("b")
    result = assign_tasks(FOUR, [a, b], warmups=policy(scratch=50_000))
    assert sorted(result.active["a"]) == FOUR and result.active["b"] == []
    assert len(result.warmup["b"]) == 2 and result.probing_rebalance_needed
    assert result.standby["b"] == []  # the warm-ups are not standbys on top


def test_a_cheap_restore_moves_at_once_without_warmups() -> None:
    a, b = ClientState("a", previous_active=set(FOUR)), ClientState("b")
    result = assign_tasks(FOUR, [a, b], warmups=policy(scratch=500))
    assert len(result.active["a"]) == 2 and len(result.active["b"]) == 2
    assert not result.probing_rebalance_needed


def test_the_probing_rebalance_moves_what_the_warmups_caught_up() -> None:
    a, b = ClientState("a", previous_active=set(FOUR)), ClientState("b")
    first = assign_tasks(FOUR, [a, b], warmups=policy(scratch=50_000))
    warm = first.warmup["b"]
    # At the probing rebalance b reports the warm-ups' offset sums: within the lag.
    b = ClientState("b", task_lags=dict.fromkeys(warm, 120))
    second = assign_tasks(FOUR, [a, b], warmups=policy(scratch=50_000))
    assert sorted(second.active["b"]) == sorted(warm)
    assert len(second.active["a"]) == 2 and not second.probing_rebalance_needed


def test_warmups_are_capped_by_max_warmup_replicas() -> None:
    a, b = ClientState("a", previous_active=set(FOUR)), ClientState("b")
    result = assign_tasks(FOUR, [a, b], warmups=policy(scratch=50_000, max_warmups=1))
    assert len(result.warmup["b"]) == 1 and result.active["b"] == []


def test_with_no_caught_up_instance_the_balanced_placement_stands() -> None:
    lost = [ClientState("a", task_lags=dict.fromkeys(FOUR, 90_000)), ClientState("b")]
    result = assign_tasks(FOUR, lost, warmups=policy(scratch=50_000))
    assert sorted(len(t) for t in result.active.values()) == [2, 2]
    assert not result.probing_rebalance_needed
