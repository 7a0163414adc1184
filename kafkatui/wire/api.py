"""What a request handler sees, and how the handlers of each API family are listed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kafkatui.wire.codec import Request

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster
    from kafkatui.engine.metadata.authorizer import AuthorizerConfig
    from kafkatui.engine.server.broker import Broker


class Listeners(Protocol):
    """What a handler may ask of the server it runs in (`WireServer` is one): the
    cluster, each broker's advertised address, the APIs served, and the authorizer's
    settings (None: no authorizer configured)."""

    cluster: Cluster
    addresses: Mapping[int, tuple[str, int]]
    apis: Mapping[int, Api]
    authorizer: AuthorizerConfig | None


@dataclass(frozen=True)
class RequestContext:
    """One request as it reaches a broker's listener (Kafka's `RequestContext`)."""

    server: Listeners
    broker_id: int
    request: Request
    client_host: str = ""
    # Who sent it (Kafka's RequestContext.principal and listenerName), which the authorizer
    # checks: User:ANONYMOUS on PLAINTEXT, the certificate's subject on SSL, the SASL user.
    principal: str = "User:ANONYMOUS"
    listener: str = "PLAINTEXT"

    @property
    def cluster(self) -> Cluster:
        return self.server.cluster

    @property
    def broker(self) -> Broker:
        return self.server.cluster.brokers[self.broker_id]

    @property
    def version(self) -> int:
        return self.request.api_version


# A handler returns the response body (a kio dataclass), or None for no response (acks=0).
Handler = Callable[[RequestContext, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Api:
    """One API this server speaks: Kafka's key, the versions it advertises, its handler."""

    key: int
    name: str
    min_version: int
    max_version: int
    handler: Handler
    # What ApiVersions advertises as the lowest version, when it differs from what is
    # served (Produce: see produce.py, KAFKA-18659).
    advertised_min_version: int | None = None
