"""The confluent-kafka adapter (librdkafka, the C client most tools embed)."""

from __future__ import annotations

from typing import Any

from tests.wire.clients.base import (
    HEARTBEAT_INTERVAL_MS,
    POLL_S,
    SESSION_TIMEOUT_MS,
    Client,
    Member,
    Rec,
    Records,
)
from tests.wire.conftest import ServedCluster


class ConfluentMember:
    def __init__(self, consumer: Any, topic: str) -> None:
        self.consumer = consumer
        self.topic = topic
        self.records: list[Rec] = []
        self.lost_connections = 0

    def poll(self) -> None:
        from confluent_kafka import KafkaError

        for msg in self.consumer.consume(100, POLL_S):
            error = msg.error()
            if error is None:
                self.records.append(Rec(msg.partition(), msg.offset(), msg.key(), msg.value()))
                continue
            # librdkafka reports a connection lost mid-fetch as an event and retries on
            # its own (a broker crashed); any other error fails the test.
            assert error.code() == KafkaError.NETWORK_EXCEPTION and not error.fatal(), error
            self.lost_connections += 1

    def assignment(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def position(self, partition: int) -> int:
        from confluent_kafka import TopicPartition

        (tp,) = self.consumer.position([TopicPartition(self.topic, partition)])
        return tp.offset

    def commit(self) -> None:
        self.consumer.commit(asynchronous=False)

    def close(self) -> None:
        self.consumer.close()


class ConfluentClient(Client):
    name = "confluent-kafka"

    def __init__(self, served: ServedCluster) -> None:
        super().__init__(served)
        import confluent_kafka
        from confluent_kafka import admin

        self.ck = confluent_kafka
        self.ck_admin = admin
        self.admin = admin.AdminClient({"bootstrap.servers": served.bootstrap})

    def _consumer(self, group: str, **conf: Any) -> Any:
        consumer = self.ck.Consumer(
            {
                "bootstrap.servers": self.served.bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                **conf,
            }
        )
        self._open.append(consumer)
        return consumer

    def create_topic(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        new = self.ck_admin.NewTopic(name, partitions, rf, config=configs)
        self.admin.create_topics([new])[name].result(10)

    def describe_topic(self, name: str) -> tuple[int, int]:
        parts = self.admin.list_topics(name, timeout=10).topics[name].partitions
        return len(parts), len(parts[0].replicas)

    def delete_topic(self, name: str) -> None:
        self.admin.delete_topics([name])[name].result(10)

    def describe_configs(self, topic: str) -> dict[str, str]:
        resource = self.ck_admin.ConfigResource("topic", topic)
        entries = self.admin.describe_configs([resource])[resource].result(10)
        return {name: entry.value for name, entry in entries.items()}

    def alter_configs(self, topic: str, configs: dict[str, str]) -> None:
        set_ = self.ck_admin.AlterConfigOpType.SET
        entries = [self.ck_admin.ConfigEntry(k, v, incremental_operation=set_) for k, v in configs.items()]
        resource = self.ck_admin.ConfigResource("topic", topic, incremental_configs=entries)
        self.admin.incremental_alter_configs([resource])[resource].result(10)

    def produce(self, topic: str, records: Records, *, idempotent: bool = False) -> None:
        producer = self.ck.Producer(
            {
                "bootstrap.servers": self.served.bootstrap,
                "acks": "all",
                "linger.ms": 5,
                "enable.idempotence": idempotent,
            }
        )
        errors: list[Any] = []
        for key, value in records:
            producer.produce(topic, value, key, on_delivery=lambda err, _msg: errors.append(err))
        assert producer.flush(15) == 0
        assert errors == [None] * len(records)

    def reader(self, topic: str, *, isolation: str = "read_uncommitted") -> Member:
        consumer = self._consumer(f"reader-{isolation}", **{"isolation.level": isolation})
        partitions = len(self.served.cluster.describe_topic(topic).partitions)
        consumer.assign([self.ck.TopicPartition(topic, p, 0) for p in range(partitions)])
        return ConfluentMember(consumer, topic)

    def member(self, group: str, topic: str) -> Member:
        consumer = self._consumer(
            group,
            **{
                "auto.offset.reset": "earliest",
                "session.timeout.ms": SESSION_TIMEOUT_MS,
                "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
            },
        )
        consumer.subscribe([topic])
        return ConfluentMember(consumer, topic)

    def committed(self, group: str, topic: str, partitions: int) -> dict[int, int]:
        consumer = self._consumer(group)
        found = consumer.committed([self.ck.TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        consumer.close()
        return {tp.partition: tp.offset for tp in found}

    def transaction(self, tid: str, topic: str, records: list[tuple[int, bytes]], *, commit: bool) -> None:
        producer = self.ck.Producer(
            {"bootstrap.servers": self.served.bootstrap, "transactional.id": tid, "linger.ms": 5}
        )
        producer.init_transactions(15)
        producer.begin_transaction()
        for partition, value in records:
            producer.produce(topic, value, partition=partition)
        assert producer.flush(15) == 0
        if commit:
            producer.commit_transaction(15)
        else:
            producer.abort_transaction(15)
