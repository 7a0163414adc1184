"""`kafkatui serve`: run the cluster without the workbench, speaking the Kafka protocol.

Each broker listens on its own port (127.0.0.1:9092 upward by default), so kcat,
confluent-kafka, kafka-python and aiokafka use it like a real cluster; a Confluent-
compatible Schema Registry listens on 127.0.0.1:8081 beside it (`--schema-registry-port`,
`--no-schema-registry`) and a Confluent-compatible REST Proxy (v2) on 127.0.0.1:8082
(`--rest-port`, `--no-rest-proxy`), and a Kafka Connect worker with the Connect REST API on
127.0.0.1:8083 (`--connect-port`, `--no-connect`), and a ksqlDB server on 127.0.0.1:8088
(`--ksql-port`, `--no-ksql`). Ctrl-C or SIGTERM closes the listeners and
the cluster, which releases the data dir.

`--security ssl|sasl_plaintext|sasl_ssl` secures the Kafka listener: TLS with the
certificates `kafkatui certs create` writes, SASL with the users `kafkatui user add` keeps
(wire/security/, wire/sasl.py). The HTTP services follow (`--http-security auto`): HTTPS
with the same certificate where a listener has TLS, HTTP Basic authentication by the same
users where one has SASL (Confluent's `listeners=https://…`, `authentication.method=BASIC`).
`--authorizer` turns on ACL checks (StandardAuthorizer; `--super-users`,
`--allow-everyone-if-no-acl-found`) over the ACLs `kafkatui acl` keeps in the metadata log.
A secured listener or HTTP service is not recorded in the lock file, so other kafkatui
commands on this data dir do not attach to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.cli.context import ClusterOptions, console, fail, options, run_async, stop_signal
from kafkatui.ecosystem.connect.service import DEFAULT_PORT as CONNECT_PORT
from kafkatui.ecosystem.http import HttpListenError
from kafkatui.ecosystem.ksql.service import DEFAULT_PORT as KSQL_PORT
from kafkatui.ecosystem.registry.service import DEFAULT_PORT as REGISTRY_PORT
from kafkatui.ecosystem.rest.service import DEFAULT_PORT as REST_PORT
from kafkatui.serve.authorizer import AuthorizerOptions
from kafkatui.serve.host import ServiceHost
from kafkatui.serve.logs import configure_logging
from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.listener import (
    ClientAuth,
    ListenerConfig,
    ListenerConfigError,
    SecurityProtocol,
    SslConfig,
    parse_listeners,
)
from kafkatui.wire.security.principal import SslPrincipalMapper
from kafkatui.wire.server import DEFAULT_HOST, DEFAULT_PORT_BASE, ListenError, WireStats

STATUS_INTERVAL_S = 0.5


class Security(StrEnum):
    """--security: the listener's security protocol (listener.security.protocol.map)."""

    PLAINTEXT = "plaintext"
    SSL = "ssl"
    SASL_PLAINTEXT = "sasl_plaintext"
    SASL_SSL = "sasl_ssl"


class ClientAuthOption(StrEnum):
    REQUIRED = "required"
    REQUESTED = "requested"
    NONE = "none"


class SaslMechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class HttpSecurityOption(StrEnum):
    """--http-security: what the HTTP services ask of their clients."""

    AUTO = "auto"  # as the Kafka listeners: TLS if one has TLS, Basic if one has SASL
    NONE = "none"
    TLS = "tls"
    BASIC = "basic"
    TLS_BASIC = "tls_basic"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def serve(
    ctx: typer.Context,
    brokers: Annotated[
        int | None,
        typer.Option(
            "--brokers", help="Number of brokers for a new cluster (default 3; same as the global option)."
        ),
    ] = None,
    port_base: Annotated[
        int,
        typer.Option(
            "--port-base",
            help="Broker 1 listens here, broker 2 on the next port, and so on; 0 picks free ports.",
            min=0,
            max=65535,
        ),
    ] = DEFAULT_PORT_BASE,
    host: Annotated[str, typer.Option("--host", help="Address to listen on and advertise.")] = DEFAULT_HOST,
    rebalance_delay_ms: Annotated[
        int,
        typer.Option(
            "--group-initial-rebalance-delay-ms",
            help="How long a new group waits for more members before its first rebalance "
            "(group.initial.rebalance.delay.ms; Kafka's default 3000, its dev setting 0).",
            min=0,
        ),
    ] = 3_000,
    auto_create: Annotated[
        bool,
        typer.Option(
            "--auto-create-topics/--no-auto-create-topics",
            help="Create a topic a client asks for in a Metadata request (auto.create.topics.enable, "
            "Kafka's default on), with 1 partition and replication factor 1.",
        ),
    ] = True,
    registry_port: Annotated[
        int,
        typer.Option(
            "--schema-registry-port",
            help="The Schema Registry's port (Confluent's REST API; schemas kept in the _schemas topic); "
            "0 picks a free one.",
            min=0,
            max=65535,
        ),
    ] = REGISTRY_PORT,
    schema_registry: Annotated[
        bool,
        typer.Option(
            "--schema-registry/--no-schema-registry", help="Run the Schema Registry beside the brokers."
        ),
    ] = True,
    rest_port: Annotated[
        int,
        typer.Option(
            "--rest-port",
            help="The REST Proxy's port (Confluent's v2 API: produce and consume over HTTP); "
            "0 picks a free one.",
            min=0,
            max=65535,
        ),
    ] = REST_PORT,
    rest_proxy: Annotated[
        bool,
        typer.Option(
            "--rest-proxy/--no-rest-proxy",
            help="Run the REST Proxy beside the brokers (its Avro, JSON Schema and Protobuf formats "
            "need the Schema Registry).",
        ),
    ] = True,
    connect_port: Annotated[
        int,
        typer.Option(
            "--connect-port",
            help="Kafka Connect's REST API port (a worker whose state is in connect-configs, "
            "connect-offsets and connect-status); 0 picks a free one.",
            min=0,
            max=65535,
        ),
    ] = CONNECT_PORT,
    connect: Annotated[
        bool,
        typer.Option("--connect/--no-connect", help="Run a Kafka Connect worker beside the brokers."),
    ] = True,
    ksql_port: Annotated[
        int,
        typer.Option(
            "--ksql-port",
            help="ksqlDB's REST API port (streams, tables and queries kept in its command topic); "
            "0 picks a free one.",
            min=0,
            max=65535,
        ),
    ] = KSQL_PORT,
    ksql: Annotated[
        bool,
        typer.Option("--ksql/--no-ksql", help="Run a ksqlDB server beside the brokers."),
    ] = True,
    security: Annotated[
        Security,
        typer.Option(
            "--security",
            help="The listener's security protocol: plaintext, ssl (TLS), sasl_plaintext or sasl_ssl "
            "(SASL users from `kafkatui user add`).",
            case_sensitive=False,
        ),
    ] = Security.PLAINTEXT,
    listener_specs: Annotated[
        list[str] | None,
        typer.Option(
            "--listener",
            help="A listener, PROTOCOL:PORT or Kafka's PROTOCOL://[host]:PORT (listeners=; repeat or "
            "comma-separate for several, e.g. --listener PLAINTEXT:9092 --listener SASL_SSL:9192); "
            "broker 2 takes the next port, and so on. Other kafkatui commands attach to the PLAINTEXT "
            "one. Default: one, from --security and --port-base.",
        ),
    ] = None,
    ssl_dir: Annotated[
        Path | None,
        typer.Option(
            "--ssl-dir",
            help="Where ca.pem, broker.pem and broker-key.pem are (what `kafkatui certs create` "
            "writes; default: the data dir's certs/).",
        ),
    ] = None,
    ssl_client_auth: Annotated[
        ClientAuthOption,
        typer.Option(
            "--ssl-client-auth",
            help="ssl.client.auth: required (mutual TLS), requested or none; a client certificate's "
            "subject becomes the principal.",
            case_sensitive=False,
        ),
    ] = ClientAuthOption.NONE,
    principal_rules: Annotated[
        str,
        typer.Option(
            "--ssl-principal-mapping-rules",
            help="ssl.principal.mapping.rules, e.g. 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT'.",
        ),
    ] = "DEFAULT",
    sasl_mechanisms: Annotated[
        list[SaslMechanism] | None,
        typer.Option(
            "--sasl-mechanism",
            help="sasl.enabled.mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (repeat; default all).",
        ),
    ] = None,
    max_reauth_ms: Annotated[
        int,
        typer.Option(
            "--connections-max-reauth-ms",
            help="connections.max.reauth.ms (KIP-368): a SASL session's lifetime, told to the client, "
            "which must re-authenticate before it ends or be disconnected; 0 (Kafka's default): no end.",
            min=0,
        ),
    ] = 0,
    authorizer: Annotated[
        bool,
        typer.Option(
            "--authorizer/--no-authorizer",
            help="Check every request against the cluster's ACLs (authorizer.class.name="
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer); manage them with `kafkatui acl`.",
        ),
    ] = False,
    super_users: Annotated[
        str,
        typer.Option(
            "--super-users",
            help="super.users with --authorizer: principals allowed everything, e.g. 'User:admin;User:bob'.",
        ),
    ] = "",
    allow_everyone: Annotated[
        bool,
        typer.Option(
            "--allow-everyone-if-no-acl-found/--deny-if-no-acl-found",
            help="allow.everyone.if.no.acl.found with --authorizer: a resource without any ACL is open "
            "to everyone (Kafka's default: denied).",
        ),
    ] = False,
    http_security: Annotated[
        HttpSecurityOption,
        typer.Option(
            "--http-security",
            help="The Schema Registry, REST Proxy, Connect and ksqlDB: tls (HTTPS with the broker's "
            "certificate), basic (HTTP Basic authentication by the SASL users), tls_basic, none, or "
            "auto: as the Kafka listeners are (TLS where one has TLS, Basic where one has SASL).",
            case_sensitive=False,
        ),
    ] = HttpSecurityOption.AUTO,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            help="How warnings (refused connections and requests, with the peer and why) go to "
            "stderr: text, or json for log shippers (one object per line).",
        ),
    ] = LogFormat.TEXT,
) -> None:
    """Serve the cluster to real Kafka clients over the wire protocol (no workbench).

    Prints the bootstrap servers (and the Schema Registry's, REST Proxy's and Kafka
    Connect's URLs),
    then a live status line (connections, requests). Ctrl-C or SIGTERM shuts down
    cleanly. Example:

        kafkatui --memory serve --port-base 19092
        kcat -b 127.0.0.1:19092 -L
    """
    opts = options(ctx)
    if brokers is not None:
        if brokers < 1:
            raise typer.BadParameter("a cluster needs at least 1 broker", param_hint="--brokers")
        opts = ClusterOptions(opts.data_dir, opts.memory, brokers, opts.cluster_name, opts.seed)
    broker_configs = {
        "group.initial.rebalance.delay.ms": rebalance_delay_ms,
        "auto.create.topics.enable": auto_create,
    }
    registry = registry_port if schema_registry else None
    rest = rest_port if rest_proxy else None
    connect_at = connect_port if connect else None
    ksql_at = ksql_port if ksql else None
    if listener_specs and security is not Security.PLAINTEXT:
        raise typer.BadParameter(
            "give each listener's protocol in --listener instead", param_hint="--security"
        )
    try:
        specs = parse_listeners(listener_specs or [f"{security.value}:{port_base}"])
    except ListenerConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--listener") from None
    listeners = [
        (_listener(opts, spec.protocol, ssl_dir, ssl_client_auth, principal_rules, sasl_mechanisms,
                   max_reauth_ms), spec.host or host, spec.port)
        for spec in specs
    ]  # fmt: skip
    authorizer_config = _authorizer(authorizer, super_users, allow_everyone)
    http = _http_security(opts, http_security, [listener for listener, _, _ in listeners], ssl_dir)
    handler = configure_logging(log_format.value)
    try:
        run_async(
            lambda: _serve(
                opts, host, broker_configs, registry, rest, connect_at, listeners, ksql_at, authorizer_config,
                http,
            )
        )  # fmt: skip
    finally:
        # Removed again: a `serve` run in-process (a test's CliRunner) must not leave its
        # stderr handler behind for later commands, whose stream it no longer is.
        logging.getLogger("kafkatui").removeHandler(handler)


