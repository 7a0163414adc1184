"""JSON Schema combinators rule by rule, as Confluent's registry decides them
(`json/diff/` CombinedSchemaDiff, NotSchemaDiff and the combined cases of
SchemaDiff.compareTypes): each case names the rule and what BACKWARD, FORWARD and FULL
say of it. FORWARD runs the diff the other way round, so SUM_TYPE_EXTENDED one way is
SUM_TYPE_NARROWED the other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, check
from kafkatui.ecosystem.registry.schemas import ParsedSchema, SchemaType, parse_schema


def parse(schema: Any) -> ParsedSchema:
    return parse_schema(SchemaType.JSON, json.dumps(schema), {})


def prop(schema: Any) -> dict[str, Any]:
    """`schema` as the property `p` of an object, as Confluent's examples put it."""
    return {"type": "object", "properties": {"p": schema}}


def refusals(level: str, *versions: ParsedSchema) -> set[str]:
    *earlier, new = versions
    problems = check(CompatibilityLevel(level), new, list(enumerate(earlier, start=1)))
    return {issue.kind for _, found in problems for issue in found}


STRING, NUMBER, BOOLEAN = {"type": "string"}, {"type": "number"}, {"type": "boolean"}
ENUM = {"enum": ["one", "two", "three"]}
SHORT = {"maxLength": 5}
OK: set[str] = set()
CHANGED = {"COMBINED_TYPE_SUBSCHEMAS_CHANGED"}

