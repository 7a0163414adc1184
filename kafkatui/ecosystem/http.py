"""What every kafkatui HTTP service shares (aiohttp; DESIGN.md "HTTP services" says why):
starting and stopping a site on host:port inside the running event loop, JSON in and
out with Confluent's media types, Confluent-style error bodies `{"error_code",
"message"}`, request size limits, and no traceback ever reaching a client.

A service builds an `aiohttp.web.Application` with `json_app()`, adds its routes, and
hands it to `HttpService`, which owns the listening socket. `HttpService.secure` gives it
Confluent's rest-utils security before it starts: TLS (`listeners=https://…`, `ssl.*`)
and HTTP Basic authentication (`authentication.method=BASIC`) against a password check
the host supplies (the cluster's SASL users); this process's own clients of a secured
service (`client_access`) get its CA and a credential of their own."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger("kafkatui.ecosystem")

# Confluent's media types, most specific first: a response is in the first one the
# client accepts (Confluent's rest-utils default is the versioned one).
SCHEMA_REGISTRY_V1 = "application/vnd.schemaregistry.v1+json"
SCHEMA_REGISTRY = "application/vnd.schemaregistry+json"
JSON = "application/json"
REGISTRY_MEDIA_TYPES = (SCHEMA_REGISTRY_V1, SCHEMA_REGISTRY, JSON)
# A body without a Content-Type is octet-stream to Jersey, which Confluent accepts
# ("GENERIC_REQUEST"), so curl -d with -H 'Content-Type: ...' forgotten still works.
GENERIC_REQUEST = "application/octet-stream"

# Requests larger than this are refused before they are read (413).
DEFAULT_MAX_BODY = 16 * 1024 * 1024

_MEDIA_KEY = web.AppKey("media_types", tuple)
_RESPONSE_TYPE = web.RequestKey("response_type", str)
_ANSWERED = web.RequestKey("answered", object)  # what json_response sent, before encoding
_ROUTE_MEDIA = "_kafkatui_media"  # a handler's own media types (`media`), on the function


@dataclass(frozen=True)
class RouteMedia:
    """One resource method's media types, as Jersey's `@Produces` / `@Consumes` declare
    them where a service's are not the same on every path (the REST Proxy's embedded
    formats). `consumes[0]` is what a body without a Content-Type is taken as."""

    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def media(*, produces: Sequence[str] = (), consumes: Sequence[str] = ()) -> Callable[[Handler], Handler]:
    """Give one handler its own media types instead of the application's (`json_app`)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, _ROUTE_MEDIA, RouteMedia(tuple(produces), tuple(consumes)))
        return handler

    return mark


def _route_media(request: web.Request) -> RouteMedia | None:
    route = request.match_info.route
    handler = getattr(route, "handler", None)
    return getattr(handler, _ROUTE_MEDIA, None)


def response_type(request: web.Request) -> str:
    """The media type this request is answered in (negotiated from its Accept)."""
    return request.get(_RESPONSE_TYPE, request.app[_MEDIA_KEY][0])


def request_type(request: web.Request) -> str:
    """The body's media type; without a Content-Type, the handler's first `consumes`
    (Jersey matches such a request to any method) or octet-stream."""
    if request.headers.get("Content-Type"):
        return request.content_type
    route = _route_media(request)
    return route.consumes[0] if route is not None and route.consumes else GENERIC_REQUEST


class HttpError(Exception):
    """An error answered as Confluent does: HTTP `status` and the body
    `{"error_code": error_code, "message": message}`."""

    def __init__(
        self, status: int, error_code: int, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}


class HttpListenError(Exception):
    """A service's port cannot be opened; the message names the port and the flag that
    changes it."""

    name = "LISTENER_BIND_FAILED"


def error_body(error_code: int, message: str) -> dict[str, Any]:
    return {"error_code": error_code, "message": message}


def json_response(
    request: web.Request, data: Any, status: int = 200, *, headers: dict[str, str] | None = None
) -> web.Response:
    """`data` as JSON in the media type the client asked for (negotiated by the
    middleware; Confluent's v1 type by default)."""
    content_type = response_type(request)
    request[_ANSWERED] = data
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": content_type},
    )


def answered(request: web.Request) -> Any:
    """The data `json_response` answered this request with (None if it did not), for a
    middleware that looks at answers without decoding them again."""
    return request.get(_ANSWERED)


