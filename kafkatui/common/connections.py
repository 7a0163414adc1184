"""The Kafka clients connected to a cluster's listeners, as the Cluster panel lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectedClient:
    """One open client connection, as a broker knows it: the request header's client id
    and, from ApiVersions v3+, the client's software name and version (KIP-511, which
    Kafka reports in its per-connection metrics)."""

    broker_id: int
    address: str  # the client's host:port
    client_id: str | None
    software_name: str | None
    software_version: str | None
    connected_since_ms: int  # on the cluster's clock
    requests: int
    last_api: str | None

    @property
    def software(self) -> str:
        """ "name version", or "" for a client that never said (ApiVersions below v3)."""
        return " ".join(p for p in (self.software_name, self.software_version) if p)
