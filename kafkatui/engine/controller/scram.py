"""Kafka's ScramControlManager: SCRAM credentials as UserScramCredentialRecord /
RemoveUserScramCredentialRecord in the metadata log (KIP-554), so every broker's
authenticator reads the same users from its image and they survive restarts."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.metadata.image import MetadataImage, MetadataRecord
from kafkatui.engine.metadata.scram import (
    IMPORTED_SUFFIX,
    MAX_ITERATIONS,
    MECHANISM_CODES,
    MIN_ITERATIONS,
    REMOVE_USER_SCRAM_CREDENTIAL,
    USER_SCRAM_CREDENTIAL,
    ScramCredential,
    from_salted_password,
    read_legacy_file,
    remove_scram_record,
    scram_record,
)

Commit = Callable[[Sequence[MetadataRecord]], Awaitable[None]]
ALTERED_TWICE = "A user credential cannot be altered twice in the same request"
NOT_THERE = "Attempt to delete a user credential that does not exist"


@dataclass(frozen=True)
class ScramDeletion:
    name: str
    mechanism: int  # MECHANISM_CODES' byte, unchecked: the request's own


@dataclass(frozen=True)
class ScramUpsertion:
    name: str
    mechanism: int
    iterations: int
    salt: bytes
    salted_password: bytes  # the client salts and hashes the password (KIP-554)


class ScramControlManager:
    def __init__(self, image: MetadataImage, commit: Commit) -> None:
        self._image = image
        self._commit = commit

    async def alter(
        self,
        upserts: Mapping[tuple[str, str], ScramCredential],
        deletions: Set[tuple[str, str]] = frozenset(),
    ) -> None:
        """Set and remove (user, mechanism) credentials as one atomic batch; removing
        one that is not there is no record (callers check first, as Kafka's does)."""
        records = [
            MetadataRecord(REMOVE_USER_SCRAM_CREDENTIAL, remove_scram_record(user, mechanism))
            for user, mechanism in sorted(deletions)
            if mechanism in self._image.scram.get(user, {})
        ] + [
            MetadataRecord(USER_SCRAM_CREDENTIAL, scram_record(user, mechanism, stored))
            for (user, mechanism), stored in sorted(upserts.items())
        ]
        if records:
            await self._commit(records)

    async def alter_credentials(
        self, deletions: Sequence[ScramDeletion], upsertions: Sequence[ScramUpsertion]
    ) -> dict[str, KafkaError | None]:
        """AlterUserScramCredentials, with Kafka's checks and messages
        (`ScramControlManager.alterCredentials`): per user, None or why none of its
        changes were made; the rest are committed as one batch."""
        keys = [(d.name, d.mechanism) for d in deletions] + [(u.name, u.mechanism) for u in upsertions]
        twice = {k for k, n in Counter(keys).items() if n > 1}
        errors: dict[str, KafkaError] = {}

        def check(name: str, code: int) -> str | None:
            if not name:
                errors.setdefault(
                    name, KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty")
                )
            elif code not in MECHANISM_CODES:
                errors.setdefault(
                    name, KafkaError(ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism")
                )
            elif (name, code) in twice:
                errors.setdefault(name, KafkaError(ErrorCode.DUPLICATE_RESOURCE, ALTERED_TWICE))
            else:
                return MECHANISM_CODES[code]
            return None

        removing: set[tuple[str, str]] = set()
        upserts: dict[tuple[str, str], ScramCredential] = {}
        for d in deletions:
            mechanism = check(d.name, d.mechanism)
            if mechanism is None:
                continue
            if mechanism not in self._image.scram.get(d.name, {}):
                errors.setdefault(d.name, KafkaError(ErrorCode.RESOURCE_NOT_FOUND, NOT_THERE))
            else:
                removing.add((d.name, mechanism))
        for u in upsertions:
            mechanism = check(u.name, u.mechanism)
            if mechanism is None:
                continue
            if u.iterations < MIN_ITERATIONS:
                errors.setdefault(u.name, KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations"))
            elif u.iterations > MAX_ITERATIONS:
                errors.setdefault(
                    u.name, KafkaError(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations")
                )
            else:
                upserts[(u.name, mechanism)] = from_salted_password(
                    mechanism, u.salted_password, u.salt, u.iterations
                )
        await self.alter(
            {k: v for k, v in upserts.items() if k[0] not in errors},
            {k for k in removing if k[0] not in errors},
        )
        return {name: errors.get(name) for name in dict.fromkeys(k[0] for k in keys)}

    async def import_legacy_file(self, path: Path) -> int:
        """An old data dir's `scram-credentials.json`, written into the log once and then
        renamed: the log is the one place users are kept from now on. Users the log
        already has are left as they are. How many credentials were imported."""
        legacy = read_legacy_file(path)
        if not path.exists():
            return 0
        upserts = {
            (user, mechanism): stored
            for user, mechanisms in legacy.items()
            if user not in self._image.scram
            for mechanism, stored in mechanisms.items()
        }
        await self.alter(upserts)
        os.replace(path, path.with_name(path.name + IMPORTED_SUFFIX))
        return len(upserts)
