"""Real clients through the engine's faults (issue 9): a consumer keeps reading while its
partition's leader stops, a group member stays put while its coordinator moves, and a
group gives a killed member's partitions to the survivor once the member's session
times out."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from kafkatui.common.events import GroupMemberRemoved
from kafkatui.engine.coordinator.group.classic_group import GroupState
from tests.wire.clients import Client, high_watermarks, logged, open_client, poll_until
from tests.wire.clients.base import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS
from tests.wire.clients.kcat import KcatMember
from tests.wire.conftest import ServedCluster


@pytest.fixture(params=["confluent-kafka", "kafka-python", "aiokafka"])
def client(request: pytest.FixtureRequest, served: ServedCluster) -> Iterator[Client]:
    adapter = open_client(request.param, served)
    try:
        yield adapter
    finally:
        adapter.close()


def test_a_consumer_keeps_reading_across_a_leader_failover(served: ServedCluster, client: Client) -> None:
    read_across_failover(served, client, crash=False)


def test_a_consumer_keeps_reading_when_the_leader_crashes(served: ServedCluster) -> None:
    """No controlled shutdown: the partition has no leader until the controller misses
    the broker's heartbeats for broker.session.timeout.ms, and the consumer waits
    (librdkafka reports its fetch's lost connection, and retries)."""
    client = open_client("confluent-kafka", served)
    try:
        read_across_failover(served, client, crash=True)
    finally:
        client.close()


def read_across_failover(served: ServedCluster, client: Client, *, crash: bool) -> None:
    served.call(served.cluster.create_topic("ticks", 2, 3))
    before = [(b"k%d" % (i % 2), b"before %d" % i) for i in range(10)]
    client.produce("ticks", before)  # acks=all: every replica has them
    reader = client.reader("ticks")
    poll_until([reader], lambda: len(reader.records) == 10, "the records from before")
    old = served.cluster.describe_topic("ticks").partitions[0].leader
    served.call(served.cluster.stop_broker(old, crash=crash))
    after = [(b"k%d" % (i % 2), b"after %d" % i) for i in range(10)]
    client.produce("ticks", after)
    assert served.cluster.describe_topic("ticks").partitions[0].leader not in (old, -1)
    poll_until([reader], lambda: len(reader.records) >= 20, "the records from after")
    reader.poll()  # anything more would be a duplicate
    reader.close()
    # Every record once, in order (no rebalance, so no redelivery either): partition by
    # partition, as received, exactly the new leader's log.
    assert sorted(reader.records, key=lambda r: r.partition) == logged(served, "ticks")
    assert sorted(r.value for r in reader.records) == sorted(v for _, v in before + after)


def test_a_group_member_stays_when_its_coordinator_moves(served: ServedCluster, client: Client) -> None:
    """The coordinator's broker stops: the new coordinator loads the group from
    __consumer_offsets, so the member keeps its id, generation and partitions (no
    rebalance, nothing read twice) and its commits land there."""
    served.call(served.cluster.create_topic("jobs", 2, 3))
    client.produce("jobs", [(None, b"before %d" % i) for i in range(10)])
    member = client.member("keepers", "jobs")
    poll_until([member], lambda: len(member.records) == 10, "the records from before")
    member.commit()
    coordinator = served.call(served.cluster.find_coordinator("keepers"))
    before = served.call(served.cluster.describe_group("keepers"))
    served.call(served.cluster.stop_broker(coordinator))
    client.produce("jobs", [(None, b"after %d" % i) for i in range(10)])
    poll_until([member], lambda: len(member.records) >= 20, "the records from after")
    member.poll()  # anything more would be a duplicate
    member.commit()
    assert served.call(served.cluster.find_coordinator("keepers")) != coordinator
    after = served.call(served.cluster.describe_group("keepers"))
    assert before is not None and after is not None and after.state is GroupState.STABLE
    assert (after.generation_id, after.members[0].member_id) == (
        before.generation_id,
        before.members[0].member_id,
    )
    assert sorted(r.value for r in member.records) == sorted(
        [b"before %d" % i for i in range(10)] + [b"after %d" % i for i in range(10)]
    )
    committed = served.call(served.cluster.fetch_offsets("keepers"))
    assert {p: o.offset for (_, p), o in committed.items()} == high_watermarks(served, "jobs")
    member.close()


# A group member in another process, so it can die without a word (kill -9): it prints
# its assignments as kcat does, so `KcatMember` can follow it.
_MEMBER = """
import sys
from confluent_kafka import Consumer

bootstrap, group, topic, session, heartbeat = sys.argv[1:]

def report(kind):
    def callback(consumer, partitions):
        listed = ", ".join(f"{tp.topic} [{tp.partition}]" for tp in partitions)
        print(f"% Group {group} rebalanced (memberid {consumer.memberid()}): {kind}: {listed}",
              file=sys.stderr, flush=True)
    return callback

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": session,
                     "heartbeat.interval.ms": heartbeat, "auto.offset.reset": "earliest"})
consumer.subscribe([topic], on_assign=report("assigned"), on_revoke=report("revoked"))
while True:
    consumer.poll(0.2)
"""


def test_a_group_rebalances_when_a_real_consumer_dies(served: ServedCluster) -> None:
    survivor_client = open_client("confluent-kafka", served)
    served.call(served.cluster.create_topic("work", 4, 2))
    everything = {0, 1, 2, 3}
    doomed = KcatMember(
        [
            sys.executable,
            *("-c", _MEMBER),
            *(served.bootstrap, "crew", "work", str(SESSION_TIMEOUT_MS), str(HEARTBEAT_INTERVAL_MS)),
        ]
    )
    try:
        poll_until([doomed], lambda: doomed.assignment() == everything, "the first member to get everything")
        survivor = survivor_client.member("crew", "work")
        poll_until(
            [survivor, doomed],
            lambda: len(survivor.assignment()) == len(doomed.assignment()) == 2,
            "the two members to share the partitions",
        )
        group = served.call(served.cluster.describe_group("crew"))
        assert group is not None and len(group.members) == 2
        doomed_id = next(m.member_id for m in group.members if m.member_id != survivor.consumer.memberid())  # type: ignore[attr-defined]
        removed: list[GroupMemberRemoved] = []
        served.call(_listen(served, removed))
        doomed.kill()  # no LeaveGroup, no more heartbeats
        poll_until([survivor], lambda: survivor.assignment() == everything, "the survivor to get everything")
        # Only the session timeout can have told the coordinator: a LeaveGroup would
        # have removed it as "left" at once. (How long it took: bench/session_timeout.py.)
        assert [(e.member_id, e.reason) for e in removed if e.group_id == "crew"] == [
            (doomed_id, "session timeout")
        ]
        group = served.call(served.cluster.describe_group("crew"))
        assert group is not None and group.state is GroupState.STABLE
        assert [m.member_id for m in group.members] == [survivor.consumer.memberid()]  # type: ignore[attr-defined]
        survivor.close()
    finally:
        doomed.kill()
        survivor_client.close()


async def _listen(served: ServedCluster, into: list[GroupMemberRemoved]) -> None:
    """Collect GroupMemberRemoved events (registered on the server's loop, where they
    are published)."""
    served.cluster.bus.listen(lambda e: into.append(e) if isinstance(e, GroupMemberRemoved) else None)
