"""DescribeAcls (key 29), CreateAcls (30), DeleteAcls (31): the ACLs in the metadata log
(KIP-801's AccessControlEntryRecords, `engine/controller/acls.py`) over the wire, so
confluent-kafka's and kafka-python's admin clients and `kafka-acls.sh` manage them.

As Kafka's `AclApis`: DescribeAcls needs DESCRIBE on the cluster, Create/DeleteAcls
ALTER (CLUSTER_AUTHORIZATION_FAILED); a broker without an authorizer answers
SECURITY_DISABLED, "No Authorizer is configured." — and still advertises the three
APIs in ApiVersions, as Kafka does (its ApiVersionManager lists them whatever
`authorizer.class.name` says), so a client learns why rather than "unsupported".
Versions 1–3 (kio carries no v0, which KIP-896 removes); librdkafka asks for v1,
kafka-python for v3.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from kafkatui.common.acl import (
    CLUSTER_NAME,
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
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

DESCRIBE_ACLS = 29
CREATE_ACLS = 30
DELETE_ACLS = 31
NO_AUTHORIZER = "No Authorizer is configured."


def _enum(kind: type, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return kind(0)  # UNKNOWN: refused below, as Kafka's fromCode gives UNKNOWN


def binding_of(c: Any) -> AclBinding:
    binding = AclBinding(
        ResourcePattern(
            _enum(ResourceType, c.resource_type),
            c.resource_name,
            _enum(PatternType, getattr(c, "resource_pattern_type", PatternType.LITERAL)),
        ),
        AccessControlEntry(
            c.principal, c.host, _enum(AclOperation, c.operation), _enum(AclPermissionType, c.permission_type)
        ),
    )
    # AclApis' own checks before the controller's validateNewAcl
    if binding.pattern.resource_type == ResourceType.CLUSTER and binding.pattern.name != CLUSTER_NAME:
        raise KafkaError(
            ErrorCode.INVALID_REQUEST, f"The only valid name for the CLUSTER resource is {CLUSTER_NAME}"
        )
    if not binding.pattern.name:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "Invalid empty resource name specified")
    return binding


def filter_of(f: Any) -> AclBindingFilter:
    filter_ = AclBindingFilter(
        _enum(ResourceType, f.resource_type_filter),
        f.resource_name_filter,
        _enum(PatternType, getattr(f, "pattern_type_filter", PatternType.LITERAL)),
        f.principal_filter,
        f.host_filter,
        _enum(AclOperation, f.operation),
        _enum(AclPermissionType, f.permission_type),
    )
    unknown = [
        kind
        for kind, value in (
            ("resource type", filter_.resource_type),
            ("pattern type", filter_.pattern_type),
            ("operation", filter_.operation),
            ("permission type", filter_.permission),
        )
        if value == 0
    ]
    if unknown:  # AclBindingFilter.findIndefiniteField
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"the filter has an unknown {unknown[0]}")
    return filter_


async def describe_acls(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_ACLS, ctx.version)
    resource_cls, acl_cls = nested(cls, "DescribeAclsResource"), nested(cls, "AclDescription")

    def failed(error: KafkaError) -> Any:
        return build(cls, throttle_time=0, error_code=error, error_message=error.message, resources=())

    if not auth.authorize_cluster(ctx, AclOperation.DESCRIBE):
        return failed(auth.denied(ResourceType.CLUSTER, AclOperation.DESCRIBE, CLUSTER_NAME))
    authorizer = auth.authorizer_of(ctx)
    if authorizer is None:
        return failed(KafkaError(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER))
    try:
        found = authorizer.acls(filter_of(request))
    except KafkaError as error:
        return failed(error)
    resources = tuple(
        build(
            resource_cls,
            resource_type=pattern.resource_type,
            resource_name=pattern.name,
            pattern_type=pattern.pattern_type,
            acls=tuple(
                build(
                    acl_cls,
                    principal=b.entry.principal,
                    host=b.entry.host,
                    operation=b.entry.operation,
                    permission_type=b.entry.permission,
                )
                for b in bindings
            ),
        )
        for pattern, bindings in groupby(found, key=lambda b: b.pattern)
    )
    return build(cls, throttle_time=0, error_code=ErrorCode.NONE, error_message=None, resources=resources)


async def create_acls(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(CREATE_ACLS, ctx.version)
    result_cls = nested(cls, "AclCreationResult")

    def answer(errors: list[KafkaError | None]) -> Any:
        results = tuple(
            build(result_cls, error_code=e or ErrorCode.NONE, error_message=e.message if e else None)
            for e in errors
        )
        return build(cls, throttle_time=0, results=results)

    creations = list(request.creations)
    refused = _refused(ctx, AclOperation.ALTER)
    if refused is not None:
        return answer([refused] * len(creations))
    errors: list[KafkaError | None] = [None] * len(creations)
    valid: list[tuple[int, AclBinding]] = []
    for i, creation in enumerate(creations):
        try:
            valid.append((i, binding_of(creation)))
        except KafkaError as error:
            errors[i] = error
    create = ctx.cluster.quorum.through_active(ctx.cluster.controller.acls.create_acls)
    try:
        outcomes = await create([b for _, b in valid])
    except KafkaError as error:  # NOT_CONTROLLER, or the metadata log's disk
        outcomes = [error] * len(valid)
    for (i, _), outcome in zip(valid, outcomes, strict=True):
        errors[i] = outcome
    return answer(errors)


async def delete_acls(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DELETE_ACLS, ctx.version)
    result_cls, matching_cls = nested(cls, "DeleteAclsFilterResult"), nested(cls, "DeleteAclsMatchingAcl")

    def result(error: KafkaError | None, deleted: tuple[AclBinding, ...] = ()) -> Any:
        return build(
            result_cls,
            error_code=error or ErrorCode.NONE,
            error_message=error.message if error else None,
            matching_acls=tuple(
                build(
                    matching_cls,
                    error_code=ErrorCode.NONE,
                    error_message=None,
                    resource_type=b.pattern.resource_type,
                    resource_name=b.pattern.name,
                    pattern_type=b.pattern.pattern_type,
                    principal=b.entry.principal,
                    host=b.entry.host,
                    operation=b.entry.operation,
                    permission_type=b.entry.permission,
                )
                for b in deleted
            ),
        )

    asked = list(request.filters)
    refused = _refused(ctx, AclOperation.ALTER)
    if refused is not None:
        return build(cls, throttle_time=0, filter_results=tuple(result(refused) for _ in asked))
    answers: list[Any] = [None] * len(asked)
    valid: list[tuple[int, AclBindingFilter]] = []
    for i, f in enumerate(asked):
        try:
            valid.append((i, filter_of(f)))
        except KafkaError as error:
            answers[i] = result(error)
    delete = ctx.cluster.quorum.through_active(ctx.cluster.controller.acls.delete_acls)
    try:
        deletions = await delete([f for _, f in valid])
        for (i, _), deletion in zip(valid, deletions, strict=True):
            answers[i] = result(deletion.error, deletion.deleted)
    except KafkaError as error:
        for i, _ in valid:
            answers[i] = result(error)
    return build(cls, throttle_time=0, filter_results=tuple(answers))


def _refused(ctx: RequestContext, operation: AclOperation) -> KafkaError | None:
    """Why Create/DeleteAcls cannot run: the cluster operation denied, or no authorizer."""
    if not auth.authorize_cluster(ctx, operation):
        return auth.denied(ResourceType.CLUSTER, operation, CLUSTER_NAME)
    if auth.authorizer_of(ctx) is None:
        return KafkaError(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER)
    return None


APIS = [
    Api(DESCRIBE_ACLS, "DescribeAcls", 1, 3, describe_acls),
    Api(CREATE_ACLS, "CreateAcls", 1, 3, create_acls),
    Api(DELETE_ACLS, "DeleteAcls", 1, 3, delete_acls),
]
