"""SCRAM and the credential store without a network: RFC 7677's worked example, the
checks Kafka's ScramSaslServer makes, and what the users file keeps (never a password)."""

from __future__ import annotations

import base64

import pytest

from kafkatui.wire import sasl_mechanisms
from kafkatui.wire.sasl_mechanisms import PlainServer, SaslFailure, ScramServer
from kafkatui.wire.security.credentials import (
    MECHANISMS,
    SCRAM_SHA_256,
    CredentialStore,
    credential,
)

# RFC 7677 §3: user "user", password "pencil"
CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


class FixedStore(CredentialStore):
    def __init__(self) -> None:
        super().__init__()
        self._memory = {"user": {SCRAM_SHA_256: credential(SCRAM_SHA_256, "pencil", salt=SALT)}}


@pytest.fixture
def rfc_nonce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sasl_mechanisms, "_base36", lambda _: SERVER_NONCE)


def test_scram_sha_256_answers_rfc_7677s_example(rfc_nonce: None) -> None:
    server = ScramServer(SCRAM_SHA_256, FixedStore())
    assert server.evaluate(CLIENT_FIRST) == SERVER_FIRST
    assert server.evaluate(CLIENT_FINAL) == SERVER_FINAL
    assert server.complete and server.user == "user"


def test_a_wrong_proof_is_refused(rfc_nonce: None) -> None:
    server = ScramServer(SCRAM_SHA_256, FixedStore())
    server.evaluate(CLIENT_FIRST)
    wrong = CLIENT_FINAL[:-6] + b"AAAAA="
    with pytest.raises(SaslFailure, match="invalid credentials with SASL mechanism SCRAM-SHA-256"):
        server.evaluate(wrong)
    assert not server.complete


def test_the_final_message_must_carry_the_servers_nonce_and_binding(rfc_nonce: None) -> None:
    server = ScramServer(SCRAM_SHA_256, FixedStore())
    server.evaluate(CLIENT_FIRST)
    with pytest.raises(SaslFailure, match="nonce"):
        server.evaluate(CLIENT_FINAL.replace(b"hNlF$k0", b"hNlF$k1"))
    server = ScramServer(SCRAM_SHA_256, FixedStore())
    server.evaluate(CLIENT_FIRST)
    with pytest.raises(SaslFailure, match="channel binding"):
        server.evaluate(CLIENT_FINAL.replace(b"c=biws", b"c=eSws"))


def test_an_authorization_id_other_than_the_user_is_refused() -> None:
    with pytest.raises(SaslFailure, match="authorization id"):
        ScramServer(SCRAM_SHA_256, FixedStore()).evaluate(b"n,a=admin,n=user,r=abc")
    store = CredentialStore()
    store.add("alice", "pw", MECHANISMS)
    with pytest.raises(SaslFailure, match="authorization id"):
        PlainServer(store).evaluate(b"admin\0alice\0pw")
    plain = PlainServer(store)
    assert plain.evaluate(b"alice\0alice\0pw") == b"" and plain.complete


def test_kafkas_limits_on_names_and_iterations() -> None:
    store = CredentialStore()
    with pytest.raises(ValueError, match="4096"):
        store.add("alice", "pw", (SCRAM_SHA_256,), iterations=1000)
    with pytest.raises(ValueError, match="user name"):
        store.add("a,b", "pw")
