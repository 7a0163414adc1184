"""Backends: what the TUI and CLI talk to instead of reaching into a cluster directly.

`EmbeddedBackend` wraps this package's own engine; `remote.RemoteBackend` reaches any
Kafka over the wire through confluent-kafka (imported from its module, so that only the
commands that use it load librdkafka).
"""

from kafkatui.backends.base import (
    Backend,
    BatchView,
    BrokerView,
    Feature,
    FeatureUnavailable,
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
    "Feature",
    "FeatureUnavailable",
    "LogRecordView",
    "ProduceRequest",
    "ProduceTrace",
    "TraceStep",
]
