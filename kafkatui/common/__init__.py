"""What every layer shares: Kafka's errors (`errors`), the engine's events and their bus
(`events`), the clock (`clock`), and Kafka's primitive binary types (`kafka_types`).

Nothing here imports another kafkatui package, so the TUI, the CLI and the services can
use these without reaching into the engine (Kafka's `org.apache.kafka.common`).
"""
