"""Applications shipped with the streams package; each is a module `kafkatui streams run`
takes (a `topology(builder)` function, and a `CONFIG` dict of Kafka Streams settings)."""
