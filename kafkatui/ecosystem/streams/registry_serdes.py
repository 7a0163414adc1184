"""Schema Registry serdes for Streams (Confluent's `KafkaAvroSerde`, `KafkaJsonSchemaSerde`,
`KafkaProtobufSerde`): values framed as Confluent frames them (magic byte 0, the 4-byte
schema id, for Protobuf the message indexes; `serde/wire.py`), the schemas registered and
looked up over HTTP with the serde package's `RegistryClient`, subjects by
TopicNameStrategy (`<topic>-value`, `<topic>-key`).

A Streams serde is called synchronously inside a task while the registry is reached with
asyncio (and may be served by this very process), so nothing blocks on HTTP there:
`KafkaStreams.start` awaits `configure` for the topics each serde reads or writes (the
writer schema registered under each sink topic's subject), and the stream thread awaits
`prefetch` for each polled record before processing it (an id seen for the first time is
fetched once; ids never change). What reaches `deserialize` is then always cached."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from kafkatui.ecosystem.registry.schemas import ParsedSchema, SchemaType, parse_schema
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError
from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer, ValueRefused
from kafkatui.ecosystem.streams.config import StreamsConfig
from kafkatui.ecosystem.streams.serdes import SerializationError
from kafkatui.ecosystem.streams.task import store_topic
from kafkatui.ecosystem.streams.topology import SinkNode, SourceNode, Topology


def _done(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that needs no I/O (every schema it asks for is cached) to its end."""
    try:
        coro.send(None)
    except StopIteration as finished:
        return finished.value
    coro.close()
    raise SerializationError("a schema was not fetched before the record was read (prefetch)")


class RegistrySerde:
    """One serde for keys or values of the topics it is given. `schema` (text or parsed)
    is the writer's; without it the serde only reads."""

    schema_type: SchemaType = SchemaType.AVRO

    def __init__(
        self,
        url: str,
        schema: str | ParsedSchema | None = None,
        *,
        is_key: bool = False,
        message: str | None = None,
    ) -> None:
        self.url, self.is_key, self.message = url, is_key, message
        self.schema = parse_schema(self.schema_type, schema, {}) if isinstance(schema, str) else schema
        self.client = RegistryClient(url)
        self._reader = Deserializer(self.client)
        self._writers: dict[str, Serializer] = {}

    async def configure(self, topics: list[str], *, writes: bool) -> None:
        """Kafka's `Serde.configure`, for the topics this serde meets: a writer registers
        its schema under each topic's subject (auto.register.schemas=true)."""
        if not writes:
            return
        if self.schema is None:
            raise SerializationError(f"{type(self).__name__} writes to {topics} but was given no schema")
        for topic in topics:
            if topic not in self._writers:
                try:
                    self._writers[topic] = await Serializer.create(
                        self.client, topic, self.schema, is_key=self.is_key, message=self.message
                    )
                except RegistryClientError as error:
                    raise SerializationError(
                        f"registering the schema for {topic}: {error.error_code} {error}"
                    ) from None

    async def prefetch(self, data: bytes | None) -> None:
        """Fetch the writer schema a framed record names, if it is new (bad framing is
        left to `deserialize`, which reports it as the deserialization handler expects)."""
        if data is None:
            return
        try:
            schema_id = wire.unframe(bytes(data)).schema_id
        except wire.FramingError:
            return
        try:
            await self.client.schema_by_id(schema_id)
        except RegistryClientError:
            return  # `deserialize` names it

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        writer = self._writers.get(topic)
        if writer is None:
            raise SerializationError(f"{type(self).__name__} was not configured for topic {topic}")
        try:
            return writer(data)
        except ValueRefused as error:
            raise SerializationError(f"{topic}: {error}") from None

    def deserialize(self, topic: str, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            framed = wire.unframe(bytes(data))
        except wire.FramingError as error:
            raise SerializationError(f"not Schema Registry framing: {error}") from None
        if framed.schema_id not in self.client._by_id:
            raise SerializationError(f"schema id {framed.schema_id} is unknown to {self.url}")
        try:
            return _done(self._reader(bytes(data))).value
        except wire.FramingError as error:
            raise SerializationError(str(error)) from None

    async def close(self) -> None:
        await self.client.close()


class AvroSerde(RegistrySerde):
    schema_type = SchemaType.AVRO


class JsonSchemaSerde(RegistrySerde):
    schema_type = SchemaType.JSON


class ProtobufSerde(RegistrySerde):
    schema_type = SchemaType.PROTOBUF


def registry_serdes(
    topology: Topology, config: StreamsConfig
) -> list[tuple[SourceNode | SinkNode, RegistrySerde, bool]]:
    """(node, serde, is_key) for every registry serde of the topology's sources and sinks
    (a node without its own serde uses the default ones)."""
    found = []
    for node in topology.nodes.values():
        if isinstance(node, SourceNode | SinkNode):
            for serde, is_key in (
                (node.key_serde or config.default_key_serde, True),
                (node.value_serde or config.default_value_serde, False),
            ):
                if isinstance(serde, RegistrySerde):
                    found.append((node, serde, is_key))
    return found


def store_registry_serdes(
    topology: Topology, config: StreamsConfig, resolve: Callable[[str], str]
) -> list[tuple[str, RegistrySerde]]:
    """(topic, serde) for every registry serde of a state store, with the topic the
    store calls it with (task.py's `store_topic`: its changelog)."""
    found = []
    for sub in topology.global_subtopologies() + topology.subtopologies():
        for name in sorted(sub.stores):
            builder = topology.stores[name]
            for serde in (
                builder.key_serde or config.default_key_serde,
                builder.value_serde or config.default_value_serde,
            ):
                if isinstance(serde, RegistrySerde):
                    found.append((store_topic(sub, name, resolve), serde))
    return found


async def configure_registry_serdes(
    topology: Topology, config: StreamsConfig, resolve: Callable[[str], str]
) -> dict[str, list[tuple[RegistrySerde, bool]]]:
    """Configure every registry serde of the topology's sources, sinks and stores, on
    the topics as named on the cluster (a repartition topic is `<application.id>-…`);
    source topic -> (serde, is_key) to prefetch. A store's writer registers its schema
    under its changelog's subject, as Kafka Streams with Confluent's serdes does; one
    given no schema is left to fail at its first write, naming the topic."""
    prefetch: dict[str, list[tuple[RegistrySerde, bool]]] = {}
    for node, serde, is_key in registry_serdes(topology, config):
        if isinstance(node, SinkNode):
            await serde.configure([resolve(node.topic)], writes=True)
        else:
            for topic in node.topics:
                prefetch.setdefault(resolve(topic), []).append((serde, is_key))
    for topic, serde in store_registry_serdes(topology, config, resolve):
        if serde.schema is not None:
            await serde.configure([topic], writes=True)
    return prefetch


async def prefetch_store_record(store: Any, key: bytes | None, value: bytes | None) -> None:
    """Before a changelog record is restored into `store`: the schemas it names, fetched
    (a window or session store's key carries its window after the framed key)."""
    for serde, data in ((store.key_serde, key), (store.value_serde, value)):
        if isinstance(serde, RegistrySerde):
            await serde.prefetch(data)


async def close_registry_serdes(topology: Topology, config: StreamsConfig) -> None:
    serdes = {id(serde): serde for _, serde, _ in registry_serdes(topology, config)}
    serdes |= {id(serde): serde for _, serde in store_registry_serdes(topology, config, lambda t: t)}
    for serde in serdes.values():
        await serde.close()
