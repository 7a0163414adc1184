"""The security lesson's steps complete on the cluster's real ACLs, in order, and only
once the ACL that makes each one true exists."""

from __future__ import annotations

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
from kafkatui.course.model import load_lessons
from kafkatui.course.session import LessonRun, build_starting_cluster
from kafkatui.engine.cluster import Cluster


def acl(
    principal: str, operation: AclOperation, name: str, pattern: PatternType, permission: AclPermissionType
) -> AclBinding:
    return AclBinding(
        ResourcePattern(ResourceType.TOPIC, name, pattern),
        AccessControlEntry(principal, "*", operation, permission),
    )


async def test_the_security_lesson_follows_the_acls() -> None:
    lesson = next(lesson for lesson in load_lessons() if lesson.id == "security")
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3) as cluster:
        backend = EmbeddedBackend(cluster)
        await build_starting_cluster(backend, lesson.cluster)
        run = LessonRun(backend, lesson)
        assert not (await run.evaluate()).completed
        wrong = acl("User:alice", AclOperation.WRITE, "orders", PatternType.LITERAL, AclPermissionType.ALLOW)
        await backend.create_acls([wrong])
        assert not (await run.evaluate()).completed  # WRITE is not READ
        read = acl("User:alice", AclOperation.READ, "orders", PatternType.LITERAL, AclPermissionType.ALLOW)
        await backend.create_acls([read])
        assert (await run.evaluate()).completed and run.step.id == "prefixed"
        literal = acl(
            "User:bob", AclOperation.WRITE, "sales-eu", PatternType.LITERAL, AclPermissionType.ALLOW
        )
        await backend.create_acls([literal])
        assert not (await run.evaluate()).completed  # allowed, but not by a PREFIXED ACL
        prefixed = acl(
            "User:bob", AclOperation.WRITE, "sales-", PatternType.PREFIXED, AclPermissionType.ALLOW
        )
        await backend.create_acls([prefixed])
        assert (await run.evaluate()).completed and run.step.id == "deny-wins"
        deny = acl("User:alice", AclOperation.READ, "orders", PatternType.LITERAL, AclPermissionType.DENY)
        await backend.create_acls([deny])
        assert (await run.evaluate()).lesson_done
        run.close()


async def test_taking_the_lesson_again_removes_the_acls_it_had_the_learner_add() -> None:
    lesson = next(lesson for lesson in load_lessons() if lesson.id == "security")
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3) as cluster:
        backend = EmbeddedBackend(cluster)
        run = LessonRun(backend, lesson)
        await run.reset()
        asked = [
            acl("User:alice", AclOperation.READ, "orders", PatternType.LITERAL, AclPermissionType.ALLOW),
            acl("User:bob", AclOperation.WRITE, "sales-", PatternType.PREFIXED, AclPermissionType.ALLOW),
            acl("User:alice", AclOperation.READ, "orders", PatternType.LITERAL, AclPermissionType.DENY),
        ]
        own = [  # the learner's own: near the lesson's, but not what a step asked for
            acl("User:carol", AclOperation.READ, "orders", PatternType.LITERAL, AclPermissionType.ALLOW),
            acl("User:bob", AclOperation.WRITE, "sales-eu", PatternType.LITERAL, AclPermissionType.ALLOW),
            acl("User:alice", AclOperation.WRITE, "orders", PatternType.LITERAL, AclPermissionType.DENY),
        ]
        await backend.create_acls(own)
        for binding in asked:  # step by step, as the lesson asks
            await backend.create_acls([binding])
            assert (await run.evaluate()).completed
        assert run.done
        await run.reset()
        assert await backend.describe_acls(AclBindingFilter()) == sorted(own)
        assert run.step.id == "allow-read" and not (await run.evaluate()).completed
        run.close()
