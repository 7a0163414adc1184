"""The conformance matrix (issue 9): every real client × every scenario, against a
3-broker `WireServer`. Each test is one scenario parametrized over the clients of
`tests/wire/clients/`; a client that cannot do a scenario skips that cell, saying why.
What landed is checked from the engine's side (its logs, groups and configs), so a
client is never only checked against itself."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import pytest

from kafkatui.common.clients import ProducerConfig
from kafkatui.engine.clients.partitioner import partition_for_key
from kafkatui.engine.clients.producer import Producer
from tests.wire.clients import CLIENTS, Client, Member, logged, open_client, poll_until
from tests.wire.conftest import ServedCluster


@pytest.fixture(params=list(CLIENTS))
def client(request: pytest.FixtureRequest, served: ServedCluster) -> Iterator[Client]:
    adapter = open_client(request.param, served)
    try:
        yield adapter
    finally:
        adapter.close()


def require(client: Client, scenario: str) -> None:
    if scenario in client.cannot:
        pytest.skip(f"{client.name} cannot {scenario}: {client.cannot[scenario]}")


def create(served: ServedCluster, name: str, partitions: int, rf: int = 3, **configs: str) -> None:
    served.call(served.cluster.create_topic(name, partitions, rf, configs))


def seed(served: ServedCluster, topic: str, records: list[tuple[int, bytes | None, bytes]]) -> None:
    """Produce (partition, key, value) records with the engine's own producer (acks=all)."""

    async def send() -> None:
        producer = Producer(served.cluster, ProducerConfig(linger_ms=0))
        for partition, key, value in records:
            await producer.send_and_wait(topic, value, key=key, partition=partition)
        await producer.close()

    served.call(send())


def expected_partition(client: Client, key: bytes, partitions: int) -> int:
    """Where the client's default partitioner puts a key: Java's murmur2, which the Python
    clients copy, or librdkafka's `consistent_random` (CRC32)."""
    if client.name in ("confluent-kafka", "kcat"):
        return zlib.crc32(key) % partitions
    return partition_for_key(key, partitions)


# --- produce ---------------------------------------------------------------------------------


def test_produce_keyed(served: ServedCluster, client: Client) -> None:
    create(served, "keyed", partitions=3)
    records = [(f"key-{i % 5}".encode(), f"value {i}".encode()) for i in range(30)]
    client.produce("keyed", records)
    got = logged(served, "keyed")
    assert sorted((r.key, r.value) for r in got) == sorted(records)
    for r in got:
        assert r.key is not None and r.partition == expected_partition(client, r.key, 3)
    for key in {k for k, _ in records}:  # one key's records keep their order
        assert [r.value for r in got if r.key == key] == [v for k, v in records if k == key]


def test_produce_keyless(served: ServedCluster, client: Client) -> None:
    create(served, "keyless", partitions=3)
    records: list[tuple[bytes | None, bytes]] = [(None, f"click {i:02}".encode()) for i in range(30)]
    client.produce("keyless", records)
    got = logged(served, "keyless")
    assert sorted(r.value for r in got) == [v for _, v in records] and {r.key for r in got} == {None}
    for p in range(3):  # each partition holds its records in the order they were sent
        values = [r.value for r in got if r.partition == p]
        assert values == sorted(values)


# --- consume ---------------------------------------------------------------------------------


def test_consume_from_the_beginning(served: ServedCluster, client: Client) -> None:
    create(served, "history", partitions=2)
    seed(
        served, "history", [(i % 2, b"k%d" % (i % 3) if i % 4 else None, b"event %d" % i) for i in range(20)]
    )
    got = client.read("history")
    assert sorted(got) == logged(served, "history")
    for p in (0, 1):
        offsets = [r.offset for r in got if r.partition == p]
        assert offsets == list(range(10))  # in order, no gaps, no repeats


# --- groups ----------------------------------------------------------------------------------


def test_group_of_two_members_rebalances(served: ServedCluster, client: Client) -> None:
    create(served, "work", partitions=4, rf=2)
    everything = {0, 1, 2, 3}
    first = client.member("crew", "work")
    poll_until([first], lambda: first.assignment() == everything, "the first member to get every partition")
    second = client.member("crew", "work")
    poll_until(
        [first, second],
        lambda: (
            len(first.assignment()) == len(second.assignment()) == 2
            and first.assignment() | second.assignment() == everything
        ),
        "the second member to get half the partitions",
    )
    group = served.call(served.cluster.describe_group("crew"))
    assert group is not None and len(group.members) == 2
    seed(served, "work", [(p, None, b"job %d" % p) for p in range(4)])
    poll_until([first, second], lambda: len(first.records) + len(second.records) == 4, "every job")
    for member in (first, second):  # each read only its own partitions
        assert {r.partition for r in member.records} == member.assignment()
    second.close()  # leaves the group: the first takes everything back
    poll_until([first], lambda: first.assignment() == everything, "the survivor to get every partition")
    group = served.call(served.cluster.describe_group("crew"))
    assert group is not None and len(group.members) == 1
    first.close()


