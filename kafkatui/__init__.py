"""kafkatui: a terminal workbench that teaches and explores Apache Kafka."""

__version__ = "0.1.0"
