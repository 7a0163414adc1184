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
    # The listener it came in on and who it is (Kafka's KafkaPrincipal): User:ANONYMOUS on
    # PLAINTEXT, the certificate's subject on SSL, the SASL user on SASL_* (with its mechanism).
    listener: str = "PLAINTEXT"
    security_protocol: str = "PLAINTEXT"
    principal: str = "User:ANONYMOUS"
    sasl_mechanism: str | None = None
    reauthentications: int = 0  # KIP-368: SASL re-authentications on this connection

    @property
    def software(self) -> str:
        """ "name version", or "" for a client that never said (ApiVersions below v3)."""
        return " ".join(p for p in (self.software_name, self.software_version) if p)


@dataclass(frozen=True)
class ListenerView:
    """One broker's socket on one listener (`listeners=NAME://host:port`, its protocol
    from `listener.security.protocol.map`), with the SASL mechanisms it offers."""

    name: str
    security_protocol: str
    broker_id: int
    host: str
    port: int
    sasl_mechanisms: tuple[str, ...] = ()
