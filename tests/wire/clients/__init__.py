"""One small adapter per real client (confluent-kafka, kafka-python, aiokafka, kcat), all
exposing the same blocking operations, so `test_conformance.py` can run one scenario
against each. aiokafka's coroutines run in the adapter's own event loop (in the test's
thread); kcat runs as a subprocess. An adapter names the scenarios its client cannot do,
and why, in `cannot`: the tests skip those cells with that reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.wire.clients.aio import AioKafkaClient
from tests.wire.clients.base import Client, Member, Rec, high_watermarks, logged, poll_until
from tests.wire.clients.confluent import ConfluentClient
from tests.wire.clients.kafka_python import KafkaPythonClient
from tests.wire.clients.kcat import KCAT, KcatClient
from tests.wire.conftest import ServedCluster

__all__ = ["CLIENTS", "Client", "Member", "Rec", "high_watermarks", "logged", "open_client", "poll_until"]

CLIENTS: dict[str, Callable[[ServedCluster], Client]] = {
    "confluent-kafka": ConfluentClient,
    "kafka-python": KafkaPythonClient,
    "aiokafka": AioKafkaClient,
    "kcat": KcatClient,
}

_MODULES = {"confluent-kafka": "confluent_kafka", "kafka-python": "kafka", "aiokafka": "aiokafka"}


def open_client(name: str, served: ServedCluster) -> Client:
    """The adapter for `name`; the test skips if that client is not installed."""
    if name == "kcat" and KCAT is None:
        pytest.skip("kcat is not installed (apt-get install kcat)")
    if name in _MODULES:
        pytest.importorskip(_MODULES[name])
    return CLIENTS[name](served)
