"""Protobuf compatibility rule by rule, as Confluent's registry decides it
(`protobuf/diff/` Difference.Type and SchemaDiff.COMPATIBLE_CHANGES): each case names
the rule and what BACKWARD, FORWARD and FULL say of it. FORWARD runs Confluent's diff
the other way round (new schema as the original), so a rule can refuse in one direction
only. Schemas are compiled by the real protoc and checked by the registry's own
`compatibility.check`."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, check
from kafkatui.ecosystem.registry.schemas import ParsedSchema, SchemaType, parse_schema


def proto(body: str, *, syntax: str = "proto3", package: str = "shop", imports: str = "") -> str:
    return f'syntax = "{syntax}";\npackage {package};\n{imports}\n{body}\n'


def parse(text: str, references: dict[str, ParsedSchema] | None = None) -> ParsedSchema:
    return parse_schema(SchemaType.PROTOBUF, text, references or {})


def refusals(level: str, *versions: ParsedSchema) -> set[str]:
    """The kinds that refuse the last version after the others under `level`."""
    *earlier, new = versions
    problems = check(CompatibilityLevel(level), new, list(enumerate(earlier, start=1)))
    return {issue.kind for _, found in problems for issue in found}


STATUS = "enum Status { NEW = 0; PAID = 1; }"
ITEM = "message Item { int32 qty = 1; }"
OTHER = "message Other { int32 qty = 1; }"
ONEOF_2 = "message Order { string id = 1; oneof pay { string card = 2; string iban = 3; } }"
OK: set[str] = set()
BOTH_REQUIRED = {"REQUIRED_FIELD_ADDED", "REQUIRED_FIELD_REMOVED"}

# (rule, old body, new body, BACKWARD, FORWARD, FULL)
CASES = [
    # Enums: every enum change is compatible, unknown numbers being kept.
    ("ENUM_CONST_ADDED", "enum Status { NEW = 0; } message Order { Status s = 1; }",
     f"{STATUS} message Order {{ Status s = 1; }}", OK, OK, OK),
    ("ENUM_CONST_REMOVED", f"{STATUS} message Order {{ Status s = 1; }}",
     "enum Status { NEW = 0; } message Order { Status s = 1; }", OK, OK, OK),
    ("ENUM_CONST_CHANGED", "enum Status { NEW = 0; } message Order { Status s = 1; }",
     "enum Status { CREATED = 0; } message Order { Status s = 1; }", OK, OK, OK),
    ("ENUM_ADDED", "message Order { int32 s = 1; }", f"{STATUS} message Order {{ int32 s = 1; }}",
     OK, OK, OK),
    ("ENUM_REMOVED", f"{STATUS} message Order {{ int32 s = 1; }}", "message Order { int32 s = 1; }",
     OK, OK, OK),
    # An enum field is a varint scalar (GENERAL_NUMBER) to Confluent.
    ("enum field to int32", f"{STATUS} message Order {{ Status s = 1; }}",
     f"{STATUS} message Order {{ int32 s = 1; }}", OK, OK, OK),
    ("enum field to another enum", f"{STATUS} enum State {{ A = 0; }} message Order {{ Status s = 1; }}",
     f"{STATUS} enum State {{ A = 0; }} message Order {{ State s = 1; }}", OK, OK, OK),
    ("FIELD_SCALAR_KIND_CHANGED: enum field to sint32", f"{STATUS} message Order {{ Status s = 1; }}",
     f"{STATUS} message Order {{ sint32 s = 1; }}",
     {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}),
    ("FIELD_KIND_CHANGED: enum field to message", f"{STATUS} {ITEM} message Order {{ Status s = 1; }}",
     f"{STATUS} {ITEM} message Order {{ Item s = 1; }}",
     {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}),
    # Scalars.
    ("FIELD_SCALAR_KIND_CHANGED: int32 to sint32", "message Order { int32 q = 1; }",
     "message Order { sint32 q = 1; }",
     {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}),
    ("FIELD_SCALAR_KIND_CHANGED: float to double", "message Order { float q = 1; }",
     "message Order { double q = 1; }",
     {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}),
    ("FIELD_KIND_CHANGED: scalar to message", f"{ITEM} message Order {{ int32 q = 1; }}",
     f"{ITEM} message Order {{ Item q = 1; }}",
     {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}),
    ("FIELD_KIND_CHANGED: map to repeated message", f"{ITEM} message Order {{ map<string, int32> q = 1; }}",
     f"{ITEM} message Order {{ repeated Item q = 1; }}",
     {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}, {"FIELD_KIND_CHANGED"}),
    ("FIELD_SCALAR_KIND_CHANGED: map value", "message Order { map<string, int32> q = 1; }",
     "message Order { map<string, double> q = 1; }",
     {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}),
    ("map value in the same wire group", "message Order { map<string, int32> q = 1; }",
     "message Order { map<string, int64> q = 1; }", OK, OK, OK),
    # Message-typed fields.
    ("FIELD_NAMED_TYPE_CHANGED", f"{ITEM} {OTHER} message Order {{ Item i = 1; }}",
     f"{ITEM} {OTHER} message Order {{ Other i = 1; }}",
     {"FIELD_NAMED_TYPE_CHANGED"}, {"FIELD_NAMED_TYPE_CHANGED"}, {"FIELD_NAMED_TYPE_CHANGED"}),
    ("FIELD_NAMED_TYPE_CHANGED: the field's message changed", f"{ITEM} message Order {{ Item i = 1; }}",
     "message Item { string qty = 1; } message Order { Item i = 1; }",
     {"FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED"},
     {"FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED"},
     {"FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED"}),
    # Labels: compared only when both sides have one.
    ("FIELD_NUMERIC_LABEL_CHANGED", "message Order { optional int32 q = 1; }",
     "message Order { repeated int32 q = 1; }",
     {"FIELD_NUMERIC_LABEL_CHANGED"}, {"FIELD_NUMERIC_LABEL_CHANGED"}, {"FIELD_NUMERIC_LABEL_CHANGED"}),
    ("FIELD_NUMERIC_LABEL_CHANGED: proto2 optional to required", "message Order { optional int32 q = 1; }",
     "message Order { required int32 q = 1; }",
     {"FIELD_NUMERIC_LABEL_CHANGED"}, {"FIELD_NUMERIC_LABEL_CHANGED"}, {"FIELD_NUMERIC_LABEL_CHANGED"}),
    ("unlabelled proto3 number to repeated", "message Order { int32 q = 1; }",
     "message Order { repeated int32 q = 1; }", OK, OK, OK),
    ("FIELD_STRING_OR_BYTES_LABEL_CHANGED", "message Order { optional string q = 1; }",
     "message Order { repeated string q = 1; }", OK, OK, OK),
    ("message field label change", f"{ITEM} message Order {{ optional Item i = 1; }}",
     f"{ITEM} message Order {{ repeated Item i = 1; }}", OK, OK, OK),
    # Fields added, removed, renamed; required ones (proto2).
    ("FIELD_ADDED", "message Order { string id = 1; }", "message Order { string id = 1; int32 q = 2; }",
     OK, OK, OK),
    ("FIELD_REMOVED", "message Order { string id = 1; int32 q = 2; }", "message Order { string id = 1; }",
     OK, OK, OK),
    ("FIELD_NAME_CHANGED", "message Order { string id = 1; }", "message Order { string key = 1; }",
     OK, OK, OK),
    ("REQUIRED_FIELD_ADDED", "message Order { optional string id = 1; }",
     "message Order { optional string id = 1; required int32 q = 2; }",
     {"REQUIRED_FIELD_ADDED"}, {"REQUIRED_FIELD_REMOVED"}, BOTH_REQUIRED),
    ("REQUIRED_FIELD_REMOVED", "message Order { optional string id = 1; required int32 q = 2; }",
     "message Order { optional string id = 1; }",
     {"REQUIRED_FIELD_REMOVED"}, {"REQUIRED_FIELD_ADDED"}, BOTH_REQUIRED),
    # Messages and the package.
    ("MESSAGE_REMOVED", f"{ITEM} message Order {{ string id = 1; }}", "message Order { string id = 1; }",
     {"MESSAGE_REMOVED"}, OK, {"MESSAGE_REMOVED"}),
    ("MESSAGE_ADDED (a MESSAGE_REMOVED to old readers)", "message Order { string id = 1; }",
     f"{ITEM} message Order {{ string id = 1; }}", OK, {"MESSAGE_REMOVED"}, {"MESSAGE_REMOVED"}),
    ("MESSAGE_REMOVED: nested", "message Order { message Line { int32 q = 1; } string id = 1; }",
     "message Order { string id = 1; }", {"MESSAGE_REMOVED"}, OK, {"MESSAGE_REMOVED"}),
    ("MESSAGE_MOVED", f"{ITEM} message Order {{ string id = 1; }}",
     f"message Order {{ string id = 1; }} {ITEM}",
     OK, OK, OK),
    # Oneofs.
    ("ONEOF_FIELD_REMOVED", ONEOF_2, "message Order { string id = 1; oneof pay { string card = 2; } }",
     {"ONEOF_FIELD_REMOVED"}, OK, {"ONEOF_FIELD_REMOVED"}),
    ("ONEOF_FIELD_ADDED", "message Order { string id = 1; oneof pay { string card = 2; } }", ONEOF_2,
     OK, {"ONEOF_FIELD_REMOVED"}, {"ONEOF_FIELD_REMOVED"}),
    ("ONEOF_REMOVED with all its fields", ONEOF_2, "message Order { string id = 1; }", OK, OK, OK),
    ("ONEOF_ADDED, renamed with the same fields", ONEOF_2,
     "message Order { string id = 1; oneof method { string card = 2; string iban = 3; } }", OK, OK, OK),
    ("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", ONEOF_2,
     "message Order { string id = 1; string card = 2; oneof pay { string iban = 3; } }",
     OK, {"FIELD_MOVED_TO_EXISTING_ONEOF"}, {"FIELD_MOVED_TO_EXISTING_ONEOF"}),
    ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "message Order { string id = 1; string card = 2; string iban = 3; }",
     ONEOF_2, {"MULTIPLE_FIELDS_MOVED_TO_ONEOF"}, OK, {"MULTIPLE_FIELDS_MOVED_TO_ONEOF"}),
    ("FIELD_MOVED_TO_EXISTING_ONEOF",
     "message Order { string id = 1; string card = 2; oneof pay { string iban = 3; } }", ONEOF_2,
     {"FIELD_MOVED_TO_EXISTING_ONEOF"}, OK, {"FIELD_MOVED_TO_EXISTING_ONEOF"}),
    ("one field into a new oneof of its own", "message Order { string id = 1; string card = 2; }",
     "message Order { string id = 1; oneof pay { string card = 2; } }", OK, OK, OK),
    ("FIELD_SCALAR_KIND_CHANGED behind a oneof rename", "message Order { oneof pay { int32 card = 2; } }",
     "message Order { oneof method { string card = 2; } }",
     {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}, {"FIELD_SCALAR_KIND_CHANGED"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "old", "new", "backward", "forward", "full"), CASES, ids=[case[0] for case in CASES]
)
def test_each_rule_under_backward_forward_and_full(
    rule: str, old: str, new: str, backward: set[str], forward: set[str], full: set[str]
) -> None:
    syntax = "proto2" if "required" in old + new or "proto2" in rule else "proto3"
    before, after = parse(proto(old, syntax=syntax)), parse(proto(new, syntax=syntax))
    assert refusals("BACKWARD", before, after) == backward
    assert refusals("FORWARD", before, after) == forward
    assert refusals("FULL", before, after) == full
    assert refusals("NONE", before, after) == OK


@pytest.mark.parametrize(
    ("old", "new"),
    [("int32", "uint64"), ("bool", "int64"), ("sint32", "sint64"), ("fixed32", "sfixed32"),
     ("fixed64", "sfixed64"), ("string", "bytes")],
)  # fmt: skip
def test_scalars_of_one_wire_group_replace_each_other(old: str, new: str) -> None:
    before = parse(proto(f"message Order {{ {old} q = 1; }}"))
    after = parse(proto(f"message Order {{ {new} q = 1; }}"))
    assert refusals("FULL", before, after) == OK


def test_package_changed_is_refused_both_ways() -> None:
    before = parse(proto("message Order { string id = 1; }"))
    after = parse(proto("message Order { string id = 1; }", package="billing"))
    for level in ("BACKWARD", "FORWARD", "FULL"):
        assert refusals(level, before, after) == {"PACKAGE_CHANGED"}


def test_syntax_change_is_judged_by_the_fields_only() -> None:
    # Confluent has no Difference for `syntax`: proto2 `optional` and proto3's plain
    # field share a wire form, and a proto3 field has no label to compare.
    before = parse(proto("message Order { optional string id = 1; optional int32 q = 2; }", syntax="proto2"))
    after = parse(proto("message Order { string id = 1; int32 q = 2; }"))
    assert refusals("FULL", before, after) == OK
    changed = parse(proto("message Order { string id = 1; sint32 q = 2; }"))
    assert refusals("FULL", before, changed) == {"FIELD_SCALAR_KIND_CHANGED"}


COMMON_V1 = 'syntax = "proto3";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n'
COMMON_V2 = 'syntax = "proto3";\npackage common;\nmessage Money { string units = 1; string currency = 2; }\n'
USES_MONEY = proto("message Order { common.Money total = 1; }", imports='import "common.proto";')


def test_a_referenced_message_is_compared_too() -> None:
    v1 = parse(USES_MONEY, {"common.proto": parse(COMMON_V1)})
    same = parse(USES_MONEY, {"common.proto": parse(COMMON_V1)})
    v2 = parse(USES_MONEY, {"common.proto": parse(COMMON_V2)})
    assert refusals("FULL", v1, same) == OK
    assert refusals("BACKWARD", v1, v2) == {"FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED"}


@pytest.mark.parametrize(
    ("plain", "transitive"),
    [("BACKWARD", "BACKWARD_TRANSITIVE"), ("FORWARD", "FORWARD_TRANSITIVE"), ("FULL", "FULL_TRANSITIVE")],
)
def test_transitive_levels_check_every_earlier_version(plain: str, transitive: str) -> None:
    v1 = parse(proto("message Order { string id = 1; int32 q = 2; }"))
    v2 = parse(proto("message Order { string id = 1; }"))  # FIELD_REMOVED: fine
    v3 = parse(proto("message Order { string id = 1; string q = 2; }"))  # FIELD_ADDED after v2
    assert refusals(plain, v1, v2, v3) == OK
    assert refusals(transitive, v1, v2, v3) == {"FIELD_SCALAR_KIND_CHANGED"}
    problems = check(CompatibilityLevel(transitive), v3, [(1, v1), (2, v2)])
    assert [version for version, _ in problems] == [1]


def test_the_reasons_say_old_and_new_the_right_way_round() -> None:
    with_item = parse(proto(f"{ITEM} message Order {{ string id = 1; }}"))
    without = parse(proto("message Order { string id = 1; }"))
    [(_, [backward])] = check(CompatibilityLevel.BACKWARD, without, [(1, with_item)])
    assert backward.text == (
        "message `Item` is in the old schema but not in the new schema, "
        "so the new schema cannot read records of that type"
    )
    [(_, [forward])] = check(CompatibilityLevel.FORWARD, with_item, [(1, without)])
    assert forward.text.startswith("message `Item` is in the new schema but not in the old schema")
    narrowed = parse(proto("message Order { string id = 1; oneof pay { string card = 2; } }"))
    [(_, [oneof])] = check(CompatibilityLevel.BACKWARD, narrowed, [(1, parse(proto(ONEOF_2)))])
    assert oneof.path == "Order.pay"
    assert "field `Order.iban` (number 3) of oneof `pay` is in the old schema" in oneof.text
    retyped = parse(proto("message Order { string id = 1; oneof pay { string card = 2; int64 iban = 3; } }"))
    [(_, [kind])] = check(CompatibilityLevel.FORWARD, retyped, [(1, parse(proto(ONEOF_2)))])
    assert "changed type from string to int64" in kind.text


def test_full_says_a_change_found_both_ways_once() -> None:
    before = parse(proto("message Node { Node child = 1; int32 v = 2; }"))  # recursive: walked once
    after = parse(proto("message Node { Node child = 1; sint32 v = 2; }"))
    [(_, found)] = check(CompatibilityLevel.FULL, after, [(1, before)])
    assert [(i.kind, i.path) for i in found] == [("FIELD_SCALAR_KIND_CHANGED", "Node.v")]
