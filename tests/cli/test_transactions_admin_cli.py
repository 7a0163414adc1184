"""`kafkatui transactions list|describe` (kafka-transactions.sh, KIP-664): on the data
dir's own cluster, and with --bootstrap-server against a served cluster where a real
confluent-kafka transactional producer holds a transaction open."""

from __future__ import annotations

from confluent_kafka import Producer

from tests.cli.conftest import CliFn
from tests.cli.test_remote_cli import remote, served
from tests.wire.conftest import ServedCluster

DESCRIBE_COLUMNS = (
    "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
    "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions",
)  # fmt: skip


__all__ = ["remote", "served"]  # fixtures, used below


def test_committed_and_aborted_transactions_of_the_data_dir(cli: CliFn) -> None:
    cli("transactions", "describe", "tx-1").assert_error("TRANSACTIONAL_ID_NOT_FOUND", "tx-1")
    assert cli("transactions", "list", "--json").json() == []
    cli("topic", "create", "ledger", "-p", "1").ok()
    cli("produce", "ledger", "--transactional-id", "tx-1", input="a:1\n").ok()
    cli("produce", "ledger", "--transactional-id", "tx-2", "--abort", input="b:2\n").ok()

    listed = cli("transactions", "list", "--json").json()
    assert [(t["transactional_id"], t["state"]) for t in listed] == [
        ("tx-1", "CompleteCommit"), ("tx-2", "CompleteAbort"),
    ]  # fmt: skip
    assert all(t["producer_id"] >= 0 and t["coordinator"] in (1, 2, 3) for t in listed)
    described = cli("transactions", "describe", "tx-2", "tx-1", "--json").json()
    assert [(d["transactional_id"], d["state"], d["partitions"]) for d in described] == [
        ("tx-2", "CompleteAbort", []), ("tx-1", "CompleteCommit", []),
    ]  # fmt: skip
    assert [d["producer_id"] for d in described] == [
        next(t["producer_id"] for t in listed if t["transactional_id"] == d["transactional_id"])
        for d in described
    ]
    table = cli("transactions", "list").ok().stdout
    assert table.split()[:4] == ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]
    assert "tx-2" in table and "CompleteAbort" in table
    cli("transactions", "describe", "tx-1", "nope").assert_error("TRANSACTIONAL_ID_NOT_FOUND", "nope")


def test_a_real_producers_ongoing_transaction_over_the_wire(remote: CliFn, served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("ledger", 2, 3))
    producer = Producer(
        {"bootstrap.servers": served.bootstrap, "transactional.id": "pay-1", "transaction.timeout.ms": 45_000}
    )
    producer.init_transactions(15)
    producer.begin_transaction()
    for partition in (0, 1):
        producer.produce("ledger", b"v", partition=partition)
    assert producer.flush(15) == 0
    truth = served.call(served.cluster.describe_transaction("pay-1"))
    assert truth is not None

    listed = remote("transactions", "list", "--json").json()
    assert listed == [
        {"transactional_id": "pay-1", "coordinator": truth.coordinator, "producer_id": truth.producer_id,
         "state": "Ongoing"},
    ]  # fmt: skip
    (described,) = remote("transactions", "describe", "pay-1", "--json").json()
    assert described["duration_ms"] >= 0
    assert {k: v for k, v in described.items() if k != "duration_ms"} == {
        "coordinator_id": truth.coordinator, "transactional_id": "pay-1", "producer_id": truth.producer_id,
        "producer_epoch": truth.producer_epoch, "state": "Ongoing", "timeout_ms": 45_000,
        "start_ms": truth.start_ms,
        "partitions": [{"topic": "ledger", "partition": 0}, {"topic": "ledger", "partition": 1}],
    }  # fmt: skip
    table = remote("transactions", "describe", "pay-1").ok().stdout
    assert table.split()[: len(DESCRIBE_COLUMNS)] == list(DESCRIBE_COLUMNS)
    assert "Ongoing" in table and "ledger-0,ledger-1" in table and str(truth.start_ms) in table

    producer.commit_transaction(15)
    (committed,) = remote("transactions", "describe", "pay-1", "--json").json()
    assert (committed["state"], committed["partitions"]) == ("CompleteCommit", [])
    remote("transactions", "describe", "unknown-id").assert_error("TRANSACTIONAL_ID_NOT_FOUND", "unknown-id")
