"""CreateAcls and DeleteAcls through confluent-kafka's `AdminClient`, for RemoteBackend,
in `common/acl.py`'s types. librdkafka's enums carry Kafka's wire codes (its
`ResourceType.BROKER`, 4, is Kafka's CLUSTER), so values convert by number.

DescribeAcls is sent here over a plain connection with `kio` instead: librdkafka
(confluent-kafka 2.16) drops DescribeAclsResponse's top-level error, so a broker without
an authorizer (SECURITY_DISABLED) or a principal without DESCRIBE on the cluster would
look like a cluster without ACLs. PLAINTEXT only, as the RemoteBackend's own clients."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import admin as ck
from kio.static.primitive import i8

from kafkatui.backends.confluent import result
from kafkatui.backends.kio_frames import ask
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
DESCRIBE_ACLS = (29, 1)
CLIENT_ID = "kafkatui-acls"


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


async def describe_acls(bootstrap: str, filter_: AclBindingFilter) -> list[AclBinding]:
    f = filter_
    answer = await ask(
        bootstrap.split(",")[0].strip(), DESCRIBE_ACLS, CLIENT_ID, TIMEOUT_S,
        resource_type_filter=i8(f.resource_type), resource_name_filter=f.name,
        pattern_type_filter=i8(f.pattern_type), principal_filter=f.principal, host_filter=f.host,
        operation=i8(f.operation), permission_type=i8(f.permission),
    )  # fmt: skip
    if int(answer.error_code) != 0:
        code = ErrorCode(int(answer.error_code))
        raise KafkaError(code, answer.error_message or code.description)
    return sorted(
        AclBinding(
            ResourcePattern(ResourceType(r.resource_type), r.resource_name, PatternType(r.pattern_type)),
            AccessControlEntry(
                a.principal, a.host, AclOperation(a.operation), AclPermissionType(a.permission_type)
            ),
        )
        for r in answer.resources
        for a in r.acls
    )


async def delete_acls(admin: ck.AdminClient, filters: Sequence[AclBindingFilter]) -> list[list[AclBinding]]:
    _supported([f.resource_type for f in filters])
    futures = admin.delete_acls([_ck_filter(f) for f in filters], request_timeout=TIMEOUT_S)
    return [sorted(_binding(b) for b in await result(future)) for future in futures.values()]
