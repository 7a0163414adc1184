"""One small adapter per real client (confluent-kafka, kafka-python, aiokafka, kcat), all
exposing the same blocking operations, so `test_conformance.py` can run one scenario
against each. aiokafka's coroutines run in the adapter's own event loop (in the test's
thread); kcat runs as a subprocess. An adapter names the scenarios its client cannot do,
and why, in `cannot`: the tests skip those cells with that reason."""

from __future__ import annotations

from collections.abc import Callable

from tests.wire.clients.aio import AioKafkaClient
from tests.wire.clients.base import Client, Member, Rec, high_watermarks, logged, poll_until
from tests.wire.clients.confluent import ConfluentClient
from tests.wire.clients.kafka_python import KafkaPythonClient
from tests.wire.clients.kcat import KCAT, KcatClient
from tests.wire.conftest import ServedCluster

__all__ = ["CLIENTS", "KCAT", "Client", "Member", "Rec", "high_watermarks", "logged", "poll_until"]

CLIENTS: dict[str, Callable[[ServedCluster], Client]] = {
    "confluent-kafka": ConfluentClient,
    "kafka-python": KafkaPythonClient,
    "aiokafka": AioKafkaClient,
    "kcat": KcatClient,
}
