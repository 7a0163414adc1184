"""Kafka's AclControlManager: CreateAcls and DeleteAcls as AccessControlEntryRecord /
RemoveAccessControlEntryRecord in the metadata log (KIP-801), so ACLs survive restarts
and every broker's authorizer reads the same set from its image."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from kafkatui.common.acl import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourceType,
)
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import AclsCreated, AclsDeleted, EventBus
from kafkatui.engine.metadata.image import (
    ACCESS_CONTROL_ENTRY,
    REMOVE_ACCESS_CONTROL_ENTRY,
    MetadataImage,
    MetadataRecord,
    acl_record,
)

Commit = Callable[[Sequence[MetadataRecord]], Awaitable[None]]


@dataclass(frozen=True)
class AclDeletion:
    """What one DeleteAcls filter removed, or why it could not."""

    deleted: tuple[AclBinding, ...] = ()
    error: KafkaError | None = None


def validate_binding(binding: AclBinding) -> None:
    """AclControlManager.validateNewAcl: a stored ACL names one concrete thing of each."""
    p, e = binding.pattern, binding.entry
    if p.resource_type in (ResourceType.ANY, ResourceType.UNKNOWN):
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"invalid resource type {p.resource_type.name}")
    if p.pattern_type not in (PatternType.LITERAL, PatternType.PREFIXED):
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"invalid pattern type {p.pattern_type.name}")
    if not p.name:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "resource name must not be empty")
    if e.operation in (AclOperation.ANY, AclOperation.UNKNOWN):
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"invalid operation {e.operation.name}")
    if e.permission in (AclPermissionType.ANY, AclPermissionType.UNKNOWN):
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"invalid permission type {e.permission.name}")
    kind, _, name = e.principal.partition(":")
    if not kind or not name:
        raise KafkaError(
            ErrorCode.INVALID_REQUEST, f"could not parse principal {e.principal!r} (want Type:name)"
        )
    if not e.host:
        raise KafkaError(ErrorCode.INVALID_REQUEST, "host must not be empty (use * for any host)")


class AclControlManager:
    def __init__(
        self, image: MetadataImage, commit: Commit, rng: random.Random, bus: EventBus, clock: Clock
    ) -> None:
        self._image = image
        self._commit = commit
        self._rng = rng
        self._bus = bus
        self._clock = clock

    def _new_id(self) -> str:
        while True:
            acl_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            if acl_id not in self._image.acls:
                return acl_id

    async def create_acls(self, bindings: Sequence[AclBinding]) -> list[KafkaError | None]:
        """One result per binding; an ACL already present succeeds without a new record."""
        results: list[KafkaError | None] = []
        records: list[MetadataRecord] = []
        adding: set[AclBinding] = set()
        for binding in bindings:
            try:
                validate_binding(binding)
            except KafkaError as error:
                results.append(error)
                continue
            results.append(None)
            if binding not in self._image.acl_bindings and binding not in adding:
                adding.add(binding)
                records.append(MetadataRecord(ACCESS_CONTROL_ENTRY, acl_record(self._new_id(), binding)))
        if records:
            await self._commit(records)
            added = tuple(dict.fromkeys(b for b in bindings if b in adding))
            self._bus.publish(AclsCreated(timestamp_ms=self._clock.now_ms(), bindings=added))
        return results

    async def delete_acls(self, filters: Sequence[AclBindingFilter]) -> list[AclDeletion]:
        """One result per filter, with the ACLs it matched (an ACL two filters match is
        removed once, and reported under both, as Kafka does)."""
        results: list[AclDeletion] = []
        removing: dict[str, AclBinding] = {}
        for filter_ in filters:
            matched = sorted((acl_id, b) for acl_id, b in self._image.acls.items() if filter_.matches(b))
            removing.update(matched)
            results.append(AclDeletion(tuple(sorted(b for _, b in matched))))
        if removing:
            await self._commit(
                [MetadataRecord(REMOVE_ACCESS_CONTROL_ENTRY, {"id": i}) for i in sorted(removing)]
            )
            removed = tuple(sorted(removing.values()))
            self._bus.publish(AclsDeleted(timestamp_ms=self._clock.now_ms(), bindings=removed))
        return results
