"""The wire tests' served cluster (3 brokers on free ports in a background thread),
for the backend that talks to it over the wire."""

from tests.wire.conftest import ServedCluster, served

__all__ = ["ServedCluster", "served"]
