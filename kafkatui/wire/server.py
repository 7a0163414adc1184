"""The listeners: one TCP port per broker, Kafka's size-prefixed request/response frames.

Like Kafka's `SocketServer`, a connection handles one request at a time (the channel
is muted until its response is sent), so responses leave in request order. A frame
this server cannot parse, an API it does not speak or a version it does not advertise
closes the connection (as Kafka does), except ApiVersions, which answers an unknown
version with UNSUPPORTED_VERSION and the list of what it speaks (KIP-511).

A server is one listener (`security.listener.ListenerConfig`; a cluster's several
listeners are several servers): PLAINTEXT, SSL (a connection's first step is the TLS
handshake), SASL_PLAINTEXT or SASL_SSL (then the SASL exchange, see `sasl.py`, before any
other request). Every connection has a principal, handed to each handler in its
`RequestContext`: its client certificate's subject on SSL, its SASL user on SASL_*,
User:ANONYMOUS otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kafkatui.common.connections import ConnectedClient
from kafkatui.common.events import BrokerStarted, BrokerStopped, Event
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from kafkatui.wire import api_versions
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import (
    MAX_FRAME_BYTES,
    MalformedRequest,
    decode_request,
    encode_response,
    peek_key_version,
)
from kafkatui.wire.dispatch import APIS
from kafkatui.wire.quotas import ConnectionQuotas, RefusalLog
from kafkatui.wire.sasl import SaslAuthenticator, SaslProtocolViolation, SaslState
from kafkatui.wire.security.credentials import ClusterCredentials
from kafkatui.wire.security.listener import ListenerConfig
from kafkatui.wire.security.principal import ANONYMOUS, PrincipalMappingError

log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT_BASE = 9092


class ListenError(Exception):
    """A broker's port cannot be opened (Kafka: 'Socket server failed to bind')."""

    name = "LISTENER_BIND_FAILED"


@dataclass
class WireStats:
    """Counters for `kafkatui serve`'s status line."""

    connections: int = 0  # open now
    connections_total: int = 0
    requests: int = 0
    errors: int = 0  # connections closed on a bad frame
    internal_errors: int = 0  # connections closed on a handler failure (a kafkatui bug)
    too_large: int = 0  # frames over socket.request.max.bytes (their connections closed)
    idle_closed: int = 0  # connections idle for connections.max.idle.ms
    refused_per_ip: int = 0  # connections over max.connections.per.ip
    waiting: int = 0  # connections waiting for a slot under max.connections
    failed_authentications: int = 0  # TLS principal or SASL failures (connections closed)
    reauthentications: int = 0  # KIP-368 re-authentications that succeeded
    expired_sessions: int = 0  # connections closed past connections.max.reauth.ms

    @property
    def refusals(self) -> int:
        return self.too_large + self.idle_closed + self.refused_per_ip


@dataclass(slots=True)
class _Connection:
    broker_id: int
    address: str
    connected_since_ms: int
    client_id: str | None = None
    software_name: str | None = None
    software_version: str | None = None
    requests: int = 0
    last_api: str | None = None
    listener: str = "PLAINTEXT"
    security_protocol: str = "PLAINTEXT"
    principal: str = ANONYMOUS
    sasl_mechanism: str | None = None
    reauthentications: int = 0  # KIP-368


