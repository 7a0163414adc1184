"""The KRaft controller (Kafka's `org.apache.kafka.controller`): topic and partition
placement, configs and leader election (`controller`), and who holds the controller
role and how silent brokers are fenced (`quorum`)."""
