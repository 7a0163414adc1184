"""Distributed mode's REST rules (Kafka's ConnectorsResource with a DistributedHerder):
a config change asked of a worker that is not the group's leader (and the internal
task-config and fencing requests, and a restart with includeTasks/onlyFailed) is
forwarded to the leader's URL and its answer passed back; a plain connector restart or
a task restart goes to the worker that runs it (as connect-status says); while a
rebalance is in progress, or before the worker knows its leader, Connect answers 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from kafkatui.ecosystem.connect.worker import Worker
from kafkatui.ecosystem.http import NO_ACCESS, client_access

REBALANCING = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
STALE = (
    "Cannot complete request momentarily due to stale configuration (typically caused by a "
    "concurrent config change)"
)
FORWARDED = "X-Kafkatui-Forwarded"  # a forwarded request is never forwarded again


def _config_change(request: web.Request) -> bool:
    """What the leader does: config changes, the internal task-config and fencing
    requests, and a restart with includeTasks or onlyFailed (it writes the request)."""
    path, method = request.path.rstrip("/"), request.method
    if not path.startswith("/connectors"):
        return False
    if method == "POST":
        if path.endswith("/restart") and path.count("/") == 3:
            return any(
                request.query.get(f, "false").lower() == "true" for f in ("includeTasks", "onlyFailed")
            )
        return path == "/connectors" or (path.endswith("/tasks") and path.count("/") == 3)
    if method == "DELETE":
        return path.count("/") == 2
    if method == "PUT":
        return path.endswith(("/config", "/pause", "/resume", "/stop", "/fence"))
    return False


def _owned_elsewhere(worker: Worker, request: web.Request) -> str | None:
    """For what runs on one worker (a plain connector restart, a task restart): the
    owner's URL, from its status in connect-status, when it is not this worker."""
    path, method = request.path.rstrip("/"), request.method
    parts = path.split("/")  # "", "connectors", c, ... "restart"
    if method != "POST" or not path.endswith("/restart") or len(parts) not in (4, 6):
        return None
    name = parts[2]
    if len(parts) == 4:
        if _config_change(request) or worker.owns(name):
            return None
        status = worker.status.connectors.get(name)
    else:
        if not parts[4].isdigit() or worker.owns(name, int(parts[4])):
            return None
        status = worker.status.tasks.get((name, int(parts[4])))
    if name not in worker.configs.state.connectors:
        return None  # 404 here
    if status is None or status.state == "UNASSIGNED" or status.worker_id == worker.config.worker_id:
        return ""  # no one runs it now
    return f"{worker.config.rest_advertised_listener}://{status.worker_id}"


def _conflict(message: str) -> web.Response:
    return web.json_response({"error_code": 409, "message": message}, status=409)


def forwarding(worker: Worker) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def forward(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        group = worker.group
        if group is None:
            return await handler(request)
        owner = _owned_elsewhere(worker, request)
        if owner is not None:
            if not owner or group.rebalancing:
                return _conflict(REBALANCING)
            if FORWARDED in request.headers:  # it moved since: the status was stale
                return _conflict(STALE)
            return await _forward(request, owner)
        if not _config_change(request):
            return await handler(request)
        if group.rebalancing or group.leader_url is None:
            return _conflict(REBALANCING)
        if group.is_leader:
            return await handler(request)
        if FORWARDED in request.headers:  # the one we forwarded to is no longer leader
            return _conflict(STALE)
        return await _forward(request, group.leader_url)

    return forward


async def _forward(request: web.Request, base_url: str) -> web.StreamResponse:
    """The request, sent on to `base_url`, and its answer passed back as it came."""
    body = await request.read()
    url = base_url.rstrip("/") + request.rel_url.path_qs
    headers = {"Content-Type": request.headers.get("Content-Type", "application/json"), FORWARDED: "1"}
    access = client_access(url) or NO_ACCESS  # a leader in this process behind TLS/Basic
    headers.update(access.headers)
    if "Authorization" in request.headers:  # Connect's RestClient forwards the caller's credentials
        headers["Authorization"] = request.headers["Authorization"]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, url, data=body or None, headers=headers, ssl=access.verify
            ) as answer,
        ):
            raw = await answer.read()
            return web.Response(
                body=raw, status=answer.status, content_type=answer.content_type or "application/json"
            )
    except aiohttp.ClientError:
        return _conflict(STALE)