class WireServer:
    """Every broker of a `Cluster` speaking the Kafka protocol on its own port.

    Broker `i` (ids start at 1) listens on `port_base + i - 1`; `port_base=0` gives
    every broker a free port (tests). Metadata and FindCoordinator advertise these
    addresses, so clients reach each broker directly as with a real cluster.
    """

    def __init__(
        self,
        cluster: Cluster,
        *,
        host: str = DEFAULT_HOST,
        port_base: int = DEFAULT_PORT_BASE,
        apis: Mapping[int, Api] | None = None,
        listener: ListenerConfig | None = None,
        authorizer: AuthorizerConfig | None = None,
    ) -> None:
        self.cluster = cluster
        # authorizer.class.name set: every request's principal is checked against the
        # cluster's ACLs (wire/auth.py); None: no authorizer, everything allowed.
        self.authorizer = authorizer
        # PLAINTEXT by default; its users (for AlterUserScramCredentials) are the data dir's
        self.listener = listener or ListenerConfig()
        # The SASL users: the cluster's metadata image (UserScramCredentialRecord, KIP-554).
        self.credentials = ClusterCredentials(cluster)
        self.host = host
        self.port_base = port_base
        self.apis: Mapping[int, Api] = APIS if apis is None else apis
        self.addresses: dict[int, tuple[str, int]] = {}
        self.stats = WireStats()
        self._servers: dict[int, asyncio.Server] = {}  # the running brokers' listeners
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self._writers: dict[int, set[asyncio.StreamWriter]] = {}  # open connections by broker
        self._relistens: set[asyncio.Task[None]] = set()
        self._unlisten: Callable[[], None] | None = None
        d = cluster.defaults
        self.quotas = ConnectionQuotas(d.max_connections, d.max_connections_per_ip)
        self.refusals = RefusalLog(log)

    def clients(self) -> list[ConnectedClient]:
        """The open connections, oldest first."""
        return sorted(
            # list() copies in one step: `kafkatui serve`'s status line may ask from another thread.
            (ConnectedClient(**dataclasses.asdict(c)) for c in list(self._connections.values())),
            key=lambda c: (c.connected_since_ms, c.broker_id, c.address),
        )

    @property
    def bootstrap(self) -> str:
        """`host:port,...` of every broker, for `bootstrap.servers`."""
        return ",".join(f"{h}:{p}" for _, (h, p) in sorted(self.addresses.items()))

    async def start(self) -> None:
        try:
            for index, broker_id in enumerate(sorted(self.cluster.brokers)):
                port = 0 if self.port_base == 0 else self.port_base + index
                server = await self._listen(broker_id, port)
                self.addresses[broker_id] = server.sockets[0].getsockname()[:2]
                self._servers[broker_id] = server
                if not self.cluster.brokers[broker_id].running:
                    self._stop_listening(broker_id)  # its port is kept for when it starts
            self._unlisten = self.cluster.bus.listen(self._on_event)
        except BaseException:
            await self.close()
            raise

    async def _listen(self, broker_id: int, port: int) -> asyncio.Server:
        try:
            return await asyncio.start_server(lambda r, w: self._serve(broker_id, r, w), self.host, port)
        except OSError as error:
            reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise ListenError(
                f"broker {broker_id} cannot listen on {self.host}:{port}: {reason} "
                "(is another Kafka or kafkatui running? try --port-base)"
            ) from None

    def _on_event(self, event: Event) -> None:
        # A stopped broker is a dead process: its port refuses connections and the
        # ones it had are reset. Clients notice at once (accepting and then closing
        # each connection kept kafka-python retrying a stopped coordinator forever).
        if isinstance(event, BrokerStopped):
            self._stop_listening(event.broker_id)
        elif isinstance(event, BrokerStarted) and event.broker_id in self.addresses:
            task = asyncio.get_running_loop().create_task(self._relisten(event.broker_id))
            self._relistens.add(task)
            task.add_done_callback(self._relistens.discard)

    def _stop_listening(self, broker_id: int) -> None:
        server = self._servers.pop(broker_id, None)
        if server is not None:
            server.close()
        for writer in self._writers.get(broker_id, set()):
            writer.transport.abort()

    async def _relisten(self, broker_id: int) -> None:
        if broker_id in self._servers:
            return
        try:
            server = await self._listen(broker_id, self.addresses[broker_id][1])
        except ListenError as error:
            log.warning("%s", error)
            return
        broker = self.cluster.brokers.get(broker_id)
        if broker is None or not broker.running or broker_id in self._servers:
            server.close()  # it stopped again (or another start won) meanwhile
        else:
            self._servers[broker_id] = server

    async def close(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for task in list(self._relistens):
            task.cancel()
        servers = list(self._servers.values())
        for server in servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        for server in servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        self._servers.clear()

    async def __aenter__(self) -> WireServer:
        if self._unlisten is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(
        self, broker_id: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        peername = writer.get_extra_info("peername")
        ip = peername[0] if peername else "?"
        address = f"{peername[0]}:{peername[1]}" if peername else "?"
        if not self.quotas.admit_ip(ip):
            self.stats.refused_per_ip += 1
            self.refusals.refused(
                "connection refused", broker_id, address,
                f"{ip} already has max.connections.per.ip={self.quotas.max_connections_per_ip} open",
            )  # fmt: skip
            writer.transport.abort()
            return
        self._writers.setdefault(broker_id, set()).add(writer)
        slot = False
        try:
            if not self.quotas.has_slot(broker_id):
                # Kafka's acceptor stops accepting at max.connections: the client waits.
                self.stats.waiting += 1
                try:
                    await self.quotas.take_slot(broker_id)
                finally:
                    self.stats.waiting -= 1
            else:
                await self.quotas.take_slot(broker_id)
            slot = True
            await self._serve_requests(task, broker_id, reader, writer, ip, address)
        finally:
            self.quotas.release_ip(ip)
            if slot:
                await self.quotas.release_slot(broker_id)
            self._writers[broker_id].discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_requests(
        self,
        task: asyncio.Task[None],
        broker_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        ip: str,
        address: str,
    ) -> None:
        listener = self.listener
        connection = _Connection(
            broker_id,
            address,
            self.cluster.clock.now_ms(),
            listener=listener.name,
            security_protocol=listener.protocol.value,
        )
        limits = self.cluster.defaults
        idle_s = limits.connections_max_idle_ms / 1000
        context = listener.ssl_context()
        try:
            if context is not None:
                # The handshake here rather than in start_server(ssl=...), so a failed one is
                # seen, counted and logged, as Kafka logs "Failed authentication with /ip
                # (SSL handshake failed)".
                await writer.start_tls(context, ssl_handshake_timeout=min(idle_s, 60))
            connection.principal = listener.tls_principal(writer.get_extra_info("ssl_object"))
        except (ssl.SSLError, ConnectionError, TimeoutError, PrincipalMappingError) as error:
            self.stats.failed_authentications += 1
            what = (
                "SSL authentication failed"
                if isinstance(error, PrincipalMappingError)
                else "SSL handshake failed"
            )
            self.refusals.refused(what, broker_id, address, _tls_reason(error))
            return
        sasl = SaslAuthenticator(listener, self.credentials) if listener.protocol.sasl else None
        self._connections[task] = connection
        self.stats.connections += 1
        self.stats.connections_total += 1
        try:
            while True:
                size = int.from_bytes(await _read(reader, 4, idle_s), "big", signed=True)
                if size > limits.socket_request_max_bytes:
                    self.stats.too_large += 1
                    self.refusals.refused(
                        "request too large", broker_id, address,
                        f"a frame of {size:,} bytes is larger than "
                        f"socket.request.max.bytes={limits.socket_request_max_bytes:,}",
                    )  # fmt: skip
                    return
                if not 0 < size <= MAX_FRAME_BYTES:
                    raise MalformedRequest(f"frame size {size} outside 1..{MAX_FRAME_BYTES}")
                frame = await _read(reader, size, idle_s)
                broker = self.cluster.brokers.get(broker_id)
                if broker is None or not broker.running:
                    return  # a stopped broker answers nothing, like a dead process
                self.stats.requests += 1
                if sasl is not None and sasl.complete and self._session_over(sasl, frame, connection):
                    return
                if sasl is not None and not sasl.complete:
                    response, close = await self._authenticate(sasl, broker_id, frame, connection)
                else:
                    response, close = await self._handle(broker_id, frame, f"/{ip}", connection), False
                if response is not None:
                    writer.write(response)
                    await writer.drain()
                if close:
                    return
        except TimeoutError:
            self.stats.idle_closed += 1
            self.refusals.refused(
                "idle connection closed", broker_id, address,
                f"nothing received for connections.max.idle.ms={limits.connections_max_idle_ms:,}",
            )  # fmt: skip
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except MalformedRequest as error:
            self.stats.errors += 1
            self.refusals.refused("malformed request", broker_id, address, str(error))
        except SaslProtocolViolation as error:
            self.stats.failed_authentications += 1
            self.refusals.refused("SASL authentication failed", broker_id, address, str(error))
        except asyncio.CancelledError:
            pass
        except Exception as error:  # a handler bug must cost one connection, never the server
            self.stats.internal_errors += 1
            log.error(
                "broker %d: closed a connection after an internal error: %s: %s "
                "(a kafkatui bug: rerun with KAFKATUI_DEBUG=1 for the traceback and report it)",
                broker_id,
                type(error).__name__,
                error,
                exc_info=bool(os.environ.get("KAFKATUI_DEBUG")),
            )
        finally:
            self.stats.connections -= 1
            self._connections.pop(task, None)

    async def _authenticate(
        self, sasl: SaslAuthenticator, broker_id: int, frame: bytes, connection: _Connection
    ) -> tuple[bytes | None, bool]:
        """A frame before the connection's SASL authentication completes: ApiVersions
        and the SASL exchange only (SaslProtocolViolation for anything else). Returns
        the response frame and whether to close the connection after it."""
        if sasl.state is SaslState.RAW_TOKENS:
            answer, failure = sasl.raw_token(frame, self.cluster.clock.now_ms())
            if failure is not None:
                self._auth_failed(broker_id, connection, failure)
                return None, True
            self._authenticated(sasl, connection)
            return len(answer or b"").to_bytes(4, "big") + (answer or b""), False
        api_key, version, correlation_id = peek_key_version(frame)
        api = self.apis.get(api_key)
        name = api.name if api is not None else f"api key {api_key}"
        sasl.check_allowed(api_key, name)
        if api_key == api_versions.API_KEY:
            return await self._handle(broker_id, frame, "", connection), False
        assert api is not None
        connection.requests += 1
        connection.last_api = api.name
        if not api.min_version <= version <= api.max_version:
            raise MalformedRequest(
                f"{api.name} v{version} is not supported ({api.min_version}..{api.max_version})"
            )
        request = decode_request(frame)
        connection.client_id = request.client_id
        if sasl.state is SaslState.HANDSHAKE:
            outcome = sasl.handshake(version, request.body.mechanism)
            connection.sasl_mechanism = sasl.mechanism
        else:
            outcome = sasl.authenticate(version, request.body.auth_bytes, self.cluster.clock.now_ms())
        if outcome.failure is not None:
            self._auth_failed(broker_id, connection, outcome.failure)
        elif sasl.complete:
            self._authenticated(sasl, connection)
        return encode_response(correlation_id, outcome.body), outcome.close

    def _session_over(self, sasl: SaslAuthenticator, frame: bytes, connection: _Connection) -> bool:
        """KIP-368 on an authenticated connection: past the session's end (re-handshake
        or not) it is closed, as Kafka's SocketServer closes it; a SaslHandshake v1
        before that starts a re-authentication."""
        if sasl.expired(self.cluster.clock.now_ms()):
            self.stats.expired_sessions += 1
            self.refusals.refused(
                "expired SASL session closed", connection.broker_id, connection.address,
                f"{connection.principal} did not re-authenticate within "
                f"connections.max.reauth.ms={sasl.listener.max_reauth_ms:,}",
            )  # fmt: skip
            return True
        api_key, version, _ = peek_key_version(frame)
        if sasl.may_reauthenticate(api_key, version):
            sasl.begin_reauthentication()
        return False

    def _authenticated(self, sasl: SaslAuthenticator, connection: _Connection) -> None:
        connection.principal = sasl.principal or ANONYMOUS
        connection.sasl_mechanism = sasl.mechanism
        self.stats.reauthentications += sasl.reauthentications - connection.reauthentications
        connection.reauthentications = sasl.reauthentications

    def _auth_failed(self, broker_id: int, connection: _Connection, why: str) -> None:
        self.stats.failed_authentications += 1
        self.refusals.refused("SASL authentication failed", broker_id, connection.address, why)

    async def _handle(
        self, broker_id: int, frame: bytes, client_host: str = "", connection: _Connection | None = None
    ) -> bytes | None:
        api_key, version, correlation_id = peek_key_version(frame)
        api = self.apis.get(api_key)
        if api is None:
            raise MalformedRequest(f"unknown api key {api_key}")
        if connection is not None:
            connection.requests += 1
            connection.last_api = api.name
        if not api.min_version <= version <= api.max_version:
            if api_key == api_versions.API_KEY:
                return encode_response(correlation_id, api_versions.unsupported_version(self.apis))
            raise MalformedRequest(
                f"{api.name} v{version} is not supported ({api.min_version}..{api.max_version})"
            )
        request = decode_request(frame)
        if connection is not None:
            connection.client_id = request.client_id
            if api_key == api_versions.API_KEY and version >= 3:  # KIP-511
                connection.software_name = request.body.client_software_name
                connection.software_version = request.body.client_software_version
        principal = ANONYMOUS if connection is None else connection.principal
        context = RequestContext(self, broker_id, request, client_host, principal, self.listener.name)
        body = await api.handler(context, request.body)
        return None if body is None else encode_response(correlation_id, body)


def _tls_reason(error: Exception) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"client certificate: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return error.reason or str(error)  # e.g. TLSV1_ALERT_UNKNOWN_CA: the client refused ours
    if isinstance(error, TimeoutError):
        return "no TLS handshake in time"
    return str(error) or type(error).__name__


async def _read(reader: asyncio.StreamReader, n: int, idle_s: float) -> bytes:
    """`n` bytes, or TimeoutError once nothing has arrived for `idle_s` (Kafka's idle
    check counts any bytes as activity, so a slow but steady sender is not idle)."""
    if len(reader._buffer) >= n:
        return await reader.readexactly(n)
    loop = asyncio.get_running_loop()
    chunks = bytearray()
    async with asyncio.timeout(idle_s) as deadline:
        while len(chunks) < n:
            chunk = await reader.read(n - len(chunks))
            if not chunk:
                raise asyncio.IncompleteReadError(bytes(chunks), n)
            chunks += chunk
            deadline.reschedule(loop.time() + idle_s)
    return bytes(chunks)
