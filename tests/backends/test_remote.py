"""RemoteBackend against a served kafkatui cluster: what the workbench shows of a
cluster it reaches only over the wire, checked against the engine that serves it."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as CKTopicPartition

from kafkatui.backends.base import Feature, FeatureUnavailable, ProduceRequest
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import HighWatermarkAdvanced, RecordAppended, TopicCreated
from kafkatui.common.utils import murmur2, to_positive
from tests.backends.conftest import ServedCluster


async def _engine_partitions(
    served: ServedCluster, topic: str
) -> list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]:
    async def read() -> list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]:
        return [
            (p.leader, p.leader_epoch, p.replicas, p.isr)
            for p in served.cluster.describe_topic(topic).partitions
        ]

    return await asyncio.to_thread(served.call, read())


async def test_topics_with_leaders_replicas_and_isr_as_the_engine_has_them(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        assert [b.broker_id for b in backend.brokers()] == [1, 2, 3]
        assert backend.controller_id == 1
        await backend.create_topic("sales", 3, 2, {"retention.ms": "60000"})
        assert backend.topic_names() == ["sales"]
        described = backend.describe_topic("sales")
        assert described.replication_factor == 2
        shown = [(p.leader, p.leader_epoch, p.replicas, p.isr) for p in described.partitions]
        assert shown == await _engine_partitions(served, "sales")
        overrides = {c.name: c.value for c in backend.topic_configs("sales") if not c.is_default}
        assert overrides == {"retention.ms": "60000"}
        await backend.alter_topic_configs("sales", {"retention.ms": None, "cleanup.policy": "compact"})
        assert backend.describe_topic("sales").configs == {"cleanup.policy": "compact"}
        await backend.create_partitions("sales", 4)
        assert len(backend.describe_topic("sales").partitions) == 4
        with pytest.raises(KafkaError) as error:
            await backend.create_topic("sales")
        assert error.value.name == "TOPIC_ALREADY_EXISTS"
        await backend.delete_topic("sales")
        assert backend.topic_names() == []
        with pytest.raises(KafkaError, match="does not exist"):
            backend.describe_topic("sales")
    finally:
        await backend.close()


async def test_produce_lands_where_the_engine_would_put_it_and_reads_back(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        await backend.create_topic("orders", 3, 3)
        trace = await backend.produce(
            ProduceRequest("orders", '{"n": 1}', key="customer-7", headers=[("h", "v")])
        )
        assert trace.partition == to_positive(murmur2(b"customer-7")) % 3  # Java's partitioner
        assert trace.offset == 0
        assert trace.leader == backend.describe_topic("orders").partitions[trace.partition].leader
        assert [s.name for s in trace.steps] == ["send", "serialize", "partition", "write"]
        assert "JSON value" in trace.steps[1].detail
        one = await backend.produce(ProduceRequest("orders", "two", key="customer-7", acks="1"))
        assert (one.partition, one.offset) == (trace.partition, 1)
        explicit = await backend.produce(ProduceRequest("orders", "three", partition=0, acks="all"))
        assert explicit.partition == 0
        records = await backend.read_log("orders", trace.partition, 0, 10)
        assert [(r.offset, r.key, r.value) for r in records] == [
            (0, b"customer-7", b'{"n": 1}'),
            (1, b"customer-7", b"two"),
        ]
        assert records[0].headers == (("h", b"v"),)
        assert [r.offset for r in await backend.read_log("orders", trace.partition, 1, 10)] == [1]
        assert await backend.read_log("orders", trace.partition, 5, 10) == []
        await backend.refresh()
        assert backend.describe_topic("orders").partitions[trace.partition].high_watermark == 2
        with pytest.raises(KafkaError) as error:
            await backend.produce(ProduceRequest("orders", "x", acks="1", idempotent=True))
        assert error.value.name == "INVALID_CONFIG"
        squeezed = await backend.produce(ProduceRequest("orders", "z" * 500, partition=1, compression="lz4"))
        assert "lz4" in squeezed.steps[0].detail
        [stored] = served.call(served.cluster.read_log("orders", 1, squeezed.offset, 1))
        assert stored.header.compression.name == "LZ4"  # the batch as librdkafka compressed it
    finally:
        await backend.close()


async def test_what_another_client_does_arrives_as_events(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    seen = []
    backend.bus.listen(seen.append)
    other = await RemoteBackend.connect(served.bootstrap)
    try:
        await other.create_topic("news", 1, 1)
        await backend.refresh()
        await other.produce(ProduceRequest("news", "a"))
        await other.produce(ProduceRequest("news", "b"))
        await backend.refresh()
        assert any(isinstance(e, TopicCreated) and e.topic == "news" for e in seen)
        appended = [e for e in seen if isinstance(e, RecordAppended)]
        assert [(e.base_offset, e.last_offset) for e in appended] == [(0, 1)]
        assert any(isinstance(e, HighWatermarkAdvanced) and e.high_watermark == 2 for e in seen)
    finally:
        await other.close()
        await backend.close()


def _commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(
            offsets=[CKTopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False
        )
    finally:
        consumer.close()


async def test_group_lag_from_committed_offsets_and_high_watermarks(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        await backend.create_topic("clicks", 2, 2)
        for n in range(5):
            await backend.produce(ProduceRequest("clicks", f"c{n}", partition=n % 2))
        await asyncio.to_thread(_commit, served.bootstrap, "dashboard", "clicks", {0: 1, 1: 2})
        assert ("dashboard", "Empty") in await backend.groups()
        view = await backend.describe_group("dashboard")
        rows = {(p.partition, p.committed, p.high_watermark, p.lag) for p in view.partitions}
        assert rows == {(0, 1, 3, 2), (1, 2, 2, 0)}
        assert view.members == ()
        assert view.coordinator in (1, 2, 3)
    finally:
        await backend.close()


async def test_engine_only_features_say_why_in_one_line(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        reason = backend.unavailable(Feature.STOP_BROKER)
        assert reason is not None and served.bootstrap in reason and "\n" not in reason
        assert "needs kafkatui's own cluster" in reason
        with pytest.raises(FeatureUnavailable) as error:
            backend.engine_controls(Feature.STOP_BROKER)
        assert error.value.name == "FEATURE_UNAVAILABLE"
        assert error.value.message == reason
        for feature in (Feature.NETWORK, Feature.LOST_ACKS, Feature.LOG_CLEANER):
            with pytest.raises(FeatureUnavailable) as error:
                backend.engine_controls(feature)
            assert error.value.message == backend.unavailable(feature)
        with pytest.raises(FeatureUnavailable):
            await backend.crash_consumer(1)
        assert backend.links() == [] and backend.consumers() == []
        assert await backend.log_layout("x") == {}
        # ElectLeaders (KIP-460) is an admin request: it works over the wire (nothing to move here).
        assert await backend.elect_preferred_leaders() == 0
        assert not backend.supports_faults
    finally:
        await backend.close()


async def test_nothing_listening_is_one_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing answers there
    with pytest.raises(KafkaError) as error:
        await asyncio.wait_for(RemoteBackend.connect(f"127.0.0.1:{port}"), 60)
    assert error.value.name == "NETWORK_EXCEPTION"
    assert f"127.0.0.1:{port}" in error.value.message


async def _until(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_workbench_consumers_share_a_group_over_the_wire(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        await backend.create_topic("events", 4, 1)
        for n in range(8):
            await backend.produce(ProduceRequest("events", f"e{n}", partition=n % 4))
        first = await backend.add_consumer("workers", "events", "range")
        second = await backend.add_consumer("workers", "events", "range")
        assert (first.client_id, second.client_id) == ("consumer-1", "consumer-2")

        async def split() -> bool:
            view = await backend.describe_group("workers")
            mine = [m for m in view.members if m.consumer is not None]
            return view.state == "Stable" and len(mine) == 2 and all(len(m.partitions) == 2 for m in mine)

        await _until(split)

        async def read_all() -> bool:  # 2 records in each partition, read by one or the other
            positions = [at for c in backend.consumers("workers") for at in c.positions]
            return sorted(positions) == [("events", p, 2) for p in range(4)]

        await _until(read_all)
        with pytest.raises(KafkaError) as error:  # librdkafka has no eager sticky assignor
            await backend.add_consumer("workers", "events", "sticky")
        assert error.value.name == "INVALID_CONFIG"
        assert await backend.pause_consumer(first.consumer_id) is True
        assert [c.status for c in backend.consumers("workers")] == ["paused", "polling"]
        assert await backend.pause_consumer(first.consumer_id) is False
        await backend.stop_consumer(first.consumer_id)

        async def alone() -> bool:
            view = await backend.describe_group("workers")
            return len(view.members) == 1 and len(view.members[0].partitions) == 4

        await _until(alone)

        async def survivor_knows_where_it_is() -> bool:  # read itself, or committed by the other
            [survivor] = backend.consumers("workers")
            return sorted(survivor.positions) == [("events", p, 2) for p in range(4)]

        await _until(survivor_knows_where_it_is)
        # Everything was read (each stopped consumer commits what it read): no lag.
        await backend.stop_consumer(second.consumer_id)
        view = await backend.describe_group("workers")
        assert view.members == () and sum(p.lag for p in view.partitions) == 0
    finally:
        await backend.close()


async def test_transactions_over_the_wire(served: ServedCluster) -> None:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        await backend.create_topic("payments", 1, 3)
        assert backend.transaction("pay-1").state == "UNINITIALIZED"
        view = await backend.begin_transaction("pay-1")
        assert view.state == "IN_TRANSACTION"
        for n in range(2):
            await backend.produce(ProduceRequest("payments", f"p{n}", transactional_id="pay-1"))
        assert backend.transaction("pay-1").records == 2
        assert backend.transaction("pay-1").partitions == (("payments", 0),)
        await backend.refresh()
        # Open: read_committed consumers stop at the first record of the transaction.
        assert backend.stable_offsets("payments")[0].last_stable_offset == 0
        assert backend.describe_topic("payments").partitions[0].high_watermark == 2
        view = await backend.end_transaction("pay-1", commit=True)
        assert (view.state, view.committed) == ("READY", 1)
        await backend.refresh()
        assert backend.stable_offsets("payments")[0].last_stable_offset == 3  # after the marker

        # A zombie's successor fences it: its next call fails for good, b starts anew.
        await backend.begin_transaction("pay-1")
        await backend.produce(ProduceRequest("payments", "zombie", transactional_id="pay-1"))
        await backend.fence_transaction("pay-1")
        with pytest.raises(KafkaError):
            await backend.end_transaction("pay-1", commit=True)
        assert backend.transaction("pay-1").state == "FATAL_ERROR"
        assert (await backend.begin_transaction("pay-1")).state == "IN_TRANSACTION"
        await backend.end_transaction("pay-1", commit=False)
        with pytest.raises(KafkaError) as error:
            await backend.produce(ProduceRequest("payments", "x", transactional_id="pay-1"))
        assert error.value.name == "INVALID_TXN_STATE"
    finally:
        await backend.close()
