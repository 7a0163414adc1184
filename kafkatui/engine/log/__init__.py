"""A partition replica's log and what keeps it (Kafka's `kafka.log` and storage module):
record batches and their codecs (`records`, `compression`), the checks a leader makes
before appending (`validator`, Kafka's `LogValidator`), topic configs (`configs`,
`LogConfig`), the log itself (`partition_log`, `UnifiedLog`), its SQLite storage
(`storage`), producer state (`producer_state`, `ProducerStateManager`) and the cleaner
and retention (`cleaner`, `LogCleaner`)."""
