"""The backend over kafkatui's own engine, running in the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping

from kafkatui.backends.base import (
    BatchView,
    BrokerState,
    BrokerView,
    LogRecordView,
    ProduceRequest,
    ProduceTrace,
    TraceStep,
)
from kafkatui.engine.cluster import Cluster, TopicDescription
from kafkatui.engine.configs import ConfigEntry
from kafkatui.engine.network import LinkState
from kafkatui.engine.partitioner import murmur2, to_positive
from kafkatui.engine.producer import Producer, ProducerConfig


class EmbeddedBackend:
    """A cluster inside this process; the TUI's default backend."""

    supports_faults = True
    faults_unsupported_reason = ""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.bus = cluster.bus
        self.clock = cluster.clock
        self._producers: dict[str, Producer] = {}
        self._disk: dict[int, int] = {}

    @property
    def description(self) -> str:
        where = str(self.cluster.data_dir) if self.cluster.data_dir else "in memory"
        return f"embedded cluster · {len(self.cluster.brokers)} brokers · {where}"

    def brokers(self) -> list[BrokerView]:
        led: dict[int, int] = {}
        hosted: dict[int, int] = {}
        for topic in self.cluster.metadata.topics.values():
            for p in topic.partitions:
                led[p.leader] = led.get(p.leader, 0) + 1
                for b in p.replicas:
                    hosted[b] = hosted.get(b, 0) + 1
        controller = self.cluster.controller_id
        views = []
        for b in self.cluster.brokers.values():
            state = BrokerState(self.cluster.broker_state(b.broker_id))
            views.append(
                BrokerView(
                    b.broker_id,
                    b.running,
                    b.broker_id == controller,
                    led.get(b.broker_id, 0),
                    hosted.get(b.broker_id, 0),
                    self._disk.get(b.broker_id, 0),
                    state,
                    self._session_remaining_ms(b.broker_id, state, controller),
                )
            )
        return views

    def _session_remaining_ms(self, broker_id: int, state: BrokerState, controller: int) -> int | None:
        """Only while the controller is not hearing from the broker: a healthy broker's
        session restarts with every heartbeat, so its countdown would mean nothing."""
        silent = state is BrokerState.CRASHED or (
            state is BrokerState.RUNNING
            and controller not in (-1, broker_id)
            and not self.cluster.network.reachable(broker_id, controller)
        )
        return self.cluster.quorum.session_remaining_ms(broker_id) if silent else None

    @property
    def controller_id(self) -> int:
        return self.cluster.controller_id

    @property
    def broker_session_timeout_ms(self) -> int:
        return self.cluster.defaults.broker_session_timeout_ms

    async def refresh_disk_usage(self) -> None:
        self._disk = await self.cluster.broker_disk_usage()

    def topic_names(self) -> list[str]:
        return self.cluster.topic_names()

    def describe_topic(self, name: str) -> TopicDescription:
        return self.cluster.describe_topic(name)

    def topic_configs(self, name: str) -> list[ConfigEntry]:
        return self.cluster.topic(name).config.entries()

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> None:
        await self.cluster.create_topic(
            name, partitions, replication_factor, configs, validate_only=validate_only
        )

    async def delete_topic(self, name: str) -> None:
        await self.cluster.delete_topic(name)

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> None:
        await self.cluster.alter_topic_configs(name, changes)

    async def read_log(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]:
        out: list[LogRecordView] = []
        for batch in await self.cluster.read_log(topic, partition, offset, limit):
            h = batch.header
            view = BatchView(
                h.base_offset,
                h.last_offset,
                h.records_count,
                h.size,
                h.crc,
                h.partition_leader_epoch,
                h.producer_id,
                h.producer_epoch,
                h.base_sequence,
                h.is_transactional,
                h.is_control,
                h.compression.name.lower(),
                h.timestamp_type.config_name,
                h.max_timestamp,
            )
            for r in batch.records:
                if r.offset >= offset:
                    out.append(
                        LogRecordView(partition, r.offset, r.timestamp, r.key, r.value, r.headers, view)
                    )
                    if len(out) >= limit:
                        return out
        return out

    async def elect_preferred_leaders(self) -> int:
        results = await self.cluster.elect_leaders("preferred")
        return sum(1 for error in results.values() if error is None)

    # --- faults ----------------------------------------------------------------------

    async def stop_broker(self, broker_id: int, crash: bool = False) -> None:
        await self.cluster.stop_broker(broker_id, crash=crash)

    async def start_broker(self, broker_id: int) -> None:
        await self.cluster.start_broker(broker_id)

    async def cut_link(self, a: int, b: int) -> None:
        self.cluster.cut_link(a, b)

    async def heal_link(self, a: int, b: int) -> None:
        self.cluster.heal_link(a, b)

    async def set_latency(self, a: int, b: int, ms: int) -> None:
        self.cluster.set_latency(ms, a, b)

    def links(self) -> list[LinkState]:
        return self.cluster.network.links()

    def _producer(self, acks: str) -> Producer:
        producer = self._producers.get(acks)
        if producer is None:
            producer = Producer(self.cluster, ProducerConfig(acks=acks, linger_ms=0))
            self._producers[acks] = producer
        return producer

    async def produce(self, request: ProduceRequest) -> ProduceTrace:
        """Send one record and report each step of the producer path."""
        started = self.clock.now_ms()
        topic = self.cluster.topic(request.topic)
        n = len(topic.partitions)
        key = request.key.encode() if request.key is not None else None
        value = request.value.encode() if request.value is not None else None
        steps = [
            TraceStep("send", f"topic {request.topic}, key {request.key!r}, acks={request.acks}"),
            TraceStep("serialize", _serialized(key, value)),
        ]
        meta = await self._producer(request.acks).send_and_wait(
            request.topic,
            value,
            key=key,
            headers=list(request.headers),
            partition=request.partition,
        )
        steps.append(TraceStep("partition", _partition_reason(key, request.partition, meta.partition, n)))
        leader = topic.partitions[meta.partition].leader
        where = f"offset {meta.offset}" if meta.offset >= 0 else "no offset returned (acks=0)"
        steps.append(TraceStep("write", f"leader broker {leader}, partition {meta.partition}, {where}"))
        return ProduceTrace(
            request.topic,
            meta.partition,
            meta.offset,
            leader,
            float(self.clock.now_ms() - started),
            tuple(steps),
        )

    async def close(self, timeout: float = 5.0) -> None:
        """Give in-flight records `timeout` seconds (of real time: quitting is a person
        waiting) to be acknowledged, fail the rest, then close the cluster."""
        for producer in self._producers.values():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(producer.flush(), timeout)
            producer.abort()
        await self.cluster.close()


def _serialized(key: bytes | None, value: bytes | None) -> str:
    kind = "JSON" if value is not None and _is_json(value) else "text"
    key_part = "null key" if key is None else f"key {len(key)} B"
    value_part = "null value (tombstone)" if value is None else f"{kind} value {len(value)} B"
    return f"{key_part}, {value_part}, UTF-8"


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _partition_reason(key: bytes | None, explicit: int | None, chosen: int, n: int) -> str:
    if explicit is not None:
        return f"partition {chosen}, chosen explicitly"
    if key is not None:
        h = to_positive(murmur2(key))
        return f"murmur2(key) = {h}; {h} % {n} partitions = {chosen}"
    return f"no key: sticky partitioner keeps partition {chosen} until a batch fills"
