"""The Textual workbench: an app shell with one panel per Kafka concept."""
