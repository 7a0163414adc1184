"""The transaction coordinator (KIP-98): `__transaction_state` and the transaction state
machine (`coordinator`, `TransactionCoordinator`), and producer ids handed out in
blocks by the controller (`producer_ids`, `ProducerIdManager`)."""
