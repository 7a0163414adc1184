"""`Authorizer.allowed_on_some` (Kafka's `authorizeByResourceType`, KIP-679): whether a
principal may do an operation on some resource of a type, as InitProducerId without a
transactional id asks of WRITE on topics. An ALLOW counts unless a DENY covers it."""

from __future__ import annotations

import pytest

from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.engine.metadata.authorizer import Authorizer, AuthorizerConfig

T = ResourceType.TOPIC
ALLOW, DENY = AclPermissionType.ALLOW, AclPermissionType.DENY
LIT, PRE = PatternType.LITERAL, PatternType.PREFIXED
WRITE = AclOperation.WRITE


def acl(name: str, pattern: PatternType, permission: AclPermissionType, principal: str = "User:alice",
        op: AclOperation = WRITE, host: str = "*") -> AclBinding:  # fmt: skip
    return AclBinding(ResourcePattern(T, name, pattern), AccessControlEntry(principal, host, op, permission))


@pytest.mark.parametrize(
    ("acls", "allowed"),
    [
        ([], False),
        ([acl("orders", LIT, ALLOW)], True),
        ([acl("orders", LIT, ALLOW, op=AclOperation.ALL)], True),
        ([acl("orders", LIT, ALLOW, op=AclOperation.READ)], False),  # READ does not imply WRITE
        ([acl("orders", LIT, ALLOW, principal="User:*")], True),
        ([acl("orders", LIT, ALLOW, principal="User:bob")], False),
        ([acl("orders", LIT, ALLOW, host="10.0.0.1")], False),  # from another host
        ([acl("orders", LIT, ALLOW), acl("orders", LIT, DENY)], False),
        ([acl("orders", LIT, ALLOW), acl("*", LIT, DENY)], False),
        ([acl("orders", LIT, ALLOW), acl("ord", PRE, DENY)], False),
        ([acl("orders", LIT, ALLOW), acl("pay", PRE, DENY)], True),
        ([acl("pay-", PRE, ALLOW), acl("pay-secret", LIT, DENY)], True),  # pay-other is still writable
        ([acl("pay-", PRE, ALLOW), acl("pay", PRE, DENY)], False),
        ([acl("orders", LIT, ALLOW), acl("orders", LIT, DENY), acl("pay-", PRE, ALLOW)], True),
        ([acl("orders", LIT, ALLOW), acl("*", LIT, DENY, principal="User:*")], False),
    ],
)
def test_allowed_on_some_topic(acls: list[AclBinding], allowed: bool) -> None:
    authorizer = Authorizer(acls=acls)
    assert authorizer.allowed_on_some("User:alice", "127.0.0.1", WRITE, T) is allowed
    assert authorizer.allowed_on_some("User:alice", "127.0.0.1", WRITE, ResourceType.GROUP) is False


def test_a_super_user_may_write_somewhere_without_any_acl() -> None:
    authorizer = Authorizer(AuthorizerConfig(super_users=frozenset({"User:admin"})))
    assert authorizer.allowed_on_some("User:admin", "127.0.0.1", WRITE, T)
    assert not authorizer.allowed_on_some("User:alice", "127.0.0.1", WRITE, T)


def test_allow_everyone_if_no_acl_found_counts_for_some_topic() -> None:
    open_cluster = Authorizer(AuthorizerConfig(allow_everyone_if_no_acl_found=True))
    assert open_cluster.allowed_on_some("User:alice", "127.0.0.1", WRITE, T)
    closed = Authorizer(AuthorizerConfig(allow_everyone_if_no_acl_found=True), [acl("*", LIT, DENY)])
    assert not closed.allowed_on_some("User:alice", "127.0.0.1", WRITE, T)
