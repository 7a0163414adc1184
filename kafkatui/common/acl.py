"""Kafka's ACL vocabulary (`org.apache.kafka.common.acl` and `.resource`): resource
types, pattern types, operations, permissions, and the bindings and filters that
CreateAcls, DescribeAcls and DeleteAcls carry. The numbers are Kafka's wire codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

WILDCARD_RESOURCE = "*"  # ResourcePattern.WILDCARD_RESOURCE: a LITERAL name matching every resource
WILDCARD_PRINCIPAL = "User:*"  # AclEntry.WILDCARD_PRINCIPAL_STRING
WILDCARD_HOST = "*"
CLUSTER_NAME = "kafka-cluster"  # the one CLUSTER resource's name (Resource.CLUSTER_NAME)


class ResourceType(IntEnum):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(IntEnum):
    UNKNOWN = 0
    ANY = 1  # filters only: either LITERAL or PREFIXED, name compared exactly
    MATCH = 2  # filters only: every pattern that would match the named resource
    LITERAL = 3
    PREFIXED = 4


class AclOperation(IntEnum):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class AclPermissionType(IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


# An ALLOW of any of these grants the key as well (AclAuthorizer / StandardAuthorizerData:
# "READ, WRITE, DELETE, ALTER imply DESCRIBE"; "ALTER_CONFIGS implies DESCRIBE_CONFIGS").
# A DENY implies nothing but itself (and ALL denies everything).
IMPLIED_BY: dict[AclOperation, frozenset[AclOperation]] = {
    AclOperation.DESCRIBE: frozenset(
        {
            AclOperation.DESCRIBE,
            AclOperation.READ,
            AclOperation.WRITE,
            AclOperation.DELETE,
            AclOperation.ALTER,
        }
    ),
    AclOperation.DESCRIBE_CONFIGS: frozenset({AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS}),
}


@dataclass(frozen=True, order=True)
class ResourcePattern:
    resource_type: ResourceType
    name: str
    pattern_type: PatternType = PatternType.LITERAL

    def matches(self, resource_type: ResourceType, name: str) -> bool:
        """Whether this stored pattern covers the concrete resource `name`."""
        if self.resource_type != resource_type:
            return False
        if self.pattern_type == PatternType.LITERAL:
            return self.name == name or self.name == WILDCARD_RESOURCE
        if self.pattern_type == PatternType.PREFIXED:
            return name.startswith(self.name)
        return False


@dataclass(frozen=True, order=True)
class AccessControlEntry:
    principal: str  # "User:alice", or "User:*"
    host: str  # an IP address, or "*"
    operation: AclOperation
    permission: AclPermissionType


@dataclass(frozen=True, order=True)
class AclBinding:
    pattern: ResourcePattern
    entry: AccessControlEntry

    def describe(self) -> str:
        p, e = self.pattern, self.entry
        return (
            f"{e.permission.name} {e.principal} {e.operation.name} from {e.host} on "
            f"{p.resource_type.name}:{p.pattern_type.name}:{p.name}"
        )


@dataclass(frozen=True)
class AclBindingFilter:
    """What DescribeAcls and DeleteAcls select by (AclBindingFilter): None is "any"."""

    resource_type: ResourceType = ResourceType.ANY
    name: str | None = None
    pattern_type: PatternType = PatternType.ANY
    principal: str | None = None
    host: str | None = None
    operation: AclOperation = AclOperation.ANY
    permission: AclPermissionType = AclPermissionType.ANY

    def matches(self, binding: AclBinding) -> bool:
        p, e = binding.pattern, binding.entry
        if self.resource_type not in (ResourceType.ANY, p.resource_type):
            return False
        if self.pattern_type == PatternType.MATCH:
            # ResourcePatternFilter MATCH: the patterns that would apply to the named resource
            if self.name is not None and not p.matches(p.resource_type, self.name):
                return False
        else:
            if self.pattern_type not in (PatternType.ANY, p.pattern_type):
                return False
            if self.name is not None and self.name != p.name:
                return False
        return (
            (self.principal is None or self.principal == e.principal)
            and (self.host is None or self.host == e.host)
            and self.operation in (AclOperation.ANY, e.operation)
            and self.permission in (AclPermissionType.ANY, e.permission)
        )


def parse_super_users(text: str) -> frozenset[str]:
    """`super.users`: principals separated by semicolons ("User:admin;User:ops")."""
    return frozenset(part.strip() for part in text.split(";") if part.strip())
