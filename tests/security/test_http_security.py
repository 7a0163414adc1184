"""The HTTP services behind `kafkatui serve --security sasl_ssl`: HTTPS with the broker's
certificate and HTTP Basic authentication by the cluster's SASL users (Confluent's
`listeners=https://…`, `authentication.method=BASIC`), reached by httpx and by
confluent-kafka's SchemaRegistryClient (`basic.auth.user.info`); the services' own
clients (the REST Proxy's Kafka producer and its registry client) keep working."""

from __future__ import annotations

import json
import signal
import ssl
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, cli, data_dir
from tests.cli.test_serve_cli import start_serve

__all__ = ["cli", "data_dir"]  # fixtures, used below

httpx = pytest.importorskip("httpx")
schema_registry = pytest.importorskip("confluent_kafka.schema_registry")

AVRO = json.dumps({"type": "record", "name": "Greeting", "fields": [{"name": "text", "type": "string"}]})
UNAUTHORIZED = {"error_code": 401, "message": "Unauthorized"}


def _urls(lines: list[str]) -> dict[str, str]:
    """The services' URLs from serve's start-up lines ("schema registry: https://…")."""
    urls = {}
    for line in lines:
        name, sep, url = line.partition(": ")
        if sep and url.strip().startswith(("http://", "https://")):
            urls[name] = url.strip()
    return urls


def test_http_services_take_tls_and_basic_auth_with_the_sasl_users(cli: CliFn, data_dir: Path) -> None:
    cli("certs", "create").ok()
    cli("user", "add", "alice", "--password", "s3cret", opts=["--brokers", "1"]).ok()
    proc, _ = start_serve(
        data_dir, "--security", "sasl_ssl", "--port-base", "0", "--connect-port", "0", "--ksql-port", "0"
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("ksqlDB: "):  # the last service said
            lines.append(proc.stdout.readline())
            assert lines[-1], lines
        assert any(line.startswith("http services: HTTPS") and "Basic" in line for line in lines), lines
        urls = _urls(lines)
        registry, rest, connect = urls["schema registry"], urls["rest proxy"], urls["kafka connect"]
        ksql = urls["ksqlDB"]
        assert all(url.startswith("https://") for url in (registry, rest, connect, ksql)), urls
        ca = str(data_dir / "certs" / "ca.pem")
        with httpx.Client(verify=ssl.create_default_context(cafile=ca), timeout=30) as http:
            for url in (registry + "/subjects", rest + "/topics", connect + "/connectors", ksql + "/info"):
                for auth in (None, ("alice", "wrong"), ("mallory", "s3cret")):
                    answer = http.get(url, auth=auth)
                    assert answer.status_code == 401, (url, auth, answer.text)
                    assert answer.json() == UNAUTHORIZED
                    assert answer.headers["WWW-Authenticate"].lower().startswith("basic realm=")
                assert http.get(url, auth=("alice", "s3cret")).status_code == 200, url
            # A plain-HTTP client on the HTTPS port gets nothing served.
            with pytest.raises(httpx.HTTPError):
                httpx.get(registry.replace("https://", "http://") + "/subjects", timeout=10)

            client = schema_registry.SchemaRegistryClient(
                {"url": registry, "ssl.ca.location": ca, "basic.auth.user.info": "alice:s3cret"}
            )
            schema_id = client.register_schema("greetings-value", schema_registry.Schema(AVRO, "AVRO"))
            assert client.get_schema(schema_id).schema_str
            wrong = schema_registry.SchemaRegistryClient(
                {"url": registry, "ssl.ca.location": ca, "basic.auth.user.info": "alice:nope"}
            )
            with pytest.raises(schema_registry.error.SchemaRegistryError) as refused:
                wrong.get_subjects()
            assert refused.value.http_status_code == 401

            # The REST Proxy's producer (in-process, to the cluster) and its own client of
            # the secured registry: an Avro record by schema, answered with the registry's id.
            produced = http.post(
                rest + "/topics/greetings",
                auth=("alice", "s3cret"),
                headers={"Content-Type": "application/vnd.kafka.avro.v2+json"},
                json={"value_schema": AVRO, "records": [{"value": {"text": "olá"}}]},
            )
            assert produced.status_code == 200, produced.text
            assert produced.json()["value_schema_id"] == schema_id
            assert produced.json()["offsets"][0]["error_code"] is None
        # Not in the lock file: another kafkatui process is not sent to a service it
        # could not log in to.
        lock = data_dir / "kafkatui.lock"
        assert registry not in (lock.read_text() if lock.exists() else "")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


def test_password_checker_remembers_a_match_only_while_the_credential_stands() -> None:
    from kafkatui.wire.security.credentials import CredentialStore, PasswordChecker

    store = CredentialStore()
    store.add("alice", "s3cret")
    store.add("bob", "pw", mechanisms=("SCRAM-SHA-256",))  # no SCRAM-SHA-512: checked with SHA-256's
    check = PasswordChecker(store)
    assert check("alice", "s3cret") and check("alice", "s3cret")  # the second from the cache
    assert not check("alice", "S3cret") and not check("mallory", "s3cret")
    assert check("bob", "pw") and not check("bob", "")
    store.add("alice", "changed")
    assert not check("alice", "s3cret")  # the remembered match was against the old credential
    assert check("alice", "changed")
