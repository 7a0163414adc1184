"""ACLs are metadata records: created, deleted, and kept across a restart."""

from __future__ import annotations

from pathlib import Path

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
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.metadata.authorizer import Authorizer, AuthorizerConfig


def read_acl(topic: str, principal: str) -> AclBinding:
    return AclBinding(
        ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
        AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW),
    )


async def test_acls_survive_restart_and_deletes_stay_deleted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    alice, bob = read_acl("orders", "User:alice"), read_acl("orders", "User:bob")
    async with await Cluster.open(data, brokers=1, clock=ManualClock(), seed=1) as cluster:
        acls = cluster.controller.acls
        live = Authorizer.over(AuthorizerConfig(), cluster.controller.image.acl_bindings)
        assert await acls.create_acls([alice, bob, alice]) == [None, None, None]
        assert live.allowed("User:bob", "127.0.0.1", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders")
        offset = cluster.controller.image.offset
        assert await acls.create_acls([alice]) == [None]  # already there: no new record
        assert cluster.controller.image.offset == offset
        deleted = await acls.delete_acls([AclBindingFilter(principal="User:bob")])
        assert deleted[0].deleted == (bob,)
        assert not live.allowed("User:bob", "127.0.0.1", AclOperation.READ, ResourceType.TOPIC, "orders")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        image = cluster.controller.image
        assert image.acl_bindings == {alice}
        authorizer = Authorizer(acls=image.acl_bindings)
        assert authorizer.allowed("User:alice", "127.0.0.1", AclOperation.READ, ResourceType.TOPIC, "orders")
        assert not authorizer.allowed(
            "User:bob", "127.0.0.1", AclOperation.READ, ResourceType.TOPIC, "orders"
        )


async def test_invalid_bindings_get_invalid_request() -> None:
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=1) as cluster:
        bad_principal = read_acl("orders", "alice")
        any_type = AclBinding(
            ResourcePattern(ResourceType.ANY, "orders", PatternType.LITERAL), read_acl("x", "User:a").entry
        )
        results = await cluster.controller.acls.create_acls([bad_principal, any_type])
        assert [r.code if r else None for r in results] == [ErrorCode.INVALID_REQUEST] * 2
        assert cluster.controller.image.acl_bindings == set()
