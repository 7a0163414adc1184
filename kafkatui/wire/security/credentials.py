"""SASL users: SCRAM credentials (RFC 5802, RFC 7677) and how they are kept.

Like Kafka (`ScramCredential`, `ScramFormatter`), only salted, hashed forms are stored:
the salt, the iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
ServerKey = HMAC(SaltedPassword, "Server Key"). PLAIN is checked against the same
SCRAM-SHA-512 credential by deriving it from the offered password, so no password is
ever written down (Kafka's PLAIN reads plaintext passwords from its JAAS file instead).

Kafka keeps SCRAM credentials in the cluster metadata (UserScramCredentialRecord,
KIP-554). This slice keeps them in `scram-credentials.json` in the data dir (mode 0600),
read on each authentication so `kafkatui user add` takes effect on a running server;
moving them into the metadata log, with Describe/AlterUserScramCredentials, is next.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_512 = "SCRAM-SHA-512"
PLAIN = "PLAIN"
SCRAM_MECHANISMS = (SCRAM_SHA_256, SCRAM_SHA_512)
MECHANISMS = (PLAIN, *SCRAM_MECHANISMS)  # sasl.enabled.mechanisms this server can enable
HASHES = {SCRAM_SHA_256: "sha256", SCRAM_SHA_512: "sha512"}
MIN_ITERATIONS = 4096  # Kafka's ScramMechanism.minIterations for both
MAX_ITERATIONS = 16384  # and its ScramFormatter's limit for AlterUserScramCredentials
DEFAULT_ITERATIONS = 4096
FILE_NAME = "scram-credentials.json"
PLAIN_CHECKED_WITH = SCRAM_SHA_512


@dataclass(frozen=True)
class ScramCredential:
    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


def salted_password(mechanism: str, password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac(HASHES[mechanism], password.encode(), salt, iterations)  # Hi()


def hmac_of(mechanism: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, HASHES[mechanism]).digest()


def digest(mechanism: str, data: bytes) -> bytes:
    return hashlib.new(HASHES[mechanism], data).digest()


def credential(
    mechanism: str, password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> ScramCredential:
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"{mechanism} needs at least {MIN_ITERATIONS} iterations, not {iterations}")
    salt = salt if salt is not None else secrets.token_bytes(32)
    salted = salted_password(mechanism, password, salt, iterations)
    client_key = hmac_of(mechanism, salted, b"Client Key")
    return ScramCredential(
        salt, digest(mechanism, client_key), hmac_of(mechanism, salted, b"Server Key"), iterations
    )


def from_salted_password(mechanism: str, salted: bytes, salt: bytes, iterations: int) -> ScramCredential:
    """What AlterUserScramCredentials carries (the client salts and hashes the password)."""
    client_key = hmac_of(mechanism, salted, b"Client Key")
    return ScramCredential(
        salt, digest(mechanism, client_key), hmac_of(mechanism, salted, b"Server Key"), iterations
    )


def password_matches(mechanism: str, stored: ScramCredential, password: str) -> bool:
    again = credential(mechanism, password, iterations=stored.iterations, salt=stored.salt)
    return hmac.compare_digest(again.stored_key, stored.stored_key)


class CredentialStore:
    """Users and their SCRAM credentials, in a JSON file (`path`) or in memory (None)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, ScramCredential]] = {}

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> CredentialStore:
        return cls(data_dir / FILE_NAME)

    def _load(self) -> dict[str, dict[str, ScramCredential]]:
        if self.path is None:
            return self._memory
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {
            user: {
                mechanism: ScramCredential(
                    base64.b64decode(c["salt"]),
                    base64.b64decode(c["stored_key"]),
                    base64.b64decode(c["server_key"]),
                    int(c["iterations"]),
                )
                for mechanism, c in mechanisms.items()
            }
            for user, mechanisms in raw.get("users", {}).items()
        }

    def _save(self, users: dict[str, dict[str, ScramCredential]]) -> None:
        if self.path is None:
            self._memory = users
            return
        raw = {
            "version": 1,
            "users": {
                user: {
                    mechanism: {
                        "salt": base64.b64encode(c.salt).decode(),
                        "stored_key": base64.b64encode(c.stored_key).decode(),
                        "server_key": base64.b64encode(c.server_key).decode(),
                        "iterations": c.iterations,
                    }
                    for mechanism, c in sorted(mechanisms.items())
                }
                for user, mechanisms in sorted(users.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Whole file or nothing, so a server reading it mid-write never sees half.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".scram-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump(raw, out, indent=2)
        os.replace(tmp, self.path)

    def users(self) -> dict[str, list[str]]:
        """Each user and the SCRAM mechanisms it has credentials for."""
        return {user: sorted(m) for user, m in sorted(self._load().items())}

    def get(self, user: str, mechanism: str) -> ScramCredential | None:
        return self._load().get(user, {}).get(mechanism)

    def add(
        self,
        user: str,
        password: str,
        mechanisms: tuple[str, ...] = SCRAM_MECHANISMS,
        iterations: int = DEFAULT_ITERATIONS,
    ) -> None:
        """Set `user`'s credentials for `mechanisms` (PLAIN is checked with SCRAM-SHA-512's)."""
        if not user or "," in user or "=" in user:
            # RFC 5802 would escape them as =2C / =3D; Kafka's ScramFormatter does too, but a
            # name like that is a mistake far more often than a wish.
            raise ValueError(f"user name {user!r} must be non-empty without ',' or '='")
        users = self._load()
        mine = dict(users.get(user, {}))
        for mechanism in {PLAIN_CHECKED_WITH if m == PLAIN else m for m in mechanisms}:
            mine[mechanism] = credential(mechanism, password, iterations=iterations)
        users = {**users, user: mine}
        self._save(users)

    def alter(self, upserts: dict[tuple[str, str], ScramCredential], deletions: set[tuple[str, str]]) -> None:
        """Set and remove (user, mechanism) credentials in one write."""
        users = {u: dict(m) for u, m in self._load().items()}
        for user, mechanism in deletions:
            users.get(user, {}).pop(mechanism, None)
        for (user, mechanism), stored in upserts.items():
            users.setdefault(user, {})[mechanism] = stored
        self._save({u: m for u, m in users.items() if m})

    def delete(self, user: str) -> bool:
        users = dict(self._load())
        if users.pop(user, None) is None:
            return False
        self._save(users)
        return True
