"""Confluent Schema Registry's REST API (paths, JSON shapes, error codes as
https://docs.confluent.io/platform/current/schema-registry/develop/api.html documents
them), on aiohttp, over a `SchemaRegistry`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kafkatui import __version__
from kafkatui.ecosystem.http import REGISTRY_MEDIA_TYPES, HttpError, json_app, json_response, read_json
from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.records import SchemaValue
from kafkatui.ecosystem.registry.registry import SchemaRegistry, SchemaRequest
from kafkatui.ecosystem.registry.schemas import SchemaType
from kafkatui.ecosystem.registry.schemas.protobuf import ProtobufSchema

REGISTRY_KEY = web.AppKey("registry", SchemaRegistry)
# The Confluent release whose API this one follows; clients gate features on it.
API_VERSION = "7.9.0"


def _flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter (confluent-kafka sends True/False, curl true)."""
    return request.query.get(name, "false").strip().lower() == "true"


def _registry(request: web.Request) -> SchemaRegistry:
    return request.app[REGISTRY_KEY]


def _schema_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise errors.schema_not_found() from None


def _schema_text(registry: SchemaRegistry, value: SchemaValue, request: web.Request) -> str:
    if request.query.get("format") == "serialized" and value.schema_type is SchemaType.PROTOBUF:
        parsed = registry.parsed(value)
        assert isinstance(parsed, ProtobufSchema)
        return parsed.serialized()
    return value.schema


def _typed(value: SchemaValue, out: dict[str, Any]) -> dict[str, Any]:
    if value.schema_type is not SchemaType.AVRO:
        out["schemaType"] = value.schema_type.value
    if value.references:
        out["references"] = [r.to_json() for r in value.references]
    return out


def version_json(registry: SchemaRegistry, value: SchemaValue, request: web.Request) -> dict[str, Any]:
    out = _typed(value, {"subject": value.subject, "version": value.version, "id": value.id})
    out["schema"] = _schema_text(registry, value, request)
    return out


async def _schema_request(request: web.Request) -> SchemaRequest:
    return SchemaRequest.from_json(await read_json(request))


# --- /subjects ------------------------------------------------------------------------------


async def list_subjects(request: web.Request) -> web.Response:
    registry = _registry(request)
    deleted_only = _flag(request, "deletedOnly")
    subjects = registry.state.subjects(deleted=_flag(request, "deleted") or deleted_only)
    if deleted_only:
        live = set(registry.state.subjects())
        subjects = [s for s in subjects if s not in live]
    prefix = request.query.get("subjectPrefix", "")
    return json_response(request, [s for s in subjects if s.startswith(prefix)])


async def lookup(request: web.Request) -> web.Response:
    registry = _registry(request)
    subject = request.match_info["subject"]
    value = registry.lookup(
        subject,
        await _schema_request(request),
        normalize=_flag(request, "normalize"),
        deleted=_flag(request, "deleted"),
    )
    return json_response(request, version_json(registry, value, request))


async def delete_subject(request: web.Request) -> web.Response:
    versions = await _registry(request).delete_subject(
        request.match_info["subject"], permanent=_flag(request, "permanent")
    )
    return json_response(request, versions)


async def list_versions(request: web.Request) -> web.Response:
    versions = _registry(request).versions(request.match_info["subject"], deleted=_flag(request, "deleted"))
    return json_response(request, versions)


async def register(request: web.Request) -> web.Response:
    registry = _registry(request)
    value = await registry.register(
        request.match_info["subject"], await _schema_request(request), normalize=_flag(request, "normalize")
    )
    return json_response(
        request, _typed(value, {"id": value.id, "version": value.version, "schema": value.schema})
    )


async def get_version(request: web.Request) -> web.Response:
    registry = _registry(request)
    value = registry.version(
        request.match_info["subject"], request.match_info["version"], deleted=_flag(request, "deleted")
    )
    return json_response(request, version_json(registry, value, request))


async def get_version_schema(request: web.Request) -> web.Response:
    registry = _registry(request)
    value = registry.version(
        request.match_info["subject"], request.match_info["version"], deleted=_flag(request, "deleted")
    )
    return _raw(request, _schema_text(registry, value, request))


def _raw(request: web.Request, text: str) -> web.Response:
    """A schema's own text as the body (Confluent's `/schema` endpoints)."""
    response = json_response(request, None)
    response.body = text.encode()
    return response


async def referenced_by(request: web.Request) -> web.Response:
    ids = _registry(request).referenced_by(request.match_info["subject"], request.match_info["version"])
    return json_response(request, ids)


async def delete_version(request: web.Request) -> web.Response:
    version = await _registry(request).delete_version(
        request.match_info["subject"], request.match_info["version"], permanent=_flag(request, "permanent")
    )
    return json_response(request, version)


# --- /schemas -------------------------------------------------------------------------------


async def schema_by_id(request: web.Request) -> web.Response:
    registry = _registry(request)
    value = registry.by_id(_schema_id(request.match_info["id"]))
    return json_response(request, _typed(value, {"schema": _schema_text(registry, value, request)}))


async def schema_by_id_raw(request: web.Request) -> web.Response:
    registry = _registry(request)
    value = registry.by_id(_schema_id(request.match_info["id"]))
    return _raw(request, _schema_text(registry, value, request))


async def schema_subjects(request: web.Request) -> web.Response:
    uses = _registry(request).id_versions(
        _schema_id(request.match_info["id"]), deleted=_flag(request, "deleted")
    )
    wanted = request.query.get("subject")
    return json_response(request, sorted({v.subject for v in uses if wanted is None or v.subject == wanted}))


