"""JSON Schema: checked against its draft's meta-schema by jsonschema, stored as
compact JSON in its own key order (Confluent's canonicalString), and compared with this
rule set — a reader schema can read a writer's documents if everything the writer
allows the reader allows too:

1. `type`: the reader accepts every type the writer does (`integer` is a `number`).
2. `properties` of an object, each compared recursively by these rules.
3. A property the writer does not declare but the reader does: fine if the writer was
   closed (`additionalProperties: false`, so its documents never hold it); if the
   writer's content model is partially open (a matching `patternProperties`, or a
   schema-valued `additionalProperties`), what it allows there must fit the reader's
   property (else PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL); if open,
   the writer's documents may hold anything there (OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL).
4. A property the writer declares and the reader does not: refused if the reader is
   closed (PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL, unless the property was `false`),
   read by the reader's partially open content model if it has one (else
   PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL), fine if open.
5. `required`: a declared property the reader requires must be required by the writer,
   unless it has a default (REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED); `dependencies` (and
   dependentRequired/dependentSchemas) may be dropped or narrowed, not added or
   extended, and dependent schemas are compared by these rules.
6. `additionalProperties` (or `unevaluatedProperties`): the reader may not close what
   the writer left open, nor give a schema where the writer allowed anything; two
   schemas are compared by these rules.
7. `enum` and `const`: the reader allows every value the writer does.
8. Bounds (`minimum`, `maximum`, `exclusive*`, `minLength`, `maxLength`, `minItems`,
   `maxItems`, `minContains`, `maxContains`, `minProperties`, `maxProperties`): the
   reader's range contains the writer's; `multipleOf`: the reader's divides the
   writer's; `pattern` and `format` unchanged unless the reader drops them.
9. Items: one schema for all (an item schema the writer lacks is SCHEMA_ADDED), or a
   tuple (`items` as a list, 2020-12's `prefixItems`) compared position by position, a
   position past one side's tuple against that side's schema for the rest
   (`additionalItems`, 2020-12's `items`, `unevaluatedItems`). Local `$ref`s
   (`#/definitions/...`, `#/$defs/...`) are followed, others must name the same schema.
10. Combinators follow Confluent's CombinedSchemaDiff and NotSchemaDiff (`json/diff/`).
   As the everit library Confluent parses with sees it, a schema with `allOf`, `anyOf`,
   `oneOf` or `not` is a combined schema, and one with other keywords beside them the
   `allOf` of its parts. Two combined schemas: a changed combinator is fine when the
   reader's is `anyOf`, or one side has a single subschema that allows it
   (COMBINED_TYPE_EXTENDED), else refused (COMBINED_TYPE_CHANGED); fewer alternatives
   in the reader's `anyOf`/`oneOf` (SUM_TYPE_NARROWED) or more parts in its `allOf`
   (PRODUCT_TYPE_EXTENDED) are refused; and every subschema of the smaller side must
   pair with its own compatible subschema of the other (a maximum bipartite matching,
   else COMBINED_TYPE_SUBSCHEMAS_CHANGED). A plain writer is read by a combined reader
   when its only subschema, or any alternative of its `anyOf`/`oneOf`, reads it
   (SUM_TYPE_EXTENDED); a combined writer by a plain reader when its only subschema,
   or any part of its `allOf`, is read (PRODUCT_TYPE_NARROWED); otherwise TYPE_CHANGED.
   `not`: the writer's excluded schema must read the reader's (else NOT_TYPE_EXTENDED).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from kafkatui.ecosystem.registry.schemas.base import (
    Incompatibility,
    InvalidSchema,
    ParsedSchema,
    SchemaType,
    old_new,
)
from kafkatui.ecosystem.registry.schemas.json_combined import CombinedRules
from kafkatui.ecosystem.registry.schemas.json_combined import field_name as _field

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")


@dataclass
class JsonSchema:
    raw: Any
    references: dict[str, JsonSchema]
    schema_type: SchemaType = SchemaType.JSON

    def canonical(self) -> str:
        return json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False)

    def normalized(self) -> JsonSchema:
        return self  # Confluent normalises Avro and Protobuf only

    def validator(self) -> Any:
        """A jsonschema validator for documents, with the references resolvable."""
        cls = jsonschema.validators.validator_for(self.raw, default=jsonschema.Draft7Validator)
        return cls(self.raw, registry=_registry(self.references), format_checker=cls.FORMAT_CHECKER)

    def incompatibilities(self, writer: ParsedSchema, *, reader_is_new: bool) -> list[Incompatibility]:
        if not isinstance(writer, JsonSchema):
            return [
                Incompatibility("TYPE_CHANGED", "", "the schema type changed (it is no longer JSON Schema)")
            ]
        found: list[Incompatibility] = []
        _Compare(self.raw, writer.raw, reader_is_new, found).node(self.raw, writer.raw, "#", set())
        return found


def _registry(references: Mapping[str, JsonSchema]) -> Registry:
    registry: Registry = Registry()
    for name, ref in references.items():
        registry = registry.with_resource(name, Resource.from_contents(ref.raw, default_specification=DRAFT7))
        registry = registry.combine(_registry(ref.references)) if ref.references else registry
    return registry


def parse(text: str, references: Mapping[str, ParsedSchema]) -> JsonSchema:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidSchema(f"Invalid schema: the JSON Schema is not valid JSON: {error}") from None
    if not isinstance(raw, dict | bool):
        raise InvalidSchema("Invalid schema: a JSON Schema is an object or a boolean")
    refs: dict[str, JsonSchema] = {}
    for name, ref in references.items():
        if not isinstance(ref, JsonSchema):
            raise InvalidSchema(f"Invalid schema: reference {name} is not a JSON Schema")
        refs[name] = ref
    cls = jsonschema.validators.validator_for(raw, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(raw)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path)
        raise InvalidSchema(
            f"Invalid schema: {error.message}" + (f" (at {where})" if where else "")
        ) from None
    return JsonSchema(raw, refs)


def _types(node: Any) -> set[str] | None:
    """The types a schema allows, or None for any."""
    if node is True or not isinstance(node, dict):
        return None
    kind = node.get("type")
    if kind is None:
        return None
    return {kind} if isinstance(kind, str) else set(kind)


class _Compare(CombinedRules):
    def __init__(
        self, reader_root: Any, writer_root: Any, reader_is_new: bool, found: list[Incompatibility]
    ) -> None:
        self.roots = (reader_root, writer_root)
        self.reader_is_new = reader_is_new
        self.found = found
        self.reader_name, self.writer_name = old_new(reader_is_new)
        self._alive: list[Any] = []

    def add(self, kind: str, path: str, text: str) -> None:
        self.found.append(Incompatibility(kind, path, text))

    def deref(self, node: Any, root: Any) -> Any:
        seen = 0
        while (
            isinstance(node, dict)
            and isinstance(node.get("$ref"), str)
            and node["$ref"].startswith("#/")
            and seen < 32
        ):
            target = root
            for part in node["$ref"][2:].split("/"):
                target = (
                    target.get(part.replace("~1", "/").replace("~0", "~"), {})
                    if isinstance(target, dict)
                    else {}
                )
            node, seen = target, seen + 1
        return node

    def node(self, reader: Any, writer: Any, path: str, seen: set[tuple[int, int]]) -> None:
        reader, writer = self.deref(reader, self.roots[0]), self.deref(writer, self.roots[1])
        if (id(reader), id(writer)) in seen:
            return
        seen = seen | {(id(reader), id(writer))}
        if reader is True or reader == {}:
            return  # the reader takes anything
        if writer is False:
            return
        if reader is False:
            self.add("TYPE_NARROWED", path, f"{path} accepts nothing in {self.reader_name}")
            return
        if writer is True:
            writer = {}
        if "$ref" in reader or "$ref" in writer:
            if reader.get("$ref") != writer.get("$ref"):
                self.add(
                    "REFERENCE_CHANGED",
                    path,
                    f"{path} now refers to {reader.get('$ref') or writer.get('$ref')}",
                )
            return
        if self.combined(reader, writer, path, seen):
            return
        self.types(reader, writer, path)
        self.values(reader, writer, path)
        self.bounds(reader, writer, path)
        self.multiple_of(reader, writer, path)
        self.properties(reader, writer, path, seen)
        self.dependencies(reader, writer, path, seen)
        self.items(reader, writer, path, seen)

    def types(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        r, w = _types(reader), _types(writer)
        if r is None:
            return
        widened = r | ({"integer"} if "number" in r else set())
        lost = sorted((w or {"any type"}) - widened)
        if lost:
            old_types, new_types = (
                (sorted(w or {"any"}), sorted(r)) if self.reader_is_new else (sorted(r), sorted(w or {"any"}))
            )
            self.add(
                # Confluent: number read as integer is NumberSchemaDiff's TYPE_NARROWED,
                # any other loss a TYPE_CHANGED between everit's schema classes.
                "TYPE_NARROWED" if lost == ["number"] and "integer" in r else "TYPE_CHANGED",
                path,
                f"{_field(path)} changed type from {'/'.join(old_types)} to {'/'.join(new_types)}: "
                f"{self.reader_name} cannot read {', '.join(lost)} that {self.writer_name} allows",
            )

    def values(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        if "enum" in reader:
            allowed = writer.get("enum", [writer["const"]] if "const" in writer else None)
            extra = None if allowed is None else [v for v in allowed if v not in reader["enum"]]
            if allowed is None or extra:
                values = ", ".join(json.dumps(v) for v in extra) if extra else "any value"
                self.add(
                    "ENUM_ARRAY_NARROWED",
                    path,
                    f"{_field(path)} no longer allows {values} in {self.reader_name}",
                )
        if "const" in reader and writer.get("const", object()) != reader["const"]:
            self.add("ENUM_ARRAY_CHANGED", path, f"{_field(path)} must now be {json.dumps(reader['const'])}")
        for key in ("pattern", "format"):
            if key in reader and reader[key] != writer.get(key):
                self.add(
                    f"{key.upper()}_CHANGED",
                    path,
                    f"{_field(path)} has a new {key} {reader[key]!r} in {self.reader_name}",
                )

    def bounds(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        for keys, wider, change in ((_LOWER, float.__lt__, "INCREASED"), (_UPPER, float.__gt__, "DECREASED")):
            for key in keys:
                mine, theirs = reader.get(key), writer.get(key)
                if not _number(mine):
                    continue
                if not _number(theirs) or wider(float(theirs), float(mine)):
                    self.add(
                        f"{_snake(key)}_{'ADDED' if theirs is None else change}",
                        path,
                        f"{_field(path)}: {key} {mine} in {self.reader_name} refuses values "
                        f"{self.writer_name} allows ({key} {'unset' if theirs is None else theirs})",
                    )

    def differs(self, reader: Any, writer: Any, path: str, seen: set[tuple[int, int]]) -> bool:
        """Compare, keeping the reasons; True if there were any."""
        before = len(self.found)
        self.node(reader, writer, path, seen)
        return len(self.found) > before

    def multiple_of(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        # Confluent's NumberSchemaDiff: the reader's multipleOf must divide the writer's
        # (MULTIPLE_OF_REDUCED); a new one is MULTIPLE_OF_ADDED, a multiple of the writer's
        # MULTIPLE_OF_EXPANDED, any other MULTIPLE_OF_CHANGED.
        mine, theirs = reader.get("multipleOf"), writer.get("multipleOf")
        if not _number(mine) or (_number(theirs) and Decimal(str(theirs)) == Decimal(str(mine))):
            return
        if not _number(theirs):
            kind = "MULTIPLE_OF_ADDED"
        elif Decimal(str(theirs)) % Decimal(str(mine)) == 0:
            return
        elif Decimal(str(mine)) % Decimal(str(theirs)) == 0:
            kind = "MULTIPLE_OF_EXPANDED"
        else:
            kind = "MULTIPLE_OF_CHANGED"
        self.add(
            kind,
            f"{path}/multipleOf",
            f"{_field(path)}: multipleOf {mine} in {self.reader_name} refuses numbers {self.writer_name} "
            f"allows (multipleOf {'unset' if theirs is None else theirs})",
        )

    def items(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, seen: set[tuple[int, int]]
    ) -> None:
        """Items as Confluent's ArraySchemaDiff compares them: one schema for every item,
        or a tuple (draft 7's `items` list, 2020-12's `prefixItems`) position by
        position, a position past one side's tuple read against that side's schema for
        the rest (`additionalItems`, 2020-12's `items`, or `unevaluatedItems`). An item
        schema the writer lacks reads whatever the writer allowed (SCHEMA_ADDED)."""
        (r_tuple, r_rest), (w_tuple, w_rest) = _tuple(reader), _tuple(writer)
        if r_tuple is not None or w_tuple is not None:
            r_list, w_list = r_tuple or [], w_tuple or []
            for i in range(max(len(r_list), len(w_list))):
                self.position(r_list, r_rest, w_list, w_rest, i, f"{path}/items/{i}", seen)
        elif "items" in reader and "items" not in writer and reader["items"] not in (True, {}):
            self.add(
                "SCHEMA_ADDED",
                f"{path}/items",
                f"{_field(path)}: the items must fit a schema in {self.reader_name} but may be anything "
                f"in {self.writer_name}",
            )
            return
        if r_rest is False and w_rest is not False:
            self.add(
                "ADDITIONAL_ITEMS_REMOVED",
                f"{path}/additionalItems",
                f"{_field(path)} takes no more items in {self.reader_name} but {self.writer_name} "
                "allows them",
            )
        elif isinstance(r_rest, dict) and r_rest and w_rest is True:
            self.add(
                "ADDITIONAL_ITEMS_NARROWED",
                f"{path}/additionalItems",
                f"{_field(path)}: its items must fit a schema in {self.reader_name} but may be anything "
                f"in {self.writer_name}",
            )
        elif isinstance(r_rest, dict) and isinstance(w_rest, dict):
            self.node(r_rest, w_rest, f"{path}/items", seen)

    def position(
        self,
        r_list: list[Any],
        r_rest: Any,
        w_list: list[Any],
        w_rest: Any,
        i: int,
        here: str,
        seen: set[tuple[int, int]],
    ) -> None:
        """Tuple position `i`, past the end of one side's tuple read against that side's
        schema for the rest (ITEM_ADDED/REMOVED_..._CONTENT_MODEL)."""
        if i < len(r_list) and i < len(w_list):
            self.node(r_list[i], w_list[i], here, seen)
        elif i < len(r_list):  # only the reader's tuple goes this far
            if w_rest is True and r_list[i] not in (True, {}):
                self.add(
                    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
                    here,
                    f"item {i} must fit a schema in {self.reader_name} but may be anything in "
                    f"{self.writer_name}",
                )
            elif isinstance(w_rest, dict) and self.differs(r_list[i], w_rest, here, seen):
                self.add(
                    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    here,
                    f"item {i} of {self.reader_name} does not read what {self.writer_name} allows there",
                )
        elif w_list[i] is not False:  # only the writer's
            if r_rest is False:
                self.add(
                    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    here,
                    f"{self.reader_name} takes no item {i}, which {self.writer_name} allows",
                )
            elif isinstance(r_rest, dict) and self.differs(r_rest, w_list[i], here, seen):
                self.add(
                    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    here,
                    f"what {self.reader_name} allows past its tuple does not read item {i} of "
                    f"{self.writer_name}",
                )

    def properties(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, seen: set[tuple[int, int]]
    ) -> None:
        r_props, w_props = reader.get("properties", {}), writer.get("properties", {})
        if not isinstance(r_props, dict) or not isinstance(w_props, dict):
            return
        r_extra, w_extra = _rest(reader), _rest(writer)
        if r_extra is False and w_extra is not False:
            self.add(
                "ADDITIONAL_PROPERTIES_REMOVED",
                path,
                f"{_field(path)} is closed (additionalProperties: false) in {self.reader_name} but open in "
                f"{self.writer_name}, whose documents may hold other properties",
            )
        if isinstance(r_extra, dict) and r_extra and w_extra is True:
            self.add(
                "ADDITIONAL_PROPERTIES_NARROWED",
                f"{path}/additionalProperties",
                f"{_field(path)}: other properties must fit a schema in {self.reader_name} but may be "
                f"anything in {self.writer_name}",
            )
        elif isinstance(r_extra, dict) and isinstance(w_extra, dict):
            self.node(r_extra, w_extra, f"{path}/additionalProperties", seen)
        for name, schema in r_props.items():
            here = f"{path}/properties/{name}"
            if name in w_props:
                self.node(schema, w_props[name], here, seen)
                continue
            # Added: the writer's documents may hold `name` as its open or partially open
            # content model (patternProperties, a schema-valued additionalProperties) lets.
            theirs = _extra(writer, name)
            added = self.reader_is_new
            if theirs is True and schema not in (True, {}):
                self.add(
                    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                    if name in reader.get("required", ())
                    else "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                    here,
                    f"property `{name}` was {'added' if added else 'removed'} while {self.writer_name} "
                    "allows any extra property (an open content model), so its documents may already "
                    f"hold a `{name}` that does not fit; close the object with additionalProperties: false",
                )
            elif isinstance(theirs, dict) and self.differs(schema, theirs, here, seen):
                self.add(
                    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    here,
                    f"property `{name}` was {'added' if added else 'removed'}, and what {self.writer_name} "
                    f"lets its documents hold there (its additionalProperties or patternProperties) does "
                    f"not fit it in {self.reader_name}",
                )
        for name, schema in w_props.items():
            if name in r_props or schema is False:  # a property that was never allowed
                continue
            here = f"{path}/properties/{name}"
            mine = _extra(reader, name)
            removed = self.reader_is_new
            if mine is False:
                self.add(
                    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    here,
                    f"property `{name}` was {'removed' if removed else 'added'} but the "
                    f"object is closed in {self.reader_name}, which then refuses documents holding it",
                )
            elif isinstance(mine, dict) and self.differs(mine, schema, here, seen):
                self.add(
                    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    here,
                    f"property `{name}` was {'removed' if removed else 'added'}, and what "
                    f"{self.reader_name} takes in its place (its additionalProperties or patternProperties) "
                    f"does not read the `{name}` of {self.writer_name}",
                )
        # Confluent checks `required` for declared properties only, and a default makes
        # a newly required one fine (REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED).
        newly_required = sorted(set(reader.get("required", ())) - set(writer.get("required", ())))
        for name in newly_required:
            schema = r_props.get(name)
            if schema is None or (isinstance(schema, dict) and "default" in schema):
                continue
            self.add(
                "REQUIRED_ATTRIBUTE_ADDED"
                if name in w_props
                else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                f"{path}/properties/{name}",
                f"property `{name}` is required by {self.reader_name} but not by {self.writer_name}, "
                "whose documents may lack it",
            )

    def dependencies(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, seen: set[tuple[int, int]]
    ) -> None:
        """`dependencies` (and 2019-09's dependentRequired/dependentSchemas), as
        Confluent's ObjectSchemaDiff: the reader may drop or narrow a dependency, not add
        or extend one, and a dependent schema is compared as any other."""
        mine = {**_object(reader.get("dependencies")), **_object(reader.get("dependentRequired"))}
        mine.update(_object(reader.get("dependentSchemas")))
        theirs = {**_object(writer.get("dependencies")), **_object(writer.get("dependentRequired"))}
        theirs.update(_object(writer.get("dependentSchemas")))
        for name, dependency in mine.items():
            here = f"{path}/dependencies/{name}"
            other = theirs.get(name)
            if isinstance(dependency, list):
                extra = sorted(set(dependency) - set(other if isinstance(other, list) else []))
                if extra:
                    kind = "DEPENDENCY_ARRAY_ADDED" if other is None else "DEPENDENCY_ARRAY_EXTENDED"
                    self.add(
                        kind,
                        here,
                        f"{_field(path)}: with `{name}` present, {self.reader_name} also requires "
                        f"{', '.join(f'`{e}`' for e in extra)}, which {self.writer_name}'s documents "
                        "may lack",
                    )
            elif other is None:
                self.add(
                    "DEPENDENCY_SCHEMA_ADDED",
                    here,
                    f"{_field(path)}: with `{name}` present, documents must also fit a schema in "
                    f"{self.reader_name} that {self.writer_name} does not ask for",
                )
            elif not isinstance(other, list):
                self.node(dependency, other, here, seen)


def _tuple(schema: dict[str, Any]) -> tuple[list[Any] | None, Any]:
    """A schema's tuple of item schemas (None if it has none) and its schema for every
    other item."""
    if isinstance(schema.get("prefixItems"), list):
        return schema["prefixItems"], schema.get("items", schema.get("unevaluatedItems", True))
    if isinstance(schema.get("items"), list):
        return schema["items"], schema.get("additionalItems", schema.get("unevaluatedItems", True))
    return None, schema.get("items", schema.get("additionalItems", schema.get("unevaluatedItems", True)))


def _snake(keyword: str) -> str:
    """Confluent's spelling of a keyword in its Difference types: `minLength` is MIN_LENGTH."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).upper()


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _rest(schema: dict[str, Any]) -> Any:
    """What an object lets undeclared properties be (2020-12 may say it with
    unevaluatedProperties)."""
    return schema.get("additionalProperties", schema.get("unevaluatedProperties", True))


def _extra(schema: dict[str, Any], name: str) -> Any:
    """What `schema` lets an undeclared property `name` be: the first matching
    patternProperties schema, else additionalProperties (True when unset)."""
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for pattern, sub in patterns.items():
            try:
                if re.search(pattern, name):
                    return sub
            except re.error:
                continue
    return schema.get("additionalProperties", schema.get("unevaluatedProperties", True))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
