"""The classic consumer group protocol, broker side (Kafka's GroupCoordinator for one group).

Everything runs on a ManualClock: session.timeout.ms 10 s, max.poll.interval.ms (the
rebalance timeout) 30 s, group.initial.rebalance.delay.ms 3 s unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    Event,
    EventBus,
    GroupMemberJoined,
    GroupMemberRemoved,
    GroupRebalanceCompleted,
    GroupStateChanged,
    Subscription,
)
from kafkatui.engine.coordinator.group.classic_group import ClassicGroup
from kafkatui.engine.coordinator.group.model import (
    VALID_PREVIOUS_STATES,
    GroupConfig,
    GroupDescription,
    GroupSnapshot,
    GroupState,
    JoinGroupMember,
    JoinResult,
    MemberIdRequired,
    member_id_generator,
)

SESSION_MS = 10_000
REBALANCE_MS = 30_000
DELAY_MS = 3_000
RANGE = (("range", b"range-meta"),)
GROUP_EVENTS = (GroupStateChanged, GroupMemberJoined, GroupMemberRemoved, GroupRebalanceCompleted)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
async def group(clock: ManualClock, bus: EventBus) -> AsyncIterator[ClassicGroup]:
    g = ClassicGroup("g", clock, bus, member_ids=member_id_generator(1))
    yield g
    g.close()
    await finish_tasks()


async def finish_tasks() -> None:
    """Cancel requests a test left waiting and collect their outcomes."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def advance_until(
    clock: ManualClock, done: Callable[[], bool], step: int = 100, limit: int = 600_000
) -> int:
    """Move the clock in steps until `done()`; how long that took."""
    start = clock.now_ms()
    while not done():
        if clock.now_ms() - start > limit:
            raise AssertionError("condition not reached")
        await clock.advance(step)
    return clock.now_ms() - start


def join(
    group: ClassicGroup,
    member_id: str = "",
    *,
    client: str = "consumer",
    instance: str | None = None,
    protocols: Sequence[tuple[str, bytes]] = RANGE,
    protocol_type: str = "consumer",
    session: int = SESSION_MS,
    rebalance: int = REBALANCE_MS,
):
    return group.join(
        member_id,
        group_instance_id=instance,
        client_id=client,
        client_host="/10.0.0.1",
        protocol_type=protocol_type,
        protocols=protocols,
        session_timeout_ms=session,
        rebalance_timeout_ms=rebalance,
    )


async def start_join(group: ClassicGroup, client: str, **kwargs) -> tuple[str, asyncio.Task[JoinResult]]:
    """A new dynamic member: MEMBER_ID_REQUIRED, then the JoinGroup that waits with its id."""
    with pytest.raises(MemberIdRequired) as info:
        await join(group, client=client, **kwargs)
    member_id = info.value.member_id
    task = asyncio.ensure_future(join(group, member_id, client=client, **kwargs))
    await settle()
    return member_id, task


def start_rejoin(group: ClassicGroup, member_id: str, **kwargs) -> asyncio.Task[JoinResult]:
    return asyncio.ensure_future(join(group, member_id, **kwargs))


def assignment_for(member_id: str) -> bytes:
    return f"partitions of {member_id}".encode()


async def sync_all(
    group: ClassicGroup, results: Sequence[JoinResult], instances: Sequence[str | None] = ()
) -> None:
    """Everyone sends SyncGroup; the leader assigns `assignment_for(member)` to each member."""
    instances = list(instances) or [None] * len(results)
    tasks = []
    for result, instance in zip(results, instances, strict=True):
        assignments = (
            {m.member_id: assignment_for(m.member_id) for m in result.members} if result.is_leader else None
        )
        tasks.append(
            asyncio.ensure_future(
                group.sync(
                    result.member_id,
                    result.generation_id,
                    group_instance_id=instance,
                    assignments=assignments,
                )
            )
        )
    for task, result in zip(await asyncio.gather(*tasks), results, strict=True):
        assert task == assignment_for(result.member_id)
    assert group.state is GroupState.STABLE


async def stable_group(
    group: ClassicGroup, clock: ManualClock, *clients: str, instances: Sequence[str | None] = ()
) -> list[JoinResult]:
    """A new group with these clients (the first one leads), assigned and Stable."""
    instances = list(instances) or [None] * len(clients)
    tasks = []
    for client, instance in zip(clients, instances, strict=True):
        if instance is None:
            _, task = await start_join(group, client)
        else:
            task = asyncio.ensure_future(join(group, client=client, instance=instance))
            await settle()
        tasks.append(task)
    await advance_until(clock, lambda: all(t.done() for t in tasks))
    results = [t.result() for t in tasks]
    await sync_all(group, results, instances)
    return results


def removals(subscription: Subscription) -> list[tuple[str, str]]:
    """(member id, reason) of each GroupMemberRemoved queued on the subscription."""
    return [(e.member_id, e.reason) for e in subscription.drain() if isinstance(e, GroupMemberRemoved)]


