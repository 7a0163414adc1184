"""The kafka-python adapter (a pure-Python client with its own codec)."""

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


class KafkaPythonMember:
    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.records: list[Rec] = []

    def poll(self) -> None:
        for batch in self.consumer.poll(int(POLL_S * 1000)).values():
            self.records += [Rec(r.partition, r.offset, r.key, r.value) for r in batch]

    def assignment(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def position(self, partition: int) -> int:
        return self.consumer.position(
            next(tp for tp in self.consumer.assignment() if tp.partition == partition)
        )

    def commit(self) -> None:
        self.consumer.commit()

    def close(self) -> None:
        self.consumer.close()


class KafkaPythonClient(Client):
    name = "kafka-python"

    def __init__(self, served: ServedCluster) -> None:
        super().__init__(served)
        import kafka
        from kafka import admin

        self.kafka = kafka
        self.kafka_admin = admin
        self.admin = admin.KafkaAdminClient(bootstrap_servers=served.bootstrap)
        self._open.append(self.admin)

    def _consumer(self, *topics: str, **conf: Any) -> Any:
        consumer = self.kafka.KafkaConsumer(
            *topics, bootstrap_servers=self.served.bootstrap, enable_auto_commit=False, **conf
        )
        self._open.append(consumer)
        return consumer

    def create_topic(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        self.admin.create_topics([self.kafka_admin.NewTopic(name, partitions, rf, topic_configs=configs)])

    def describe_topic(self, name: str) -> tuple[int, int]:
        (topic,) = self.admin.describe_topics([name])
        return len(topic["partitions"]), len(topic["partitions"][0]["replica_nodes"])

    def delete_topic(self, name: str) -> None:
        self.admin.delete_topics([name])

    def describe_configs(self, topic: str) -> dict[str, str]:
        resource = self.kafka_admin.ConfigResource(self.kafka_admin.ConfigResourceType.TOPIC, topic)
        found = self.admin.describe_configs([resource], config_filter="all")["topic"][topic]
        return {name: entry["value"] for name, entry in found.items()}

    def alter_configs(self, topic: str, configs: dict[str, str]) -> None:
        resource = self.kafka_admin.ConfigResource(self.kafka_admin.ConfigResourceType.TOPIC, topic, configs)
        assert self.admin.alter_configs([resource]) == {"topic": {topic: "OK"}}

    def produce(self, topic: str, records: Records, *, idempotent: bool = False) -> None:
        producer = self.kafka.KafkaProducer(
            bootstrap_servers=self.served.bootstrap, acks="all", linger_ms=5, enable_idempotence=idempotent
        )
        futures = [producer.send(topic, key=key, value=value) for key, value in records]
        producer.flush(15)
        for f in futures:
            f.get(timeout=0)  # raises the send's error, if any
        producer.close()

    def reader(self, topic: str, *, isolation: str = "read_uncommitted") -> Member:
        consumer = self._consumer(isolation_level=isolation)
        partitions = len(self.served.cluster.describe_topic(topic).partitions)
        consumer.assign([self.kafka.TopicPartition(topic, p) for p in range(partitions)])
        consumer.seek_to_beginning()
        return KafkaPythonMember(consumer)

    def member(self, group: str, topic: str) -> Member:
        consumer = self._consumer(
            group_id=group,
            auto_offset_reset="earliest",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        )
        consumer.subscribe([topic])
        # Have the subscribed topic's partitions before the first join. kafka-python
        # notes them only on a metadata update after subscribe(); a leader that joins
        # first assigns against an empty note, and rejoins when the update comes. With
        # short polls, that rejoin can then lose its SyncGroup answer (kafka-python
        # 3.0.12: need_rejoin() turns False once it has computed the assignment, so the
        # join is never completed), and the member stays without partitions, refusing
        # commits. topics() fetches metadata now, so the note is right from the start.
        assert topic in consumer.topics()
        return KafkaPythonMember(consumer)

    def committed(self, group: str, topic: str, partitions: int) -> dict[int, int]:
        consumer = self._consumer(group_id=group)
        found = {p: consumer.committed(self.kafka.TopicPartition(topic, p)) for p in range(partitions)}
        consumer.close()
        return found

    def transaction(self, tid: str, topic: str, records: list[tuple[int, bytes]], *, commit: bool) -> None:
        producer = self.kafka.KafkaProducer(
            bootstrap_servers=self.served.bootstrap, transactional_id=tid, linger_ms=5
        )
        producer.init_transactions()
        producer.begin_transaction()
        for partition, value in records:
            producer.send(topic, value, partition=partition)
        producer.flush(15)
        if commit:
            producer.commit_transaction()
        else:
            producer.abort_transaction()
        producer.close(5)
