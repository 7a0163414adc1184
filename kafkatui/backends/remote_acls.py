"""CreateAcls, DescribeAcls and DeleteAcls through confluent-kafka's `AdminClient`, for
RemoteBackend, in `common/acl.py`'s types. librdkafka's enums carry Kafka's wire codes
(its `ResourceType.BROKER`, 4, is Kafka's CLUSTER), so values convert by number."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import admin as ck

from kafkatui.backends.confluent import result
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
from kafkatui.common.errors import ErrorCode, KafkaError

TIMEOUT_S = 10.0


def _ck_binding(b: AclBinding) -> ck.AclBinding:
    p, e = b.pattern, b.entry
    return ck.AclBinding(
        ck.ResourceType(int(p.resource_type)), p.name, ck.ResourcePatternType(int(p.pattern_type)),
        e.principal, e.host, ck.AclOperation(int(e.operation)), ck.AclPermissionType(int(e.permission)),
    )  # fmt: skip


def _ck_filter(f: AclBindingFilter) -> ck.AclBindingFilter:
    return ck.AclBindingFilter(
        ck.ResourceType(int(f.resource_type)), f.name, ck.ResourcePatternType(int(f.pattern_type)),
        f.principal, f.host, ck.AclOperation(int(f.operation)), ck.AclPermissionType(int(f.permission)),
    )  # fmt: skip


def _binding(b: ck.AclBinding) -> AclBinding:
    return AclBinding(
        ResourcePattern(ResourceType(b.restype.value), b.name, PatternType(b.resource_pattern_type.value)),
        AccessControlEntry(
            b.principal, b.host, AclOperation(b.operation.value), AclPermissionType(b.permission_type.value)
        ),
    )


def _supported(kinds: Sequence[ResourceType]) -> None:
    for kind in kinds:
        if int(kind) not in {t.value for t in ck.ResourceType}:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"confluent-kafka cannot name {kind.name} resources")


async def create_acls(admin: ck.AdminClient, bindings: Sequence[AclBinding]) -> list[KafkaError | None]:
    _supported([b.pattern.resource_type for b in bindings])
    futures = admin.create_acls([_ck_binding(b) for b in bindings], request_timeout=TIMEOUT_S)
    outcomes: list[KafkaError | None] = []
    for future in futures.values():
        try:
            await result(future)
            outcomes.append(None)
        except KafkaError as error:
            outcomes.append(error)
    return outcomes


async def describe_acls(admin: ck.AdminClient, filter_: AclBindingFilter) -> list[AclBinding]:
    _supported([filter_.resource_type])
    found = await result(admin.describe_acls(_ck_filter(filter_), request_timeout=TIMEOUT_S))
    return sorted(_binding(b) for b in found)


async def delete_acls(admin: ck.AdminClient, filters: Sequence[AclBindingFilter]) -> list[list[AclBinding]]:
    _supported([f.resource_type for f in filters])
    futures = admin.delete_acls([_ck_filter(f) for f in filters], request_timeout=TIMEOUT_S)
    return [sorted(_binding(b) for b in await result(future)) for future in futures.values()]