def _authorizer(enabled: bool, super_users: str, allow_everyone: bool) -> AuthorizerOptions | None:
    """The authorizer's settings by their server.properties names, or None without one."""
    if not enabled:
        if super_users or allow_everyone:
            raise fail(
                "INVALID_CONFIG", "--super-users and --allow-everyone-if-no-acl-found need --authorizer"
            )
        return None
    try:
        return AuthorizerOptions.standard(super_users, allow_everyone)
    except ValueError as error:
        raise fail("INVALID_CONFIG", str(error)) from None


@dataclass(frozen=True)
class HttpSecuritySettings:
    tls_certs: Path | None  # HTTPS with this directory's broker certificate
    basic: bool  # HTTP Basic authentication by the cluster's SASL users

    def describe(self) -> str:
        parts = [f"HTTPS, certificates in {self.tls_certs}"] if self.tls_certs is not None else []
        if self.basic:
            parts.append("HTTP Basic authentication by the SASL users")
        return "; ".join(parts) or "plain HTTP"


def _http_security(
    opts: ClusterOptions, option: HttpSecurityOption, listeners: list[ListenerConfig], ssl_dir: Path | None
) -> HttpSecuritySettings:
    """What --http-security asks for, its certificates checked before the cluster opens."""
    from kafkatui.cli.certs import CERTS_DIR

    if option is HttpSecurityOption.AUTO:
        tls = any(listener.protocol.tls for listener in listeners)
        basic = any(listener.protocol.sasl for listener in listeners)
    else:
        tls = option in (HttpSecurityOption.TLS, HttpSecurityOption.TLS_BASIC)
        basic = option in (HttpSecurityOption.BASIC, HttpSecurityOption.TLS_BASIC)
    data_dir = opts.resolved_data_dir()
    if basic and data_dir is None:
        raise fail(
            "INVALID_CONFIG", "--http-security basic needs SASL users (--memory keeps none): use a data dir"
        )
    certs_dir = None
    if tls:
        certs_dir = ssl_dir or (None if data_dir is None else data_dir / CERTS_DIR)
        if certs_dir is None:
            raise fail("INVALID_CONFIG", "--http-security tls needs certificates (--ssl-dir)")
        certs_dir = certs_dir.expanduser()
        try:
            SslConfig(CertificateSet(certs_dir)).server_context()
        except (ValueError, OSError) as error:
            raise fail("INVALID_CONFIG", f"--http-security: {error}") from None
    return HttpSecuritySettings(certs_dir, basic)


