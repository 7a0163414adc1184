"""Kafka's listener model, one listener at a time: a name, its security protocol
(`listener.security.protocol.map`), the TLS settings of an SSL or SASL_SSL listener
(`ssl.*`) and the SASL mechanisms of a SASL_* one (`sasl.enabled.mechanisms`).

Several listeners of one cluster (`listeners=PLAINTEXT://:9092,SASL_SSL://:9192`,
`parse_listeners`) are several `WireServer`s over it, each with its own ports; Metadata
answers with the addresses of the listener the request came in on, as Kafka's does (it
looks the listener name up in each broker's endpoints).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryptography import x509

from kafkatui.wire.security.certs import CertificateSet
from kafkatui.wire.security.credentials import MECHANISMS, SCRAM_MECHANISMS
from kafkatui.wire.security.principal import ANONYMOUS, SslPrincipalMapper, user


class SecurityProtocol(StrEnum):
    """org.apache.kafka.common.security.auth.SecurityProtocol."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    @property
    def sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


class ClientAuth(StrEnum):
    """`ssl.client.auth`: whether the broker asks for a client certificate."""

    REQUIRED = "required"
    REQUESTED = "requested"
    NONE = "none"


class ListenerConfigError(ValueError):
    name = "INVALID_CONFIG"


@dataclass(frozen=True)
class SslConfig:
    certs: CertificateSet  # the broker's certificate and key, and the CA it trusts for clients
    client_auth: ClientAuth = ClientAuth.NONE
    principal_mapping_rules: str = "DEFAULT"

    def server_context(self) -> ssl.SSLContext:
        missing = self.certs.missing()
        if missing:
            raise ListenerConfigError(
                f"{self.certs.directory} lacks {', '.join(missing)} (make them with `kafkatui certs create`)"
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # ssl.enabled.protocols=TLSv1.2,TLSv1.3
        context.load_cert_chain(self.certs.broker_cert, self.certs.broker_key)
        context.load_verify_locations(self.certs.ca)
        context.verify_mode = {
            ClientAuth.REQUIRED: ssl.CERT_REQUIRED,
            ClientAuth.REQUESTED: ssl.CERT_OPTIONAL,
            ClientAuth.NONE: ssl.CERT_NONE,
        }[self.client_auth]
        return context


@dataclass(frozen=True)
class ListenerConfig:
    """One listener: `listeners=NAME://host:port` with `listener.security.protocol.map=NAME:PROTOCOL`."""

    name: str = "PLAINTEXT"
    protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    ssl: SslConfig | None = None
    sasl_mechanisms: tuple[str, ...] = SCRAM_MECHANISMS  # sasl.enabled.mechanisms (Kafka's default: GSSAPI)
    # connections.max.reauth.ms: 0 (Kafka's default) gives session_lifetime_ms 0, no expiry.
    max_reauth_ms: int = 0
    _ssl_context: list[ssl.SSLContext] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.protocol.tls and self.ssl is None:
            raise ListenerConfigError(f"listener {self.name} is {self.protocol} but has no certificates")
        unknown = [m for m in self.sasl_mechanisms if m not in MECHANISMS]
        if unknown:
            raise ListenerConfigError(
                f"sasl.enabled.mechanisms: {', '.join(unknown)} not supported (this server speaks "
                f"{', '.join(MECHANISMS)})"
            )

    @classmethod
    def for_protocol(
        cls,
        protocol: SecurityProtocol,
        *,
        certs_dir: Path | None = None,
        client_auth: ClientAuth = ClientAuth.NONE,
        principal_mapping_rules: str = "DEFAULT",
        sasl_mechanisms: tuple[str, ...] = MECHANISMS,
        max_reauth_ms: int = 0,
    ) -> ListenerConfig:
        """The listener `kafkatui serve --security` makes: named after its protocol, as
        Kafka's default listener.security.protocol.map does."""
        ssl_config = None
        if protocol.tls:
            if certs_dir is None:
                raise ListenerConfigError(f"{protocol} needs a certificates directory (--ssl-dir)")
            ssl_config = SslConfig(CertificateSet(certs_dir), client_auth, principal_mapping_rules)
        return cls(protocol.value, protocol, ssl_config, sasl_mechanisms, max_reauth_ms=max_reauth_ms)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The server context, made once (loading the key is the slow part)."""
        if self.ssl is None:
            return None
        if not self._ssl_context:
            self._ssl_context.append(self.ssl.server_context())
        return self._ssl_context[0]

    def tls_principal(self, ssl_object: ssl.SSLObject | None) -> str:
        """The principal of a TLS connection: from the client certificate's subject
        through `ssl.principal.mapping.rules` (PrincipalMappingError if none applies),
        ANONYMOUS without one (Kafka's DefaultKafkaPrincipalBuilder)."""
        if ssl_object is None or self.ssl is None:
            return ANONYMOUS
        der = ssl_object.getpeercert(binary_form=True)
        if not der:
            return ANONYMOUS
        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()  # = Java's RFC 2253
        return user(SslPrincipalMapper(self.ssl.principal_mapping_rules).name(subject))


@dataclass(frozen=True)
class ListenerSpec:
    """One entry of Kafka's `listeners`: a protocol (the name too, by Kafka's default
    `listener.security.protocol.map`), the host ("" for `--host`) and broker 1's port."""

    protocol: SecurityProtocol
    host: str
    port: int


def parse_listeners(values: list[str]) -> list[ListenerSpec]:
    """`PROTOCOL:PORT` or Kafka's `PROTOCOL://[host]:PORT`, each value one or several
    comma-separated. Kafka refuses two listeners of one name; so does this."""
    specs: list[ListenerSpec] = []
    for value in values:
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, rest = item.partition("://")
            if not sep:
                name, _, rest = item.partition(":")
                rest = ":" + rest
            host, _, port = rest.rpartition(":")
            try:
                protocol = SecurityProtocol(name.upper())
            except ValueError:
                known = ", ".join(p.value for p in SecurityProtocol)
                raise ListenerConfigError(f"listeners: {item!r}: {name!r} is not one of {known}") from None
            if not port.isdigit() or int(port) > 65535:
                raise ListenerConfigError(f"listeners: {item!r} needs a port (0-65535; 0 picks free ones)")
            if any(s.protocol is protocol for s in specs):
                raise ListenerConfigError(f"listeners: {protocol} is given twice (each name once)")
            specs.append(ListenerSpec(protocol, host.strip("[]"), int(port)))
    return specs
