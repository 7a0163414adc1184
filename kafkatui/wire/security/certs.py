"""`kafkatui certs create`'s certificates, made with the `cryptography` package (no
openssl subprocess): a local CA, a broker certificate for 127.0.0.1 and localhost, and
a client certificate for mutual TLS. PEM files, as librdkafka, kafka-python and
aiokafka read them (Java clients would import them into a PKCS12 truststore)."""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
BROKER_CERT = "broker.pem"
BROKER_KEY = "broker-key.pem"
CLIENT_CERT = "client.pem"
CLIENT_KEY = "client-key.pem"
VALID_DAYS = 825  # the longest validity browsers and most TLS stacks still accept


@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class CertificateSet:
    """Where `create` wrote its files."""

    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def ca(self) -> Path:
        return self.path(CA_CERT)

    @property
    def broker_cert(self) -> Path:
        return self.path(BROKER_CERT)

    @property
    def broker_key(self) -> Path:
        return self.path(BROKER_KEY)

    @property
    def client_cert(self) -> Path:
        return self.path(CLIENT_CERT)

    @property
    def client_key(self) -> Path:
        return self.path(CLIENT_KEY)

    def missing(self) -> list[str]:
        return [n for n in (CA_CERT, BROKER_CERT, BROKER_KEY) if not self.path(n).is_file()]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kafkatui"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # P-256: fast to make, every client speaks it


def _validity(now: datetime.datetime | None, days: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = (now or datetime.datetime.now(datetime.UTC)) - datetime.timedelta(minutes=5)  # clock skew
    return start, start + datetime.timedelta(days=days)


def create_ca(common_name: str = "kafkatui local CA", *, days: int = VALID_DAYS) -> Issuer:
    key = _key()
    start, end = _validity(None, days)
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issuer(cert, key)


def issue(
    ca: Issuer,
    common_name: str,
    *,
    server: bool,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    not_before: datetime.datetime | None = None,
    days: int = VALID_DAYS,
) -> Issuer:
    """A leaf certificate signed by `ca`: a broker's (`server`, with `hosts` as its
    subjectAltNames, which clients check: `ssl.endpoint.identification.algorithm=https`)
    or a client's (its subject becomes the principal)."""
    key = _key()
    start, end = _validity(not_before, days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if server:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issuer(builder.sign(ca.key, hashes.SHA256()), key)


def write_pem(issuer: Issuer, cert_path: Path, key_path: Path) -> None:
    cert_path.write_bytes(issuer.cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = issuer.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # A private key readable by its owner only, from its first byte.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_bytes)


def create(
    directory: Path, *, client_cn: str = "client", hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> CertificateSet:
    """A CA, a broker certificate for `hosts` and a client certificate `CN=client_cn`
    in `directory` (created; existing files are replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    out = CertificateSet(directory)
    ca = create_ca()
    write_pem(ca, out.ca, out.path(CA_KEY))
    write_pem(issue(ca, hosts[0], server=True, hosts=hosts), out.broker_cert, out.broker_key)
    write_pem(issue(ca, client_cn, server=False), out.client_cert, out.client_key)
    return out


def client_settings(certs: CertificateSet, bootstrap: str, *, mutual: bool = True) -> dict[str, str]:
    """How each client connects over SSL with these files (one text per client)."""
    ca, cert, key = certs.ca, certs.client_cert, certs.client_key
    mtls = mutual and cert.is_file()
    confluent = [
        f"'bootstrap.servers': '{bootstrap}'",
        "'security.protocol': 'SSL'",
        f"'ssl.ca.location': '{ca}'",
    ]
    kcat = ["-X security.protocol=SSL", f"-X ssl.ca.location={ca}"]
    kafka_python = [f"bootstrap_servers='{bootstrap}'", "security_protocol='SSL'", f"ssl_cafile='{ca}'"]
    aio = ["import ssl", "from aiokafka.helpers import create_ssl_context", ""]
    context = f"context = create_ssl_context(cafile='{ca}'"
    if mtls:
        confluent += [f"'ssl.certificate.location': '{cert}'", f"'ssl.key.location': '{key}'"]
        kcat += [f"-X ssl.certificate.location={cert}", f"-X ssl.key.location={key}"]
        kafka_python += [f"ssl_certfile='{cert}'", f"ssl_keyfile='{key}'"]
        context += f", certfile='{cert}', keyfile='{key}'"
    aio += [
        context + ")",
        f"AIOKafkaProducer(bootstrap_servers='{bootstrap}', security_protocol='SSL', ssl_context=context)",
    ]
    return {
        "confluent-kafka": "Producer({" + ", ".join(confluent) + "})",
        "kafka-python": "KafkaProducer(" + ", ".join(kafka_python) + ")",
        "aiokafka": "\n".join(aio),
        "kcat": f"kcat -b {bootstrap} " + " ".join(kcat) + " -L",
    }
