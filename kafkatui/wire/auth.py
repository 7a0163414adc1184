"""Kafka's `AuthHelper`: the one place a handler asks whether its request's principal may
do an operation on a resource. Every handler calls these with its `RequestContext`;
none reads the ACLs itself.

With no authorizer configured (`authorizer.class.name` unset, the server's
`authorizer` None) everything is allowed, as in Kafka. Otherwise the decision is the
StandardAuthorizer's (`engine/metadata/authorizer.py`) over the ACLs in the metadata
image at the moment of the request, for the connection's principal and client IP.
A denial is logged at debug like Kafka's `kafka.authorizer.logger`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from kafkatui.common.acl import CLUSTER_NAME, AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.metadata.authorizer import Authorizer
from kafkatui.wire.api import RequestContext

log = logging.getLogger("kafkatui.authorizer")
T = TypeVar("T")

# The error each resource type's denial answers with (Kafka's AuthorizationException subclasses).
DENIED: dict[ResourceType, ErrorCode] = {
    ResourceType.TOPIC: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    ResourceType.GROUP: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    ResourceType.CLUSTER: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    ResourceType.TRANSACTIONAL_ID: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    ResourceType.DELEGATION_TOKEN: ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED,
}


def authorizer_of(ctx: RequestContext) -> Authorizer | None:
    """The server's authorizer over the cluster's live ACL set, or None without one."""
    config = ctx.server.authorizer
    if config is None:
        return None
    return Authorizer.over(config, ctx.cluster.metadata.acl_bindings)


def client_ip(ctx: RequestContext) -> str:
    # The ACL host is the client's IP address (RequestContext.clientAddress.getHostAddress).
    return ctx.client_host.lstrip("/")


def authorize(ctx: RequestContext, operation: AclOperation, resource_type: ResourceType, name: str) -> bool:
    authorizer = authorizer_of(ctx)
    if authorizer is None:
        return True
    decision = authorizer.authorize(ctx.principal, client_ip(ctx), operation, resource_type, name)
    if not decision.allowed:
        log.debug(
            "Principal = %s is Denied operation = %s from host = %s on resource = %s:LITERAL:%s "
            "for request = %s (%s)",
            ctx.principal, operation.name, client_ip(ctx), resource_type.name, name,
            ctx.server.apis[ctx.request.api_key].name, decision.describe(),
        )  # fmt: skip
    return decision.allowed


def authorize_cluster(ctx: RequestContext, operation: AclOperation) -> bool:
    return authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME)


def denied(resource_type: ResourceType, operation: AclOperation, name: str) -> KafkaError:
    """The error a denied request gets (Kafka's messages name the resource)."""
    what = {
        ResourceType.TOPIC: f"Not authorized to access topics: [{name}]",
        ResourceType.GROUP: f"Not authorized to access group: {name}",
        ResourceType.TRANSACTIONAL_ID: f"Transactional Id authorization failed: {name}",
    }.get(resource_type, f"Cluster authorization failed ({operation.name} on the cluster)")
    return KafkaError(DENIED[resource_type], what)


def check(ctx: RequestContext, operation: AclOperation, resource_type: ResourceType, name: str) -> None:
    """Raise the resource type's AUTHORIZATION_FAILED unless allowed."""
    if not authorize(ctx, operation, resource_type, name):
        raise denied(resource_type, operation, name)


def check_cluster(ctx: RequestContext, operation: AclOperation) -> None:
    check(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME)


def check_topic(ctx: RequestContext, operation: AclOperation, topic: str) -> None:
    check(ctx, operation, ResourceType.TOPIC, topic)


def check_group(ctx: RequestContext, operation: AclOperation, group_id: str) -> None:
    check(ctx, operation, ResourceType.GROUP, group_id)


def check_transactional_id(ctx: RequestContext, operation: AclOperation, transactional_id: str) -> None:
    check(ctx, operation, ResourceType.TRANSACTIONAL_ID, transactional_id)


def filter_authorized(
    ctx: RequestContext,
    operation: AclOperation,
    resource_type: ResourceType,
    items: Iterable[T],
    name: Callable[[T], str],
) -> set[str]:
    """The names among `items` the principal may operate on (`filterByAuthorized`:
    each distinct name decided once)."""
    names = {name(item) for item in items}
    return {n for n in names if authorize(ctx, operation, resource_type, n)}


def authorize_on_some(ctx: RequestContext, operation: AclOperation, resource_type: ResourceType) -> bool:
    """Whether some resource of the type is allowed (`authorizeByResourceType`)."""
    authorizer = authorizer_of(ctx)
    if authorizer is None:
        return True
    return authorizer.allowed_on_some(ctx.principal, client_ip(ctx), operation, resource_type)
