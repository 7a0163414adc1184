"""The Kafka ecosystem's services around a cluster (Schema Registry today; REST Proxy,
Connect and ksqlDB next). They sit above the backends and reach a cluster only through
the `Backend` interface, so each runs on kafkatui's own cluster and on any Kafka alike.
`http.py` is the HTTP plumbing they all share."""
