"""The aiokafka adapter: its coroutines run in the adapter's own event loop, in the
test's thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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


class AioMember:
    def __init__(self, client: AioKafkaClient, consumer: Any, *, started: bool = True) -> None:
        self.client = client
        self.consumer = consumer
        self.records: list[Rec] = []
        self._started = started
        self._step: asyncio.Task[None] | None = None

    def poll(self) -> None:
        # The loop runs only inside run(): this also drives every other member's
        # heartbeats and joins, as one program's event loop would. One step may outlast
        # a poll: start() joins the group and getmany() waits out a rebalance (whatever
        # its timeout), both waiting for the other members, and members of other
        # clients rejoin only when they are polled in turn.
        if self._step is None:
            self._step = self.client.loop.create_task(self._next())
        self.client.run(asyncio.wait([self._step], timeout=POLL_S))
        if self._step.done():
            step, self._step = self._step, None
            step.result()  # raises what the step raised

    async def _next(self) -> None:
        if not self._started:
            await self.consumer.start()
            self._started = True
            return
        batch = await self.consumer.getmany(timeout_ms=int(POLL_S * 1000))
        for records in batch.values():
            self.records += [Rec(r.partition, r.offset, r.key, r.value) for r in records]

    def assignment(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def position(self, partition: int) -> int:
        tp = next(tp for tp in self.consumer.assignment() if tp.partition == partition)
        return self.client.run(self.consumer.position(tp))

    def commit(self) -> None:
        self.client.run(self.consumer.commit())

    def close(self) -> None:
        if self._step is not None:
            self._step.cancel()
            self.client.run(asyncio.wait([self._step]))
            self._step = None
        self.client.run(self.consumer.stop())


class AioKafkaClient(Client):
    name = "aiokafka"

    def __init__(self, served: ServedCluster) -> None:
        super().__init__(served)
        import aiokafka
        from aiokafka import admin
        from aiokafka.admin import config_resource

        self.aiokafka = aiokafka
        self.aio_admin = admin
        self.aio_configs = config_resource
        self.loop = asyncio.new_event_loop()
        self.admin = self.make(admin.AIOKafkaAdminClient, bootstrap_servers=served.bootstrap)
        self.run(self.admin.start())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def make(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `fn` inside the running loop: aiokafka builds its futures there."""

        async def call() -> Any:
            return fn(*args, **kwargs)

        return self.run(call())

    def _consumer(self, *topics: str, start: bool = True, **conf: Any) -> Any:
        consumer = self.make(
            self.aiokafka.AIOKafkaConsumer,
            *topics,
            bootstrap_servers=self.served.bootstrap,
            enable_auto_commit=False,
            **conf,
        )
        if start:
            self.run(consumer.start())
        self._open.append(AioMember(self, consumer))
        return consumer

    def create_topic(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        new = self.aio_admin.NewTopic(name, partitions, rf, topic_configs=configs)
        response = self.run(self.admin.create_topics([new]))
        assert [t[1] for t in response.topic_errors] == [0], response

    def describe_topic(self, name: str) -> tuple[int, int]:
        (topic,) = self.run(self.admin.describe_topics([name]))
        return len(topic["partitions"]), len(topic["partitions"][0]["replicas"])

    def delete_topic(self, name: str) -> None:
        response = self.run(self.admin.delete_topics([name]))
        assert [t[1] for t in response.topic_error_codes] == [0], response

    def describe_configs(self, topic: str) -> dict[str, str]:
        resource = self.aio_configs.ConfigResource(self.aio_configs.ConfigResourceType.TOPIC, topic)
        (response,) = self.run(self.admin.describe_configs([resource]))
        ((error, _message, _type, _name, entries),) = response.resources
        assert error == 0, response
        return {entry[0]: entry[1] for entry in entries}

    def alter_configs(self, topic: str, configs: dict[str, str]) -> None:
        resource = self.aio_configs.ConfigResource(self.aio_configs.ConfigResourceType.TOPIC, topic, configs)
        (response,) = self.run(self.admin.alter_configs([resource]))
        assert [r[0] for r in response.resources] == [0], response

    def produce(self, topic: str, records: Records, *, idempotent: bool = False) -> None:
        async def send() -> None:
            producer = self.aiokafka.AIOKafkaProducer(
                bootstrap_servers=self.served.bootstrap,
                acks="all",
                linger_ms=5,
                enable_idempotence=idempotent,
            )
            await producer.start()
            try:
                futures = [await producer.send(topic, value, key=key) for key, value in records]
                await asyncio.gather(*futures)
            finally:
                await producer.stop()

        self.run(send())

    def reader(self, topic: str, *, isolation: str = "read_uncommitted") -> Member:
        consumer = self._consumer(isolation_level=isolation)
        partitions = len(self.served.cluster.describe_topic(topic).partitions)
        self.make(consumer.assign, [self.aiokafka.TopicPartition(topic, p) for p in range(partitions)])
        self.run(consumer.seek_to_beginning())
        return AioMember(self, consumer)

    def member(self, group: str, topic: str) -> Member:
        consumer = self._consumer(
            topic,
            start=False,
            group_id=group,
            auto_offset_reset="earliest",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        )
        return AioMember(self, consumer, started=False)

    def committed(self, group: str, topic: str, partitions: int) -> dict[int, int]:
        consumer = self._consumer(group_id=group)
        tps = [self.aiokafka.TopicPartition(topic, p) for p in range(partitions)]
        self.make(consumer.assign, tps)
        found = {tp.partition: self.run(consumer.committed(tp)) for tp in tps}
        self.run(consumer.stop())
        return found

    def transaction(self, tid: str, topic: str, records: list[tuple[int, bytes]], *, commit: bool) -> None:
        async def run() -> None:
            producer = self.aiokafka.AIOKafkaProducer(
                bootstrap_servers=self.served.bootstrap, transactional_id=tid
            )
            await producer.start()
            try:
                await producer.begin_transaction()
                for partition, value in records:
                    await producer.send_and_wait(topic, value, partition=partition)
                if commit:
                    await producer.commit_transaction()
                else:
                    await producer.abort_transaction()
            finally:
                await producer.stop()

        self.run(run())

    def close(self) -> None:
        try:
            super().close()
            self.run(self.admin.close())
        finally:
            self.loop.close()
