"""`kafkatui acl add|list|remove` on both backends: the data dir's own metadata log (each
command opens the cluster again, so what one adds the next finds after a restart), a
served cluster over the wire (confluent-kafka's AdminClient), one without an authorizer
(SECURITY_DISABLED), and `kafkatui serve --authorizer` enforcing them."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from tests.cli.conftest import CliFn, Run, cli, data_dir
from tests.cli.test_serve_cli import start_serve
from tests.wire.conftest import ServedCluster

__all__ = ["cli", "data_dir"]  # fixtures, used below

ALICE_READS = ("--allow-principal", "User:alice", "--operation", "Read", "--topic", "orders")


def rows(run: Run) -> list[tuple[str, str, str, str, str, str, str]]:
    return [
        (a["resource_type"], a["name"], a["pattern_type"], a["principal"], a["host"], a["operation"],
         a["permission_type"])
        for a in run.json()
    ]  # fmt: skip


def test_acls_kept_in_the_data_dir_across_restarts(cli: CliFn) -> None:
    added = cli("acl", "add", *ALICE_READS, opts=["--brokers", "1"]).ok()  # one broker: quicker to open
    assert (
        "Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`"
        in (added.stdout)
    )
    cli("acl", "add", "--deny-principal", "User:mallory", "--host", "10.0.0.9", "--topic", "ord",
        "--resource-pattern-type", "prefixed").ok()  # fmt: skip
    cli(
        "acl", "add", "--allow-principal", "User:bob", "--consumer", "--topic", "orders", "--group", "billing"
    ).ok()
    assert rows(cli("acl", "list", "--json").ok()) == [
        ("TOPIC", "ord", "PREFIXED", "User:mallory", "10.0.0.9", "ALL", "DENY"),
        ("TOPIC", "orders", "LITERAL", "User:alice", "*", "READ", "ALLOW"),
        ("TOPIC", "orders", "LITERAL", "User:bob", "*", "READ", "ALLOW"),
        ("TOPIC", "orders", "LITERAL", "User:bob", "*", "DESCRIBE", "ALLOW"),
        ("GROUP", "billing", "LITERAL", "User:bob", "*", "READ", "ALLOW"),
    ]
    # literal: the ACLs on `orders` itself; match: every one that applies to it
    assert len(rows(cli("acl", "list", "--topic", "orders", "--json").ok())) == 3
    matching = rows(
        cli("acl", "list", "--topic", "orders", "--resource-pattern-type", "match", "--json").ok()
    )
    assert len(matching) == 4
    removed = cli("acl", "remove", "--allow-principal", "User:bob", "--topic", "orders", "--json").ok()
    assert [r[5] for r in rows(removed)] == ["READ", "DESCRIBE"]
    assert [r[3] for r in rows(cli("acl", "list", "--principal", "User:bob", "--json").ok())] == ["User:bob"]
    cli("acl", "remove", "--topic", "ord", "--resource-pattern-type", "prefixed").ok()
    assert [
        r[1] for r in rows(cli("acl", "list", "--topic", "*", "--resource-pattern-type", "any", "--json"))
    ] == []


def test_acl_mistakes_are_one_line_errors(cli: CliFn) -> None:
    cli("acl", "add", "--operation", "Read", "--topic", "t").assert_usage_error("--allow-principal")
    cli("acl", "add", "--allow-principal", "alice", "--topic", "t").assert_usage_error("User:alice")
    cli("acl", "add", "--allow-principal", "User:a").assert_usage_error("--topic")
    cli("acl", "add", "--allow-principal", "User:a", "--operation", "Write", "--group", "g").assert_error(
        "INVALID_REQUEST", "ResourceType GROUP only supports operations"
    )
    cli(
        "acl", "add", "--allow-principal", "User:a", "--topic", "t", "--resource-pattern-type", "match"
    ).assert_usage_error("literal or prefixed")
    cli("acl", "add", "--allow-principal", "User:a", "--consumer", "--topic", "t").assert_usage_error(
        "--group"
    )


@pytest.fixture(scope="module")
def authorizing() -> Iterator[ServedCluster]:
    served = ServedCluster(brokers=1)
    served.server.authorizer = AuthorizerConfig(super_users=frozenset({"User:ANONYMOUS"}))
    try:
        yield served
    finally:
        served.close()


def test_acls_over_the_wire(authorizing: ServedCluster, cli: CliFn) -> None:
    def remote(*args: str) -> Run:
        return cli(*args, opts=["--bootstrap-server", authorizing.bootstrap], data_dir=None)

    remote("acl", "add", "--allow-principal", "User:carol", "--producer", "--topic", "events",
           "--transactional-id", "loader").ok()  # fmt: skip
    assert rows(remote("acl", "list", "--principal", "User:carol", "--json").ok()) == [
        ("TOPIC", "events", "LITERAL", "User:carol", "*", "WRITE", "ALLOW"),
        ("TOPIC", "events", "LITERAL", "User:carol", "*", "CREATE", "ALLOW"),
        ("TOPIC", "events", "LITERAL", "User:carol", "*", "DESCRIBE", "ALLOW"),
        ("TRANSACTIONAL_ID", "loader", "LITERAL", "User:carol", "*", "WRITE", "ALLOW"),
        ("TRANSACTIONAL_ID", "loader", "LITERAL", "User:carol", "*", "DESCRIBE", "ALLOW"),
    ]
    assert len(authorizing.cluster.metadata.acl_bindings) == 5
    removed = remote("acl", "remove", "--transactional-id", "loader", "--json").ok()
    assert len(rows(removed)) == 2
    assert len(authorizing.cluster.metadata.acl_bindings) == 3


def test_a_broker_without_an_authorizer_says_security_disabled(served: ServedCluster, cli: CliFn) -> None:
    run = cli("acl", "list", opts=["--bootstrap-server", served.bootstrap], data_dir=None)
    run.assert_error("SECURITY_DISABLED", "No Authorizer is configured")


@pytest.fixture
def served() -> Iterator[ServedCluster]:
    s = ServedCluster(brokers=1)
    try:
        yield s
    finally:
        s.close()


def test_serve_with_the_authorizer_enforces_the_data_dirs_acls(data_dir: Path, cli: CliFn) -> None:
    one_broker = ["--brokers", "1"]
    cli("acl", "add", "--allow-principal", "User:ANONYMOUS", "--operation", "Describe", "--cluster",
        opts=one_broker).ok()  # fmt: skip
    cli("acl", "add", *ALICE_READS).ok()
    proc, bootstrap = start_serve(
        data_dir, "--port-base", "0", "--authorizer", "--super-users", "User:admin;User:bob",
        "--no-schema-registry", "--no-rest-proxy",
    )  # fmt: skip

    def remote(*args: str) -> Run:
        return cli(*args, opts=["--bootstrap-server", bootstrap], data_dir=None)

    try:
        assert proc.stdout is not None
        said = proc.stdout.readline()  # the line after the bootstrap servers (a PLAINTEXT listener)
        assert said == (
            "authorizer: StandardAuthorizer, super.users=User:admin;User:bob, "
            "allow.everyone.if.no.acl.found=false\n"
        )
        # a PLAINTEXT client is User:ANONYMOUS: DESCRIBE on the cluster, not ALTER
        assert [r[3] for r in rows(remote("acl", "list", "--json").ok())] == ["User:alice", "User:ANONYMOUS"]
        remote("acl", "add", *ALICE_READS).assert_error("CLUSTER_AUTHORIZATION_FAILED")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
