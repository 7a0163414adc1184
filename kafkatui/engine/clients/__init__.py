"""The in-process clients (Kafka's `org.apache.kafka.clients`): the producer
(`producer`, with `partitioner`), the consumer (`consumer`), its side of a group
(`membership`, `ConsumerCoordinator`), the partition assignors (`assignors`,
`sticky_assignor`) and what `kafka-consumer-groups.sh` does (`group_admin`)."""
