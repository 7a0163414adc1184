"""The authorizer's decisions: a principal × operation × resource matrix against what
Kafka's StandardAuthorizer answers, and properties that hold for any ACL set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.engine.metadata.authorizer import Authorizer, AuthorizerConfig, Why

T, G, C = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER
ALLOW, DENY = AclPermissionType.ALLOW, AclPermissionType.DENY
LIT, PRE = PatternType.LITERAL, PatternType.PREFIXED
Op = AclOperation


def acl(kind, name, pattern, principal, op, permission, host="*") -> AclBinding:
    return AclBinding(
        ResourcePattern(kind, name, pattern), AccessControlEntry(principal, host, op, permission)
    )


ACLS = [
    acl(T, "orders", LIT, "User:alice", Op.READ, ALLOW),
    acl(T, "orders", LIT, "User:bob", Op.ALL, ALLOW),
    acl(T, "orders", LIT, "User:bob", Op.DELETE, DENY),
    acl(T, "pay-", PRE, "User:carol", Op.WRITE, ALLOW),
    acl(T, "pay-secret", LIT, "User:carol", Op.ALL, DENY),
    acl(T, "*", LIT, "User:auditor", Op.DESCRIBE, ALLOW),
    acl(T, "public", LIT, "User:*", Op.READ, ALLOW),
    acl(T, "public", LIT, "User:mallory", Op.READ, DENY, host="10.0.0.66"),
    acl(G, "billing", LIT, "User:alice", Op.READ, ALLOW),
    acl(C, "kafka-cluster", LIT, "User:ops", Op.ALTER_CONFIGS, ALLOW),
    acl(C, "kafka-cluster", LIT, "User:ops", Op.IDEMPOTENT_WRITE, DENY),
]

HOST = "127.0.0.1"

# (principal, host, operation, resource type, name, allowed)
MATRIX = [
    ("User:alice", HOST, Op.READ, T, "orders", True),
    ("User:alice", HOST, Op.DESCRIBE, T, "orders", True),  # READ implies DESCRIBE
    ("User:alice", HOST, Op.WRITE, T, "orders", False),
    ("User:alice", HOST, Op.READ, T, "other", False),  # no ACL on it, allow.everyone false
    ("User:bob", HOST, Op.WRITE, T, "orders", True),  # ALL
    ("User:bob", HOST, Op.DELETE, T, "orders", False),  # DENY beats ALLOW ALL
    ("User:bob", HOST, Op.DESCRIBE, T, "orders", True),  # a DENY DELETE implies nothing
    ("User:carol", HOST, Op.WRITE, T, "pay-eu", True),  # PREFIXED
    ("User:carol", HOST, Op.DESCRIBE, T, "pay-eu", True),  # WRITE implies DESCRIBE
    ("User:carol", HOST, Op.READ, T, "pay-eu", False),
    ("User:carol", HOST, Op.WRITE, T, "pay-secret", False),  # DENY ALL on the literal
    ("User:carol", HOST, Op.WRITE, T, "pa", False),  # the prefix is longer than the name
    ("User:auditor", HOST, Op.DESCRIBE, T, "anything", True),  # wildcard resource
    ("User:auditor", HOST, Op.READ, T, "orders", False),
    ("User:anyone", HOST, Op.READ, T, "public", True),  # wildcard principal
    ("User:mallory", HOST, Op.READ, T, "public", True),  # the DENY is for another host
    ("User:mallory", "10.0.0.66", Op.READ, T, "public", False),
    ("User:alice", HOST, Op.READ, G, "billing", True),
    ("User:alice", HOST, Op.READ, T, "billing", False),  # a group ACL says nothing of a topic
    ("User:ops", HOST, Op.DESCRIBE_CONFIGS, C, "kafka-cluster", True),  # ALTER_CONFIGS implies it
    ("User:ops", HOST, Op.ALTER, C, "kafka-cluster", False),
    ("User:ops", HOST, Op.IDEMPOTENT_WRITE, C, "kafka-cluster", False),
    ("User:admin", HOST, Op.DELETE, T, "orders", True),  # super user
    ("User:admin", HOST, Op.ALTER, C, "kafka-cluster", True),
]


@pytest.mark.parametrize(("principal", "host", "operation", "kind", "name", "allowed"), MATRIX)
def test_matrix(principal, host, operation, kind, name, allowed) -> None:
    authorizer = Authorizer(AuthorizerConfig(super_users=frozenset({"User:admin"})), ACLS)
    decision = authorizer.authorize(principal, host, operation, kind, name)
    assert decision.allowed is allowed, decision.describe()


def test_decision_names_the_rule() -> None:
    authorizer = Authorizer(AuthorizerConfig(super_users=frozenset({"User:admin"})), ACLS)
    deny = authorizer.authorize("User:bob", HOST, Op.DELETE, T, "orders")
    assert deny.why is Why.DENY_ACL
    assert deny.acl == acl(T, "orders", LIT, "User:bob", Op.DELETE, DENY)
    allow = authorizer.authorize("User:carol", HOST, Op.WRITE, T, "pay-eu")
    assert allow.why is Why.ALLOW_ACL and allow.acl == acl(T, "pay-", PRE, "User:carol", Op.WRITE, ALLOW)
    assert authorizer.authorize("User:admin", HOST, Op.READ, T, "x").why is Why.SUPER_USER
    assert authorizer.authorize("User:x", HOST, Op.READ, T, "x").why is Why.NO_MATCHING_ACL


def test_allow_everyone_if_no_acl_found_only_where_no_acl_exists() -> None:
    authorizer = Authorizer(
        AuthorizerConfig.from_properties({"allow.everyone.if.no.acl.found": "true"}), ACLS
    )
    assert authorizer.authorize("User:x", HOST, Op.READ, G, "unguarded").why is Why.NO_ACL_ALLOW_EVERYONE
    # the auditor's LITERAL `*` topic ACL is an ACL on every topic, as in Kafka
    assert not authorizer.allowed("User:x", HOST, Op.WRITE, T, "unguarded")
    # "orders" has ACLs (for others): a principal none of them names is refused
    assert not authorizer.allowed("User:x", HOST, Op.WRITE, T, "orders")


def test_super_users_property_parsing() -> None:
    config = AuthorizerConfig.from_properties({"super.users": "User:admin; User:ops"})
    assert config.super_users == {"User:admin", "User:ops"}
    assert not config.allow_everyone_if_no_acl_found  # Kafka's default


def test_filters_select_like_describe_acls() -> None:
    authorizer = Authorizer(acls=ACLS)
    assert len(authorizer.acls(AclBindingFilter(principal="User:carol"))) == 2
    matching = authorizer.acls(AclBindingFilter(ResourceType.TOPIC, "pay-eu", PatternType.MATCH))
    assert [b.pattern.name for b in matching] == ["*", "pay-"]
    assert authorizer.acls(AclBindingFilter(ResourceType.TOPIC, "pay-", PatternType.LITERAL)) == []
    assert len(authorizer.acls(AclBindingFilter(ResourceType.TOPIC, "pay-", PatternType.PREFIXED))) == 1


PRINCIPALS = st.sampled_from(["User:alice", "User:bob", "User:*"])
NAMES = st.sampled_from(["a", "ab", "abc", "b", "*"])
bindings = st.builds(
    acl,
    st.sampled_from([T, G]),
    NAMES,
    st.sampled_from([LIT, PRE]),
    PRINCIPALS,
    st.sampled_from([Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALL, Op.DELETE]),
    st.sampled_from([ALLOW, DENY]),
    st.sampled_from(["*", HOST]),
)
requests = st.tuples(
    st.sampled_from(["User:alice", "User:bob", "User:carol"]),
    st.sampled_from([HOST, "10.0.0.1"]),
    st.sampled_from([Op.READ, Op.WRITE, Op.DESCRIBE, Op.DELETE]),
    st.sampled_from([T, G]),
    st.sampled_from(["a", "ab", "abc", "b", "c"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(bindings, max_size=12), st.randoms(use_true_random=False), requests, st.booleans())
def test_decision_does_not_depend_on_insertion_order(acls, rng, request, allow_everyone) -> None:
    config = AuthorizerConfig(allow_everyone_if_no_acl_found=allow_everyone)
    shuffled = list(acls)
    rng.shuffle(shuffled)
    one, other = Authorizer(config), Authorizer(config)
    for binding in acls:
        one.add(binding)
    for binding in shuffled:
        other.add(binding)
    assert one.authorize(*request) == other.authorize(*request)


@settings(max_examples=200, deadline=None)
@given(st.lists(bindings, max_size=12), requests)
def test_a_deny_added_for_the_request_always_wins(acls, request) -> None:
    principal, host, operation, kind, name = request
    authorizer = Authorizer(acls=acls)
    authorizer.add(acl(kind, name, LIT, principal, operation, DENY, host))
    assert authorizer.authorize(*request).why is Why.DENY_ACL
