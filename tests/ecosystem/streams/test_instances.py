"""Several instances of one application on kafkatui's cluster, assigned by the Streams
assignor through the group: the tasks split over them, a third takes only its share
from the others (sticky), an instance killed leaves its tasks to the others with the
counts intact (they continue from the changelog); where each key lives (KIP-535's
metadata) names the instance that answers it; standbys keep warm copies, so a promotion
restores far fewer records than a cold start; one instance over the wire and one in
process share the work the same way."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder
from kafkatui.ecosystem.streams.admin import member_tasks
from kafkatui.ecosystem.streams.config import StreamsConfig
from kafkatui.ecosystem.streams.metadata import HostInfo
from kafkatui.ecosystem.streams.runtime import RUNNING, KafkaStreams
from tests.cli.conftest import CliFn
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

APP = "views"
INPUT, OUTPUT = "page-views", "page-counts"
STORE = "per-page"
CHANGELOG = f"{APP}-{STORE}-changelog"


def instance(
    served: Served, state_dir: Path, host: str, backend: object = None, **config: object
) -> KafkaStreams:
    builder = StreamsBuilder()
    builder.stream(INPUT).group_by_key().count(STORE).to_stream().to(OUTPUT, value_serde=Serdes.long())
    settings = {
        "application.id": APP, "state.dir": str(state_dir), "commit.interval.ms": 100,
        "heartbeat.interval.ms": 50, "application.server": host, **config,
    }  # fmt: skip
    return KafkaStreams(builder.build(), settings, backend or served.backend)  # type: ignore[arg-type]


def views(start: int, count: int) -> list[tuple[bytes, bytes]]:
    return [(f"page{i % 23}".encode(), b"v") for i in range(start, start + count)]


def counts_of(*instances: KafkaStreams) -> dict[str, int]:
    """Every local store's counts, each key from exactly one instance's active task."""
    found: dict[str, int] = {}
    for streams in instances:
        for task in streams.tasks.values():
            for key, value in task.stores[STORE].all():
                assert key not in found, f"{key} is counted by two tasks"
                found[key] = value
    return found


async def settled(served: Served, *instances: KafkaStreams, tasks: int = 6) -> bool:
    """Every instance runs, the tasks are split with none twice, nobody is about to
    rebalance, and the group has committed the whole input."""
    if any(s.state != RUNNING or s.membership.needs_rejoin for s in instances):
        return False
    owned = [t for s in instances for t in s.tasks]
    if sorted(owned) != [f"0_{p}" for p in range(tasks)]:
        return False
    if len({s.membership.generation for s in instances}) != 1:
        return False
    view = await served.backend.describe_group(APP)
    committed = {(p.topic, p.partition): p.committed for p in view.partitions}
    ends = await served.ends(INPUT)
    return all(committed.get((INPUT, p), -1) >= end for p, end in ends.items() if end)


async def test_tasks_split_move_stickily_and_survive_a_kill(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(INPUT, 6, 1)
    first = views(0, 600)
    reference = Counter(k.decode() for k, _ in first)
    await served.produce(INPUT, first)
    a = instance(served, tmp_path / "a", "a.local:1")
    b = instance(served, tmp_path / "b", "b.local:2")
    await a.start()
    await b.start()
    await until(lambda: settled(served, a, b), "a and b to share the tasks")
    assert len(a.tasks) == len(b.tasks) == 3
    assert counts_of(a, b) == dict(reference)
    # To Kafka's tools the group is a consumer group assigned by "stream", each member
    # reading the partitions of its tasks.
    view = await served.backend.describe_group(APP)
    assert (view.protocol_type, view.protocol, len(view.members)) == ("consumer", "stream", 2)
    reads = {m.client_id: {p for _, p in m.partitions} for m in view.members}
    assert reads == {f"{s.thread_client_id}-consumer": {int(t[2]) for t in s.tasks} for s in (a, b)}

    # KIP-535: the metadata names the instance whose task holds the key, which answers it.
    for key in ("page0", "page7", "page19"):
        meta = a.query_metadata_for_key(STORE, key, Serdes.string())
        assert meta == b.query_metadata_for_key(STORE, key, Serdes.string())
        owner = a if f"0_{meta.partition}" in a.tasks else b
        assert meta.active_host == HostInfo.of(owner.config.application_server or "")
        assert owner.store(STORE).get(key) == reference[key]
    hosts = {str(m.host_info): m.topic_partitions for m in a.streams_metadata_for_store(STORE)}
    assert hosts == {
        "a.local:1": {(INPUT, int(t[2])) for t in a.tasks},
        "b.local:2": {(INPUT, int(t[2])) for t in b.tasks},
    }

    # A third instance takes two tasks, one from each: the others keep what they had.
    before = {"a": set(a.tasks), "b": set(b.tasks)}
    running = {t: task for s in (a, b) for t, task in s.tasks.items()}
    c = instance(served, tmp_path / "c", "c.local:3")
    await c.start()
    await until(lambda: settled(served, a, b, c), "c to join")
    assert set(a.tasks) < before["a"] and set(b.tasks) < before["b"]
    # What stays on a or b is the same task with the same store, never closed or restored
    # (the part of KIP-429's cooperative guarantee this runtime gives; see DESIGN.md).
    assert all(s.tasks[t] is running[t] for s in (a, b) for t in s.tasks)
    assert len(a.tasks) == len(b.tasks) == len(c.tasks) == 2
    assert counts_of(a, b, c) == dict(reference)  # c restored its tasks from the changelog
    assert sum(c.restored.values()) > 0
    tasks = {m.client_id: set(m.active) for m in await member_tasks(served.backend, APP)}
    assert tasks == {f"{s.thread_client_id}-consumer": set(s.tasks) for s in (a, b, c)}

    # a dies: b and c take its tasks and go on counting from where a was.
    a.kill()
    await a.wait()
    second = views(600, 400)
    reference.update(k.decode() for k, _ in second)
    await served.produce(INPUT, second)
    await until(lambda: settled(served, b, c), "b and c to take a's tasks")
    assert len(b.tasks) == len(c.tasks) == 3
    assert counts_of(b, c) == dict(reference)
    for streams in (b, c):
        await streams.close()


async def test_a_standby_is_promoted_with_little_to_restore(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(INPUT, 2, 1)
    records = views(0, 2000)
    reference = Counter(k.decode() for k, _ in records)
    await served.produce(INPUT, records)
    a = instance(served, tmp_path / "a", "a.local:1", **{"num.standby.replicas": 1})
    b = instance(served, tmp_path / "b", "b.local:2", **{"num.standby.replicas": 1})
    await a.start()
    await b.start()
    await until(lambda: settled(served, a, b, tasks=2), "a and b to share the tasks")
    assert set(a.standbys) == set(b.tasks) and set(b.standbys) == set(a.tasks)
    ends = await served.ends(CHANGELOG)

    def warm() -> bool:
        return all(
            standby.positions[(CHANGELOG, standby.partition)] >= ends[standby.partition]
            for standby in (*a.standbys.values(), *b.standbys.values())
        )

    await until(warm, "the standbys to catch up with the changelog")
    meta = a.query_metadata_for_key(STORE, "page3", Serdes.string())
    assert len(meta.standby_hosts) == 1 and meta.standby_hosts != {meta.active_host}
    # The standby's instance answers too when stale answers are allowed (KIP-535).
    standby_of = b if meta.standby_hosts == {HostInfo.of("b.local:2")} else a
    assert f"0_{meta.partition}" in standby_of.standbys
    assert standby_of.store(STORE, stale_stores=True).get("page3") == reference["page3"]
    assert standby_of.store(STORE).get("page3") is None  # its active tasks do not hold it

    moved = next(iter(a.tasks))
    partition = int(moved.split("_")[1])
    a.kill()
    await a.wait()
    await until(lambda: settled(served, b, tasks=2), "b to take a's task")
    assert counts_of(b) == dict(reference)
    promoted = b.restored[f"{CHANGELOG}-{partition}"]
    await b.close()

    # A cold start of the same task (no state, no standby) reads its whole changelog.
    cold = instance(served, tmp_path / "cold", "cold.local:4")
    await cold.start()
    await until(lambda: settled(served, cold, tasks=2), "a cold instance to restore")
    cold_restore = cold.restored[f"{CHANGELOG}-{partition}"]
    assert cold_restore == ends[partition] > 900
    assert promoted * 10 < cold_restore
    assert counts_of(cold) == dict(reference)
    await cold.close()


async def test_an_instance_over_the_wire_shares_with_one_in_process(cli: CliFn, tmp_path: Path) -> None:
    served = await open_served("remote")
    try:
        await served.backend.create_topic(INPUT, 4, 1)
        first = views(0, 300)
        reference = Counter(k.decode() for k, _ in first)
        await served.produce(INPUT, first)
        remote = instance(served, tmp_path / "remote", "remote.local:1")
        local = instance(served, tmp_path / "local", "local.local:2", backend=EmbeddedBackend(served.cluster))
        await remote.start()
        await local.start()
        await until(lambda: settled(served, remote, local, tasks=4), "the two instances to share the tasks")
        assert len(remote.tasks) == len(local.tasks) == 2
        assert counts_of(remote, local) == dict(reference)
        # `kafkatui streams status` over the wire (its own event loop: a thread) names each
        # member with the tasks the assignor gave it.
        assert served.wire is not None
        status = await asyncio.to_thread(
            cli, "streams", "status", APP, opts=["--bootstrap-server", served.wire.bootstrap], data_dir=None
        )
        assert "members: 2" in status.ok().stdout
        for streams in (remote, local):
            line = next(x for x in status.stdout.splitlines() if streams.thread_client_id in x)
            assert line.endswith(f"; tasks {', '.join(sorted(streams.tasks))}")
        remote.kill()
        await remote.wait()
        second = views(300, 200)
        reference.update(k.decode() for k, _ in second)
        await served.produce(INPUT, second)
        await until(lambda: settled(served, local, tasks=4), "the local instance to take every task")
        assert counts_of(local) == dict(reference)
        await local.close()
    finally:
        await close_served(served)


async def test_an_instance_restarted_on_its_state_gets_its_own_tasks_back(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic(INPUT, 4, 1)
    first = views(0, 800)
    reference = Counter(k.decode() for k, _ in first)
    await served.produce(INPUT, first)
    a = instance(served, tmp_path / "a", "a.local:1")
    b = instance(served, tmp_path / "b", "b.local:2")
    await a.start()
    await b.start()
    await until(lambda: settled(served, a, b, tasks=4), "a and b to share the tasks")
    # The one holding 0_0 goes: without its state in the picture, the survivor would
    # keep the lowest tasks (0_0, 0_1) and the returning one would start cold.
    gone, stays = (a, b) if "0_0" in a.tasks else (b, a)
    had = set(gone.tasks)
    gone.kill()
    await gone.wait()
    await until(lambda: settled(served, stays, tasks=4), "one instance to run everything")
    before = await served.ends(CHANGELOG)
    second = views(800, 100)
    reference.update(k.decode() for k, _ in second)
    await served.produce(INPUT, second)
    await until(lambda: settled(served, stays, tasks=4), "it to count the new records")
    after = await served.ends(CHANGELOG)

    again = instance(served, Path(gone.config.state_dir), gone.config.application_server or "")
    await again.start()
    await until(lambda: settled(served, stays, again, tasks=4), "the instance to come back")
    assert again.process_id == gone.process_id  # kept in its state directory
    assert set(again.tasks) == had  # its state made them the cheap ones to give back
    # It read only what the other wrote for them while it was away, not whole changelogs.
    ps = [int(t[2]) for t in had]
    assert sum(again.restored.values()) == sum(after[p] - before[p] for p in ps) < sum(after[p] for p in ps)
    assert counts_of(stays, again) == dict(reference)
    for streams in (stays, again):
        await streams.close()


async def test_a_task_reads_the_same_partition_of_every_topic_it_joins(
    served: Served, tmp_path: Path
) -> None:
    # Kafka's co-partitioning: task 0_p reads orders-p and customers-p, on one instance,
    # so each order meets its customer in that task's table.
    await served.backend.create_topic("orders", 4, 1)
    await served.backend.create_topic("customers", 4, 1, {"cleanup.policy": "compact"})

    def joiner(state_dir: Path, host: str) -> KafkaStreams:
        builder = StreamsBuilder()
        customers = builder.table("customers")
        builder.stream("orders").join(customers, lambda order, name: f"{order} for {name}").to("enriched")
        settings = {
            "application.id": "enrich", "state.dir": str(state_dir), "commit.interval.ms": 100,
            "heartbeat.interval.ms": 50, "application.server": host,
        }  # fmt: skip
        return KafkaStreams(builder.build(), settings, served.backend)

    async def caught_up(*instances: KafkaStreams) -> bool:
        if any(s.state != RUNNING or s.membership.needs_rejoin for s in instances):
            return False
        if sorted(t for s in instances for t in s.tasks) != [f"0_{p}" for p in range(4)]:
            return False
        view = await served.backend.describe_group("enrich")
        committed = {(p.topic, p.partition): p.committed for p in view.partitions}
        for topic in ("orders", "customers"):
            if any(
                committed.get((topic, p), -1) < end for p, end in (await served.ends(topic)).items() if end
            ):
                return False
        return True

    await served.produce("customers", [(f"c{i}".encode(), f"name{i}".encode()) for i in range(40)])
    a, b = joiner(tmp_path / "a", "a.local:1"), joiner(tmp_path / "b", "b.local:2")
    await a.start()
    await b.start()
    await until(lambda: caught_up(a, b), "the tables to load on both instances")
    for streams in (a, b):
        reads = {(tp.topic, tp.partition) for tp in streams.consumer.assignment()}
        ps = {int(t[2]) for t in streams.tasks}
        assert reads == {(topic, p) for topic in ("orders", "customers") for p in ps} and len(ps) == 2
    await served.produce("orders", [(f"c{i % 40}".encode(), f"order{i}".encode()) for i in range(200)])
    await until(lambda: caught_up(a, b), "the orders to be joined")
    enriched = []
    for partition in range(len(served.backend.describe_topic("enriched").partitions)):
        for r in await served.backend.read_log("enriched", partition, 0, 1000):
            enriched.append(bytes(r.value).decode())
    assert sorted(enriched) == sorted(f"order{i} for name{i % 40}" for i in range(200))
    for streams in (a, b):
        await streams.close()


def test_the_placement_settings_are_checked(tmp_path: Path) -> None:
    base = {"application.id": APP, "state.dir": str(tmp_path)}
    config = StreamsConfig.of({**base, "num.standby.replicas": "2", "application.server": "h.local:8080"})
    assert (config.num_standby_replicas, config.application_server) == (2, "h.local:8080")
    with pytest.raises(ValueError, match=r"application\.server"):
        StreamsConfig.of({**base, "application.server": "no-port"})
    with pytest.raises(ValueError, match=r"num\.standby\.replicas"):
        StreamsConfig.of({**base, "num.standby.replicas": "-1"})
    defaults = StreamsConfig.of(base)  # KIP-441's defaults
    assert (
        defaults.acceptable_recovery_lag,
        defaults.max_warmup_replicas,
        defaults.probing_rebalance_interval_ms,
    ) == (10_000, 2, 600_000)
    with pytest.raises(ValueError, match=r"max\.warmup\.replicas"):
        StreamsConfig.of({**base, "max.warmup.replicas": "0"})


async def test_a_member_dropped_from_the_group_under_exactly_once_commits_nothing_more(
    served: Served, tmp_path: Path
) -> None:
    # What a session timeout does to a stalled instance: its member is gone from the group
    # while it still runs. It must not commit what it processed since (its tasks go to b),
    # so read_committed, each page's counts are 1, 2, … n: none twice, none missing.
    await served.backend.create_topic(INPUT, 2, 1)
    eos = {"processing.guarantee": "exactly_once_v2"}
    first = views(0, 3000)
    reference = Counter(k.decode() for k, _ in first)
    # a never heartbeats in this test: it learns it was dropped only when the group
    # coordinator refuses its transactional offsets (KIP-447); without that check it
    # would go on as a zombie and never rejoin.
    a = instance(served, tmp_path / "a", "a.local:1", **eos, **{"heartbeat.interval.ms": 600_000})
    b = instance(served, tmp_path / "b", "b.local:2", **eos)
    await b.start()
    await until(lambda: settled(served, b, tasks=2), "b to run")
    await a.start()  # a joins: b learns of it by its heartbeat, a is the one waiting
    await until(lambda: settled(served, a, b, tasks=2), "a and b to share the tasks")
    await served.produce(INPUT, first)
    await until(lambda: a.metrics()["process-total"] > 200, "a to be processing")
    # behind a's back (a session timeout): a keeps its member id and generation, and
    # processes what comes next as a zombie until its commit is refused.
    await served.cluster.leave_group(APP, [(a.membership.member_id, None)])
    second = views(3000, 500)
    reference.update(k.decode() for k, _ in second)
    await served.produce(INPUT, second)
    await until(lambda: settled(served, a, b, tasks=2), "a to be dropped, then to rejoin", limit_s=20)
    assert counts_of(a, b) == dict(reference)
    for streams in (a, b):
        await streams.close()
    output = await committed_counts(served)
    assert {k: seq for k, seq in output.items() if seq != list(range(1, reference[k] + 1))} == {}


async def committed_counts(served: Served) -> dict[str, list[int]]:
    ends = await served.ends(OUTPUT)
    reader = served.backend.consumer(
        ConsumerConfig(
            auto_offset_reset="earliest", enable_auto_commit=False, isolation_level="read_committed"
        )
    )
    reader.assign_topic(OUTPUT)
    found: dict[str, list[int]] = {}
    position, idle = dict.fromkeys(ends, 0), 0
    while any(position[p] < ends[p] - 1 for p in ends) and idle < 20:
        records = await reader.poll(100)
        idle = 0 if records else idle + 1
        for r in records:
            found.setdefault(bytes(r.key).decode(), []).append(Serdes.long().deserialize("", bytes(r.value)))
            position[r.partition] = r.offset
    await reader.close()
    return found


async def test_a_new_instance_warms_up_before_a_probing_rebalance_gives_it_tasks(
    served: Served, tmp_path: Path
) -> None:
    # KIP-441: b has no state and the changelogs are far past acceptable.recovery.lag, so
    # its share stays with a while a warm-up restores on b; the leader's probing rebalance
    # then finds b caught up and moves the task.
    await served.backend.create_topic(INPUT, 2, 1)
    kip441 = {"acceptable.recovery.lag": 10, "probing.rebalance.interval.ms": 300}
    a = instance(served, tmp_path / "a", "a.local:1", **kip441)
    await a.start()
    await served.produce(INPUT, views(0, 400))
    await until(lambda: settled(served, a, tasks=2), "a to count everything")
    b = instance(served, tmp_path / "b", "b.local:2", **kip441)
    await b.start()
    await until(lambda: b.state == RUNNING and b.standbys and not b.tasks, "b to run a warm-up only")
    assert sorted(a.tasks) == ["0_0", "0_1"]
    warm = sorted(b.standbys)

    async def moved() -> bool:
        return bool(b.tasks) and await settled(served, a, b, tasks=2)

    await until(moved, "the probing rebalance to move it")
    assert sorted(b.tasks) == warm and len(a.tasks) == 1
    assert sum(b.restored.values()) == 0  # the warm-up had it all: nothing left to restore
    reference = Counter(k.decode() for k, _ in views(0, 400))
    assert counts_of(a, b) == dict(reference)
    for streams in (a, b):
        await streams.close()
