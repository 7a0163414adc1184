"""ACL changes are events on the cluster's bus: the controller publishes AclsCreated and
AclsDeleted with the bindings once CreateAcls / DeleteAcls commit, from the embedded
backend and from the wire alike (both go through the same controller)."""

from __future__ import annotations

from confluent_kafka.admin import (
    AclBinding as CkAclBinding,
)
from confluent_kafka.admin import (
    AclOperation as CkAclOperation,
)
from confluent_kafka.admin import (
    AclPermissionType as CkAclPermissionType,
)
from confluent_kafka.admin import (
    AdminClient,
)
from confluent_kafka.admin import (
    ResourcePatternType as CkPatternType,
)
from confluent_kafka.admin import (
    ResourceType as CkResourceType,
)

from kafkatui.backends.embedded import EmbeddedBackend
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
from kafkatui.common.events import AclsCreated, AclsDeleted, Event
from kafkatui.course.model import load_lessons
from kafkatui.course.session import LessonRun, build_starting_cluster
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from tests.wire.conftest import ServedCluster


def acl(principal: str, operation: AclOperation, name: str, pattern: PatternType = PatternType.LITERAL,
        permission: AclPermissionType = AclPermissionType.ALLOW) -> AclBinding:  # fmt: skip
    return AclBinding(
        ResourcePattern(ResourceType.TOPIC, name, pattern),
        AccessControlEntry(principal, "*", operation, permission),
    )


READ = acl("User:alice", AclOperation.READ, "orders")
WRITE = acl("User:bob", AclOperation.WRITE, "sales-", PatternType.PREFIXED)


async def test_created_and_deleted_acls_are_published_once_with_their_bindings() -> None:
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3) as cluster:
        backend = EmbeddedBackend(cluster)
        seen: list[Event] = []
        cluster.bus.listen(lambda e: seen.append(e) if isinstance(e, AclsCreated | AclsDeleted) else None)
        assert await backend.create_acls([READ, WRITE, READ]) == [None, None, None]
        assert [type(e) for e in seen] == [AclsCreated]
        assert seen[0].bindings == (READ, WRITE)  # type: ignore[attr-defined]
        await backend.create_acls([READ])  # already there: no record, no event
        assert len(seen) == 1
        await backend.delete_acls([AclBindingFilter(principal="User:alice"), AclBindingFilter()])
        assert [type(e) for e in seen] == [AclsCreated, AclsDeleted]
        assert seen[1].bindings == tuple(sorted((READ, WRITE)))  # type: ignore[attr-defined]
        await backend.delete_acls([AclBindingFilter()])  # nothing left to remove
        assert len(seen) == 2


def test_acls_created_over_the_wire_are_published() -> None:
    served = ServedCluster(brokers=1)
    try:
        # CreateAcls needs an authorizer (else SECURITY_DISABLED) and ALTER on the cluster:
        # PLAINTEXT's principal is User:ANONYMOUS, made a super user here.
        served.server.authorizer = AuthorizerConfig(super_users=frozenset({"User:ANONYMOUS"}))
        seen: list[Event] = []
        served.cluster.bus.listen(lambda e: seen.append(e) if isinstance(e, AclsCreated) else None)
        admin = AdminClient({"bootstrap.servers": served.bootstrap})
        binding = CkAclBinding(
            CkResourceType.TOPIC, "orders", CkPatternType.LITERAL, "User:alice", "*",
            CkAclOperation.READ, CkAclPermissionType.ALLOW,
        )  # fmt: skip
        for future in admin.create_acls([binding], request_timeout=15).values():
            future.result()
        assert [e.bindings for e in seen] == [(READ,)]  # type: ignore[attr-defined]
    finally:
        served.close()


async def test_an_acl_that_cannot_answer_the_step_brings_up_its_hint() -> None:
    lesson = next(lesson for lesson in load_lessons() if lesson.id == "security")
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3) as cluster:
        backend = EmbeddedBackend(cluster)
        await build_starting_cluster(backend, lesson.cluster)
        run = LessonRun(backend, lesson)
        await backend.create_acls([READ])
        assert (await run.evaluate()).completed and run.step.id == "prefixed"
        await backend.create_acls([acl("User:carol", AclOperation.WRITE, "sales-", PatternType.PREFIXED)])
        assert not run.hinted  # another principal: not the step's business
        await backend.create_acls([acl("User:bob", AclOperation.WRITE, "sales-")])  # LITERAL
        assert run.hinted
        await backend.create_acls([WRITE])
        assert (await run.evaluate()).completed and run.step.id == "deny-wins"
        assert not run.hinted
        await backend.create_acls(
            [acl("User:alice", AclOperation.WRITE, "orders", permission=AclPermissionType.DENY)]
        )
        assert run.hinted  # a DENY, but of WRITE: READ stays allowed
        run.close()
