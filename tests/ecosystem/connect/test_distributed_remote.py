"""The membership API on the RemoteBackend, against kafkatui's wire listener: raw
JoinGroup/SyncGroup/Heartbeat/LeaveGroup of a "connect" group, and two distributed
Connect workers over the wire sharing a connector's tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from kafkatui.common.errors import ErrorCode
from kafkatui.ecosystem.connect import protocol
from kafkatui.ecosystem.connect.protocol import Assignment, WorkerState
from kafkatui.ecosystem.connect.service import ConnectService
from tests.ecosystem.connect.conftest import ServedConnect
from tests.ecosystem.connect.test_distributed import DISTRIBUTED


@pytest.fixture
def remote() -> Iterator[ServedConnect]:
    s = ServedConnect("remote", **DISTRIBUTED)
    try:
        yield s
    finally:
        s.close()


async def _two_members_rebalance(remote: ServedConnect) -> None:
    backend = remote.backend
    a = backend.group_member("raw-connect", "connect", 6_000, 5_000)
    first = await a.join(protocol.protocols(WorkerState("http://a/", -1)))
    assert first.is_leader and [m for m, _ in first.members] == [a.member_id]
    mine = Assignment(a.member_id, "http://a/", -1, (("c", -1), ("c", 0)))
    assert protocol.decode_assignment(await a.sync({a.member_id: protocol.encode_assignment(mine)})) == mine
    assert await a.heartbeat() is None

    b = backend.group_member("raw-connect", "connect", 6_000, 5_000)
    joining = asyncio.ensure_future(b.join(protocol.protocols(WorkerState("http://b/", -1))))
    while (answer := await a.heartbeat()) is None:  # the leader learns of the rebalance
        await asyncio.sleep(0.05)
    assert answer is ErrorCode.REBALANCE_IN_PROGRESS
    again = await a.join(protocol.protocols(WorkerState("http://a/", -1, mine.assigned)))
    joined_b = await joining
    assert again.is_leader and not joined_b.is_leader
    assert again.protocol == joined_b.protocol == "sessioned"
    members = dict(again.members)
    assert protocol.decode_metadata(members[a.member_id]).owned == mine.assigned
    assert protocol.decode_metadata(members[b.member_id]).url == "http://b/"
    theirs = Assignment(a.member_id, "http://a/", -1, (("c", 1),))
    plan = {a.member_id: protocol.encode_assignment(mine), b.member_id: protocol.encode_assignment(theirs)}
    synced_b = asyncio.ensure_future(b.sync(None))
    await a.sync(plan)
    assert protocol.decode_assignment(await synced_b) == theirs
    # (RemoteBackend.describe_group asks confluent-kafka, which describes consumer groups
    # only: the cluster's coordinator says what the group is.)
    group = await remote.cluster.describe_group("raw-connect")
    assert group is not None and group.protocol_type == "connect" and len(group.members) == 2
    await b.leave()
    await a.leave()


def test_raw_membership_of_a_connect_group_over_the_wire(remote: ServedConnect) -> None:
    remote.call(_two_members_rebalance(remote))


def test_two_workers_over_the_wire_share_the_tasks(remote: ServedConnect, tmp_path: object) -> None:
    second = ConnectService(remote.backend, remote.worker_config)
    remote.call(second.start(0))
    try:
        workers = [remote.service, second]

        def settled() -> bool:
            return all(
                s.worker.group and not s.worker.group.rebalancing and s.worker.group.leader_url
                for s in workers
            )

        remote.until(settled, "both workers in the group")
        config = {
            "connector.class": "FileStreamSink",
            "file": f"{tmp_path}/out.txt",
            "topics": "t",
            "tasks.max": "4",
        }
        remote.until(lambda: remote.create("sink", **config).status_code == 201, "the connector created")

        def shared() -> bool:
            return sorted(len(s.worker.tasks) for s in workers) == [2, 2]

        remote.until(shared, "four tasks split 2 + 2 over the wire")
    finally:
        remote.call(second.close())
