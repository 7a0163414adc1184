"""ApiVersions (key 18): which APIs and versions this server speaks.

Flexible versions (v3) carry tagged fields; kio writes one only when it differs from
its default, as Apache Kafka does — kcat 1.7.1 fails with "Read underflow" on a
response that writes SupportedFeatures & co. at their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafkatui.common.errors import ErrorCode
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

API_KEY = 18


def _body(version: int, apis: Mapping[int, Api], error: ErrorCode = ErrorCode.NONE) -> Any:
    cls = response_class(API_KEY, version)
    entry = nested(cls, "ApiVersion")
    keys = tuple(
        entry(
            api_key=a.key,
            min_version=a.min_version if a.advertised_min_version is None else a.advertised_min_version,
            max_version=a.max_version,
        )
        for a in sorted(apis.values(), key=lambda a: a.key)
    )
    return build(cls, error_code=error, api_keys=keys, throttle_time=0)


def unsupported_version(apis: Mapping[int, Api]) -> Any:
    """A v0 body with UNSUPPORTED_VERSION and the full list, so the client can pick."""
    return _body(0, apis, ErrorCode.UNSUPPORTED_VERSION)


async def handle(ctx: RequestContext, request: Any) -> Any:
    return _body(ctx.version, ctx.server.apis)


APIS = [Api(API_KEY, "ApiVersions", 0, 3, handle)]
