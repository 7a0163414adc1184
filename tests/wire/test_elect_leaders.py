"""ElectLeaders (KIP-460) over the wire: a preferred election gives leadership back to
the first replica once it is in sync again (what `p` on the Partitions panel does, also
when the workbench is attached to a served cluster)."""

from __future__ import annotations

import time

from confluent_kafka import ElectionType, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.wire.conftest import ServedCluster


def wait_for(check, timeout_s: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_preferred_election_gives_leadership_back(served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("ballots", 1, 3))
    partition = lambda: served.cluster.topic("ballots").partitions[0]  # noqa: E731
    preferred = partition().replicas[0]
    served.call(served.cluster.stop_broker(preferred))
    wait_for(lambda: partition().leader not in (-1, preferred))
    served.call(served.cluster.start_broker(preferred))
    wait_for(lambda: preferred in partition().isr)
    admin = AdminClient({"bootstrap.servers": served.bootstrap})
    # Named: ELECTION_NOT_NEEDED comes back for a partition already led by its preferred replica.
    results = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition("ballots", 0)]).result(10)
    assert results[TopicPartition("ballots", 0)] is None
    assert partition().leader == preferred
    again = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition("ballots", 0)]).result(10)
    error = again[TopicPartition("ballots", 0)]
    assert error is not None and error.code() == KafkaError.ELECTION_NOT_NEEDED
    # Every partition (a null list): those needing nothing are left out.
    assert TopicPartition("ballots", 0) not in admin.elect_leaders(ElectionType.PREFERRED, None).result(10)
