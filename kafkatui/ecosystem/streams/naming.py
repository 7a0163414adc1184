"""What the DSL's streams and tables ask of their builder (`StreamsBuilder` answers):
the topology they add to, Kafka's node and store names, and a KStream or KTable over a
node (so a KTable's `to_stream()` needs no import of the stream module, nor a join of
the table module)."""

from __future__ import annotations

from typing import Any, Protocol

from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.topology import Topology


class Builder(Protocol):
    topology: Topology

    def new_processor_name(self, prefix: str) -> str: ...
    def new_store_name(self, prefix: str) -> str: ...
    def stream_of(self, node: str, key_serde: Serde | None, value_serde: Serde | None) -> Any: ...
    def table_of(self, node: str, key_serde: Serde | None, value_serde: Serde | None, store: str | None,
                 **getter: Any) -> Any: ...  # fmt: skip
