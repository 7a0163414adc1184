"""JSON Schema rules beside the combinators, as Confluent's registry decides them
(`json/diff/` NumberSchemaDiff, ArraySchemaDiff, ObjectSchemaDiff, with its strict set
of compatible changes): each case names Confluent's Difference.Type and what BACKWARD,
FORWARD and FULL say. The kinds are Confluent's, named from the writer's schema to the
reader's, so FORWARD can name a removal as an addition."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, check
from kafkatui.ecosystem.registry.schemas import ParsedSchema, SchemaType, parse_schema


def parse(schema: Any) -> ParsedSchema:
    return parse_schema(SchemaType.JSON, json.dumps(schema), {})


def refusals(level: str, *versions: ParsedSchema) -> set[str]:
    *earlier, new = versions
    problems = check(CompatibilityLevel(level), new, list(enumerate(earlier, start=1)))
    return {issue.kind for _, found in problems for issue in found}


STRING, NUMBER = {"type": "string"}, {"type": "number"}
OK: set[str] = set()
DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"


def obj(properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **more}


# (rule, old, new, BACKWARD, FORWARD, FULL)
CASES = [
    # multipleOf: the reader's must divide the writer's.
    ("MULTIPLE_OF_REDUCED", {"type": "number", "multipleOf": 10}, {"type": "number", "multipleOf": 5},
     OK, {"MULTIPLE_OF_EXPANDED"}, {"MULTIPLE_OF_EXPANDED"}),
    ("MULTIPLE_OF_CHANGED", {"type": "number", "multipleOf": 10}, {"type": "number", "multipleOf": 11},
     {"MULTIPLE_OF_CHANGED"}, {"MULTIPLE_OF_CHANGED"}, {"MULTIPLE_OF_CHANGED"}),
    ("MULTIPLE_OF_ADDED", NUMBER, {"type": "number", "multipleOf": 0.5},
     {"MULTIPLE_OF_ADDED"}, OK, {"MULTIPLE_OF_ADDED"}),
    # Bounds, in Confluent's names.
    ("MAX_LENGTH_ADDED", STRING, {"type": "string", "maxLength": 8},
     {"MAX_LENGTH_ADDED"}, OK, {"MAX_LENGTH_ADDED"}),
    ("MIN_CONTAINS_INCREASED",
     {"$schema": DRAFT_2020, "type": "array", "contains": NUMBER, "minContains": 1},
     {"$schema": DRAFT_2020, "type": "array", "contains": NUMBER, "minContains": 2},
     {"MIN_CONTAINS_INCREASED"}, OK, {"MIN_CONTAINS_INCREASED"}),
    ("TYPE_NARROWED: number to integer", NUMBER, {"type": "integer"},
     {"TYPE_NARROWED"}, OK, {"TYPE_NARROWED"}),
    # Items.
    ("SCHEMA_ADDED: an items schema", {"type": "array"}, {"type": "array", "items": STRING},
     {"SCHEMA_ADDED"}, OK, {"SCHEMA_ADDED"}),
    ("a tuple position changed", {"type": "array", "items": [STRING]}, {"type": "array", "items": [NUMBER]},
     {"TYPE_CHANGED"}, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
    ("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
     {"type": "array", "items": [STRING], "additionalItems": STRING},
     {"type": "array", "items": [STRING, STRING], "additionalItems": STRING}, OK, OK, OK),
    ("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
     {"type": "array", "items": [STRING], "additionalItems": STRING},
     {"type": "array", "items": [STRING, NUMBER], "additionalItems": STRING},
     {"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
      "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"}),
    ("prefixItems (2020-12) with items for the rest",
     {"$schema": DRAFT_2020, "type": "array", "prefixItems": [STRING], "items": STRING},
     {"$schema": DRAFT_2020, "type": "array", "prefixItems": [STRING, NUMBER], "items": STRING},
     {"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
      "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"}),
    ("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
     {"type": "array", "items": [STRING, STRING], "additionalItems": False},
     {"type": "array", "items": [STRING], "additionalItems": False},
     {"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"}, OK, {"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"}),
    ("ADDITIONAL_ITEMS_REMOVED", {"type": "array", "items": [STRING]},
     {"type": "array", "items": [STRING], "additionalItems": False},
     {"ADDITIONAL_ITEMS_REMOVED"}, OK, {"ADDITIONAL_ITEMS_REMOVED"}),
    # Objects: content models.
    ("ADDITIONAL_PROPERTIES_REMOVED", obj({"id": STRING}), obj({"id": STRING}, additionalProperties=False),
     {"ADDITIONAL_PROPERTIES_REMOVED"}, OK, {"ADDITIONAL_PROPERTIES_REMOVED"}),
    ("ADDITIONAL_PROPERTIES_NARROWED", obj({"id": STRING}), obj({"id": STRING}, additionalProperties=NUMBER),
     {"ADDITIONAL_PROPERTIES_NARROWED"}, OK, {"ADDITIONAL_PROPERTIES_NARROWED"}),
    ("additionalProperties schemas compared", obj({}, additionalProperties=STRING),
     obj({}, additionalProperties=NUMBER), {"TYPE_CHANGED"}, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
    ("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", obj({"id": STRING}), obj({"id": STRING, "n": NUMBER}),
     {"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"}, OK,
     {"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"}),
    ("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
     obj({"id": STRING}, additionalProperties=STRING),
     obj({"id": STRING, "note": STRING}, additionalProperties=STRING), OK, OK, OK),
    ("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
     obj({"id": STRING}, additionalProperties=STRING),
     obj({"id": STRING, "n": NUMBER}, additionalProperties=STRING),
     {"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"},
     {"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
      "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"}),
    ("patternProperties cover an added property",
     obj({"id": STRING}, additionalProperties=False, patternProperties={"^n_": NUMBER}),
     obj({"id": STRING, "n_1": {"type": "integer"}}, additionalProperties=False,
         patternProperties={"^n_": NUMBER}),
     {"TYPE_NARROWED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"}, OK,
     {"TYPE_NARROWED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"}),
    ("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
     obj({"id": STRING, "gone": False}, additionalProperties=False),
     obj({"id": STRING}, additionalProperties=False), OK, OK, OK),
    ("unevaluatedProperties (2020-12) closes like additionalProperties",
     {"$schema": DRAFT_2020, **obj({"id": STRING, "n": NUMBER}, unevaluatedProperties=False)},
     {"$schema": DRAFT_2020, **obj({"id": STRING}, unevaluatedProperties=False)},
     {"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"}, OK, {"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"}),
    # Required and dependencies.
    ("REQUIRED_ATTRIBUTE_ADDED", obj({"id": STRING}), obj({"id": STRING}, required=["id"]),
     {"REQUIRED_ATTRIBUTE_ADDED"}, OK, {"REQUIRED_ATTRIBUTE_ADDED"}),
    ("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", obj({"id": STRING}),
     obj({"id": {"type": "string", "default": ""}}, required=["id"]), OK, OK, OK),
    ("DEPENDENCY_ARRAY_ADDED", obj({"a": STRING, "b": STRING}),
     obj({"a": STRING, "b": STRING}, dependencies={"a": ["b"]}),
     {"DEPENDENCY_ARRAY_ADDED"}, OK, {"DEPENDENCY_ARRAY_ADDED"}),
    ("DEPENDENCY_ARRAY_EXTENDED", obj({"a": STRING, "b": STRING, "c": STRING}, dependencies={"a": ["b"]}),
     obj({"a": STRING, "b": STRING, "c": STRING}, dependencies={"a": ["b", "c"]}),
     {"DEPENDENCY_ARRAY_EXTENDED"}, OK, {"DEPENDENCY_ARRAY_EXTENDED"}),
    ("DEPENDENCY_SCHEMA_ADDED", {"dependencies": {}}, {"dependencies": {"a": {"required": ["b"]}}},
     {"DEPENDENCY_SCHEMA_ADDED"}, OK, {"DEPENDENCY_SCHEMA_ADDED"}),
    ("dependent schemas compared", {"dependencies": {"a": STRING}}, {"dependencies": {"a": NUMBER}},
     {"TYPE_CHANGED"}, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "old", "new", "backward", "forward", "full"), CASES, ids=[case[0] for case in CASES]
)
def test_each_rule_under_backward_forward_and_full(
    rule: str, old: Any, new: Any, backward: set[str], forward: set[str], full: set[str]
) -> None:
    before, after = parse(old), parse(new)
    assert refusals("BACKWARD", before, after) == backward
    assert refusals("FORWARD", before, after) == forward
    assert refusals("FULL", before, after) == full


def test_transitive_levels_check_every_earlier_version() -> None:
    v1 = parse({"type": "number", "multipleOf": 4})
    v2 = parse({"type": "number", "multipleOf": 6})
    v3 = parse({"type": "number", "multipleOf": 3})  # divides 6, not 4
    assert refusals("BACKWARD", v1, v2, v3) == OK
    assert refusals("BACKWARD_TRANSITIVE", v1, v2, v3) == {"MULTIPLE_OF_CHANGED"}


def test_the_reasons_name_the_field() -> None:
    old = parse(obj({"tags": {"type": "array", "items": [STRING], "additionalItems": STRING}}))
    new = parse(obj({"tags": {"type": "array", "items": [STRING, NUMBER], "additionalItems": STRING}}))
    [(_, found)] = check(CompatibilityLevel.BACKWARD, new, [(1, old)])
    [item] = [i for i in found if i.kind == "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]
    assert item.path == "#/properties/tags/items/1"
    assert item.text == "item 1 of the new schema does not read what the old schema allows there"
    deps = parse(obj({"a": STRING, "b": STRING}, dependencies={"a": ["b"]}))
    [(_, [dependency])] = check(
        CompatibilityLevel.BACKWARD, deps, [(1, parse(obj({"a": STRING, "b": STRING})))]
    )
    assert dependency.text == (
        "the document: with `a` present, the new schema also requires `b`, which the old schema's "
        "documents may lack"
    )
