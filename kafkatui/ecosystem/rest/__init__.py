"""A Confluent-compatible REST Proxy (issue 19): Kafka over HTTP for programs that cannot
speak Kafka's protocol, above the `Backend` only. v2 now (`v2.py`); v3 next."""
