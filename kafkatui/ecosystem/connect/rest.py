"""The Connect REST API on the worker, with Apache Kafka's paths and JSON (its
RootResource, ConnectorPluginsResource and ConnectorsResource). Errors are Connect's
`{"error_code": <HTTP status>, "message": ...}` (ConnectExceptionMapper): 404
"Connector x not found", 409 "Connector x already exists", 400 for a refused config,
500 for an unknown plugin class."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from kafkatui.ecosystem.connect.plugins import UnknownPlugin
from kafkatui.ecosystem.connect.storage import TargetState
from kafkatui.ecosystem.connect.worker import ConnectError, Worker, not_found
from kafkatui.ecosystem.http import HttpError, json_response, read_json

WORKER = web.AppKey("connect_worker", Worker)
VERSION = "3.9.0"  # the Apache Kafka release whose Connect API this follows
COMMIT = "kafkatui"
# ConnectorsResource: a name may not hold a slash, nor be only whitespace.
_BAD_NAME = re.compile(r"[/\x00-\x1f]")


def _worker(request: web.Request) -> Worker:
    return request.app[WORKER]


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").strip().lower() == "true"


def _refused(error: ConnectError) -> HttpError:
    return HttpError(error.status, error.status, error.message)


async def root(request: web.Request) -> web.Response:
    worker = _worker(request)
    return json_response(
        request, {"version": VERSION, "commit": COMMIT, "kafka_cluster_id": worker.cluster_id}
    )


async def plugins(request: web.Request) -> web.Response:
    only_connectors = request.query.get("connectorsOnly", "true").lower() != "false"
    found = [p.info() for p in _worker(request).plugins.plugins.values()]
    if not only_connectors:
        from kafkatui.ecosystem.connect.converters import CONVERTERS

        found += [{"class": name, "type": "converter"} for name in CONVERTERS]
        registry = _worker(request).plugins
        found += [t.info() for t in (*registry.transformations.values(), *registry.predicates.values())]
    return json_response(request, found)


def _find_plugin(request: web.Request, status: int) -> Any:
    name = request.match_info["plugin"]
    try:
        return _worker(request).plugins.find(name)
    except UnknownPlugin as error:
        message = f"Unknown plugin {name}." if status == 404 else str(error)
        raise HttpError(status, status, message) from None


async def plugin_config(request: web.Request) -> web.Response:
    registry, name = _worker(request).plugins, request.match_info["plugin"]
    for find in (registry.find_transformation, registry.find_predicate):  # KIP-769: any plugin's config
        try:
            smt = find(name)
        except UnknownPlugin:
            continue
        return json_response(request, [key.info() for key in smt.cls().config_def().keys.values()])
    plugin = _find_plugin(request, 404)
    return json_response(request, [key.info() for key in plugin.cls().config_def().keys.values()])


async def validate(request: web.Request) -> web.Response:
    """ConnectorPluginsResource.validateConfigs, in Kafka's order: the body's
    connector.class must name the plugin in the path (400), the body must have one (400,
    AbstractHerder.validateConnectorConfig), then the class is looked up, and one that
    no plugin has is Plugins.connectorClass's ConnectException, which Connect's
    exception mapper answers 500 with its message."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HttpError(400, 400, "The config to validate must be a JSON object")
    name = request.match_info["plugin"]
    given = body.get("connector.class")
    if given is not None and not _alias(str(given)).endswith(_alias(name)):
        raise HttpError(400, 400, f"Included connector type {given} does not match request type {name}")
    if given is None:
        shown = ", ".join(f"{k}={v}" for k, v in body.items())  # a Java Map's toString
        raise HttpError(400, 400, f"Connector config {{{shown}}} contains no connector type")
    try:
        plugin = _worker(request).plugins.find(str(given))
    except UnknownPlugin as error:
        raise HttpError(500, 500, str(error)) from None
    props = {**body, "connector.class": plugin.class_name}
    return json_response(request, _worker(request).validate(plugin.class_name, props))


