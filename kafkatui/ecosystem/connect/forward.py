"""Distributed mode's REST rules (Kafka's ConnectorsResource with a DistributedHerder):
a config change asked of a worker that is not the group's leader is forwarded to the
leader's URL and its answer passed back; while a rebalance is in progress, or before
the worker knows its leader, Connect answers 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from kafkatui.ecosystem.connect.worker import Worker

REBALANCING = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
STALE = (
    "Cannot complete request momentarily due to stale configuration (typically caused by a "
    "concurrent config change)"
)
FORWARDED = "X-Kafkatui-Forwarded"  # a forwarded request is never forwarded again


def _config_change(request: web.Request) -> bool:
    path, method = request.path.rstrip("/"), request.method
    if not path.startswith("/connectors"):
        return False
    if method == "POST":
        return path == "/connectors"
    if method == "DELETE":
        return path.count("/") == 2
    if method == "PUT":
        return path.endswith(("/config", "/pause", "/resume", "/stop", "/fence"))
    return False


def _conflict(message: str) -> web.Response:
    return web.json_response({"error_code": 409, "message": message}, status=409)


def forwarding(worker: Worker) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def forward(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        group = worker.group
        if group is None or not _config_change(request):
            return await handler(request)
        if group.rebalancing or group.leader_url is None:
            return _conflict(REBALANCING)
        if group.is_leader:
            return await handler(request)
        if FORWARDED in request.headers:  # the one we forwarded to is no longer leader
            return _conflict(STALE)
        body = await request.read()
        url = group.leader_url.rstrip("/") + request.rel_url.path_qs
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json"), FORWARDED: "1"}
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.request(request.method, url, data=body or None, headers=headers) as answer,
            ):
                raw = await answer.read()
                return web.Response(
                    body=raw, status=answer.status, content_type=answer.content_type or "application/json"
                )
        except aiohttp.ClientError:
            return _conflict(STALE)

    return forward
