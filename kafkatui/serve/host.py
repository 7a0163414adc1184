"""`ServiceHost`: the listeners one embedded cluster serves (the Kafka wire protocol, the
Schema Registry and the REST Proxy; Connect and ksqlDB on their own ports next), started
and stopped together by `kafkatui serve` and by the workbench, and recorded in the data
dir's lock file so a second kafkatui process can use them."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.connections import ConnectedClient, ListenerView
from kafkatui.ecosystem.connect.service import DEFAULT_PORT as CONNECT_PORT
from kafkatui.ecosystem.connect.service import ConnectService
from kafkatui.ecosystem.http import HttpListenError, HttpSecurity, HttpService
from kafkatui.ecosystem.ksql.service import DEFAULT_PORT as KSQL_PORT
from kafkatui.ecosystem.ksql.service import KsqlService
from kafkatui.ecosystem.registry.service import DEFAULT_PORT as REGISTRY_PORT
from kafkatui.ecosystem.registry.service import RegistryService
from kafkatui.ecosystem.rest.service import DEFAULT_PORT as REST_PORT
from kafkatui.ecosystem.rest.service import RestService
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.authorizer import AuthorizerOptions
from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.credentials import ClusterCredentials, PasswordChecker
from kafkatui.wire.security.listener import (
    ClientAuth,
    ListenerConfig,
    ListenerConfigError,
    SecurityProtocol,
    SslConfig,
)
from kafkatui.wire.server import DEFAULT_HOST, DEFAULT_PORT_BASE, ListenError, WireServer, WireStats


class ServiceHost:
    """The listeners of one cluster. The embedded backend holds it (as its
    `backends.base.Listeners`) so the workbench can show where clients connect, and
    closes it before the cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        # One WireServer per listener (Kafka's `listeners=PLAINTEXT://:9092,SASL_SSL://:9093`),
        # in the order they were started; each answers Metadata with its own addresses.
        self.wires: list[WireServer] = []
        self.registry: RegistryService | None = None
        self.rest: RestService | None = None
        self.connect: ConnectService | None = None
        self.ksql: KsqlService | None = None
        self.notices: list[str] = []
        # TLS and Basic authentication for the HTTP services (`secure_http`); plain HTTP
        # until then.
        self.http_security = HttpSecurity()

    def secure_http(self, *, tls_certs: Path | None = None, basic: bool = False) -> HttpSecurity:
        """Serve the HTTP services started after this over HTTPS with the broker's
        certificate from `tls_certs` (Confluent's `listeners=https://…`, `ssl.keystore.*`;
        no client certificates asked for: `ssl.client.authentication=NONE`) and/or with
        HTTP Basic authentication by the cluster's SASL users (`authentication.method=
        BASIC`: a user's password is checked against its SCRAM credential, as PLAIN is).
        A secured service is not recorded in the lock file, like a secured listener."""
        server = client = None
        if tls_certs is not None:
            certs = CertificateSet(tls_certs)
            server = SslConfig(certs, ClientAuth.NONE).server_context()
            client = ssl.create_default_context(cafile=str(certs.ca))
        if basic and not self.cluster.metadata.scram:
            raise ListenerConfigError(
                "HTTP Basic authentication needs SASL users (the cluster has none): "
                "run `kafkatui user add NAME`"
            )
        check = PasswordChecker(ClusterCredentials(self.cluster)) if basic else None
        self.http_security = HttpSecurity(server, check, client_ssl=client)
        return self.http_security

    def _http(self, service: HttpService, realm: str) -> None:
        if self.http_security != HttpSecurity():
            service.secure(dataclasses.replace(self.http_security, realm=realm))

    def _advertised(self, url: str) -> str | None:
        """What goes in the lock file for another kafkatui process: a plain service only."""
        return url if self.http_security == HttpSecurity() else None

    @classmethod
    def of(cls, backend: EmbeddedBackend) -> ServiceHost:
        """The listeners of the cluster `backend` opened (`kafkatui serve`, the workbench)."""
        return cls(backend.cluster)

    async def listen_wire(
        self,
        port_base: int = DEFAULT_PORT_BASE,
        host: str = DEFAULT_HOST,
        *,
        fall_back: bool = True,
        listener: ListenerConfig | None = None,
        authorizer: AuthorizerOptions | None = None,
    ) -> str:
        """Serve the cluster to real Kafka clients on `listener` (its security protocol),
        each broker on its own port from `port_base`. If those ports are taken and
        `fall_back`, on free ones instead (said in `notices`); otherwise `ListenError`.
        With `authorizer`, every request is checked against the cluster's ACLs.
        Returns the bootstrap servers."""
        acls = None if authorizer is None else authorizer.config
        server = WireServer(self.cluster, host=host, port_base=port_base, listener=listener, authorizer=acls)
        try:
            await server.start()
        except ListenError as error:
            if port_base == 0 or not fall_back:
                raise
            server = WireServer(self.cluster, host=host, port_base=0, listener=listener, authorizer=acls)
            await server.start()
            self.notices.append(
                f"{error}. Kafka clients can connect on free ports instead: {server.bootstrap}"
            )
        self.wires.append(server)
        # A second kafkatui process attaches over PLAINTEXT only: a secured listener is
        # not offered to it (it would need the certificates and a user of its own), so a
        # serve with a secured listener runs a PLAINTEXT one beside it for them.
        if server.listener.protocol is SecurityProtocol.PLAINTEXT:
            self.cluster.advertise_listeners(server.bootstrap)
        return server.bootstrap

    @property
    def wire(self) -> WireServer | None:
        """The listener shown first: the PLAINTEXT one other processes attach to, if any."""
        plain = [w for w in self.wires if w.listener.protocol is SecurityProtocol.PLAINTEXT]
        return (plain or self.wires or [None])[0]

    async def listen_registry(
        self,
        port: int = REGISTRY_PORT,
        host: str = DEFAULT_HOST,
        *,
        backend: Backend | None = None,
        fall_back: bool = True,
    ) -> str:
        """Run the Schema Registry on this cluster (its `_schemas` topic) and serve its
        REST API on host:port. A busy port is `HttpListenError` naming the port and
        --schema-registry-port, unless `fall_back`: then a free port, said in `notices`.
        The URL goes into the data dir's lock file beside the listeners, where `kafkatui
        schema` in another process finds it. Returns the registry's URL."""

        def made() -> RegistryService:
            service = RegistryService(backend or EmbeddedBackend(self.cluster))
            self._http(service.http, "SchemaRegistry")  # authentication.realm in Confluent's docs
            return service

        service = made()
        try:
            url = await service.start(port, host)
        except HttpListenError as error:
            if port == 0 or not fall_back:
                raise
            service = made()
            url = await service.start(0, host)
            self.notices.append(f"{error}. The Schema Registry listens on {url} instead")
        self.registry = service
        self.cluster.advertise_schema_registry(self._advertised(url))
        return url

    async def listen_rest(
        self,
        port: int = REST_PORT,
        host: str = DEFAULT_HOST,
        *,
        backend: Backend | None = None,
        fall_back: bool = True,
    ) -> str:
        """Run the REST Proxy (Confluent's v2 API) on this cluster on host:port, its
        schema formats through this host's Schema Registry when it runs one (call
        `listen_registry` first). A busy port is `HttpListenError` naming the port and
        --rest-port, unless `fall_back`: then a free port, said in `notices`. The URL
        goes into the lock file, as the registry's does. Returns the REST Proxy's URL."""

        def service() -> RestService:
            over = backend or EmbeddedBackend(self.cluster)
            rest = RestService(over, schema_registry_url=self.registry_url)
            self._http(rest.http, "KafkaRest")
            return rest

        rest = service()
        try:
            url = await rest.start(port, host)
        except HttpListenError as error:
            if port == 0 or not fall_back:
                raise
            rest = service()
            url = await rest.start(0, host)
            self.notices.append(f"{error}. The REST Proxy listens on {url} instead")
        self.rest = rest
        self.cluster.advertise_rest_proxy(self._advertised(url))
        return url

    async def listen_connect(
        self,
        port: int = CONNECT_PORT,
        host: str = DEFAULT_HOST,
        *,
        backend: Backend | None = None,
        fall_back: bool = True,
    ) -> str:
        """Run a Kafka Connect worker on this cluster (its state in connect-configs,
        connect-offsets, connect-status) with the Connect REST API on host:port. A busy
        port is `HttpListenError` naming --connect-port, unless `fall_back`: then a free
        port, said in `notices`. Returns the Connect REST API's URL."""

        def made() -> ConnectService:
            service = ConnectService(backend or EmbeddedBackend(self.cluster))
            self._http(service.http, "KafkaConnect")
            return service

        service = made()
        try:
            url = await service.start(port, host)
        except HttpListenError as error:
            if port == 0 or not fall_back:
                raise
            service = made()
            url = await service.start(0, host)
            self.notices.append(f"{error}. Kafka Connect listens on {url} instead")
        self.connect = service
        self.cluster.advertise_connect(self._advertised(url))
        return url

    async def listen_ksql(
        self,
        port: int = KSQL_PORT,
        host: str = DEFAULT_HOST,
        *,
        backend: Backend | None = None,
        fall_back: bool = True,
    ) -> str:
        """Run a ksqlDB server on this cluster (its command topic replayed: the persistent
        queries start again; JSON_SR through this host's Schema Registry, when it runs
        one: call `listen_registry` first) with ksqlDB's REST API on host:port. A busy port is
        `HttpListenError` naming --ksql-port, unless `fall_back`: then a free port, said
        in `notices`. Returns the ksqlDB server's URL."""

        def made() -> KsqlService:
            service = KsqlService(
                backend or EmbeddedBackend(self.cluster), schema_registry_url=self.registry_url
            )
            self._http(service.http, "KsqlServer")
            return service

        service = made()
        try:
            url = await service.start(port, host)
        except HttpListenError as error:
            if port == 0 or not fall_back:
                raise
            service = made()
            url = await service.start(0, host)
            self.notices.append(f"{error}. ksqlDB listens on {url} instead")
        self.ksql = service
        self.cluster.advertise_ksql(self._advertised(url))
        return url

    @property
    def ksql_url(self) -> str | None:
        return None if self.ksql is None else self.ksql.url

    @property
    def connect_url(self) -> str | None:
        return None if self.connect is None else self.connect.url

    @property
    def rest_url(self) -> str | None:
        return None if self.rest is None else self.rest.url

    @property
    def registry_url(self) -> str | None:
        return None if self.registry is None else self.registry.url

    @property
    def bootstrap(self) -> str | None:
        return None if self.wire is None else self.wire.bootstrap

    @property
    def stats(self) -> WireStats | None:
        """Every listener's counts, added up."""
        if not self.wires:
            return None
        total = WireStats()
        for wire in self.wires:
            for f in dataclasses.fields(WireStats):
                setattr(total, f.name, getattr(total, f.name) + getattr(wire.stats, f.name))
        return total

    def clients(self) -> list[ConnectedClient]:
        """The open connections of every listener, oldest first."""
        every = [c for wire in self.wires for c in wire.clients()]
        return sorted(every, key=lambda c: (c.connected_since_ms, c.broker_id, c.address))

    def listeners(self) -> list[ListenerView]:
        """Every wire listener's socket per broker, in the order they were opened."""
        views = []
        for w in self.wires:
            mechanisms = w.listener.sasl_mechanisms if w.listener.protocol.sasl else ()
            for broker_id, (host, port) in sorted(w.addresses.items()):
                views.append(
                    ListenerView(w.listener.name, str(w.listener.protocol), broker_id, host, port, mechanisms)
                )
        return views

    def status(self) -> str | None:
        if self.wire is None:
            return None
        s = self.stats or WireStats()
        registry = f" · Schema Registry: {self.registry_url}" if self.registry_url else ""
        rest = f" · REST Proxy: {self.rest_url}" if self.rest_url else ""
        connect = f" · Connect: {self.connect_url}" if self.connect_url else ""
        ksql = f" · ksqlDB: {self.ksql_url}" if self.ksql_url else ""
        return (
            f"Kafka clients: {self._bootstraps()} · {s.connections} connection(s) open "
            f"({s.connections_total} in all) · {s.requests:,} requests{registry}{rest}{connect}{ksql}"
        )

    async def close(self) -> None:
        if self.ksql is not None:  # first: its queries commit their offsets to the cluster
            self.cluster.advertise_ksql(None)
            await self.ksql.close()
            self.ksql = None
        if self.connect is not None:  # first: its tasks commit their offsets to the cluster
            self.cluster.advertise_connect(None)
            await self.connect.close()
            self.connect = None
        if self.rest is not None:  # first: its consumer instances leave their groups
            self.cluster.advertise_rest_proxy(None)
            await self.rest.close()
            self.rest = None
        if self.registry is not None:
            self.cluster.advertise_schema_registry(None)
            await self.registry.close()
            self.registry = None
        while self.wires:
            await self.wires.pop().close()

    def _bootstraps(self) -> str:
        if len(self.wires) == 1:
            return self.wires[0].bootstrap
        return " · ".join(f"{w.listener.name} {w.bootstrap}" for w in self.wires)


async def serve_backend(
    backend: EmbeddedBackend,
    port_base: int = DEFAULT_PORT_BASE,
    host: str = DEFAULT_HOST,
    registry_port: int | None = None,
    rest_port: int | None = None,
    connect_port: int | None = None,
    ksql_port: int | None = None,
) -> str:
    """What the workbench does with its own cluster: serve it to real Kafka clients (on
    free ports, said in the backend's notices, if these are taken) and, given a
    `registry_port` or a `rest_port`, the Schema Registry or the REST Proxy there
    (likewise), and hand the listeners to the backend, which shows them and closes them
    with the cluster. Returns the bootstrap servers."""
    services = ServiceHost.of(backend)
    try:
        bootstrap = await services.listen_wire(port_base, host)
        if registry_port is not None:
            await services.listen_registry(registry_port, host, backend=backend)
        if rest_port is not None:
            await services.listen_rest(rest_port, host, backend=backend)
        if connect_port is not None:
            await services.listen_connect(connect_port, host, backend=backend)
        if ksql_port is not None:
            await services.listen_ksql(ksql_port, host, backend=backend)
    except BaseException:
        await services.close()
        raise
    backend.attach_listeners(services)
    backend.notices.extend(services.notices)
    return bootstrap