def _alias(name: str) -> str:
    """ConnectorPluginsResource.normalizedPluginName: a class name without its
    "Connector" suffix, as its alias is."""
    suffix = "Connector"
    return name[: -len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else name


async def list_connectors(request: web.Request) -> web.Response:
    worker = _worker(request)
    names = sorted(worker.configs.state.connectors)
    expand = request.query.getall("expand", [])
    if not expand:
        return json_response(request, names)
    out: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {}
        if "status" in expand:
            entry["status"] = worker.status_info(name)
        if "info" in expand:
            entry["info"] = worker.info(name)
        out[name] = entry
    return json_response(request, out)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise HttpError(400, 400, "Connector name configuration must be set and not empty")
    if _BAD_NAME.search(name):
        raise HttpError(400, 400, f"Connector name {name!r} may not contain '/' or control characters")
    return name.strip()


async def _put(
    request: web.Request, name: str, config: Any, *, create_only: bool
) -> tuple[bool, dict[str, Any]]:
    if not isinstance(config, dict):
        raise HttpError(400, 400, "The connector config must be a JSON object")
    worker = _worker(request)
    given = config.get("name")
    if given is not None and given != name:
        raise HttpError(
            400,
            400,
            f"Connector name configuration ({given}) doesn't match connector name in the URL ({name})",
        )
    if create_only and name in worker.configs.state.connectors:
        raise HttpError(409, 409, f"Connector {name} already exists")
    try:
        created = await worker.put_connector(name, {**config, "name": name})
    except ConnectError as error:
        raise _refused(error) from None
    except UnknownPlugin as error:
        raise HttpError(500, 500, str(error)) from None
    return created, worker.info(name)


async def create_connector(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HttpError(400, 400, 'The request must be {"name": ..., "config": {...}}')
    config = body.get("config") or {}
    name = _check_name(body.get("name", config.get("name") if isinstance(config, dict) else None))
    _, info = await _put(request, name, config, create_only=True)
    return json_response(request, info, 201)


def _name(request: web.Request) -> str:
    name = request.match_info["connector"]
    _worker(request).configs.state.connectors.get(name) or _missing(name)
    return name


def _missing(name: str) -> None:
    raise _refused(not_found(name))


async def get_connector(request: web.Request) -> web.Response:
    return json_response(request, _worker(request).info(_name(request)))


async def get_config(request: web.Request) -> web.Response:
    return json_response(request, dict(_worker(request).require(_name(request))))


async def put_config(request: web.Request) -> web.Response:
    name = _check_name(request.match_info["connector"])
    created, info = await _put(request, name, await read_json(request), create_only=False)
    return json_response(request, info, 201 if created else 200)


async def status(request: web.Request) -> web.Response:
    return json_response(request, _worker(request).status_info(_name(request)))


async def tasks(request: web.Request) -> web.Response:
    return json_response(request, _worker(request).task_infos(_name(request)))


def _task_number(request: web.Request) -> int:
    raw = request.match_info["task"]
    if not raw.isdigit():
        raise HttpError(404, 404, "HTTP 404 Not Found")
    return int(raw)


async def task_status(request: web.Request) -> web.Response:
    name, number = _name(request), _task_number(request)
    state = _worker(request).task_state(name, number)
    if state is None or number >= len(_worker(request).configs.state.tasks.get(name, [])):
        raise HttpError(404, 404, f"No status found for task {name}-{number}")
    return json_response(request, state)


async def restart(request: web.Request) -> web.Response:
    name = _name(request)
    plan = await _worker(request).restart(name, _flag(request, "includeTasks"), _flag(request, "onlyFailed"))
    if plan is None:
        return web.Response(status=204)
    return json_response(request, plan, 202)


async def restart_task(request: web.Request) -> web.Response:
    name, number = _name(request), _task_number(request)
    try:
        await _worker(request).restart_task(name, number)
    except ConnectError as error:
        raise _refused(error) from None
    return web.Response(status=204)


def _target(state: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        await _worker(request).set_target(_name(request), state)
        return web.Response(status=202)

    return handler


async def delete_connector(request: web.Request) -> web.Response:
    await _worker(request).delete(_name(request))
    return web.Response(status=204)


async def topics(request: web.Request) -> web.Response:
    name = _name(request)
    return json_response(request, {name: {"topics": _worker(request).active_topics(name)}})


async def offsets(request: web.Request) -> web.Response:
    return json_response(request, {"offsets": await _worker(request).offsets_of(_name(request))})


async def put_task_configs(request: web.Request) -> web.Response:
    """POST /connectors/{c}/tasks, between workers only: the connector's owner sends the
    task configs it generated to the leader, which alone writes connect-configs."""
    name = _name(request)
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(c, dict) for c in body):
        raise HttpError(400, 400, "The task configs must be a JSON array of objects")
    worker = _worker(request)
    try:
        async with worker.lock:
            await worker.write_task_configs(name, [{k: str(v) for k, v in c.items()} for c in body])
    except ConnectError as error:
        raise _refused(error) from None
    return web.Response(status=204)


async def fence(request: web.Request) -> web.Response:
    """PUT /connectors/{c}/fence, between workers only (KIP-618): the leader's round of
    zombie fencing for a source connector's new task configs."""
    worker = _worker(request)
    name = _name(request)
    if worker.config.exactly_once_source_support == "disabled":
        raise HttpError(400, 400, "Exactly-once source support is not enabled on this worker")
    await worker.fence_zombies(name)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", root)
    r.add_get("/connector-plugins", plugins)
    r.add_get("/connector-plugins/{plugin}/config", plugin_config)
    r.add_put("/connector-plugins/{plugin}/config/validate", validate)
    r.add_get("/connectors", list_connectors)
    r.add_post("/connectors", create_connector)
    r.add_get("/connectors/{connector}", get_connector)
    r.add_delete("/connectors/{connector}", delete_connector)
    r.add_get("/connectors/{connector}/config", get_config)
    r.add_put("/connectors/{connector}/config", put_config)
    r.add_get("/connectors/{connector}/status", status)
    r.add_get("/connectors/{connector}/tasks", tasks)
    r.add_get("/connectors/{connector}/tasks/{task}/status", task_status)
    r.add_post("/connectors/{connector}/restart", restart)
    r.add_post("/connectors/{connector}/tasks/{task}/restart", restart_task)
    r.add_put("/connectors/{connector}/pause", _target(TargetState.PAUSED))
    r.add_put("/connectors/{connector}/resume", _target(TargetState.STARTED))
    r.add_put("/connectors/{connector}/stop", _target(TargetState.STOPPED))
    r.add_get("/connectors/{connector}/topics", topics)
    r.add_get("/connectors/{connector}/offsets", offsets)
    r.add_post("/connectors/{connector}/tasks", put_task_configs)
    r.add_put("/connectors/{connector}/fence", fence)
