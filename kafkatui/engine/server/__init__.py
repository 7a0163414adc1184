"""A broker (Kafka's `kafka.server`): the broker with the coordinators it hosts (`broker`), its
replicas and their produce/fetch paths (`replica_manager`, `ReplicaManager`), the leader's view
of a partition it leads (`partition`, `Partition`), requests waiting for replication or data
(`purgatory`, `DelayedProduce` and `DelayedFetch`), what those paths take and answer
(`requests`), follower fetching (`replication`, `ReplicaFetcherThread`) and the simulated
network between brokers (`network`)."""
