"""An ACL authorizer in the shape of Kafka's StandardAuthorizer (KIP-801,
`org.apache.kafka.metadata.authorizer`): the ACLs live in the metadata image, and a
decision is a pure function of them, the principal, the client's host, the operation
and the resource.

Rules, as StandardAuthorizerData applies them:
- a principal in `super.users` may do anything;
- an ACL applies when its pattern covers the resource (LITERAL name, LITERAL `*`, or a
  PREFIXED prefix), its principal is the caller's or `User:*`, its host the caller's or
  `*`, and its operation the one asked, ALL, or (for ALLOW only) one implying it;
- any applying DENY decides; else any applying ALLOW;
- with no ACL at all on the resource, `allow.everyone.if.no.acl.found` (default false);
- else denied.
The decision names the rule that decided, so the Security panel's checker can show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from kafkatui.common.acl import (
    IMPLIED_BY,
    WILDCARD_HOST,
    WILDCARD_PRINCIPAL,
    WILDCARD_RESOURCE,
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourceType,
    parse_super_users,
)

# `authorizer.class.name` values that turn this authorizer on (KRaft's and ZooKeeper's).
STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
AUTHORIZER_CLASS_NAMES = frozenset({STANDARD_AUTHORIZER, "kafka.security.authorizer.AclAuthorizer"})


class Why(Enum):
    SUPER_USER = "super user"
    DENY_ACL = "deny ACL"
    ALLOW_ACL = "allow ACL"
    NO_ACL_ALLOW_EVERYONE = "no ACL on the resource, allow.everyone.if.no.acl.found=true"
    NO_MATCHING_ACL = "no ACL allows it"
    NO_AUTHORIZER = "no authorizer configured"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: Why
    acl: AclBinding | None = None  # the ACL that decided, for DENY_ACL / ALLOW_ACL

    def describe(self) -> str:
        verdict = "ALLOWED" if self.allowed else "DENIED"
        return f"{verdict} ({self.why.value}{': ' + self.acl.describe() if self.acl else ''})"


@dataclass(frozen=True)
class AuthorizerConfig:
    super_users: frozenset[str] = frozenset()
    allow_everyone_if_no_acl_found: bool = False

    @classmethod
    def from_properties(cls, props: dict[str, str]) -> AuthorizerConfig:
        return cls(
            parse_super_users(props.get("super.users", "")),
            props.get("allow.everyone.if.no.acl.found", "false").strip().lower() == "true",
        )


def _operation_applies(entry: AccessControlEntry, operation: AclOperation) -> bool:
    if entry.operation in (AclOperation.ALL, operation):
        return True
    return entry.permission == AclPermissionType.ALLOW and entry.operation in IMPLIED_BY.get(operation, ())


class Authorizer:
    """The ACL set and the decisions over it. The set is replaced by the metadata image
    as records arrive (`add`, `remove`); `authorize` only reads it."""

    def __init__(self, config: AuthorizerConfig | None = None, acls: Iterable[AclBinding] = ()) -> None:
        self.config = config or AuthorizerConfig()
        self._acls: set[AclBinding] = set(acls)

    @classmethod
    def over(cls, config: AuthorizerConfig, bindings: set[AclBinding]) -> Authorizer:
        """An authorizer reading `bindings` as they change (the image's `acl_bindings`:
        every committed ACL record is seen by the next decision, as KIP-801's brokers do)."""
        authorizer = cls(config)
        authorizer._acls = bindings
        return authorizer

    def acls(self, filter_: AclBindingFilter | None = None) -> list[AclBinding]:
        found = (b for b in self._acls if filter_ is None or filter_.matches(b))
        return sorted(found)

    def add(self, binding: AclBinding) -> bool:
        """False when the binding was already there (CreateAcls of one is not an error)."""
        if binding in self._acls:
            return False
        self._acls.add(binding)
        return True

    def remove(self, binding: AclBinding) -> bool:
        if binding not in self._acls:
            return False
        self._acls.discard(binding)
        return True

    def authorize(
        self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType, name: str
    ) -> Decision:
        if principal in self.config.super_users:
            return Decision(True, Why.SUPER_USER)
        on_resource = [b for b in self._acls if b.pattern.matches(resource_type, name)]
        applying = sorted(
            b
            for b in on_resource
            if b.entry.principal in (principal, WILDCARD_PRINCIPAL)
            and b.entry.host in (host, WILDCARD_HOST)
            and _operation_applies(b.entry, operation)
        )
        # sorted: the ACL named is the same whatever order the ACLs were added in
        for binding in applying:
            if binding.entry.permission == AclPermissionType.DENY:
                return Decision(False, Why.DENY_ACL, binding)
        for binding in applying:
            if binding.entry.permission == AclPermissionType.ALLOW:
                return Decision(True, Why.ALLOW_ACL, binding)
        if not on_resource and self.config.allow_everyone_if_no_acl_found:
            return Decision(True, Why.NO_ACL_ALLOW_EVERYONE)
        return Decision(False, Why.NO_MATCHING_ACL)

    def allowed(
        self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType, name: str
    ) -> bool:
        return self.authorize(principal, host, operation, resource_type, name).allowed

    def allowed_on_some(
        self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType
    ) -> bool:
        """Whether some resource of the type may be operated on (`Authorizer.
        authorizeByResourceType`, KIP-679: InitProducerId without a transactional id
        needs IDEMPOTENT_WRITE on the cluster or WRITE on any topic). An ALLOW counts
        unless a DENY covers all it names: a DENY on `*`, a DENY on the same literal
        name, or a DENY prefix of its name."""
        # Kafka asks about a made-up name first, so super users, a `*` ALLOW and
        # allow.everyone.if.no.acl.found count as they would for a real resource.
        if self.allowed(principal, host, operation, resource_type, "hardcode"):
            return True
        applying = [
            b
            for b in self._acls
            if b.pattern.resource_type == resource_type
            and b.entry.principal in (principal, WILDCARD_PRINCIPAL)
            and b.entry.host in (host, WILDCARD_HOST)
            and _operation_applies(b.entry, operation)
        ]
        denied = [b.pattern for b in applying if b.entry.permission == AclPermissionType.DENY]
        if any(p.pattern_type == PatternType.LITERAL and p.name == WILDCARD_RESOURCE for p in denied):
            return False
        for binding in applying:
            if binding.entry.permission != AclPermissionType.ALLOW:
                continue
            allow = binding.pattern
            covered = any(
                (d.pattern_type == PatternType.PREFIXED and allow.name.startswith(d.name))
                or (allow.pattern_type == d.pattern_type == PatternType.LITERAL and allow.name == d.name)
                for d in denied
            )
            if not covered:
                return True
        return False
