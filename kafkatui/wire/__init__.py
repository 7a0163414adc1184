"""The Kafka wire protocol: each broker of a `Cluster` listening on its own TCP port."""

from kafkatui.wire.server import ListenError, WireServer

__all__ = ["ListenError", "WireServer"]