async def schema_versions(request: web.Request) -> web.Response:
    uses = _registry(request).id_versions(
        _schema_id(request.match_info["id"]), deleted=_flag(request, "deleted")
    )
    return json_response(request, [{"subject": v.subject, "version": v.version} for v in uses])


async def schema_types(request: web.Request) -> web.Response:
    return json_response(request, ["JSON", "PROTOBUF", "AVRO"])  # Confluent's order


async def list_schemas(request: web.Request) -> web.Response:
    registry = _registry(request)
    prefix = request.query.get("subjectPrefix", "")
    latest_only = _flag(request, "latestOnly")
    out = []
    for subject in registry.state.subjects(deleted=_flag(request, "deleted")):
        if subject.startswith(prefix):
            versions = registry.state.subject_versions(subject, deleted=_flag(request, "deleted"))
            out += [version_json(registry, v, request) for v in (versions[-1:] if latest_only else versions)]
    return json_response(request, out)


# --- /config, /mode, /compatibility -----------------------------------------------------------


def _subject(request: web.Request) -> str | None:
    return request.match_info.get("subject")


async def get_config(request: web.Request) -> web.Response:
    found = _registry(request).config(_subject(request), default_to_global=_flag(request, "defaultToGlobal"))
    return json_response(request, found)


async def put_config(request: web.Request) -> web.Response:
    return json_response(
        request, await _registry(request).set_config(_subject(request), await read_json(request))
    )


async def delete_config(request: web.Request) -> web.Response:
    return json_response(request, await _registry(request).delete_config(_subject(request)))


async def get_mode(request: web.Request) -> web.Response:
    mode = _registry(request).get_mode(_subject(request), default_to_global=_flag(request, "defaultToGlobal"))
    return json_response(request, {"mode": mode})


async def put_mode(request: web.Request) -> web.Response:
    return json_response(
        request, {"mode": await _registry(request).set_mode(_subject(request), await read_json(request))}
    )


async def delete_mode(request: web.Request) -> web.Response:
    return json_response(
        request, {"mode": await _registry(request).delete_mode(request.match_info["subject"])}
    )


async def test_compatibility(request: web.Request) -> web.Response:
    registry = _registry(request)
    subject = request.match_info["subject"]
    version = request.match_info.get("version")
    schema = await _schema_request(request)
    if version is not None:
        registry.version(subject, version)  # 40401 / 40402 / 42202 before the body is judged
    compatible, messages = registry.test_compatibility(
        subject, version, schema, normalize=_flag(request, "normalize")
    )
    body: dict[str, Any] = {"is_compatible": compatible}
    if _flag(request, "verbose"):
        body["messages"] = messages
    return json_response(request, body)


# --- the rest -------------------------------------------------------------------------------


async def contexts(request: web.Request) -> web.Response:
    return json_response(request, ["."])


async def metadata_id(request: web.Request) -> web.Response:
    return json_response(
        request, {"scope": {"path": [], "clusters": {"schema-registry-cluster": "schema-registry"}}}
    )


async def metadata_version(request: web.Request) -> web.Response:
    return json_response(request, {"version": API_VERSION, "commitId": f"kafkatui-{__version__}"})


async def root(request: web.Request) -> web.Response:
    return json_response(request, {})


async def no_associations(request: web.Request) -> web.Response:
    # Recent confluent-kafka serializers ask for topic associations first and take a
    # 404 as "none" (then the subject name strategy applies), as from an older registry.
    raise HttpError(404, 404, "HTTP 404 Not Found")


def registry_app(registry: SchemaRegistry) -> web.Application:
    app = json_app(REGISTRY_MEDIA_TYPES)
    app[REGISTRY_KEY] = registry
    s, v, i = "/subjects/{subject}", "/subjects/{subject}/versions/{version}", "/schemas/ids/{id}"
    app.router.add_routes(
        [
            web.get("/", root),
            web.get("/subjects", list_subjects),
            web.post(s, lookup),
            web.delete(s, delete_subject),
            web.get(f"{s}/versions", list_versions),
            web.post(f"{s}/versions", register),
            web.get(v, get_version),
            web.delete(v, delete_version),
            web.get(f"{v}/schema", get_version_schema),
            web.get(f"{v}/referencedby", referenced_by),
            web.get("/schemas", list_schemas),
            web.get("/schemas/types", schema_types),
            web.get(i, schema_by_id),
            web.get(f"{i}/schema", schema_by_id_raw),
            web.get(f"{i}/subjects", schema_subjects),
            web.get(f"{i}/versions", schema_versions),
            web.get("/config", get_config),
            web.put("/config", put_config),
            web.delete("/config", delete_config),
            web.get("/config/{subject}", get_config),
            web.put("/config/{subject}", put_config),
            web.delete("/config/{subject}", delete_config),
            web.get("/mode", get_mode),
            web.put("/mode", put_mode),
            web.get("/mode/{subject}", get_mode),
            web.put("/mode/{subject}", put_mode),
            web.delete("/mode/{subject}", delete_mode),
            web.post(f"/compatibility{v}", test_compatibility),
            web.post(f"/compatibility{s}/versions", test_compatibility),
            web.get("/contexts", contexts),
            web.get("/v1/metadata/id", metadata_id),
            web.get("/v1/metadata/version", metadata_version),
            web.route("*", "/associations{tail:.*}", no_associations),
        ]
    )
    return app
