"""Backends: what the TUI and CLI talk to instead of reaching into a cluster directly.

`EmbeddedBackend` wraps this package's own engine; `remote.RemoteBackend` reaches any
Kafka over the wire through confluent-kafka (imported from its module, so that only the
commands that use it load librdkafka). `data_dir.data_dir_owner` says who holds a data
dir without opening it.

The names below load on first use (PEP 562), so importing one light module of the
package (`backends.data_dir`) does not import the engine behind `EmbeddedBackend`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "Backend": "base",
    "BatchView": "base",
    "BrokerView": "base",
    "EmbeddedBackend": "embedded",
    "Feature": "base",
    "FeatureUnavailable": "base",
    "LogRecordView": "base",
    "ProduceRequest": "base",
    "ProduceTrace": "base",
    "TraceStep": "base",
}
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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