# (rule, old, new, BACKWARD, FORWARD, FULL)
CASES = [
    ("allOf reordered", {"allOf": [ENUM, STRING, SHORT]}, {"allOf": [SHORT, ENUM, STRING]}, OK, OK, OK),
    ("COMBINED_TYPE_SUBSCHEMAS_CHANGED", {"allOf": [ENUM, STRING, SHORT]}, {"allOf": [SHORT, ENUM, NUMBER]},
     CHANGED, CHANGED, CHANGED),
    ("duplicate subschemas collapse", {"allOf": [STRING, STRING]}, {"allOf": [STRING]}, OK, OK, OK),
    ("SUM_TYPE_EXTENDED", {"oneOf": [STRING]}, {"oneOf": [NUMBER, STRING]},
     OK, {"SUM_TYPE_NARROWED"}, {"SUM_TYPE_NARROWED"}),
    ("SUM_TYPE_NARROWED", {"oneOf": [NUMBER, STRING]}, {"oneOf": [STRING]},
     {"SUM_TYPE_NARROWED"}, OK, {"SUM_TYPE_NARROWED"}),
    ("PRODUCT_TYPE_NARROWED", {"allOf": [ENUM, STRING]}, {"allOf": [STRING]},
     OK, {"PRODUCT_TYPE_EXTENDED"}, {"PRODUCT_TYPE_EXTENDED"}),
    ("PRODUCT_TYPE_EXTENDED", {"allOf": [STRING]}, {"allOf": [ENUM, STRING]},
     {"PRODUCT_TYPE_EXTENDED"}, OK, {"PRODUCT_TYPE_EXTENDED"}),
    ("COMBINED_TYPE_EXTENDED: singletons", {"oneOf": [STRING]}, {"anyOf": [STRING]}, OK, OK, OK),
    ("COMBINED_TYPE_EXTENDED: to anyOf", {"oneOf": [NUMBER, STRING]}, {"anyOf": [NUMBER, STRING]},
     OK, {"COMBINED_TYPE_CHANGED"}, {"COMBINED_TYPE_CHANGED"}),
    ("COMBINED_TYPE_CHANGED", {"anyOf": [NUMBER, STRING]}, {"oneOf": [STRING]},
     {"COMBINED_TYPE_CHANGED"}, OK, {"COMBINED_TYPE_CHANGED"}),
    ("COMBINED_TYPE_CHANGED: oneOf to allOf", {"oneOf": [STRING]}, {"allOf": [NUMBER, STRING]},
     {"COMBINED_TYPE_CHANGED"}, OK, {"COMBINED_TYPE_CHANGED"}),
    ("plain to a sum that holds it (SUM_TYPE_EXTENDED)", STRING, {"anyOf": [NUMBER, STRING]},
     OK, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
    ("plain to a sum that does not hold it (TYPE_CHANGED)", STRING, {"oneOf": [NUMBER, BOOLEAN]},
     {"TYPE_CHANGED"}, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
    ("plain to a singleton allOf", STRING, {"allOf": [STRING]}, OK, OK, OK),
    ("plain to a product (PRODUCT_TYPE_NARROWED one way)", STRING, {"allOf": [NUMBER, STRING]},
     {"TYPE_CHANGED"}, OK, {"TYPE_CHANGED"}),
    ("NOT_TYPE_NARROWED", {"not": {"type": ["string", "number"]}}, {"not": STRING},
     OK, {"NOT_TYPE_EXTENDED"}, {"NOT_TYPE_EXTENDED"}),
    ("NOT_TYPE_EXTENDED", {"not": STRING}, {"not": {"type": ["string", "number"]}},
     {"NOT_TYPE_EXTENDED"}, OK, {"NOT_TYPE_EXTENDED"}),
    ("not against a plain schema (TYPE_CHANGED)", STRING, {"not": NUMBER},
     {"TYPE_CHANGED"}, {"TYPE_CHANGED"}, {"TYPE_CHANGED"}),
    ("a subschema changed inside a match", {"anyOf": [STRING, {"type": "integer"}]},
     {"anyOf": [{"type": "string", "maxLength": 3}, NUMBER]}, CHANGED, CHANGED, CHANGED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "old", "new", "backward", "forward", "full"), CASES, ids=[case[0] for case in CASES]
)
def test_each_rule_under_backward_forward_and_full(
    rule: str, old: Any, new: Any, backward: set[str], forward: set[str], full: set[str]
) -> None:
    before, after = parse(prop(old)), parse(prop(new))
    assert refusals("BACKWARD", before, after) == backward
    assert refusals("FORWARD", before, after) == forward
    assert refusals("FULL", before, after) == full
    assert refusals("NONE", before, after) == OK


def test_keywords_beside_a_combinator_are_one_more_part_of_an_allof() -> None:
    # everit reads {"type": "object", ..., "oneOf": [...]} as allOf[object, oneOf[...]].
    base = {"type": "object", "properties": {"id": STRING}}
    two = parse({**base, "oneOf": [{"required": ["a"]}, {"required": ["b"]}]})
    three = parse({**base, "oneOf": [{"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]})
    assert refusals("BACKWARD", two, three) == OK
    assert refusals("FORWARD", two, three) == CHANGED  # the oneOf parts no longer match
    retyped = parse({"type": "object", "properties": {"id": NUMBER}, "oneOf": [{"required": ["a"]}]})
    assert refusals("BACKWARD", parse({**base, "oneOf": [{"required": ["a"]}]}), retyped) == CHANGED


def test_the_matching_gives_each_subschema_its_own_partner() -> None:
    # Both old alternatives fit the new `string` alternative, but only one may take it.
    old = parse(prop({"anyOf": [{"type": "string", "maxLength": 3}, {"type": "string", "maxLength": 4}]}))
    new = parse(prop({"anyOf": [STRING, BOOLEAN]}))
    assert refusals("BACKWARD", old, new) == CHANGED
    wider = parse(prop({"anyOf": [STRING, {"type": "string", "maxLength": 9}]}))
    assert refusals("BACKWARD", old, wider) == OK


def test_transitive_levels_check_every_earlier_version() -> None:
    v1 = parse(prop({"oneOf": [NUMBER, STRING]}))
    v2 = parse(prop({"oneOf": [STRING]}))
    v3 = parse(prop({"oneOf": [STRING, BOOLEAN]}))
    assert refusals("BACKWARD", v1, v2, v3) == OK
    assert refusals("BACKWARD_TRANSITIVE", v1, v2, v3) == CHANGED
    assert refusals("FULL_TRANSITIVE", v1, v2, v3) == {
        "SUM_TYPE_NARROWED",
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    }


def test_the_reasons_name_the_field_and_the_direction() -> None:
    old, new = parse(prop({"oneOf": [NUMBER, STRING]})), parse(prop({"oneOf": [STRING]}))
    [(_, [backward])] = check(CompatibilityLevel.BACKWARD, new, [(1, old)])
    assert backward.path == "#/properties/p"
    assert backward.text == (
        "`p`: `oneOf` offers 2 alternatives in the old schema but 1 in the new schema, "
        "which cannot read documents that matched the missing ones"
    )
    widened = parse(prop({"anyOf": [NUMBER, STRING]}))
    [(_, [forward])] = check(CompatibilityLevel.FORWARD, widened, [(1, old)])
    assert forward.text.startswith("`p` changed from `oneOf` to `anyOf`, so the old schema may refuse")
