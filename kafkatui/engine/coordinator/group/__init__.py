"""The group coordinator: the classic group's state machine (`classic_group`), its data
(`model`), and committed offsets in `__consumer_offsets` (`coordinator`,
`GroupCoordinator`)."""
