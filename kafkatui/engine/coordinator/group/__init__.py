"""The group coordinator: the classic group (`classic_group.ClassicGroup`, its state machine
in `group_metadata`, its requests in `join`, `sync` and `offset_validation`, its stored form in
`persistence`), the protocol's data (`model`), and committed offsets in `__consumer_offsets`
(`coordinator`, `GroupCoordinator`)."""