def _listener(
    opts: ClusterOptions,
    protocol: SecurityProtocol,
    ssl_dir: Path | None,
    client_auth: ClientAuthOption,
    principal_rules: str,
    mechanisms: list[SaslMechanism] | None,
    max_reauth_ms: int = 0,
) -> ListenerConfig:
    """The listener --security asks for, checked before the cluster opens (certificates
    that load, rules that parse, users to log in as)."""
    from kafkatui.cli.certs import CERTS_DIR

    data_dir = opts.resolved_data_dir()
    certs_dir = ssl_dir or (None if data_dir is None else data_dir / CERTS_DIR)
    if protocol.sasl and data_dir is None:
        raise fail("INVALID_CONFIG", f"{protocol} needs SASL users (--memory keeps none): use a data dir")
    try:
        SslPrincipalMapper(principal_rules)
        listener = ListenerConfig.for_protocol(
            protocol,
            certs_dir=certs_dir.expanduser() if certs_dir is not None else None,
            client_auth=ClientAuth(client_auth.value),
            principal_mapping_rules=principal_rules,
            sasl_mechanisms=tuple(m.value for m in (mechanisms or list(SaslMechanism))),
            max_reauth_ms=max_reauth_ms,
        )
        listener.ssl_context()
    except (ValueError, OSError) as error:  # ListenerConfigError, bad rules, ssl.SSLError
        raise fail("INVALID_CONFIG", str(error)) from None
    return listener


