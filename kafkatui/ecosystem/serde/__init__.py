"""Confluent's serialization for records (the wire format, a registry client and the
Avro, JSON Schema and Protobuf codecs), for kafkatui's own producers and consumers and
against any Confluent-compatible registry."""
