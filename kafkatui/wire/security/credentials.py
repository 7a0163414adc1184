"""SASL users as the wire server's authenticators read them: SCRAM credentials (RFC 5802,
RFC 7677), salted and hashed (`engine/metadata/scram.py`).

Kafka keeps SCRAM credentials in the cluster metadata (UserScramCredentialRecord,
KIP-554) and so does kafkatui: `ClusterCredentials` reads the cluster's image, so a user
added by `kafkatui user add` or AlterUserScramCredentials can log in at once, on every
listener. PLAIN is checked against the same SCRAM-SHA-512 credential by deriving it from
the offered password, so no password is ever written down (Kafka's PLAIN reads
plaintext passwords from its JAAS file instead). `CredentialStore` keeps users in
memory, for a listener tested on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kafkatui.engine.metadata.scram import (
    DEFAULT_ITERATIONS,
    HASHES,
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    SCRAM_MECHANISMS,
    SCRAM_SHA_256,
    SCRAM_SHA_512,
    ScramCredential,
    check_user_name,
    credential,
    digest,
    from_salted_password,
    hmac_of,
    salted_password,
)

if TYPE_CHECKING:
    from kafkatui.engine.cluster import Cluster

__all__ = [
    "DEFAULT_ITERATIONS",
    "HASHES",
    "MAX_ITERATIONS",
    "MECHANISMS",
    "MIN_ITERATIONS",
    "PLAIN",
    "PLAIN_CHECKED_WITH",
    "SCRAM_MECHANISMS",
    "SCRAM_SHA_256",
    "SCRAM_SHA_512",
    "ClusterCredentials",
    "CredentialStore",
    "PasswordChecker",
    "ScramCredential",
    "credential",
    "digest",
    "from_salted_password",
    "hmac_of",
    "password_matches",
    "salted_password",
]  # fmt: skip

PLAIN = "PLAIN"
MECHANISMS = (PLAIN, *SCRAM_MECHANISMS)  # sasl.enabled.mechanisms this server can enable
PLAIN_CHECKED_WITH = SCRAM_SHA_512


def password_matches(mechanism: str, stored: ScramCredential, password: str) -> bool:
    again = credential(mechanism, password, iterations=stored.iterations, salt=stored.salt)
    return hmac.compare_digest(again.stored_key, stored.stored_key)


def scram_mechanisms_for(mechanisms: tuple[str, ...]) -> tuple[str, ...]:
    """The SCRAM credentials that serve `mechanisms` (PLAIN is checked with SCRAM-SHA-512's)."""
    return tuple(sorted({PLAIN_CHECKED_WITH if m == PLAIN else m for m in mechanisms}))


class PasswordChecker:
    """A user's password checked against the store (SCRAM-SHA-512's credential, else
    SCRAM-SHA-256's), for HTTP Basic authentication with the cluster's SASL users. A
    match is remembered against the credential it matched (keyed by an HMAC under a key
    of this process, never the password), so a client's next request skips the 4096+
    rounds of PBKDF2 until the user's credential changes."""

    _LIMIT = 1024

    def __init__(self, store: CredentialStore) -> None:
        self.store = store
        self._key = secrets.token_bytes(32)
        self._matched: dict[tuple[str, str, bytes], ScramCredential] = {}

    def __call__(self, user: str, password: str) -> bool:
        for mechanism in (PLAIN_CHECKED_WITH, SCRAM_SHA_256):
            stored = self.store.get(user, mechanism)
            if stored is None:
                continue
            key = (user, mechanism, hmac.new(self._key, password.encode(), hashlib.sha256).digest())
            if self._matched.get(key) == stored:
                return True
            if not password_matches(mechanism, stored, password):
                return False
            if len(self._matched) >= self._LIMIT:
                self._matched.clear()
            self._matched[key] = stored
            return True
        return False


class CredentialStore:
    """Users and their SCRAM credentials, read by the SASL servers; in memory here."""

    def __init__(self) -> None:
        self._memory: dict[str, dict[str, ScramCredential]] = {}

    def _users(self) -> Mapping[str, Mapping[str, ScramCredential]]:
        return self._memory

    def users(self) -> dict[str, list[str]]:
        """Each user and the SCRAM mechanisms it has credentials for."""
        return {user: sorted(m) for user, m in sorted(self._users().items())}

    def credentials(self) -> dict[tuple[str, str], ScramCredential]:
        """Every (user, mechanism) credential."""
        return {(u, m): c for u, ms in self._users().items() for m, c in ms.items()}

    def get(self, user: str, mechanism: str) -> ScramCredential | None:
        return self._users().get(user, {}).get(mechanism)

    def add(
        self,
        user: str,
        password: str,
        mechanisms: tuple[str, ...] = SCRAM_MECHANISMS,
        iterations: int = DEFAULT_ITERATIONS,
    ) -> None:
        """Set `user`'s credentials for `mechanisms` (PLAIN is checked with SCRAM-SHA-512's)."""
        check_user_name(user)
        mine = dict(self._memory.get(user, {}))
        for mechanism in scram_mechanisms_for(mechanisms):
            mine[mechanism] = credential(mechanism, password, iterations=iterations)
        self._memory = {**self._memory, user: mine}


class ClusterCredentials(CredentialStore):
    """The cluster's users: its metadata image's SCRAM credentials, read live."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster

    def _users(self) -> Mapping[str, Mapping[str, ScramCredential]]:
        return self.cluster.metadata.scram

    def add(
        self,
        user: str,
        password: str,
        mechanisms: tuple[str, ...] = SCRAM_MECHANISMS,
        iterations: int = DEFAULT_ITERATIONS,
    ) -> None:
        raise TypeError("the cluster's users change through its controller (AlterUserScramCredentials)")
