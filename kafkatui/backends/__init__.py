"""Backends: what the TUI and CLI talk to instead of reaching into a cluster directly.

`EmbeddedBackend` wraps this package's own engine. A backend for a real Kafka cluster
(through a client library) will implement the same `Backend` protocol.
"""

from kafkatui.backends.base import (
    Backend,
    BatchView,
    BrokerView,
    LogRecordView,
    ProduceRequest,
    ProduceTrace,
    TraceStep,
)
from kafkatui.backends.embedded import EmbeddedBackend

__all__ = [
    "Backend",
    "BatchView",
    "BrokerView",
    "EmbeddedBackend",
    "LogRecordView",
    "ProduceRequest",
    "ProduceTrace",
    "TraceStep",
]
