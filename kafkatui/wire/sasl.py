"""SaslHandshake (key 17) and SaslAuthenticate (key 36): a SASL listener's
authentication, before any other request (Kafka's `SaslServerAuthenticator`).

A connection to a SASL_PLAINTEXT or SASL_SSL listener starts in the handshake state:
only ApiVersions and SaslHandshake are served; anything else closes the connection
unanswered ("Unexpected Kafka request of type X during SASL handshake"). SaslHandshake
v1 picks the mechanism (UNSUPPORTED_SASL_MECHANISM, with the enabled ones, and the
connection closed, for another) and SaslAuthenticate requests carry its tokens (KIP-152);
after a v0 handshake the tokens travel as bare size-prefixed frames, as before KIP-152.
A failed authentication is answered SASL_AUTHENTICATION_FAILED with Kafka's message and
the connection is closed. Once authenticated, the connection serves every API; a
SaslHandshake or SaslAuthenticate then (or on a listener without SASL) gets
ILLEGAL_SASL_STATE, as KafkaApis answers.

Re-authentication (KIP-368): with `connections.max.reauth.ms` > 0, SaslAuthenticate
answers that as `session_lifetime_ms` and the session ends then. A SaslHandshake v1 on
an authenticated connection before its end starts a re-authentication, served like the
first (only the SASL exchange meanwhile), with the same mechanism and principal or the
connection is closed with Kafka's messages; success starts a new session. A request
after the session's end, a re-handshake included, closes the connection unanswered, as
Kafka's SocketServer does ("Disconnecting expired channel"). With 0 (Kafka's default)
sessions never end and a re-handshake gets ILLEGAL_SASL_STATE.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from kafkatui.common.errors import ErrorCode
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, response_class
from kafkatui.wire.sasl_mechanisms import SaslFailure, SaslServer, server_for
from kafkatui.wire.security.credentials import CredentialStore
from kafkatui.wire.security.listener import ListenerConfig
from kafkatui.wire.security.principal import user

HANDSHAKE_KEY = 17
AUTHENTICATE_KEY = 36
PRE_AUTH_KEYS = frozenset({18, HANDSHAKE_KEY, AUTHENTICATE_KEY})  # ApiVersions, and these two


class SaslState(enum.Enum):
    HANDSHAKE = "handshake"  # HANDSHAKE_OR_VERSIONS_REQUEST
    AUTHENTICATE = "authenticate"  # SaslAuthenticate requests (handshake v1)
    RAW_TOKENS = "raw tokens"  # bare token frames (handshake v0)
    COMPLETE = "complete"
    FAILED = "failed"


class SaslProtocolViolation(Exception):
    """A request that may not come now: Kafka closes the connection without an answer."""


@dataclass
class Outcome:
    body: Any | None  # a response body, or None
    close: bool = False  # close the connection once it is sent
    failure: str | None = None  # why authentication failed (for the log)


def handshake_response(version: int, error: ErrorCode, mechanisms: tuple[str, ...]) -> Any:
    return build(response_class(HANDSHAKE_KEY, version), error_code=error, mechanisms=mechanisms)


def authenticate_response(
    version: int, error: ErrorCode, message: str | None, token: bytes = b"", lifetime_ms: int = 0
) -> Any:
    return build(
        response_class(AUTHENTICATE_KEY, version),
        error_code=error,
        error_message=message,
        auth_bytes=token,
        session_lifetime=lifetime_ms,
    )


class SaslAuthenticator:
    """One connection's SASL exchange on `listener`."""

    def __init__(self, listener: ListenerConfig, credentials: CredentialStore) -> None:
        self.listener = listener
        self.credentials = credentials
        self.state = SaslState.HANDSHAKE
        self.server: SaslServer | None = None
        self.session_ends_ms: int | None = None  # None: no end (connections.max.reauth.ms=0)
        # While re-authenticating: who the connection was, and with what (Kafka's ReauthInfo).
        self._previous: tuple[str, str] | None = None
        self._bad_mechanism: str | None = None
        self.reauthentications = 0

    @property
    def reauthenticating(self) -> bool:
        return self._previous is not None

    def expired(self, now_ms: int) -> bool:
        """Kafka's `serverAuthenticationSessionExpired`: past the session's end."""
        return self.session_ends_ms is not None and now_ms > self.session_ends_ms

    def may_reauthenticate(self, api_key: int, version: int) -> bool:
        """A SaslHandshake v1 on an authenticated connection whose session can end
        (`maybeBeginServerReauthentication`; re-authentication needs SaslAuthenticate)."""
        return self.complete and api_key == HANDSHAKE_KEY and version >= 1 and self.listener.max_reauth_ms > 0

    def begin_reauthentication(self) -> None:
        assert self.server is not None and self.server.mechanism is not None
        self._previous = (self.principal or "", self.server.mechanism)
        self.state = SaslState.HANDSHAKE

    @property
    def complete(self) -> bool:
        return self.state is SaslState.COMPLETE

    @property
    def mechanism(self) -> str | None:
        return None if self.server is None else self.server.mechanism

    @property
    def principal(self) -> str | None:
        return None if not self.complete or self.server is None else user(self.server.user or "")

    def check_allowed(self, api_key: int, api_name: str) -> None:
        """Before authentication, only ApiVersions and the state's own SASL request."""
        allowed = {SaslState.HANDSHAKE: {18, HANDSHAKE_KEY}, SaslState.AUTHENTICATE: {AUTHENTICATE_KEY}}
        if api_key not in allowed.get(self.state, set()):
            during = "handshake" if self.state is SaslState.HANDSHAKE else "authentication"
            raise SaslProtocolViolation(f"Unexpected Kafka request of type {api_name} during SASL {during}")

    def handshake(self, version: int, mechanism: str) -> Outcome:
        enabled = self.listener.sasl_mechanisms
        if mechanism not in enabled:
            self.state = SaslState.FAILED
            return Outcome(
                handshake_response(version, ErrorCode.UNSUPPORTED_SASL_MECHANISM, enabled),
                close=True,
                failure=f"unsupported SASL mechanism {mechanism} (enabled: {', '.join(enabled)})",
            )
        if self._previous is not None and mechanism != self._previous[1]:
            # Kafka's REAUTH_BAD_MECHANISM: the handshake succeeds and the authenticate
            # that follows fails, so the failed re-authentication is counted.
            self._bad_mechanism = (
                f"SASL mechanism '{mechanism}' requested by client is not supported for "
                f"re-authentication of mechanism '{self._previous[1]}'"
            )
        self.server = server_for(mechanism, self.credentials)
        self.state = SaslState.AUTHENTICATE if version >= 1 else SaslState.RAW_TOKENS
        return Outcome(handshake_response(version, ErrorCode.NONE, enabled))

    def _evaluate(self, token: bytes, now_ms: int) -> tuple[bytes | None, str | None]:
        assert self.server is not None
        try:
            if self._bad_mechanism is not None:
                raise SaslFailure(self._bad_mechanism)
            answer = self.server.evaluate(token)
            if self.server.complete and self._previous is not None:
                before, after = self._previous[0], user(self.server.user or "")
                if before != after:
                    raise SaslFailure(
                        "Cannot change principals during re-authentication from "
                        f"{before.replace(':', '.', 1)}: {after.replace(':', '.', 1)}"
                    )
        except SaslFailure as error:
            self.state = SaslState.FAILED
            return None, str(error)
        if self.server.complete:
            self.state = SaslState.COMPLETE
            lifetime = self.listener.max_reauth_ms
            self.session_ends_ms = now_ms + lifetime if lifetime > 0 else None
            if self._previous is not None:
                self.reauthentications += 1
                self._previous = None
        return answer, None

    def authenticate(self, version: int, token: bytes, now_ms: int = 0) -> Outcome:
        answer, failure = self._evaluate(token, now_ms)
        if failure is not None:
            body = authenticate_response(version, ErrorCode.SASL_AUTHENTICATION_FAILED, failure)
            return Outcome(body, close=True, failure=failure)
        lifetime = self.listener.max_reauth_ms if self.complete else 0
        return Outcome(authenticate_response(version, ErrorCode.NONE, None, answer or b"", lifetime))

    def raw_token(self, token: bytes, now_ms: int = 0) -> tuple[bytes | None, str | None]:
        """A bare token after a v0 handshake: the bare answer, or a failure (no way to
        say it in this framing: the connection is just closed)."""
        return self._evaluate(token, now_ms)


async def handle_handshake(ctx: RequestContext, request: Any) -> Any:
    # Reached only on an authenticated connection or a listener without SASL.
    return handshake_response(ctx.version, ErrorCode.ILLEGAL_SASL_STATE, ())


async def handle_authenticate(ctx: RequestContext, request: Any) -> Any:
    return authenticate_response(
        ctx.version,
        ErrorCode.ILLEGAL_SASL_STATE,
        "SaslAuthenticate request received after successful authentication",
    )


APIS = [
    Api(HANDSHAKE_KEY, "SaslHandshake", 0, 1, handle_handshake),
    Api(AUTHENTICATE_KEY, "SaslAuthenticate", 0, 2, handle_authenticate),
]
