"""JSON Schema: checked against its draft's meta-schema by jsonschema, stored as
compact JSON in its own key order (Confluent's canonicalString), and compared with this
rule set — a reader schema can read a writer's documents if everything the writer
allows the reader allows too:

1. `type`: the reader accepts every type the writer does (`integer` is a `number`).
2. `properties` of an object, each compared recursively by these rules.
3. A property the writer does not declare but the reader does: fine if the writer was
   closed (`additionalProperties: false`, so its documents never hold it); otherwise the
   writer's documents may hold anything there (Confluent's
   PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL).
4. A property the writer declares and the reader does not: fine unless the reader is
   closed (PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL).
5. `required`: a name the reader requires must be required by the writer.
6. `additionalProperties`: the reader may not close what the writer left open.
7. `enum` and `const`: the reader allows every value the writer does.
8. Bounds (`minimum`, `maximum`, `exclusive*`, `minLength`, `maxLength`, `minItems`,
   `maxItems`, `minProperties`, `maxProperties`): the reader's range contains the
   writer's; `pattern` and `format` unchanged unless the reader drops them.
9. `items` compared recursively; local `$ref`s (`#/definitions/...`, `#/$defs/...`)
   are followed, others must name the same schema.
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
from collections.abc import Mapping
from dataclasses import dataclass
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

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


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
        self.properties(reader, writer, path, seen)
        if isinstance(reader.get("items"), dict | bool) and "items" in writer:
            self.node(reader["items"], writer["items"], f"{path}/items", seen)

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
                "TYPE_NARROWED" if self.reader_is_new else "TYPE_CHANGED",
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
            self.add("CONST_CHANGED", path, f"{_field(path)} must now be {json.dumps(reader['const'])}")
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
                        f"{key.upper()}_{change}",
                        path,
                        f"{_field(path)}: {key} {mine} in {self.reader_name} refuses values "
                        f"{self.writer_name} allows ({key} {'unset' if theirs is None else theirs})",
                    )

    def properties(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str, seen: set[tuple[int, int]]
    ) -> None:
        r_props, w_props = reader.get("properties", {}), writer.get("properties", {})
        if not isinstance(r_props, dict) or not isinstance(w_props, dict):
            return
        reader_closed = reader.get("additionalProperties") is False
        writer_closed = writer.get("additionalProperties") is False
        if reader_closed and not writer_closed:
            self.add(
                "ADDITIONAL_PROPERTIES_NARROWED",
                path,
                f"{_field(path)} is closed (additionalProperties: false) in {self.reader_name} but open in "
                f"{self.writer_name}, whose documents may hold other properties",
            )
        for name, schema in r_props.items():
            here = f"{path}/properties/{name}"
            if name in w_props:
                self.node(schema, w_props[name], here, seen)
            elif not writer_closed and schema not in (True, {}):
                added = self.reader_is_new
                self.add(
                    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                    if added
                    else "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
                    here,
                    f"property `{name}` was {'added' if added else 'removed'} while {self.writer_name} "
                    "allows any extra property (an open content model), so its documents may already "
                    f"hold a `{name}` that does not fit; close the object with additionalProperties: false",
                )
        if reader_closed:
            for name in w_props:
                if name not in r_props:
                    self.add(
                        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                        if self.reader_is_new
                        else "PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL",
                        f"{path}/properties/{name}",
                        f"property `{name}` was {'removed' if self.reader_is_new else 'added'} but the "
                        f"object is closed in {self.reader_name}, which then refuses documents holding it",
                    )
        newly_required = sorted(set(reader.get("required", ())) - set(writer.get("required", ())))
        for name in newly_required:
            self.add(
                "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
                if self.reader_is_new
                else "REQUIRED_PROPERTY_REMOVED",
                f"{path}/properties/{name}",
                f"property `{name}` is required by {self.reader_name} but not by {self.writer_name}, "
                "whose documents may lack it",
            )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
