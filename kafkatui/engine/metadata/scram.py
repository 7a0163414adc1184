"""SCRAM credentials as cluster metadata (KIP-554): KRaft's UserScramCredentialRecord and
RemoveUserScramCredentialRecord, and the salted forms they carry (RFC 5802, RFC 7677).

Like Kafka (`ScramCredential`, `ScramFormatter`), only salted, hashed forms exist: the
salt, the iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
ServerKey = HMAC(SaltedPassword, "Server Key"). They live here, below the backends and
the wire server, because both make them (`kafkatui user`, AlterUserScramCredentials).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_512 = "SCRAM-SHA-512"
SCRAM_MECHANISMS = (SCRAM_SHA_256, SCRAM_SHA_512)
HASHES = {SCRAM_SHA_256: "sha256", SCRAM_SHA_512: "sha512"}
# org.apache.kafka.clients.admin.ScramMechanism's type bytes, as the record stores them.
MECHANISM_CODES = {1: SCRAM_SHA_256, 2: SCRAM_SHA_512}
CODE_OF = {name: code for code, name in MECHANISM_CODES.items()}
MIN_ITERATIONS = 4096  # Kafka's ScramMechanism.minIterations for both
MAX_ITERATIONS = 16384  # and its ScramFormatter's limit for AlterUserScramCredentials
DEFAULT_ITERATIONS = 4096
USER_SCRAM_CREDENTIAL = "UserScramCredentialRecord"
REMOVE_USER_SCRAM_CREDENTIAL = "RemoveUserScramCredentialRecord"
# Before the metadata log kept them, `kafkatui user add` wrote this file in the data dir;
# the cluster imports it once on open and renames it (`IMPORTED_SUFFIX`).
LEGACY_FILE_NAME = "scram-credentials.json"
IMPORTED_SUFFIX = ".imported"


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


def from_salted_password(mechanism: str, salted: bytes, salt: bytes, iterations: int) -> ScramCredential:
    """What AlterUserScramCredentials carries (the client salts and hashes the password)."""
    client_key = hmac_of(mechanism, salted, b"Client Key")
    return ScramCredential(
        salt, digest(mechanism, client_key), hmac_of(mechanism, salted, b"Server Key"), iterations
    )


def credential(
    mechanism: str, password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> ScramCredential:
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"{mechanism} needs at least {MIN_ITERATIONS} iterations, not {iterations}")
    salt = salt if salt is not None else secrets.token_bytes(32)
    return from_salted_password(
        mechanism, salted_password(mechanism, password, salt, iterations), salt, iterations
    )


def check_user_name(user: str) -> None:
    if not user or "," in user or "=" in user:
        # RFC 5802 would escape them as =2C / =3D; Kafka's ScramFormatter does too, but a
        # name like that is a mistake far more often than a wish.
        raise ValueError(f"user name {user!r} must be non-empty without ',' or '='")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def scram_record(user: str, mechanism: str, stored: ScramCredential) -> dict[str, Any]:
    """UserScramCredentialRecord's fields: name, mechanism, salt, storedKey, serverKey,
    iterations (the bytes base64, as the log's payloads are JSON)."""
    return {
        "name": user,
        "mechanism": CODE_OF[mechanism],
        "salt": _b64(stored.salt),
        "stored_key": _b64(stored.stored_key),
        "server_key": _b64(stored.server_key),
        "iterations": stored.iterations,
    }


def remove_scram_record(user: str, mechanism: str) -> dict[str, Any]:
    return {"name": user, "mechanism": CODE_OF[mechanism]}


def credential_from_record(d: Mapping[str, Any]) -> ScramCredential:
    return ScramCredential(
        base64.b64decode(d["salt"]),
        base64.b64decode(d["stored_key"]),
        base64.b64decode(d["server_key"]),
        int(d["iterations"]),
    )


def read_legacy_file(path: Path) -> dict[str, dict[str, ScramCredential]]:
    """The users of an old `scram-credentials.json` ({} when there is none)."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {
        user: {mechanism: credential_from_record(c) for mechanism, c in mechanisms.items()}
        for user, mechanisms in raw.get("users", {}).items()
    }
