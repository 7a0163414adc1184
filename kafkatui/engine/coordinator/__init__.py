"""The coordinators a broker runs over internal topics (Kafka's `kafka.coordinator`):
what they share (`runtime`, `CoordinatorRuntime`; `deadlines`, its timer), the group
coordinator (`group`) and the transaction coordinator (`transaction`)."""