def error_of(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(KafkaError) as info:
        call()
    return info.value.code


async def async_error_of(awaitable) -> ErrorCode:
    with pytest.raises(KafkaError) as info:
        await awaitable
    return info.value.code


# --- joining -----------------------------------------------------------------------------------


async def test_a_new_member_gets_member_id_required_then_joins_with_that_id(
    group: ClassicGroup, clock: ManualClock
) -> None:
    with pytest.raises(MemberIdRequired) as info:
        await join(group, client="consumer-1")
    assert info.value.code is ErrorCode.MEMBER_ID_REQUIRED
    member_id = info.value.member_id
    assert member_id.startswith("consumer-1-") and len(member_id) == len("consumer-1-") + 36
    # Only a pending id so far: the group has no member and has not started rebalancing.
    assert group.state is GroupState.EMPTY and group.members == ()
    task = start_rejoin(group, member_id, client="consumer-1")
    await settle()
    assert group.state is GroupState.PREPARING_REBALANCE and not task.done()
    await clock.advance(DELAY_MS)
    result = task.result()
    assert result == JoinResult(
        member_id=member_id,
        generation_id=1,
        protocol_type="consumer",
        protocol_name="range",
        leader_id=member_id,
        members=(JoinGroupMember(member_id, None, b"range-meta"),),
    )
    assert group.state is GroupState.COMPLETING_REBALANCE


async def test_clients_before_join_group_v4_are_added_without_member_id_required(
    group: ClassicGroup, clock: ManualClock
) -> None:
    task = asyncio.ensure_future(
        group.join(
            "",
            client_id="old-client",
            client_host="/10.0.0.2",
            protocol_type="consumer",
            protocols=RANGE,
            session_timeout_ms=SESSION_MS,
            rebalance_timeout_ms=REBALANCE_MS,
            require_known_member_id=False,
        )
    )
    await advance_until(clock, task.done)
    assert task.result().member_id.startswith("old-client-") and task.result().is_leader


async def test_member_ids_come_from_the_seeded_generator(clock: ManualClock, bus: EventBus) -> None:
    ids = []
    for _ in range(2):
        g = ClassicGroup("g", clock, bus, member_ids=member_id_generator(42))
        with pytest.raises(MemberIdRequired) as info:
            await join(g, client="c")
        ids.append(info.value.member_id)
        g.close()
    assert ids[0] == ids[1]


async def test_the_initial_delay_waits_for_more_members_and_extends_while_they_arrive(
    group: ClassicGroup, clock: ManualClock
) -> None:
    _, a = await start_join(group, "a")
    await clock.advance(2_000)
    _, b = await start_join(group, "b")
    await clock.advance(1_000)  # t=3000: b arrived during the delay, so wait another 3 s
    assert not a.done()
    await clock.advance(2_000)
    _, c = await start_join(group, "c")
    await clock.advance(999)  # t=5999
    assert not a.done()
    await clock.advance(1)  # t=6000: c arrived, wait again
    assert not a.done()
    await clock.advance(3_000)  # t=9000: nobody new, the first generation starts
    assert all(t.done() for t in (a, b, c))
    assert {t.result().generation_id for t in (a, b, c)} == {1}
    assert len(a.result().members) == 3


async def test_the_initial_delay_never_extends_past_the_rebalance_timeout(
    group: ClassicGroup, clock: ManualClock
) -> None:
    _, a = await start_join(group, "a", rebalance=5_000)
    await clock.advance(1_000)
    await start_join(group, "b", rebalance=5_000)
    await clock.advance(3_000)  # t=4000... extended by min(3000, 5000 - 3000) = 2000
    _, c = await start_join(group, "c", rebalance=5_000)
    took = await advance_until(clock, a.done, step=1)
    assert took == 1_000  # completes at t=5000 although c arrived at t=4000
    assert c.result().generation_id == 1


async def test_two_members_get_one_generation_and_only_the_leader_gets_everyones_metadata(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a_id, a = await start_join(group, "a", protocols=(("range", b"a-meta"),))
    b_id, b = await start_join(group, "b", protocols=(("range", b"b-meta"),))
    await advance_until(clock, lambda: a.done() and b.done())
    ra, rb = a.result(), b.result()
    assert ra.generation_id == rb.generation_id == 1
    assert ra.leader_id == rb.leader_id == a_id  # the first to join leads
    assert ra.is_leader and not rb.is_leader
    assert ra.members == (JoinGroupMember(a_id, None, b"a-meta"), JoinGroupMember(b_id, None, b"b-meta"))
    assert rb.members == ()


@pytest.mark.parametrize(
    ("preferences", "chosen"),
    [
        # Only "range" is supported by everyone, whatever the preferences.
        ([["roundrobin", "range"], ["range", "roundrobin"], ["range"]], "range"),
        # Both are common: two votes for roundrobin beat one for range.
        ([["roundrobin", "range"], ["roundrobin", "range"], ["range", "roundrobin"]], "roundrobin"),
    ],
)
async def test_the_protocol_is_chosen_by_votes_among_those_all_members_support(
    group: ClassicGroup, clock: ManualClock, preferences: list[list[str]], chosen: str
) -> None:
    tasks = []
    for i, names in enumerate(preferences):
        protocols = tuple((name, f"{name}-{i}".encode()) for name in names)
        tasks.append((await start_join(group, f"c{i}", protocols=protocols))[1])
    await advance_until(clock, lambda: all(t.done() for t in tasks))
    leader = tasks[0].result()
    assert leader.protocol_name == chosen
    assert [m.metadata for m in leader.members] == [f"{chosen}-{i}".encode() for i in range(3)]


async def test_inconsistent_group_protocol(group: ClassicGroup, clock: ManualClock) -> None:
    # An empty group refuses an empty protocol type or list.
    assert await async_error_of(join(group, protocol_type="")) is ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert await async_error_of(join(group, protocols=())) is ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    await stable_group(group, clock, "a")
    # Once there are members, a newcomer must share a protocol with all of them, and the type.
    assert (
        await async_error_of(join(group, protocols=(("roundrobin", b""),)))
        is ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    )
    assert await async_error_of(join(group, protocol_type="connect")) is ErrorCode.INCONSISTENT_GROUP_PROTOCOL


async def test_session_timeouts_outside_the_brokers_range_are_refused(
    clock: ManualClock, bus: EventBus
) -> None:
    group = ClassicGroup("g", clock, bus, member_ids=member_id_generator(1))
    assert await async_error_of(join(group, session=5_999)) is ErrorCode.INVALID_SESSION_TIMEOUT
    assert await async_error_of(join(group, session=1_800_001)) is ErrorCode.INVALID_SESSION_TIMEOUT
    with pytest.raises(MemberIdRequired):
        await join(group, session=6_000)
    strict = ClassicGroup("h", clock, bus, GroupConfig(group_max_session_timeout_ms=20_000))
    assert await async_error_of(join(strict, session=30_000)) is ErrorCode.INVALID_SESSION_TIMEOUT
    group.close()
    strict.close()


async def test_group_max_size(clock: ManualClock, bus: EventBus) -> None:
    group = ClassicGroup("g", clock, bus, GroupConfig(group_max_size=2), member_ids=member_id_generator(1))
    await stable_group(group, clock, "a", "b")
    assert await async_error_of(join(group, client="c")) is ErrorCode.GROUP_MAX_SIZE_REACHED
    group.close()
    # An Empty group hands out ids freely; the rebalance turns away whoever comes back too late.
    single = ClassicGroup("h", clock, bus, GroupConfig(group_max_size=1), member_ids=member_id_generator(2))
    ids = []
    for client in ("a", "b"):
        with pytest.raises(MemberIdRequired) as info:
            await join(single, client=client)
        ids.append(info.value.member_id)
    a = start_rejoin(single, ids[0], client="a")
    await settle()
    assert await async_error_of(join(single, ids[1], client="b")) is ErrorCode.GROUP_MAX_SIZE_REACHED
    # Once the rebalance started, a newcomer is refused before it even gets an id.
    assert await async_error_of(join(single, client="c")) is ErrorCode.GROUP_MAX_SIZE_REACHED
    await advance_until(clock, a.done)
    assert len(a.result().members) == 1
    single.close()


def test_group_config_has_kafkas_defaults_and_checks() -> None:
    config = GroupConfig()
    assert (
        config.group_initial_rebalance_delay_ms,
        config.group_min_session_timeout_ms,
        config.group_max_session_timeout_ms,
        config.group_max_size,
    ) == (3_000, 6_000, 1_800_000, 2_147_483_647)
    for bad in (
        {"group_max_size": 0},
        {"group_initial_rebalance_delay_ms": -1},
        {"group_max_session_timeout_ms": 1},
    ):
        with pytest.raises(KafkaError) as info:
            GroupConfig(**bad)
        assert info.value.code is ErrorCode.INVALID_CONFIG


# --- syncing -----------------------------------------------------------------------------------


async def test_sync_hands_each_member_the_leaders_assignment_and_the_group_becomes_stable(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a_id, a = await start_join(group, "a")
    b_id, b = await start_join(group, "b")
    c_id, c = await start_join(group, "c")
    await advance_until(clock, lambda: a.done() and b.done() and c.done())
    # A follower that syncs first waits for the leader.
    follower = asyncio.ensure_future(group.sync(b_id, 1))
    await settle()
    assert not follower.done() and group.state is GroupState.COMPLETING_REBALANCE
    # The leader leaves c out: c gets an empty assignment (Kafka fills in the gaps).
    assert await group.sync(a_id, 1, assignments={a_id: b"p0", b_id: b"p1", "stranger": b"p9"}) == b"p0"
    assert await follower == b"p1"
    assert group.state is GroupState.STABLE
    assert await group.sync(c_id, 1) == b""
    described = group.describe()
    assert described.protocol == "range" and described.generation_id == 1 and described.leader_id == a_id
    assert [(m.member_id, m.assignment, m.metadata) for m in described.members] == [
        (a_id, b"p0", b"range-meta"),
        (b_id, b"p1", b"range-meta"),
        (c_id, b"", b"range-meta"),
    ]


async def test_sync_errors(group: ClassicGroup, clock: ManualClock) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    assert await async_error_of(group.sync("ghost", 1)) is ErrorCode.UNKNOWN_MEMBER_ID
    assert await async_error_of(group.sync(a.member_id, 0)) is ErrorCode.ILLEGAL_GENERATION
    assert await async_error_of(group.sync(a.member_id, 1, protocol_name="roundrobin")) is (
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    )
    assert await async_error_of(group.sync(a.member_id, 1, protocol_type="connect")) is (
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    )
    assert (
        await async_error_of(group.sync(a.member_id, 1, group_instance_id="i-9"))
        is ErrorCode.UNKNOWN_MEMBER_ID
    )
    start_rejoin(group, a.member_id)  # the leader rejoins: a rebalance starts
    await settle()
    assert await async_error_of(group.sync(b.member_id, 1)) is ErrorCode.REBALANCE_IN_PROGRESS


async def test_a_failed_store_fails_every_waiting_sync_and_the_group_rebalances(
    clock: ManualClock, bus: EventBus
) -> None:
    stored: list[GroupSnapshot] = []
    failures = [KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS)]

    async def on_assignment(g: ClassicGroup) -> None:
        await clock.sleep(0.05)  # the append to __consumer_offsets takes a while
        if failures:
            raise failures.pop()
        stored.append(g.snapshot())

    group = ClassicGroup("g", clock, bus, member_ids=member_id_generator(1), on_assignment=on_assignment)
    a_id, a = await start_join(group, "a")
    b_id, b = await start_join(group, "b")
    await advance_until(clock, lambda: a.done() and b.done())
    leader = asyncio.ensure_future(group.sync(a_id, 1, assignments={a_id: b"p0", b_id: b"p1"}))
    follower = asyncio.ensure_future(group.sync(b_id, 1))
    await settle()
    assert not leader.done()  # nobody is answered before the store
    await clock.advance(50)
    # Kafka maps the append's NOT_ENOUGH_REPLICAS to COORDINATOR_NOT_AVAILABLE for the client.
    assert await async_error_of(leader) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert await async_error_of(follower) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert group.state is GroupState.PREPARING_REBALANCE
    a2, b2 = start_rejoin(group, a_id), start_rejoin(group, b_id)
    await settle()
    results = [await a2, await b2]
    assert results[0].generation_id == 2
    sync_tasks = asyncio.gather(
        group.sync(a_id, 2, assignments={a_id: b"p0", b_id: b"p1"}),
        group.sync(b_id, 2),
    )
    await clock.advance(50)
    assert await sync_tasks == [b"p0", b"p1"]
    # The hook saw the group as it was about to become Stable: the new assignment included.
    [snapshot] = stored
    assert snapshot.generation_id == 2 and snapshot.leader_id == a_id and snapshot.protocol_name == "range"
    assert [(m.member_id, m.assignment) for m in snapshot.members] == [(a_id, b"p0"), (b_id, b"p1")]
    group.close()


async def test_a_member_that_never_syncs_is_removed_after_the_rebalance_timeout(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    removed = bus.subscribe(GroupMemberRemoved)
    a_id, a = await start_join(group, "a")
    b_id, b = await start_join(group, "b")
    await advance_until(clock, lambda: a.done() and b.done())
    joined_at = clock.now_ms()
    assert await group.sync(a_id, 1, assignments={a_id: b"p0", b_id: b"p1"}) == b"p0"
    assert group.state is GroupState.STABLE
    # b heartbeats but never syncs.
    while clock.now_ms() - joined_at < REBALANCE_MS - 3_000:
        group.heartbeat(a_id, 1)
        group.heartbeat(b_id, 1)
        await clock.advance(3_000)
    assert group.state is GroupState.STABLE
    await clock.advance(3_000)
    assert removals(removed) == [(b_id, "rebalance timeout")]
    assert group.state is GroupState.PREPARING_REBALANCE


# --- heartbeats and sessions -------------------------------------------------------------------


async def test_heartbeat_answers_in_each_state(group: ClassicGroup, clock: ManualClock) -> None:
    assert error_of(lambda: group.heartbeat("ghost", 0)) is ErrorCode.UNKNOWN_MEMBER_ID  # Empty
    a_id, a = await start_join(group, "a")
    # PreparingRebalance: that is how members learn to rejoin.
    assert error_of(lambda: group.heartbeat(a_id, 0)) is ErrorCode.REBALANCE_IN_PROGRESS
    await advance_until(clock, a.done)
    assert group.state is GroupState.COMPLETING_REBALANCE
    group.heartbeat(a_id, 1)  # between JoinGroup and SyncGroup a heartbeat is fine
    assert error_of(lambda: group.heartbeat(a_id, 0)) is ErrorCode.ILLEGAL_GENERATION
    assert error_of(lambda: group.heartbeat("ghost", 1)) is ErrorCode.UNKNOWN_MEMBER_ID
    await group.sync(a_id, 1, assignments={a_id: b"p0"})
    group.heartbeat(a_id, 1)
    assert error_of(lambda: group.heartbeat(a_id, 2)) is ErrorCode.ILLEGAL_GENERATION


async def test_a_new_member_makes_the_others_rejoin_through_their_heartbeats(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    c_id, c = await start_join(group, "c")
    assert group.state is GroupState.PREPARING_REBALANCE
    for member in (a, b):
        assert error_of(lambda m=member: group.heartbeat(m.member_id, 1)) is ErrorCode.REBALANCE_IN_PROGRESS
    a2 = start_rejoin(group, a.member_id)
    await settle()
    assert not c.done()
    b2 = start_rejoin(group, b.member_id)
    await settle()
    # Everyone is back: no need to wait for the rebalance timeout.
    results = [await a2, await b2, await c]
    assert [r.generation_id for r in results] == [2, 2, 2]
    assert results[0].leader_id == a.member_id  # the leader rejoined, so it still leads
    assert [m.member_id for m in results[0].members] == [a.member_id, b.member_id, c_id]
    await sync_all(group, results)


async def test_a_silent_member_is_removed_after_its_session_timeout_and_the_group_rebalances(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    events = bus.subscribe(GroupMemberRemoved, GroupStateChanged)
    deadline = group.session_deadline_ms(b.member_id)
    assert deadline == clock.now_ms() + SESSION_MS
    while clock.now_ms() + 3_000 < deadline:
        group.heartbeat(a.member_id, 1)  # a heartbeats every 3 s, b is silent
        await clock.advance(3_000)
    assert group.state is GroupState.STABLE
    await clock.advance(deadline - clock.now_ms())
    assert b.member_id not in group.members
    assert [
        (type(e).__name__, getattr(e, "reason", getattr(e, "new_state", None))) for e in events.drain()
    ] == [
        ("GroupMemberRemoved", "session timeout"),
        ("GroupStateChanged", "PreparingRebalance"),
    ]
    assert error_of(lambda: group.heartbeat(a.member_id, 1)) is ErrorCode.REBALANCE_IN_PROGRESS
    result = await join(group, a.member_id)
    assert result.generation_id == 2 and [m.member_id for m in result.members] == [a.member_id]


async def test_when_the_last_members_session_expires_the_group_becomes_empty(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    await stable_group(group, clock, "a")
    changes = bus.subscribe(GroupStateChanged)
    await clock.advance(SESSION_MS)
    assert group.state is GroupState.EMPTY and group.members == () and group.generation_id == 2
    assert summary(changes.drain()) == [
        ("state", "Stable", "PreparingRebalance", 1),
        ("state", "PreparingRebalance", "Empty", 2),
    ]


async def test_a_member_that_does_not_rejoin_is_removed_at_the_rebalance_timeout(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    removed = bus.subscribe(GroupMemberRemoved)
    c_id, c = await start_join(group, "c")
    started = clock.now_ms()
    a2 = start_rejoin(group, a.member_id)
    # b stays alive (its heartbeats say REBALANCE_IN_PROGRESS) but never rejoins.
    while not c.done():
        with pytest.raises(KafkaError):
            group.heartbeat(b.member_id, 1)
        await clock.advance(1_000)
    assert clock.now_ms() - started == REBALANCE_MS
    assert removals(removed) == [(b.member_id, "rebalance timeout")]
    assert (await a2).generation_id == 2
    assert [m.member_id for m in a2.result().members] == [a.member_id, c_id]
    assert error_of(lambda: group.heartbeat(b.member_id, 1)) is ErrorCode.UNKNOWN_MEMBER_ID


async def test_a_pending_member_that_never_comes_back_expires_after_its_session_timeout(
    group: ClassicGroup, clock: ManualClock
) -> None:
    (a,) = await stable_group(group, clock, "a")
    with pytest.raises(MemberIdRequired):
        await join(group, client="b")
    assert group.state is GroupState.STABLE  # a pending id alone starts nothing
    started = clock.now_ms()
    a2 = start_rejoin(group, a.member_id)  # the leader rejoins; the rebalance waits for b
    took = await advance_until(clock, a2.done)
    assert clock.now_ms() - started == took == SESSION_MS
    assert a2.result().generation_id == 2


# --- leaving -----------------------------------------------------------------------------------


async def test_leaving_triggers_a_rebalance_and_the_last_leave_empties_the_group(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    results = group.leave([(b.member_id, None), ("ghost", None)])
    assert [(r.member_id, r.error) for r in results] == [
        (b.member_id, ErrorCode.NONE),
        ("ghost", ErrorCode.UNKNOWN_MEMBER_ID),
    ]
    assert group.state is GroupState.PREPARING_REBALANCE
    result = await join(group, a.member_id)  # a was the only one left: done at once
    assert result.generation_id == 2
    await sync_all(group, [result])
    group.leave([(a.member_id, None)])
    assert group.state is GroupState.EMPTY and group.generation_id == 3 and group.leader_id is None


async def test_a_member_leaving_while_others_wait_to_sync_sends_them_back_to_join(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a_id, a = await start_join(group, "a")
    b_id, b = await start_join(group, "b")
    await advance_until(clock, lambda: a.done() and b.done())
    waiting = asyncio.ensure_future(group.sync(b_id, 1))
    await settle()
    group.leave([(a_id, None)])  # the leader goes before assigning
    assert await async_error_of(waiting) is ErrorCode.REBALANCE_IN_PROGRESS
    result = await join(group, b_id)
    assert result.is_leader and result.generation_id == 2


# --- static membership (KIP-345) ---------------------------------------------------------------


async def test_a_static_member_that_restarts_keeps_its_assignment_without_a_rebalance(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    leader, static = await stable_group(group, clock, "a", "s", instances=[None, "instance-1"])
    assert static.member_id.startswith("instance-1-")  # static ids start with the instance id
    events = bus.subscribe(*GROUP_EVENTS)
    # The process restarts: it knows its group.instance.id but not its old member id.
    rejoined = await join(group, client="s", instance="instance-1")
    assert rejoined.member_id != static.member_id
    assert (rejoined.generation_id, rejoined.leader_id, rejoined.members) == (1, leader.member_id, ())
    assert await group.sync(rejoined.member_id, 1, group_instance_id="instance-1") == assignment_for(
        static.member_id
    )
    assert group.state is GroupState.STABLE and group.generation_id == 1
    assert summary(events.drain()) == [
        ("removed", static.member_id, "fenced"),
        ("joined", rejoined.member_id),
    ]
    # The old process, if still around, is fenced.
    old = static.member_id
    assert (
        error_of(lambda: group.heartbeat(old, 1, group_instance_id="instance-1"))
        is ErrorCode.FENCED_INSTANCE_ID
    )
    assert error_of(lambda: group.heartbeat(old, 1)) is ErrorCode.UNKNOWN_MEMBER_ID
    assert await async_error_of(join(group, old, instance="instance-1")) is ErrorCode.FENCED_INSTANCE_ID
    group.heartbeat(leader.member_id, 1)


async def test_a_static_rejoin_the_coordinator_cannot_store_keeps_the_old_member_id(
    clock: ManualClock, bus: EventBus
) -> None:
    failures: list[KafkaError] = []

    async def on_assignment(g: ClassicGroup) -> None:
        if failures:
            raise failures.pop()

    group = ClassicGroup("g", clock, bus, member_ids=member_id_generator(1), on_assignment=on_assignment)
    leader, static = await stable_group(group, clock, "a", "s", instances=[None, "instance-1"])
    removed = bus.subscribe(GroupMemberRemoved)
    failures.append(KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER))
    assert await async_error_of(join(group, client="s", instance="instance-1")) is ErrorCode.NOT_COORDINATOR
    # Kafka reverts to the member id its log knows; nothing else changed.
    assert [reason for _, reason in removals(removed)] == ["fenced", "not persisted"]
    assert group.members == (leader.member_id, static.member_id)
    group.heartbeat(static.member_id, 1, group_instance_id="instance-1")
    assert group.state is GroupState.STABLE and group.generation_id == 1
    group.close()
    await finish_tasks()


async def test_a_static_leader_that_restarts_is_told_to_skip_the_assignment(
    group: ClassicGroup, clock: ManualClock
) -> None:
    static, other = await stable_group(group, clock, "s", "b", instances=["instance-1", None])
    rejoined = await join(group, client="s", instance="instance-1")
    assert rejoined.is_leader and rejoined.skip_assignment and rejoined.generation_id == 1
    assert [m.member_id for m in rejoined.members] == [rejoined.member_id, other.member_id]
    assert await group.sync(rejoined.member_id, 1, group_instance_id="instance-1", assignments={}) == (
        assignment_for(static.member_id)
    )
    assert group.state is GroupState.STABLE


async def test_a_static_member_rejoining_with_a_new_protocol_choice_rebalances(
    group: ClassicGroup, clock: ManualClock
) -> None:
    both = (("range", b"r"), ("roundrobin", b"rr"))
    tasks = [
        asyncio.ensure_future(join(group, client="s", instance="instance-1", protocols=both)),
        (await start_join(group, "b", protocols=both))[1],
    ]
    await advance_until(clock, lambda: all(t.done() for t in tasks))
    await sync_all(group, [t.result() for t in tasks], ["instance-1", None])
    assert group.protocol_name == "range"
    task = asyncio.ensure_future(
        join(group, client="s", instance="instance-1", protocols=(("roundrobin", b"rr"),))
    )
    await settle()
    assert group.state is GroupState.PREPARING_REBALANCE and not task.done()


async def test_a_static_members_session_expiry_rebalances(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    dynamic, static = await stable_group(group, clock, "a", "s", instances=[None, "instance-1"])
    removed = bus.subscribe(GroupMemberRemoved)
    for _ in range(4):
        group.heartbeat(dynamic.member_id, 1)
        await clock.advance(3_000)
    assert removals(removed) == [(static.member_id, "session timeout")]
    assert group.state is GroupState.PREPARING_REBALANCE
    result = await join(group, dynamic.member_id)
    assert [m.member_id for m in result.members] == [dynamic.member_id]
    # The instance id is free again: the next process with it joins as a new member.
    task = asyncio.ensure_future(join(group, client="s", instance="instance-1"))
    await settle()
    assert group.state is GroupState.PREPARING_REBALANCE and not task.done()


async def test_a_static_member_that_does_not_rejoin_stays_until_its_session_expires(
    group: ClassicGroup, clock: ManualClock
) -> None:
    dynamic, static = await stable_group(group, clock, "a", "s", instances=[None, "instance-1"])
    a2 = start_rejoin(group, dynamic.member_id)  # the leader rejoins: everyone must
    await settle()
    # s keeps its session alive without rejoining: at the rebalance timeout it is kept (KIP-345).
    while not a2.done():
        with pytest.raises(KafkaError):
            group.heartbeat(static.member_id, 1, group_instance_id="instance-1")
        await clock.advance(1_000)
    result = a2.result()
    assert result.generation_id == 2
    assert [m.member_id for m in result.members] == [dynamic.member_id, static.member_id]
    # It learns about generation 2 when it finally rejoins with unchanged metadata.
    late = await join(group, static.member_id, instance="instance-1")
    assert (late.generation_id, late.leader_id) == (2, dynamic.member_id)


async def test_the_admin_removes_a_static_member_by_its_instance_id(
    group: ClassicGroup, clock: ManualClock
) -> None:
    _, static = await stable_group(group, clock, "a", "s", instances=[None, "instance-1"])
    results = group.leave([("", "instance-1"), ("", "instance-9"), (static.member_id, "instance-1")])
    assert [r.error for r in results] == [
        ErrorCode.NONE,
        ErrorCode.UNKNOWN_MEMBER_ID,
        ErrorCode.UNKNOWN_MEMBER_ID,
    ]
    assert static.member_id not in group.members and group.state is GroupState.PREPARING_REBALANCE


# --- describe, persistence, deletion -----------------------------------------------------------


async def test_describe_shows_assignments_only_while_stable(group: ClassicGroup, clock: ManualClock) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    described = group.describe()
    assert (described.group_id, described.state, described.protocol_type) == (
        "g",
        GroupState.STABLE,
        "consumer",
    )
    assert [(m.client_id, m.client_host, m.assignment) for m in described.members] == [
        ("a", "/10.0.0.1", assignment_for(a.member_id)),
        ("b", "/10.0.0.1", assignment_for(b.member_id)),
    ]
    start_rejoin(group, a.member_id)
    await settle()
    described = group.describe()
    assert described.state is GroupState.PREPARING_REBALANCE and described.protocol == ""
    assert {m.assignment for m in described.members} == {b""}


async def test_a_group_restored_from_its_snapshot_resumes_with_fresh_sessions(clock: ManualClock) -> None:
    stored: list[str] = []

    async def on_assignment(g: ClassicGroup) -> None:
        stored.append(g.snapshot().to_json())

    old_bus = EventBus()
    old = ClassicGroup("g", clock, old_bus, member_ids=member_id_generator(1), on_assignment=on_assignment)
    a, b = await stable_group(old, clock, "a", "b", instances=[None, "instance-1"])
    await clock.advance(8_000)
    # The coordinator moves: the old one unloads the group, the new one loads the last record.
    old.close()
    assert error_of(lambda: old.heartbeat(a.member_id, 1)) is ErrorCode.NOT_COORDINATOR
    snapshot = GroupSnapshot.from_json(stored[-1])
    assert GroupSnapshot.from_json(snapshot.to_json()) == snapshot
    bus = EventBus()
    group = ClassicGroup.load(snapshot, clock, bus, member_ids=member_id_generator(2))
    assert (group.state, group.generation_id, group.leader_id, group.protocol_name) == (
        GroupState.STABLE,
        1,
        a.member_id,
        "range",
    )
    assert [(m.member_id, m.group_instance_id, m.assignment) for m in group.describe().members] == [
        (a.member_id, None, assignment_for(a.member_id)),
        (b.member_id, "instance-1", assignment_for(b.member_id)),
    ]
    # Sessions start afresh on the new coordinator (8 s had passed on the old one).
    assert group.session_deadline_ms(b.member_id) == clock.now_ms() + SESSION_MS
    assert await group.sync(b.member_id, 1, group_instance_id="instance-1") == assignment_for(b.member_id)
    for _ in range(2):  # a heartbeats, b went quiet after its sync
        group.heartbeat(a.member_id, 1)
        await clock.advance(SESSION_MS // 2)
    assert b.member_id not in group.members and group.state is GroupState.PREPARING_REBALANCE
    group.close()


async def test_a_restored_group_over_the_size_limit_rebalances_and_sheds_members(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    a, b = await stable_group(group, clock, "a", "b")
    snapshot = group.snapshot()
    group.close()
    smaller = ClassicGroup.load(snapshot, clock, bus, GroupConfig(group_max_size=1))
    assert smaller.state is GroupState.PREPARING_REBALANCE
    a2 = start_rejoin(smaller, a.member_id)
    await settle()
    assert await async_error_of(join(smaller, b.member_id)) is ErrorCode.GROUP_MAX_SIZE_REACHED
    assert [m.member_id for m in (await a2).members] == [a.member_id]
    smaller.close()


async def test_an_empty_group_snapshot_has_no_members(group: ClassicGroup, clock: ManualClock) -> None:
    (a,) = await stable_group(group, clock, "a")
    group.leave([(a.member_id, None)])
    snapshot = group.snapshot()
    assert (snapshot.generation_id, snapshot.protocol_name, snapshot.leader_id, snapshot.members) == (
        2,
        None,
        None,
        (),
    )
    restored = ClassicGroup.load(snapshot, clock, EventBus())
    assert restored.state is GroupState.EMPTY and restored.generation_id == 2
    restored.close()


async def test_only_an_empty_group_can_be_deleted_and_then_it_is_gone(
    group: ClassicGroup, clock: ManualClock
) -> None:
    (a,) = await stable_group(group, clock, "a")
    assert error_of(group.delete) is ErrorCode.NON_EMPTY_GROUP
    group.leave([(a.member_id, None)])
    group.delete()
    assert group.state is GroupState.DEAD and group.describe().state is GroupState.DEAD
    # What Kafka answers for a group removed under a request: look for the coordinator again.
    assert await async_error_of(join(group)) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert await async_error_of(join(group, a.member_id)) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert await async_error_of(group.sync(a.member_id, 2)) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert error_of(lambda: group.heartbeat(a.member_id, 2)) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert error_of(lambda: group.leave([(a.member_id, None)])) is ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert error_of(group.delete) is ErrorCode.GROUP_ID_NOT_FOUND


async def test_closing_answers_waiting_requests_with_not_coordinator_and_stops_the_timers(
    group: ClassicGroup, clock: ManualClock
) -> None:
    a_id, a = await start_join(group, "a")
    group.close()
    assert await async_error_of(a) is ErrorCode.NOT_COORDINATOR
    assert group.state is GroupState.DEAD
    assert await async_error_of(join(group, a_id)) is ErrorCode.NOT_COORDINATOR
    assert error_of(group.describe) is ErrorCode.NOT_COORDINATOR
    await settle()
    assert clock.pending == 0


# --- events ------------------------------------------------------------------------------------


def summary(events: Sequence[Event]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for e in events:
        if isinstance(e, GroupStateChanged):
            out.append(("state", e.old_state, e.new_state, e.generation))
        elif isinstance(e, GroupMemberJoined):
            out.append(("joined", e.member_id))
        elif isinstance(e, GroupMemberRemoved):
            out.append(("removed", e.member_id, e.reason))
        elif isinstance(e, GroupRebalanceCompleted):
            out.append(("rebalanced", e.generation, e.leader_id, e.protocol, e.members))
    return out


async def test_the_events_of_a_typical_rebalance(
    group: ClassicGroup, clock: ManualClock, bus: EventBus
) -> None:
    events = bus.subscribe(*GROUP_EVENTS)
    a, b = await stable_group(group, clock, "a", "b")
    a_id, b_id = a.member_id, b.member_id
    first = events.drain()
    assert [e.timestamp_ms - first[0].timestamp_ms for e in first] == [
        0,
        0,
        0,
        DELAY_MS * 2,
        DELAY_MS * 2,
        DELAY_MS * 2,
    ]
    assert summary(first) == [
        ("joined", a_id),
        ("state", "Empty", "PreparingRebalance", 0),
        ("joined", b_id),
        ("state", "PreparingRebalance", "CompletingRebalance", 1),
        ("state", "CompletingRebalance", "Stable", 1),
        ("rebalanced", 1, a_id, "range", (a_id, b_id)),
    ]
    group.leave([(b_id, None)])
    await sync_all(group, [await join(group, a_id)])
    assert summary(events.drain()) == [
        ("removed", b_id, "left"),
        ("state", "Stable", "PreparingRebalance", 1),
        ("state", "PreparingRebalance", "CompletingRebalance", 2),
        ("state", "CompletingRebalance", "Stable", 2),
        ("rebalanced", 2, a_id, "range", (a_id,)),
    ]


# --- random schedules --------------------------------------------------------------------------


# Short timers, so a schedule of a few dozen steps crosses many of them.
FAST = GroupConfig(group_initial_rebalance_delay_ms=500, group_min_session_timeout_ms=1_000)
FAST_SESSION_MS, FAST_REBALANCE_MS = 3_000, 6_000


class _Client:
    """A consumer as the coordinator sees it: JoinGroup (then SyncGroup), heartbeats, leave."""

    def __init__(self, index: int) -> None:
        self.client_id = f"client-{index}"
        self.instance = f"instance-{index}" if index % 2 else None
        self.member_id = ""
        self.generation = -1
        self.needs_sync = False
        # Stuck processing records: the heartbeat thread keeps the session alive, but poll()
        # is not called, so the consumer neither rejoins nor syncs (max.poll.interval.ms).
        self.stalled = False
        self.silent = False  # the process is paused or cut off: no heartbeats either
        self.task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, group: ClassicGroup, *, sync: bool = True) -> asyncio.Task[None] | None:
        if self.busy:
            return None
        self.task = asyncio.ensure_future(self._join(group, sync))
        return self.task

    async def _join(self, group: ClassicGroup, sync: bool) -> None:
        try:
            try:
                result = await self._send_join(group)
            except MemberIdRequired as required:
                self.member_id = required.member_id
                result = await self._send_join(group)
            self.member_id, self.generation, self.needs_sync = result.member_id, result.generation_id, True
            if not sync:
                return
            assignments = None
            if result.is_leader and not result.skip_assignment:
                assignments = {m.member_id: b"a-" + m.member_id.encode() for m in result.members}
            await group.sync(
                self.member_id, self.generation, group_instance_id=self.instance, assignments=assignments
            )
            self.needs_sync = False
        except KafkaError as error:
            self.failed(error.code)

    def _send_join(self, group: ClassicGroup):
        return join(
            group,
            self.member_id,
            client=self.client_id,
            instance=self.instance,
            session=FAST_SESSION_MS,
            rebalance=FAST_REBALANCE_MS,
        )

    def failed(self, code: ErrorCode) -> None:
        if code in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
            self.member_id, self.generation = "", -1  # what a consumer does: start afresh
        self.needs_sync = True  # anything else: rejoin with the same id

    def heartbeat(self, group: ClassicGroup) -> None:
        if self.busy or not self.member_id:
            return
        try:
            group.heartbeat(self.member_id, self.generation, group_instance_id=self.instance)
        except KafkaError as error:
            self.failed(error.code)

    def poll(self, group: ClassicGroup) -> None:
        """A consumer's poll loop: heartbeat, and rejoin when the coordinator says so."""
        self.heartbeat(group)
        if not self.stalled and not self.busy and (not self.member_id or self.needs_sync):
            self.start(group)

    def leave(self, group: ClassicGroup) -> None:
        # Static members do not send LeaveGroup when they close (KIP-345).
        if self.member_id and self.instance is None and not self.busy:
            group.leave([(self.member_id, None)])
            self.member_id, self.generation = "", -1


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("join", "join_no_sync", "poll", "poll_all", "poll_all", "leave", "restart"),
                *("advance", "advance", "advance", "fail_store", "stall", "pause"),
            ]
        ),
        st.integers(0, 3),
        st.integers(1, 8_000),
    ),
    min_size=10,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops=OPS)
def test_random_schedules_keep_the_group_consistent_and_it_always_settles(
    ops: list[tuple[str, int, int]],
) -> None:
    """Whatever the schedule (joins, leaves, restarts leaving zombie requests, stalls,
    silences, store failures), every step keeps the invariants `_run_schedule` checks,
    and once the clients behave the group is Stable with exactly them as members."""
    settled = asyncio.run(_run_schedule(ops))
    assert settled.state is GroupState.STABLE
    assert {m.member_id for m in settled.group.members} == settled.clients
    assert settled.group.leader_id in settled.clients
    assert all(m.assignment for m in settled.group.members)
    assert settled.generations == sorted(settled.generations)  # never went backwards


@dataclass(frozen=True)
class Settled:
    """How a schedule ended: the group as DescribeGroups shows it once everyone behaved."""

    state: GroupState
    group: GroupDescription
    clients: set[str]
    generations: list[int]


async def _run_schedule(ops: list[tuple[str, int, int]]) -> Settled:
    clock, bus = ManualClock(), EventBus()
    failures: list[KafkaError] = []

    async def on_assignment(g: ClassicGroup) -> None:
        await clock.sleep(0.01)
        if failures:
            raise failures.pop()

    changes: list[GroupStateChanged] = []
    bus.listen(lambda e: changes.append(e) if isinstance(e, GroupStateChanged) else None)
    group = ClassicGroup(
        "g", clock, bus, FAST, member_ids=member_id_generator(0), on_assignment=on_assignment
    )
    clients = [_Client(i) for i in range(4)]
    zombies: list[asyncio.Task[None]] = []
    generations = [0]

    def check() -> None:
        assert group.generation_id >= generations[-1]
        generations.append(group.generation_id)
        if group.state is GroupState.STABLE:
            described = group.describe()
            assert described.leader_id in [m.member_id for m in described.members]
            assert all(m.assignment for m in described.members), described

    for op, who, ms in ops:
        client = clients[who]
        if op in ("join", "join_no_sync"):
            client.start(group, sync=op == "join")
        elif op == "poll":
            client.poll(group)
        elif op == "poll_all":
            for c in clients:
                c.poll(group)
        elif op == "leave":
            client.leave(group)
        elif op == "restart":
            # The process dies and a new one starts: the old requests live on as zombies.
            if client.task is not None:
                zombies.append(client.task)
            clients[who] = _Client(who)
            clients[who].start(group)
        elif op == "advance":
            # Time passes; every client's heartbeat thread beats each second unless paused.
            for _ in range(ms // 1_000):
                for c in clients:
                    if not c.silent:
                        c.heartbeat(group)
                await clock.advance(1_000)
            await clock.advance(ms % 1_000)
        elif op == "stall":
            client.stalled = not client.stalled
        elif op == "pause":
            client.silent = not client.silent
        else:
            failures.append(KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS))
        await settle()
        check()

    # Everyone behaves from now on: the group must settle with exactly these clients.
    for c in clients:
        c.stalled = c.silent = False
    for _ in range(200):
        current = {c.member_id for c in clients}
        if (
            group.state is GroupState.STABLE
            and set(group.members) == current
            and not any(c.busy for c in clients)
        ):
            break
        for c in clients:
            c.poll(group)
        await clock.advance(500)
        check()
    else:
        raise AssertionError(f"the group did not settle: {group.describe()}")
    settled_state, settled_view = group.state, group.describe()
    settled_members = {c.member_id for c in clients}

    group.close()
    tasks = [c.task for c in clients if c.task is not None] + zombies
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        assert outcome is None or isinstance(outcome, KafkaError | asyncio.CancelledError), outcome
    state = "Empty"
    for change in changes:
        assert change.old_state == state
        assert GroupState(change.old_state) in VALID_PREVIOUS_STATES[GroupState(change.new_state)]
        state = change.new_state
    assert [c.generation for c in changes] == sorted(c.generation for c in changes)
    return Settled(settled_state, settled_view, settled_members, generations)
