"""The broker's side of the SASL mechanisms: PLAIN (RFC 4616) and SCRAM-SHA-256 /
SCRAM-SHA-512 (RFC 5802, RFC 7677), like Kafka's `PlainSaslServer` and `ScramSaslServer`.

Each takes the client's tokens one at a time and answers the next token; a failure is
`SaslFailure` with the message Kafka sends in SaslAuthenticate's error_message.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets

from kafkatui.wire.security.credentials import (
    PLAIN,
    PLAIN_CHECKED_WITH,
    CredentialStore,
    digest,
    hmac_of,
    password_matches,
)

_OTHER_AUTHZID = "Authentication failed: Client requested an authorization id that is different from username"


class SaslFailure(Exception):
    """Authentication failed: SASL_AUTHENTICATION_FAILED, the connection closed."""


class SaslServer:
    mechanism: str
    complete: bool = False
    user: str | None = None

    def evaluate(self, token: bytes) -> bytes:
        raise NotImplementedError


class PlainServer(SaslServer):
    """One token, `authzid NUL authcid NUL passwd`; an empty answer on success."""

    mechanism = PLAIN

    def __init__(self, credentials: CredentialStore) -> None:
        self.credentials = credentials

    def evaluate(self, token: bytes) -> bytes:
        parts = token.decode("utf-8", "replace").split("\0")
        if len(parts) != 3:
            raise SaslFailure("Invalid SASL/PLAIN response: expected 3 tokens")
        authzid, name, password = parts
        if not name:
            raise SaslFailure("Authentication failed: username not specified")
        if not password:
            raise SaslFailure("Authentication failed: password not specified")
        stored = self.credentials.get(name, PLAIN_CHECKED_WITH)
        if stored is None or not password_matches(PLAIN_CHECKED_WITH, stored, password):
            raise SaslFailure("Authentication failed: Invalid username or password")
        if authzid and authzid != name:
            raise SaslFailure(_OTHER_AUTHZID)
        self.user, self.complete = name, True
        return b""


# RFC 5802 §7: gs2-header "n,," or "y,," (no channel binding: Kafka refuses "p="), then
# client-first-message-bare "n=user,r=nonce" and optional extensions (Kafka's tokenauth).
_CLIENT_FIRST = re.compile(
    r"(?P<gs2>[ny],(?:a=(?P<authzid>[^,]*))?,)n=(?P<user>[^,]*),r=(?P<nonce>[^,]+)(?:,.*)?", re.S
)
_CLIENT_FINAL = re.compile(
    r"(?P<without_proof>c=(?P<binding>[^,]*),r=(?P<nonce>[^,]+)(?:,.*)?),p=(?P<proof>[^,]+)", re.S
)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if n == 0:
            return out


def _unescape(name: str) -> str:
    return name.replace("=2C", ",").replace("=3D", "=")


class ScramServer(SaslServer):
    """Two exchanges: client-first → server-first (nonce, salt, iterations), then
    client-final (proof) → server-final (the server's signature)."""

    def __init__(self, mechanism: str, credentials: CredentialStore) -> None:
        self.mechanism = mechanism
        self.credentials = credentials
        self._step = 0
        self._first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._gs2 = ""

    def _invalid(self) -> SaslFailure:
        # Kafka answers a wrong password and an unknown user alike (no user enumeration).
        return SaslFailure(
            "Authentication failed during authentication due to invalid credentials with SASL "
            f"mechanism {self.mechanism}"
        )

    def evaluate(self, token: bytes) -> bytes:
        text = token.decode("utf-8", "replace")
        if self._step == 0:
            return self._first(text)
        if self._step == 1:
            return self._final(text)
        raise SaslFailure(f"Unexpected SASL token for {self.mechanism} after authentication completed")

    def _first(self, text: str) -> bytes:
        match = _CLIENT_FIRST.fullmatch(text)
        if match is None:
            raise SaslFailure(f"Invalid SCRAM client first message: {text[:60]!r}")
        name = _unescape(match["user"])
        if match["authzid"] and _unescape(match["authzid"]) != name:
            raise SaslFailure(_OTHER_AUTHZID)
        stored = self.credentials.get(name, self.mechanism)
        if stored is None:
            raise self._invalid()
        self._stored = stored
        self._gs2 = match["gs2"]
        self._first_bare = text[len(self._gs2) :]
        # Kafka's ScramFormatter.secureRandomString: base-36 digits, no '+' or '/'.
        self._nonce = match["nonce"] + _base36(secrets.randbits(130))
        self._server_first = (
            f"r={self._nonce},s={base64.b64encode(stored.salt).decode()},i={stored.iterations}"
        )
        self.user = name
        self._step = 1
        return self._server_first.encode()

    def _final(self, text: str) -> bytes:
        match = _CLIENT_FINAL.fullmatch(text)
        if match is None:
            raise SaslFailure("Invalid SCRAM client final message")
        # Kafka's ScramSaslServer checks endsWith, not equality: librdkafka before 2.x's
        # fix sends the client nonce again in front (kcat 1.7.1 does), and Kafka takes it.
        if not match["nonce"].endswith(self._nonce):
            raise SaslFailure("Invalid client nonce in the final client message.")
        if base64.b64decode(match["binding"]) != self._gs2.encode():
            raise SaslFailure("Invalid channel binding in the final client message.")
        auth_message = f"{self._first_bare},{self._server_first},{match['without_proof']}".encode()
        stored = self._stored
        signature = hmac_of(self.mechanism, stored.stored_key, auth_message)
        try:
            proof = base64.b64decode(match["proof"], validate=True)
        except ValueError:
            raise self._invalid() from None
        if len(proof) != len(signature):
            raise self._invalid()
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(digest(self.mechanism, client_key), stored.stored_key):
            raise self._invalid()
        server_signature = hmac_of(self.mechanism, stored.server_key, auth_message)
        self._step, self.complete = 2, True
        return b"v=" + base64.b64encode(server_signature)


def server_for(mechanism: str, credentials: CredentialStore) -> SaslServer:
    return PlainServer(credentials) if mechanism == PLAIN else ScramServer(mechanism, credentials)
