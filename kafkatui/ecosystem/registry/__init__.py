"""A Confluent-compatible Schema Registry inside kafkatui (issue 18): Confluent's REST
API (`api.py`) over `SchemaRegistry` (`registry.py`), whose storage is the cluster's
compacted `_schemas` topic (`store.py`, replayed into `state.py`), with Avro, JSON
Schema and Protobuf (`schemas/`) and Confluent's compatibility levels."""
