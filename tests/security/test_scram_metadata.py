"""SCRAM credentials are metadata records (KIP-554): altered, kept across a restart, and
an old data dir's `scram-credentials.json` imported once."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode
from kafkatui.common.scram import UserScramDeletion, UserScramUpsertion
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.metadata.scram import SCRAM_SHA_256, SCRAM_SHA_512, credential
from kafkatui.wire.sasl_mechanisms import PlainServer, SaslFailure
from kafkatui.wire.security.credentials import ClusterCredentials


def log_types(data: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(data / "cluster-metadata.db") as db:
        return [t for (t,) in db.execute("SELECT type FROM metadata_log ORDER BY offset")]


def plain_logs_in(cluster: Cluster, user: str, password: str) -> bool:
    try:
        PlainServer(ClusterCredentials(cluster)).evaluate(f"\0{user}\0{password}".encode())
    except SaslFailure:
        return False
    return True


async def test_users_are_records_kept_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with await Cluster.open(data, brokers=1, clock=ManualClock(), seed=1) as cluster:
        backend = EmbeddedBackend(cluster)
        outcomes = await backend.alter_user_scram_credentials([
            UserScramUpsertion("alice", SCRAM_SHA_512, 8192, "correct horse"),
            UserScramUpsertion("bob", SCRAM_SHA_256, 4096, "battery staple"),
            UserScramUpsertion("bob", SCRAM_SHA_512, 4096, "battery staple"),
        ])  # fmt: skip
        assert outcomes == {"alice": None, "bob": None}
        assert plain_logs_in(cluster, "alice", "correct horse")
        outcomes = await backend.alter_user_scram_credentials([], [UserScramDeletion("bob", SCRAM_SHA_512)])
        assert outcomes == {"bob": None}
        assert not plain_logs_in(cluster, "bob", "battery staple")  # PLAIN uses SCRAM-SHA-512's
    assert log_types(data).count("UserScramCredentialRecord") == 3
    assert log_types(data).count("RemoveUserScramCredentialRecord") == 1
    assert b"correct horse" not in (data / "cluster-metadata.db").read_bytes()
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert await EmbeddedBackend(cluster).describe_user_scram_credentials() == {
            "alice": {SCRAM_SHA_512: 8192},
            "bob": {SCRAM_SHA_256: 4096},
        }
        assert plain_logs_in(cluster, "alice", "correct horse")
        assert not plain_logs_in(cluster, "alice", "wrong")


async def test_alter_answers_per_user_with_kafkas_errors() -> None:
    async with await Cluster.open(None, brokers=1, clock=ManualClock(), seed=1) as cluster:
        backend = EmbeddedBackend(cluster)
        outcomes = await backend.alter_user_scram_credentials(
            [
                UserScramUpsertion("ok", SCRAM_SHA_256, 4096, "pw"),
                UserScramUpsertion("few", SCRAM_SHA_256, 1000, "pw"),
                UserScramUpsertion("many", SCRAM_SHA_256, 20000, "pw"),
                UserScramUpsertion("gss", "GSSAPI", 4096, "pw"),
                UserScramUpsertion("twice", SCRAM_SHA_256, 4096, "pw"),
                UserScramUpsertion("twice", SCRAM_SHA_256, 4096, "pw"),
            ],
            [UserScramDeletion("ghost", SCRAM_SHA_512)],
        )
        codes = {user: None if e is None else e.code for user, e in outcomes.items()}
        assert codes == {
            "ghost": ErrorCode.RESOURCE_NOT_FOUND,
            "ok": None,
            "few": ErrorCode.UNACCEPTABLE_CREDENTIAL,
            "many": ErrorCode.UNACCEPTABLE_CREDENTIAL,
            "gss": ErrorCode.UNSUPPORTED_SASL_MECHANISM,
            "twice": ErrorCode.DUPLICATE_RESOURCE,
        }
        assert set(cluster.metadata.scram) == {"ok"}  # a user with an error keeps nothing


def legacy_file(data: Path, users: dict[str, dict[str, tuple[str, int]]]) -> Path:
    """The file `kafkatui user add` wrote before the metadata log kept users."""

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    raw: dict[str, dict[str, dict[str, object]]] = {}
    for user, mechanisms in users.items():
        for mechanism, (password, iterations) in mechanisms.items():
            c = credential(mechanism, password, iterations=iterations)
            raw.setdefault(user, {})[mechanism] = {
                "salt": b64(c.salt), "stored_key": b64(c.stored_key), "server_key": b64(c.server_key),
                "iterations": c.iterations,
            }  # fmt: skip
    data.mkdir(parents=True, exist_ok=True)
    path = data / "scram-credentials.json"
    path.write_text(json.dumps({"version": 1, "users": raw}))
    return path


async def test_an_old_users_file_is_imported_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with await Cluster.open(data, brokers=1, clock=ManualClock(), seed=1) as cluster:
        await EmbeddedBackend(cluster).alter_user_scram_credentials(
            [UserScramUpsertion("carol", SCRAM_SHA_512, 4096, "in the log")]
        )
    path = legacy_file(
        data,
        {"alice": {SCRAM_SHA_512: ("s3cret", 4096)}, "carol": {SCRAM_SHA_512: ("from the file", 4096)}},
    )
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert plain_logs_in(cluster, "alice", "s3cret")
        assert plain_logs_in(cluster, "carol", "in the log")  # the log's user is not replaced
        assert not plain_logs_in(cluster, "carol", "from the file")
    assert not path.exists() and (data / "scram-credentials.json.imported").is_file()
    imported = log_types(data).count("UserScramCredentialRecord")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        assert set(cluster.metadata.scram) == {"alice", "carol"}
    assert log_types(data).count("UserScramCredentialRecord") == imported == 2
