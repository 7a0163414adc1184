"""Schema Registry serde against plain JSON, in one run.

    python bench/schema.py [--records 100000]

Both runs produce the same records through the engine's Producer (acks=1, linger.ms=5,
batch.size=128 KiB, one partition, in memory). The Avro run encodes each record with
kafkatui's serde (fastavro, Confluent framing, the schema registered once with kafkatui's
own registry over HTTP); the plain run sends `json.dumps` bytes. The ratio avro/plain is
the part of the plain rate kept with Avro (goal ≥ 0.7; above 1, Avro is faster, its
records being smaller). Then registry lookups per second: a deserializer's cached ids
(no HTTP) and uncached ones (GET /schemas/ids/{id} each time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.registry.schemas import SchemaType, parse_schema
from kafkatui.ecosystem.registry.service import RegistryService
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient
from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster

ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "customer", "type": "string"},
        {"name": "price", "type": "double"},
        {"name": "quantity", "type": "int"},
        {"name": "express", "type": "boolean"},
    ],
}


def records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"order-{n}",
            "customer": f"c{n % 977}",
            "price": n * 0.25,
            "quantity": n % 9,
            "express": n % 3 == 0,
        }
        for n in range(count)
    ]


async def produce(cluster: Cluster, topic: str, values: list[dict[str, Any]], encode: Any) -> float:
    await cluster.create_topic(topic, 1, 1)
    producer = Producer(cluster, ProducerConfig(acks="1", linger_ms=5, batch_size=128 * 1024))
    started = time.perf_counter()
    for value in values:
        await producer.send(topic, encode(value))
    await producer.flush()
    elapsed = time.perf_counter() - started
    await producer.close()
    return len(values) / elapsed


async def main(count: int, lookups: int) -> None:
    values = records(count)
    async with await Cluster.open(None, brokers=1, seed=1) as cluster:
        service = RegistryService(EmbeddedBackend(cluster))
        url = await service.start(0)
        client = RegistryClient(url)
        try:
            schema = parse_schema(SchemaType.AVRO, json.dumps(ORDER), {})
            serializer = await Serializer.create(client, "orders-avro", schema)
            plain_rate = await produce(cluster, "orders-plain", values, lambda v: json.dumps(v).encode())
            avro_rate = await produce(cluster, "orders-avro", values, serializer)
            avro_size = len(serializer(values[1]))
            plain_size = len(json.dumps(values[1]).encode())
            print(f"plain JSON: {plain_rate:>10,.0f} records/s  ({plain_size} bytes a record)")
            print(
                f"Avro serde: {avro_rate:>10,.0f} records/s  ({avro_size} bytes a record, framing included)"
            )
            print(f"avro/plain: {avro_rate / plain_rate:.2f}  (goal >= 0.7)")

            framed = wire.frame(serializer.schema_id, serializer.payload(values[1]))
            deserializer = Deserializer(client)
            await deserializer(framed)
            started = time.perf_counter()
            for _ in range(lookups):
                await client.schema_by_id(serializer.schema_id)
            cached = lookups / (time.perf_counter() - started)
            uncached_n = max(1, lookups // 50)
            started = time.perf_counter()
            for _ in range(uncached_n):
                client.forget()
                await client.schema_by_id(serializer.schema_id)
            uncached = uncached_n / (time.perf_counter() - started)
            print(f"registry lookups: {cached:>10,.0f}/s cached, {uncached:,.0f}/s uncached (HTTP GET each)")
        finally:
            await client.close()
            await service.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.records, args.lookups))
