"""ksqlDB over kafkatui's Streams library (issue 22): its language (`parser`, with the
SELECT core parsed by sqlglot), a metastore kept in a command topic, queries compiled
to `Topology`s, and a ksqlDB-compatible REST server."""
