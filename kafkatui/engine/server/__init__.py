"""A broker (Kafka's `kafka.server`): its replicas and their produce/fetch handling
(`broker`), follower fetching (`replication`, `ReplicaFetcherThread`) and the simulated
network between brokers (`network`)."""
