"""What a cluster serves to the outside: its listeners. Above the backends, so the
backends import nothing from `wire` (or, next, the HTTP services): `kafkatui serve` and
the workbench both start their listeners through `ServiceHost`."""