async def read_json(request: web.Request, *, empty: Any = ...) -> Any:
    """The request body as JSON. A media type the service (or the handler, `media`) does
    not take is 415, a body that is not JSON 400, as Confluent's rest-utils answers; an
    empty body is `empty` where given (an optional entity, as Jersey passes null)."""
    route = _route_media(request)
    if route is not None and route.consumes:
        accepted: tuple[str, ...] = route.consumes
    else:
        accepted = (*request.app[_MEDIA_KEY], GENERIC_REQUEST)
    content_type = request_type(request)
    if content_type not in accepted:
        raise HttpError(
            415, 415, f"HTTP 415 Unsupported Media Type: {content_type} is not one of {', '.join(accepted)}"
        )
    raw = await request.read()
    if empty is not ... and not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HttpError(400, 400, f"The request body is not valid JSON: {error}") from None


def _negotiate(accept: str, offered: Sequence[str]) -> str | None:
    """The media type to answer in for an Accept header (q values honoured), or None."""
    if not accept.strip():
        return offered[0]
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        quality = 1.0
        for parameter in fields[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            choices.append((-quality, position, fields[0].lower()))
    for _, _, wanted in sorted(choices):
        if wanted in ("*/*", "application/*", GENERIC_REQUEST):
            return offered[0]
        if wanted in offered:
            return wanted
    return None


@web.middleware
async def _confluent_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a Confluent-style JSON body; an unexpected one is a 500
    with a one-line message, and its traceback goes to the log, not to the client."""
    route = _route_media(request)
    offered = route.produces if route is not None and route.produces else request.app[_MEDIA_KEY]
    chosen = _negotiate(request.headers.get("Accept", ""), offered)
    if chosen is None:
        request[_RESPONSE_TYPE] = offered[0]
        return json_response(request, error_body(406, "HTTP 406 Not Acceptable"), 406)
    request[_RESPONSE_TYPE] = chosen
    try:
        return await handler(request)
    except HttpError as error:
        body = error_body(error.error_code, error.message)
        return json_response(request, body, error.status, headers=error.headers)
    except web.HTTPRequestEntityTooLarge as error:
        return json_response(
            request, error_body(413, f"HTTP 413 Request Entity Too Large: {error.text}"), 413
        )
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return json_response(
            request, error_body(error.status, f"HTTP {error.status} {error.reason}"), error.status
        )
    except Exception as error:
        log.exception("%s %s failed", request.method, request.path)
        return json_response(
            request, error_body(500, f"Internal Server Error: {type(error).__name__}: {error}"), 500
        )


PasswordCheck = Callable[[str, str], bool]


@dataclass(frozen=True)
class HttpSecurity:
    """A service's security, as Confluent's rest-utils configures it: `ssl_context` for
    `listeners=https://…` (the `ssl.keystore.*` certificate; None: plain HTTP), and
    `check_password(user, password)` for `authentication.method=BASIC` (None: no
    authentication), whose 401 names `realm` (`authentication.realm`). `client_ssl` is
    what this process's own clients of the service trust (the CA that signed it)."""

    ssl_context: ssl.SSLContext | None = None
    check_password: PasswordCheck | None = None
    realm: str = "kafkatui"
    client_ssl: ssl.SSLContext | None = None

    @property
    def scheme(self) -> str:
        return "http" if self.ssl_context is None else "https"


@dataclass(frozen=True)
class ClientAccess:
    """How a client in this process reaches a secured service of this process: the
    TLS context that trusts it and the `Authorization` header it accepts (a user of the
    process's own, never a cluster user's password), as Confluent's REST Proxy is given
    `schema.registry.ssl.*` and `schema.registry.basic.auth.user.info`."""

    ssl: ssl.SSLContext | None
    headers: dict[str, str]

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """aiohttp's `ssl=`: the context that trusts the service, or the default checks."""
        return True if self.ssl is None else self.ssl


NO_ACCESS = ClientAccess(None, {})  # a service that is not ours, or not secured


_SECURITY_KEY = web.AppKey("security", HttpSecurity)
_INTERNAL_KEY = web.AppKey("internal_authorization", str)
PRINCIPAL = web.RequestKey("principal", str)  # "User:alice", once Basic authentication passed
INTERNAL_USER = "kafkatui-internal"  # the principal of this process's own clients
_CLIENT_ACCESS: dict[str, ClientAccess] = {}  # base URL -> access, for each secured service running here


def client_access(url: str) -> ClientAccess | None:
    """The access a client in this process needs for `url` (a secured service started
    here, or None: plain HTTP, or not ours)."""
    for base, access in _CLIENT_ACCESS.items():
        if url.rstrip("/") == base or url.startswith(base + "/"):
            return access
    return None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """RFC 7617: `Basic base64(user:password)`, or None when it is not that."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@web.middleware
async def _basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """authentication.method=BASIC: a request without valid credentials is a 401 with
    `WWW-Authenticate: basic realm="…"` and Confluent's body (Jetty's BasicAuthenticator
    under rest-utils' JSON error handler: `{"error_code":401,"message":"Unauthorized"}`)."""
    security = request.app.get(_SECURITY_KEY)
    if security is None or security.check_password is None:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    internal = request.app.get(_INTERNAL_KEY)
    if internal is not None and hmac.compare_digest(header.encode(), internal.encode()):
        request[PRINCIPAL] = f"User:{INTERNAL_USER}"
        return await handler(request)
    credentials = _basic_credentials(header)
    if credentials is None or not security.check_password(*credentials):
        if credentials is not None:
            log.warning("%s %s: HTTP Basic authentication failed for %r", request.method, request.path,
                        credentials[0])  # fmt: skip
        raise HttpError(
            401, 401, "Unauthorized", headers={"WWW-Authenticate": f'basic realm="{security.realm}"'}
        )
    request[PRINCIPAL] = f"User:{credentials[0]}"
    return await handler(request)


def json_app(media_types: Sequence[str] = (JSON,), *, max_body: int = DEFAULT_MAX_BODY) -> web.Application:
    """An application whose handlers answer with `json_response` and raise `HttpError`;
    `media_types` are what it reads and writes, the first being its default."""
    app = web.Application(middlewares=[_confluent_errors, _basic_auth], client_max_size=max_body)
    app[_MEDIA_KEY] = tuple(media_types)
    return app


@dataclass(frozen=True)
class Listening:
    host: str
    port: int
    scheme: str = "http"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


class HttpService:
    """One HTTP service on one port, in the caller's event loop (the workbench's
    Textual loop or `kafkatui serve`'s), so handlers may call the backend directly."""

    def __init__(self, app: web.Application, *, name: str, port_flag: str) -> None:
        self.app = app
        self.name = name  # "the Schema Registry", for messages
        self.port_flag = port_flag  # "--schema-registry-port", for the busy-port message
        self._runner: web.AppRunner | None = None
        self.listening: Listening | None = None
        self.security = HttpSecurity()

    def secure(self, security: HttpSecurity) -> None:
        """TLS and/or Basic authentication for this service; call before `start`."""
        if self._runner is not None:
            raise RuntimeError(f"{self.name} is already listening: secure it before it starts")
        self.security = security
        self.app[_SECURITY_KEY] = security
        if security.check_password is not None:
            self.app[_INTERNAL_KEY] = (
                "Basic " + base64.b64encode(f"{INTERNAL_USER}:{secrets.token_urlsafe(32)}".encode()).decode()
            )

    @property
    def url(self) -> str | None:
        return None if self.listening is None else self.listening.url

    async def start(self, host: str, port: int) -> str:
        """Listen on host:port (0 picks a free port); returns the service's URL."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=self.security.ssl_context)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise HttpListenError(
                f"{self.name} cannot listen on {host}:{port} ({error.strerror or error}): "
                f"another program has the port; choose another with {self.port_flag}"
            ) from None
        self._runner = runner
        bound = runner.addresses[0]
        self.listening = Listening(host, int(bound[1]), self.security.scheme)
        if self.security != HttpSecurity():
            internal = self.app.get(_INTERNAL_KEY)
            headers = {} if internal is None else {"Authorization": internal}
            _CLIENT_ACCESS[self.listening.url] = ClientAccess(self.security.client_ssl, headers)
        return self.listening.url

    async def close(self) -> None:
        if self._runner is not None:
            if self.listening is not None:
                _CLIENT_ACCESS.pop(self.listening.url, None)
            await self._runner.cleanup()
            self._runner = None
            self.listening = None
