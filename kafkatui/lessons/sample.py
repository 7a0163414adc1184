"""The seed's sample setup: topics `sales` and `clients` with a few keyed records."""

from __future__ import annotations

import json

from kafkatui.backends.base import Backend, ProduceRequest

SALES = [
    ("client-1", {"product": "keyboard", "price": 10}),
    ("client-2", {"product": "mouse", "price": 7}),
    ("client-1", {"product": "monitor", "price": 11}),
    ("client-3", {"product": "cable", "price": 3}),
    ("client-2", {"product": "headset", "price": 25}),
    ("client-1", {"product": "desk", "price": 120}),
]
CLIENTS = [
    ("client-1", {"name": "Ana", "city": "Recife"}),
    ("client-2", {"name": "Bruno", "city": "Porto Alegre"}),
    ("client-3", {"name": "Carla", "city": "Belém"}),
]


async def sample_setup(backend: Backend) -> None:
    """Create `sales` and `clients` (3 partitions, replicated over up to 3 brokers) with data.

    Keyed records show the seed's point: a key keeps its records together and in order.
    """
    rf = min(3, len(backend.brokers()))
    existing = set(backend.topic_names())
    for topic in ("sales", "clients"):
        if topic not in existing:
            await backend.create_topic(topic, 3, rf)
    for topic, records in (("sales", SALES), ("clients", CLIENTS)):
        for key, value in records:
            await backend.produce(ProduceRequest(topic, json.dumps(value, ensure_ascii=False), key=key))
