"""Cluster metadata as KRaft keeps it (Kafka's `org.apache.kafka.image`): the metadata
log's records and the image brokers and the controller replay from them (`image`)."""
