"""RemoteBackend against a `kafkatui serve` process: what the Produce panel's producer
path reports of a send over the wire (the ProduceTrace fields the course's checks read),
and a group consumer's metadata as a transactional producer hands it on (KIP-447)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.confluent import librdkafka_group_metadata, read_librdkafka_group_metadata
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clients import ConsumerConfig, ConsumerGroupMetadata
from kafkatui.common.errors import KafkaError
from kafkatui.common.utils import murmur2, to_positive
from kafkatui.course.checks import Produced
from tests.cli.test_serve_cli import start_serve


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("serve")
    proc, bootstrap = start_serve(
        data_dir, "--brokers", "3", "--port-base", "0", "--group-initial-rebalance-delay-ms", "0",
        "--no-schema-registry", "--no-rest-proxy",
    )  # fmt: skip
    try:
        yield bootstrap
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_a_remote_send_traces_its_key_acks_and_idempotence(serve: str) -> None:
    backend = await RemoteBackend.connect(serve)
    try:
        await backend.create_topic("payments", 3, 3)
        keyed = await backend.produce(ProduceRequest("payments", "v1", key="client-1", acks="all"))
        assert (keyed.key, keyed.acks, keyed.idempotent) == (b"client-1", "all", True)
        assert keyed.partition == to_positive(murmur2(b"client-1")) % 3 and keyed.offset == 0
        assert Produced.from_trace(keyed) == Produced("payments", keyed.partition, 0, "client-1", "all", True)

        one = await backend.produce(ProduceRequest("payments", "v2", key="client-1", acks="1"))
        assert (one.acks, one.idempotent, one.offset) == ("1", False, 1)  # idempotence needs acks=all
        plain = await backend.produce(ProduceRequest("payments", "v3", acks="all", idempotent=False))
        assert (plain.key, plain.idempotent) == (None, False)
        assert Produced.from_trace(plain).key is None

        blind = await backend.produce(ProduceRequest("payments", "v4", key="client-1", acks="0"))
        assert (blind.acks, blind.offset) == ("0", -1)  # a client with acks=0 never hears where
        assert "no offset returned (acks=0)" in blind.steps[-1].detail
        assert [s.name for s in blind.steps] == ["send", "serialize", "partition", "write"]
    finally:
        await backend.close()


async def test_a_group_consumer_names_its_member_and_generation(serve: str) -> None:
    backend = await RemoteBackend.connect(serve)
    consumer = backend.consumer(
        ConsumerConfig(group_id="billing", auto_offset_reset="earliest", group_instance_id="billing-1")
    )
    try:
        await backend.create_topic("orders", 1, 3)
        alone = consumer.group_metadata()  # not joined yet: the group id alone
        assert (alone.group_id, alone.generation_id, alone.member_id) == ("billing", -1, "")
        assert alone.group_instance_id == "billing-1"
        consumer.subscribe(["orders"])
        for _ in range(100):
            await consumer.poll(100)
            if consumer.assignment():
                break
        joined = consumer.group_metadata()
        assert joined.generation_id >= 1 and joined.member_id.startswith("billing-1")
        assert read_librdkafka_group_metadata(librdkafka_group_metadata(joined)) == joined
    finally:
        await consumer.close()
        await backend.close()


def test_librdkafka_group_metadata_reads_back_and_refuses_what_is_not() -> None:
    dynamic = ConsumerGroupMetadata("g", 3, "m-1")
    assert read_librdkafka_group_metadata(librdkafka_group_metadata(dynamic)) == dynamic
    with pytest.raises(KafkaError, match="not librdkafka's group metadata"):
        read_librdkafka_group_metadata(b"billing")
