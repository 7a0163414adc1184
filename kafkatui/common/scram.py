"""What the Backend interface says about SASL/SCRAM users (KIP-554), in its own types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserScramUpsertion:
    """Set `user`'s credential for `mechanism` (SCRAM-SHA-256 or SCRAM-SHA-512). The
    backend salts and hashes `password`, as Kafka's AdminClient does, before it leaves."""

    user: str
    mechanism: str
    iterations: int
    password: str


@dataclass(frozen=True)
class UserScramDeletion:
    user: str
    mechanism: str
