"""Transactions as an operator sees them (KIP-664), the same on both backends: the
embedded cluster's coordinators asked directly, and RemoteBackend's ListTransactions and
DescribeTransactions over the wire to a served cluster, whose open transaction comes
from a real confluent-kafka transactional producer (the workbench's)."""

from __future__ import annotations

import pytest

from kafkatui.backends.base import ProduceRequest
from kafkatui.common.errors import KafkaError
from tests.backends.test_parity import Side, shared, side

__all__ = ["shared", "side"]  # fixtures, used below


async def test_an_open_transaction_is_listed_and_described_as_its_coordinator_has_it(side: Side) -> None:
    b, topic, tid = side.backend, f"payments-{side.name}", f"pay-{side.name}"
    await b.create_topic(topic, 2, 3)
    with pytest.raises(KafkaError) as error:
        await b.describe_transactions([tid])
    assert error.value.name == "TRANSACTIONAL_ID_NOT_FOUND" and tid in error.value.message

    await b.begin_transaction(tid)
    # Begun on the client only: the coordinator has the id Empty, no start time (-1).
    (empty,) = await b.describe_transactions([tid])
    assert (empty.state, empty.start_ms, empty.partitions) == ("Empty", -1, ())
    for partition in (0, 1):
        await b.produce(ProduceRequest(topic, f"v{partition}", partition=partition, transactional_id=tid))
    truth = await side.engine(side.cluster.describe_transaction(tid))
    assert truth is not None and truth.state == "Ongoing"
    listed = {t.transactional_id: t for t in await b.list_transactions()}
    assert (listed[tid].state, listed[tid].producer_id, listed[tid].coordinator) == (
        "Ongoing", truth.producer_id, truth.coordinator,
    )  # fmt: skip
    assert await b.describe_transactions([tid]) == [truth]
    assert truth.partitions == ((topic, 0), (topic, 1)) and truth.start_ms > 0

    await b.end_transaction(tid, commit=True)
    (done,) = await b.describe_transactions([tid])
    assert (done.state, done.partitions, done.producer_id) == ("CompleteCommit", (), truth.producer_id)
    with pytest.raises(KafkaError) as error:
        await b.describe_transactions([tid, "nobody"])  # the first unknown id fails the call
    assert error.value.name == "TRANSACTIONAL_ID_NOT_FOUND" and "nobody" in error.value.message
