"""Bad input over HTTP: each gets Confluent's error code in a JSON body, and nothing is
stored (the `_schemas` topic holds only the NOOP markers of the reader's syncs)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.ecosystem.conftest import ServedRegistry

V1 = "application/vnd.schemaregistry.v1+json"


def call(url: str, method: str = "GET", body: bytes | None = None, content_type: str = V1,
         accept: str | None = None) -> tuple[int, str, Any]:  # fmt: skip
    headers = {"Content-Type": content_type} if body is not None else {}
    if accept is not None:
        headers["Accept"] = accept
    request = urllib.request.Request(url, body, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def register(served: ServedRegistry, body: Any, raw: bytes | None = None, **kwargs: Any) -> tuple[int, Any]:
    status, _, answer = call(f"{served.url}/subjects/s/versions", "POST",
                             raw if raw is not None else json.dumps(body).encode(), **kwargs)  # fmt: skip
    return status, answer


def nothing_stored(served: ServedRegistry) -> None:
    assert call(f"{served.url}/subjects?deleted=true")[2] == []
    records = served.call(served.backend.read_log("_schemas", 0, 0, 1000))
    assert {json.loads(r.key)["keytype"] for r in records} == {"NOOP"}


BAD_SCHEMAS = [
    ({"schema": '{"type": "recrod", "name": "X"}'}, 42201, "unknown type"),
    ({"schema": '{"type":"record","name":"X","fields":[{"name":"a","type":"int","default":"x"}]}'}, 42201, "Default value"),  # noqa: E501
    ({"schema": "{not json"}, 42201, "not valid JSON"),
    ({"schema": '{"type": "objekt"}', "schemaType": "JSON"}, 42201, "Invalid schema"),
    ({"schema": 'syntax = "proto3"; message X { strin id = 1; }', "schemaType": "PROTOBUF"}, 42201, "not defined"),  # noqa: E501
    ({"schema": '"string"', "schemaType": "XML"}, 42201, "Invalid schema type"),
    ({"schema": ""}, 42201, "non-empty"),
    ({"schemas": '"string"'}, 42201, "non-empty"),
    ({"schema": '"string"', "references": [{"name": "x", "subject": "nope", "version": 1}]}, 42201, "does not exist"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("body", "error_code", "words"), BAD_SCHEMAS)
def test_an_invalid_schema_is_42201_and_nothing_is_stored(
    registry: ServedRegistry, body: dict[str, Any], error_code: int, words: str
) -> None:
    status, answer = register(registry, body)
    assert (status, answer["error_code"]) == (422, error_code)
    assert words in answer["message"]
    nothing_stored(registry)


def test_malformed_json_wrong_content_type_and_huge_schemas(registry: ServedRegistry) -> None:
    status, answer = register(registry, None, raw=b'{"schema": ')
    assert (status, answer["error_code"]) == (400, 400)
    status, answer = register(registry, {"schema": '"string"'}, content_type="text/plain")
    assert (status, answer["error_code"]) == (415, 415)
    huge = {"type": "enum", "name": "Big", "symbols": [f"S{n:07d}" for n in range(120_000)]}
    status, answer = register(registry, {"schema": json.dumps(huge)})
    assert (status, answer["error_code"]) == (422, 42209)
    assert "too large" in answer["message"]
    status, _, answer = call(f"{registry.url}/subjects", accept="text/html")
    assert (status, answer["error_code"]) == (406, 406)
    nothing_stored(registry)


def test_unknown_subject_version_and_id(registry: ServedRegistry) -> None:
    assert register(registry, {"schema": '"string"'})[0] == 200
    url = registry.url
    for path, status, error_code in [
        ("/subjects/nope/versions", 404, 40401),
        ("/subjects/nope/versions/1", 404, 40401),
        ("/subjects/s/versions/2", 404, 40402),
        ("/subjects/s/versions/0", 422, 42202),
        ("/subjects/s/versions/first", 422, 42202),
        ("/schemas/ids/99", 404, 40403),
        ("/schemas/ids/x", 404, 40403),
        ("/config/s", 404, 40408),
        ("/mode/s", 404, 40409),
        ("/no/such/path", 404, 404),
        ("/associations/resources/lkc-1/orders?resourceType=topic", 404, 404),
    ]:
        got, content_type, answer = call(url + path)
        assert (got, answer["error_code"]) == (status, error_code), path
        assert content_type == V1
    assert call(f"{url}/subjects/nope", "POST", b'{"schema": "\\"string\\""}')[2]["error_code"] == 40401
    assert call(f"{url}/subjects/s", "POST", b'{"schema": "\\"int\\""}')[2]["error_code"] == 40403


def test_the_small_endpoints(registry: ServedRegistry) -> None:
    url = registry.url
    assert call(f"{url}/schemas/types")[2] == ["JSON", "PROTOBUF", "AVRO"]
    assert call(f"{url}/contexts")[2] == ["."]
    assert call(f"{url}/config")[2] == {"compatibilityLevel": "BACKWARD"}
    assert call(f"{url}/mode")[2] == {"mode": "READWRITE"}
    assert "version" in call(f"{url}/v1/metadata/version")[2]
    assert "scope" in call(f"{url}/v1/metadata/id")[2]
    status, content_type, _ = call(f"{url}/subjects", accept="application/json")
    assert (status, content_type) == (200, "application/json")
    status, answer = register(registry, {"schema": '"string"'}, content_type="application/json")
    assert (status, answer["id"]) == (200, 1)
    assert call(f"{url}/schemas/ids/1/versions")[2] == [{"subject": "s", "version": 1}]
    assert call(f"{url}/subjects/s/versions/latest/schema")[2] == "string"
