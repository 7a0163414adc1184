"""Single message transforms and predicates (KIP-66, KIP-585) with Kafka's class names;
plugins.py finds them through the `kafkatui.transforms` and `kafkatui.predicates`
entry-point groups, as it finds connectors."""

from kafkatui.ecosystem.connect.transforms.base import ConnectRecord, Predicate, Transformation

__all__ = ["ConnectRecord", "Predicate", "Transformation"]