def test_one_group_of_three_clients(served: ServedCluster) -> None:
    """Interoperability: confluent-kafka, aiokafka and kcat join one group in turn and
    always share the partitions between them (the coordinator picks the assignor all
    offer: aiokafka offers only roundrobin), read every record once, and leave in turn.

    Not kafka-python: its 3.0.12 join loop throws away a JoinGroup/SyncGroup round that
    finished while it was not being polled and sends a new JoinGroup. Here the members
    are polled in turn, so that is nearly every round; as the group's leader its every
    JoinGroup starts a new rebalance, and the group never settles (the generation
    climbs about twice a second while kafka-python keeps an old assignment)."""
    create(served, "shared", partitions=8, rf=2)
    clients = [open_client(name, served) for name in ("confluent-kafka", "aiokafka", "kcat")]
    try:
        members: list[Member] = []

        def shared() -> bool:
            owned = [m.assignment() for m in members]
            return all(owned) and sorted(p for o in owned for p in o) == list(range(8))

        for client in clients:
            members.append(client.member("everyone", "shared"))
            poll_until(members, shared, f"{len(members)} members to share the partitions")
        group = served.call(served.cluster.describe_group("everyone"))
        assert group is not None and (len(group.members), group.protocol) == (3, "roundrobin")
        seed(served, "shared", [(p, None, b"job %d" % p) for p in range(8)])
        poll_until(members, lambda: sum(len(m.records) for m in members) >= 8, "every job")
        for m in members:
            m.poll()  # anything more would be a duplicate
        assert sorted(r.value for m in members for r in m.records) == [b"job %d" % p for p in range(8)]
        while len(members) > 1:
            members.pop(0).close()
            try:
                poll_until(members, shared, f"{len(members)} members to take over")
            except AssertionError as e:
                g = served.call(served.cluster.describe_group("everyone"))
                owned = [(type(m).__name__, sorted(m.assignment())) for m in members]
                raise AssertionError(f"{e}: members think {owned}; the coordinator has {g}") from None
        members.pop().close()
    finally:
        for client in clients:
            client.close()


def test_commit_and_fetch_offsets(served: ServedCluster, client: Client) -> None:
    """A member reads and commits; the group's offsets are the log ends; a later member
    resumes there (it fetched them). Clients that can also fetch them explicitly do."""
    create(served, "ledger", partitions=2)
    seed(served, "ledger", [(i % 2, None, b"entry %d" % i) for i in range(6)])
    member = client.member("auditors", "ledger")
    poll_until([member], lambda: len(member.records) == 6, "six records")
    member.commit()
    member.close()
    stored = served.call(served.cluster.fetch_offsets("auditors"))
    assert {p: o.offset for (_, p), o in stored.items()} == {0: 3, 1: 3}
    found = client.committed("auditors", "ledger", 2)
    assert found is None or found == {0: 3, 1: 3}  # None: kcat cannot ask (OffsetFetch)
    seed(served, "ledger", [(i % 2, None, b"entry %d" % i) for i in range(6, 10)])
    member = client.member("auditors", "ledger")
    poll_until([member], lambda: len(member.records) >= 4, "the four new records")
    assert sorted(r.value for r in member.records) == [b"entry %d" % i for i in range(6, 10)]
    member.commit()
    member.close()
    stored = served.call(served.cluster.fetch_offsets("auditors"))
    assert {p: o.offset for (_, p), o in stored.items()} == {0: 5, 1: 5}


# --- idempotence and transactions ------------------------------------------------------------


def test_idempotent_producer(served: ServedCluster, client: Client) -> None:
    create(served, "payments", partitions=1)
    records = [(b"acct", b"payment %d" % i) for i in range(5)]
    client.produce("payments", records, idempotent=True)
    batches = [b for b in served.call(served.cluster.read_log("payments", 0, 0))]
    headers = [b.header for b in batches]
    assert len({h.producer_id for h in headers}) == 1 and headers[0].producer_id >= 0
    counts = [h.records_count for h in headers]
    # KIP-98 numbering: from 0, each batch starting where the one before ended.
    assert [h.base_sequence for h in headers] == [sum(counts[:i]) for i in range(len(counts))]
    assert [r.value for b in batches for r in b.records] == [v for _, v in records]


def test_transactions_with_read_committed(served: ServedCluster, client: Client) -> None:
    require(client, "transactions")
    create(served, "orders", partitions=2)
    tid = f"{client.name}-orders"
    client.transaction(tid, "orders", [(0, b"kept-0"), (1, b"kept-1")], commit=True)
    client.transaction(tid, "orders", [(0, b"dropped-0"), (1, b"dropped-1")], commit=False)
    client.transaction(tid, "orders", [(1, b"kept-2")], commit=True)
    committed = client.read("orders", isolation="read_committed")
    assert sorted(r.value for r in committed) == [b"kept-0", b"kept-1", b"kept-2"]
    everything = client.read("orders", isolation="read_uncommitted")
    assert sorted(r.value for r in everything) == [
        b"dropped-0",
        b"dropped-1",
        b"kept-0",
        b"kept-1",
        b"kept-2",
    ]


# --- admin -----------------------------------------------------------------------------------


def test_admin_create_describe_delete_topics(served: ServedCluster, client: Client) -> None:
    require(client, "admin topics")
    client.create_topic("inventory", 4, 2, {"retention.ms": "3600000"})
    described = served.cluster.describe_topic("inventory")
    assert (len(described.partitions), described.replication_factor) == (4, 2)
    assert described.configs == {"retention.ms": "3600000"}
    assert client.describe_topic("inventory") == (4, 2)
    client.delete_topic("inventory")
    assert "inventory" not in served.cluster.topic_names()


def test_admin_describe_and_alter_configs(served: ServedCluster, client: Client) -> None:
    require(client, "admin configs")
    create(served, "audit", partitions=1, **{"retention.ms": "3600000"})
    configs = client.describe_configs("audit")
    assert configs["retention.ms"] == "3600000" and configs["cleanup.policy"] == "delete"
    client.alter_configs("audit", {"retention.ms": "60000"})
    assert served.cluster.topic("audit").config.get("retention.ms") == 60000
    assert client.describe_configs("audit")["retention.ms"] == "60000"
