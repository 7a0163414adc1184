"""Transform and error-handling configs as Connect validates them: every alias's type
and its transform's own configs are ConfigKeys of the connector's ConfigDef (group
"Transforms: <alias>"), so `PUT .../config/validate` and POST /connectors report each bad
one per field; the plugins are listed and described by the REST API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from kafkatui.ecosystem.connect.plugins import discover_transforms
from tests.ecosystem.connect.conftest import ServedConnect

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
SMT = "org.apache.kafka.connect.transforms"


def _errors(infos: dict[str, Any]) -> dict[str, list[str]]:
    return {c["value"]["name"]: c["value"]["errors"] for c in infos["configs"]}


def test_validate_reports_every_bad_transform_and_predicate_config_per_field(connect: ServedConnect) -> None:
    config = {
        "connector.class": SINK, "name": "s", "file": "/tmp/x", "topics": "t",
        "transforms": "noType,unknown,mask,route,insert,neg,dangling",
        "transforms.unknown.type": "com.example.Nope",
        "transforms.mask.type": f"{SMT}.MaskField$Value", "transforms.mask.replacement": " ",
        "transforms.route.type": "RegexRouter", "transforms.route.regex": "(",
        "transforms.insert.type": "InsertField$Value", "transforms.insert.topic.field": "t",
        "transforms.neg.type": "Filter", "transforms.neg.negate": "true",
        "transforms.dangling.type": "Filter", "transforms.dangling.predicate": "missing",
        "predicates": "p,q", "predicates.p.type": "TopicNameMatches", "predicates.q.type": "com.example.Q",
        "errors.retry.timeout": "-2", "errors.deadletterqueue.topic.name": "t",
    }  # fmt: skip
    answer = connect.http.put(f"/connector-plugins/{SINK}/config/validate", json=config)
    assert answer.status_code == 200, answer.text
    infos = answer.json()
    errors = _errors(infos)
    assert errors["transforms.noType.type"] == [
        'Missing required configuration "transforms.noType.type" which has no default value.'
    ]
    assert errors["transforms.unknown.type"] == [
        "Invalid value com.example.Nope for configuration transforms.unknown.type: "
        "Class com.example.Nope could not be found: no Transformation plugin of that name"
    ]
    assert errors["transforms.mask.fields"] == [
        'Missing required configuration "transforms.mask.fields" which has no default value.'
    ]
    assert errors["transforms.mask.replacement"] == [
        "Invalid value   for configuration transforms.mask.replacement: String may not be empty"
    ]
    assert errors["transforms.route.regex"][0].startswith(
        "Invalid value ( for configuration transforms.route.regex: Invalid regex"
    )
    assert errors["transforms.route.replacement"] == [
        'Missing required configuration "transforms.route.replacement" which has no default value.'
    ]
    assert errors["transforms.insert.topic.field"] == [] and errors["transforms.insert.type"] == []
    assert errors["transforms.neg.type"] == [
        "Config 'transforms.neg.negate' was provided but there is no config 'transforms.neg.predicate' "
        "defining a predicate to be negated."
    ]
    assert errors["transforms.dangling.predicate"][0].startswith(
        "Invalid value missing for configuration transforms.dangling.predicate"
    )
    assert errors["predicates.p.pattern"] == [
        'Missing required configuration "predicates.p.pattern" which has no default value.'
    ]
    assert errors["predicates.q.type"] == [
        "Invalid value com.example.Q for configuration predicates.q.type: "
        "Class com.example.Q could not be found: no Predicate plugin of that name"
    ]
    assert errors["errors.retry.timeout"] == [
        "Invalid value -2 for configuration errors.retry.timeout: Value must be at least -1"
    ]
    assert errors["errors.deadletterqueue.topic.name"] == [
        "The DLQ topic 't' may not be included in the list of topics ('topics=t') consumed by the connector"
    ]
    assert infos["error_count"] == sum(len(e) for e in errors.values()) == 12
    assert {"Transforms: mask", "Predicates: p", "Error Handling"} <= set(infos["groups"])
    mask = next(
        c["definition"] for c in infos["configs"] if c["definition"]["name"] == "transforms.mask.fields"
    )
    assert (mask["type"], mask["required"], mask["group"]) == ("LIST", True, "Transforms: mask")


def test_creating_a_connector_with_a_bad_transform_is_refused_with_the_problems(
    connect: ServedConnect,
) -> None:
    answer = connect.create("s", **{"connector.class": "FileStreamSink", "file": "/tmp/x", "topics": "t",
                                    "transforms": "a,a", "transforms.a.type": "ValueToKey"})  # fmt: skip
    assert answer.status_code == 400
    body = answer.json()
    assert body["error_code"] == 400
    assert body["message"].startswith(
        "Connector configuration is invalid and contains the following 2 error(s):"
    )
    assert "Invalid value a,a for configuration transforms: Duplicate alias provided." in body["message"]
    assert 'Missing required configuration "transforms.a.fields"' in body["message"]
    assert connect.http.get("/connectors").json() == []


def test_a_source_connector_has_no_dead_letter_queue_configs(connect: ServedConnect) -> None:
    infos = connect.http.put(
        "/connector-plugins/FileStreamSource/config/validate",
        json={"connector.class": "FileStreamSource", "name": "s", "file": "/tmp/x", "topic": "t"},
    ).json()
    names = set(_errors(infos))
    assert "errors.retry.timeout" in names and "errors.log.enable" in names
    assert not any(n.startswith("errors.deadletterqueue") for n in names)


def test_the_plugins_list_has_the_transformations_and_predicates(connect: ServedConnect) -> None:
    listed = connect.http.get("/connector-plugins", params={"connectorsOnly": "false"}).json()
    kinds = {p["class"]: p["type"] for p in listed}
    for name in ("InsertField$Key", "InsertField$Value", "ReplaceField$Value", "MaskField$Key", "ValueToKey",
                 "ExtractField$Value", "TimestampRouter", "RegexRouter", "Filter"):  # fmt: skip
        assert kinds[f"{SMT}.{name}"] == "transformation"
    for name in ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"):
        assert kinds[f"{SMT}.predicates.{name}"] == "predicate"
    assert next(p for p in listed if p["class"] == f"{SMT}.Filter")["version"]
    only = connect.http.get("/connector-plugins").json()
    assert {p["type"] for p in only} == {"source", "sink"}


def test_a_transforms_config_definition_is_served(connect: ServedConnect) -> None:
    keys = connect.http.get(f"/connector-plugins/{SMT}.TimestampRouter/config").json()
    assert [(k["name"], k["default_value"]) for k in keys] == [
        ("topic.format", "${topic}-${timestamp}"),
        ("timestamp.format", "yyyyMMdd"),
    ]
    assert [k["name"] for k in connect.http.get("/connector-plugins/HasHeaderKey/config").json()] == ["name"]


PLUGIN = """
from kafkatui.ecosystem.connect.transforms import Predicate, Transformation


class Upper(Transformation):
    def apply(self, record):
        return record


class IsBig(Predicate):
    def test(self, record):
        return True
"""


def test_an_installed_distribution_adds_its_transform_and_predicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "upper_plugin.py").write_text(PLUGIN)
    info = tmp_path / "upper_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: upper-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[kafkatui.transforms]\ncom.example.Upper = upper_plugin:Upper\n"
        "[kafkatui.predicates]\ncom.example.IsBig = upper_plugin:IsBig\n"
        "com.example.Wrong = upper_plugin:Upper\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    transforms, predicates = discover_transforms("transformation"), discover_transforms("predicate")
    assert transforms["com.example.Upper"].info() == {
        "class": "com.example.Upper", "type": "transformation", "version": "3.9.0"
    }  # fmt: skip
    assert predicates["com.example.IsBig"].kind == "predicate"
    assert "com.example.Wrong" not in predicates  # a Transformation is no Predicate
    assert f"{SMT}.RegexRouter" in transforms
    sys.modules.pop("upper_plugin", None)