async def _serve(
    opts: ClusterOptions,
    host: str,
    broker_configs: Mapping[str, int | bool],
    registry_port: int | None,
    rest_port: int | None,
    connect_port: int | None,
    listeners: list[tuple[ListenerConfig, str, int]],
    ksql_port: int | None = None,
    authorizer: AuthorizerOptions | None = None,
    http: HttpSecuritySettings = HttpSecuritySettings(None, False),
) -> None:
    backend = await opts.open("kafkatui serve", broker_configs)
    services = ServiceHost.of(backend)
    try:
        sasl = [listener.protocol for listener, _, _ in listeners if listener.protocol.sasl]
        if sasl and not await backend.describe_user_scram_credentials():
            raise fail(
                "INVALID_CONFIG",
                f"{sasl[0]} needs SASL users ({backend.data_dir} has none): run `kafkatui user add NAME`",
            )
        try:
            services.secure_http(tls_certs=http.tls_certs, basic=http.basic)
        except ListenerConfigError as error:
            raise fail("INVALID_CONFIG", f"--http-security: {error}") from None
        try:
            served = [
                (listener, await services.listen_wire(
                    port, at, fall_back=False, listener=listener, authorizer=authorizer
                ))
                for listener, at, port in listeners
            ]  # fmt: skip
            registry = None
            if registry_port is not None:
                registry = await services.listen_registry(
                    registry_port, host, backend=backend, fall_back=False
                )
            rest = None
            if rest_port is not None:
                rest = await services.listen_rest(rest_port, host, backend=backend, fall_back=False)
            connect = None
            if connect_port is not None:
                connect = await services.listen_connect(connect_port, host, backend=backend, fall_back=False)
            ksql = None
            if ksql_port is not None:
                ksql = await services.listen_ksql(ksql_port, host, backend=backend, fall_back=False)
        except (ListenError, HttpListenError) as error:
            raise fail(error.name, str(error)) from None
        with stop_signal() as stop:
            where = "in memory" if backend.data_dir is None else str(backend.data_dir)
            console.print(f"kafkatui: {len(backend.brokers())} broker(s), data: {where}")
            # The first line names the PLAINTEXT listener when there is one (scripts read it).
            served.sort(key=lambda pair: pair[0].protocol is not SecurityProtocol.PLAINTEXT)
            console.print(f"bootstrap servers: [bold]{served[0][1]}[/]")
            for listener, bootstrap in served:
                if listener.protocol is not SecurityProtocol.PLAINTEXT:
                    console.print(f"listener: {listener.name} ({_describe(listener)})", markup=False)
                if len(served) > 1:
                    console.print(f"{listener.name} bootstrap servers: [bold]{bootstrap}[/]")
            if authorizer is not None:
                console.print(f"authorizer: {authorizer.describe()}", markup=False)
            if http.tls_certs is not None or http.basic:
                console.print(f"http services: {http.describe()}", markup=False)
            if registry is not None:
                console.print(f"schema registry: [bold]{registry}[/]")
            if rest is not None:
                console.print(f"rest proxy: [bold]{rest}[/]")
            if connect is not None:
                console.print(f"kafka connect: [bold]{connect}[/]")
            if ksql is not None:
                console.print(f"ksqlDB: [bold]{ksql}[/]")
            console.file.flush()
            # Start-up's objects (brokers, coordinators, services, ~130,000) leave the
            # collector's way: each full collection walked them all, ~65 ms a pass, 7-12
            # passes per 200,000 records produced over REST (a fifth of the server's time).
            gc.freeze()
            await _status_until(stop, services, backend)
    finally:
        await services.close()
        await backend.close()
    console.print("kafkatui: stopped")


def _describe(listener: ListenerConfig) -> str:
    parts = []
    if listener.ssl is not None:
        parts.append(
            f"TLS, certificates in {listener.ssl.certs.directory}, ssl.client.auth={listener.ssl.client_auth}"
        )
    if listener.protocol.sasl:
        parts.append(f"SASL {', '.join(listener.sasl_mechanisms)}")
        if listener.max_reauth_ms:
            parts.append(f"connections.max.reauth.ms={listener.max_reauth_ms}")
    return "; ".join(parts)


def _status(services: ServiceHost, backend: EmbeddedBackend) -> Text:
    s = services.stats or WireStats()
    brokers = backend.brokers()
    running = sum(1 for b in brokers if b.running)
    return Text.assemble(
        ("● ", "green"),
        f"{running}/{len(brokers)} brokers up · {len(backend.topic_names())} topics · "
        f"{s.connections} connection(s) open ({s.connections_total} total) · {s.requests:,} requests"
        + (f" · {s.errors + s.internal_errors} closed on errors" if s.errors + s.internal_errors else "")
        + (f" · {s.refusals} refused (limits)" if s.refusals else "")
        + (f" · {s.failed_authentications} failed authentication(s)" if s.failed_authentications else ""),
    )


async def _status_until(stop: asyncio.Event, services: ServiceHost, backend: EmbeddedBackend) -> None:
    """Redraw the status line until `stop` (only on a terminal: logs stay clean)."""
    if not console.is_terminal:
        await stop.wait()
        return
    with Live(_status(services, backend), console=console, auto_refresh=False, transient=False) as live:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STATUS_INTERVAL_S)
            live.update(_status(services, backend), refresh=True)
