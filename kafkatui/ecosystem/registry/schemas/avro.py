"""Avro schemas: parsed by fastavro, stored in the order Avro's Java `Schema.toString`
writes (Confluent's canonicalString), normalised as Confluent's `AvroSchemaUtils.
toNormalizedString`, and checked with the Avro specification's schema resolution rules
(Java's `SchemaCompatibility`): a reader can read a writer's data if every field it
needs is there or has a default, types match or promote, enums and unions cover what
the writer may hold."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, UnknownType

from kafkatui.ecosystem.registry.schemas.base import (
    Incompatibility,
    InvalidSchema,
    ParsedSchema,
    SchemaType,
    old_new,
)

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
# Avro's promotions: what a reader of the right-hand type accepts from a writer of the left.
PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)
# Java's Schema.toJson writes a named type's keys in this order, then other properties.
_KEY_ORDER = (
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
)
_FIELD_ORDER = ("name", "type", "doc", "default", "order", "aliases")


@dataclass
class AvroSchema:
    """A parsed Avro schema: the JSON as written, fastavro's parsed form, and every
    named type it and its references define (full name → parsed)."""

    raw: Any
    parsed: Any
    named: dict[str, Any] = field(default_factory=dict)
    reference_names: tuple[str, ...] = ()
    text: str | None = None  # set in normal form, whose key order is its own
    schema_type: SchemaType = SchemaType.AVRO

    def canonical(self) -> str:
        if self.text is not None:
            return self.text
        return json.dumps(_ordered(self.raw), separators=(",", ":"), ensure_ascii=False)

    def normalized(self) -> AvroSchema:
        env = {name: name for name in self.reference_names}
        text = json.dumps(_normal(self.raw, "", env), separators=(",", ":"), ensure_ascii=False)
        return AvroSchema(json.loads(text), self.parsed, self.named, self.reference_names, text)

    def incompatibilities(self, writer: ParsedSchema, *, reader_is_new: bool) -> list[Incompatibility]:
        if not isinstance(writer, AvroSchema):
            return [Incompatibility("TYPE_MISMATCH", "", "the schema type changed (it is no longer Avro)")]
        found: list[_Issue] = []
        _check(self.parsed, writer.parsed, self.named, writer.named, "", found, set())
        return [issue.phrase(reader_is_new) for issue in found]


def parse(text: str, references: Mapping[str, ParsedSchema]) -> AvroSchema:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        # Confluent passes a bare name such as `string` through Avro's parser too.
        if text.strip() in PRIMITIVES:
            raw = text.strip()
        else:
            raise InvalidSchema(f"Invalid schema: the Avro schema is not valid JSON: {error}") from None
    named: dict[str, Any] = {}
    for name, ref in references.items():
        if not isinstance(ref, AvroSchema):
            raise InvalidSchema(f"Invalid schema: reference {name} is not an Avro schema")
        named.update(ref.named)
    _check_shape(raw, "")
    try:
        parsed = fastavro.parse_schema(raw, named_schemas=named)
    except UnknownType as error:
        raise InvalidSchema(f"Invalid schema: unknown type {error.name!r}") from None
    except (SchemaParseException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise InvalidSchema(f"Invalid schema: {error}") from None
    return AvroSchema(raw, parsed, named, tuple(references))


def _check_shape(raw: Any, path: str) -> None:
    """What Avro's Java parser refuses and fastavro lets through."""
    if isinstance(raw, list):
        for branch in raw:
            _check_shape(branch, path)
    elif isinstance(raw, dict):
        kind = raw.get("type")
        if kind in ("record", "error"):
            fields = raw.get("fields")
            if not isinstance(fields, list):
                raise InvalidSchema(f"Invalid schema: record {raw.get('name', path)!r} has no fields")
            for f in fields:
                if not isinstance(f, dict) or "name" not in f or "type" not in f:
                    raise InvalidSchema(
                        f"Invalid schema: a field of record {raw.get('name')!r} lacks a name or type"
                    )
                _check_shape(f["type"], f"{path}.{f['name']}")
        elif kind == "array":
            _check_shape(raw.get("items"), path)
        elif kind == "map":
            _check_shape(raw.get("values"), path)
        elif isinstance(kind, dict | list):
            _check_shape(kind, path)
    elif not isinstance(raw, str):
        raise InvalidSchema(f"Invalid schema: {json.dumps(raw)} is not an Avro type")


def _ordered(node: Any) -> Any:
    """Keys in Java's order; `{"type": "int"}` written as "int", as Java does."""
    if isinstance(node, list):
        return [_ordered(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"type"} and isinstance(node["type"], str):
        return node["type"]
    out: dict[str, Any] = {}
    for key in _KEY_ORDER:
        if key in node:
            out[key] = _ordered_value(key, node[key])
    for key, value in node.items():
        if key not in out:
            out[key] = _ordered_value(key, value)
    return out


def _ordered_value(key: str, value: Any) -> Any:
    if key in ("type", "items", "values"):
        return _ordered(value)
    if key == "fields" and isinstance(value, list):
        return [_ordered_field(f) for f in value]
    return value


def _ordered_field(f: Any) -> Any:
    if not isinstance(f, dict):
        return f
    out = {key: (_ordered(f[key]) if key == "type" else f[key]) for key in _FIELD_ORDER if key in f}
    out.update({k: v for k, v in f.items() if k not in out})
    return out


def _full_name(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _normal(node: Any, namespace: str, env: dict[str, str]) -> Any:
    """Confluent's normal form: full names, each named type written once, known keys
    in a fixed order and the other properties sorted."""
    if isinstance(node, list):
        return [_normal(n, namespace, env) for n in node]
    if isinstance(node, str):
        return node if node in PRIMITIVES else _full_name(node, namespace)
    kind = node.get("type")
    if isinstance(kind, dict | list):
        return _normal(kind, namespace, env)
    props = {
        k: v
        for k, v in node.items()
        if k
        not in (
            "type",
            "name",
            "namespace",
            "doc",
            "fields",
            "symbols",
            "items",
            "values",
            "size",
            "default",
            "aliases",
            "logicalType",
            "precision",
            "scale",
        )
    }
    logical = {
        k: node[k]
        for k in ("logicalType", "precision", "scale")
        if k in node and not (k == "scale" and node[k] == 0)
    }
    if kind in NAMED:
        full = _full_name(node["name"], node.get("namespace", namespace))
        if full in env:
            return full
        env[full] = full
        inner = full.rsplit(".", 1)[0] if "." in full else ""
        out: dict[str, Any] = {"name": full, "type": kind}
        if kind == "enum":
            out["symbols"] = node.get("symbols", [])
        elif kind == "fixed":
            out["size"] = node.get("size")
        else:
            out["fields"] = [_normal_field(f, inner, env) for f in node.get("fields", [])]
        out.update(logical)
        if node.get("doc"):
            out["doc"] = node["doc"]
        if node.get("aliases"):
            out["aliases"] = sorted(node["aliases"])
        if kind == "enum" and "default" in node:
            out["default"] = node["default"]
        out.update(dict(sorted(props.items())))
        return out
    if kind in ("array", "map"):
        key = "items" if kind == "array" else "values"
        out = {"type": kind, key: _normal(node.get(key), namespace, env), **logical}
        out.update(dict(sorted(props.items())))
        return out
    if not logical and not props:
        return _normal(kind, namespace, env)
    return {"type": kind, **logical, **dict(sorted(props.items()))}


def _normal_field(f: dict[str, Any], namespace: str, env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f["name"], "type": _normal(f["type"], namespace, env)}
    if "order" in f:
        out["order"] = f["order"]
    if "doc" in f:
        out["doc"] = f["doc"]
    if f.get("aliases"):
        out["aliases"] = sorted(f["aliases"])
    if "default" in f:
        out["default"] = f["default"]
    known = {"name", "type", "order", "doc", "aliases", "default"}
    out.update(dict(sorted((k, v) for k, v in f.items() if k not in known)))
    return out


# --- schema resolution --------------------------------------------------------------


@dataclass(frozen=True)
class _Issue:
    kind: str
    path: str
    reader: str = ""
    writer: str = ""
    detail: tuple[str, ...] = ()

    def phrase(self, reader_is_new: bool) -> Incompatibility:
        reader_name, writer_name = old_new(reader_is_new)
        where = f"`{self.path}`" if self.path else "the top-level type"
        old, new = (self.writer, self.reader) if reader_is_new else (self.reader, self.writer)
        if self.kind == "READER_FIELD_MISSING_DEFAULT_VALUE":
            text = (
                f"field {where} was added without a default: records written with the old schema do not "
                "have it, so a reader using the new schema cannot fill it in"
                if reader_is_new
                else f"field {where} was removed without a default: readers still using the old schema "
                "need it and cannot fill it in for new records"
            )
        elif self.kind == "TYPE_MISMATCH":
            text = (
                f"{where} changed type from {old} to {new}, which Avro cannot convert "
                f"({reader_name} reads {writer_name}'s data)"
            )
        elif self.kind == "MISSING_ENUM_SYMBOLS":
            symbols = ", ".join(f"`{s}`" for s in self.detail)
            text = (
                f"enum {where} lost symbol(s) {symbols}: old records may hold them and the new enum "
                "has no default"
                if reader_is_new
                else f"enum {where} gained symbol(s) {symbols}: readers of the old schema do not know them "
                "and the old enum has no default"
            )
        elif self.kind == "MISSING_UNION_BRANCH":
            text = (
                f"{where} no longer accepts {self.writer}, which records written with the old schema may hold"
                if reader_is_new
                else f"{where} now also accepts {self.writer}, which readers of the old schema cannot read"
            )
        elif self.kind == "NAME_MISMATCH":
            text = (
                f"{where} was renamed from {old} to {new} (add the old name as an alias to keep it readable)"
            )
        else:  # FIXED_SIZE_MISMATCH
            text = f"fixed {where} changed size from {old} to {new} bytes"
        return Incompatibility(self.kind, self.path, text)


def _resolve(schema: Any, named: dict[str, Any]) -> Any:
    while isinstance(schema, str) and schema not in PRIMITIVES and schema in named:
        schema = named[schema]
    if (
        isinstance(schema, dict)
        and set(schema) <= {"type", "logicalType", "precision", "scale"}
        and schema["type"] in PRIMITIVES
    ):
        return schema["type"]
    return schema


def _type(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema
    kind = schema.get("type")
    return "record" if kind == "error" else kind


def _describe(schema: Any) -> str:
    kind = _type(schema)
    if kind in PRIMITIVES:
        return f"`{kind}`"
    if kind == "union":
        return "a union of " + ", ".join(_describe(s) for s in schema)
    if kind in ("record", "enum", "fixed"):
        return f"{kind} `{schema['name']}`"
    return f"`{kind}`"


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _names_match(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    if _short(reader["name"]) == _short(writer["name"]):
        return True
    return _short(writer["name"]) in {_short(a) for a in reader.get("aliases", ())}


def _check(
    reader: Any,
    writer: Any,
    rn: dict[str, Any],
    wn: dict[str, Any],
    path: str,
    found: list[_Issue],
    seen: set[tuple[int, int]],
) -> None:
    reader, writer = _resolve(reader, rn), _resolve(writer, wn)
    pair = (id(reader), id(writer))
    if pair in seen:  # a recursive type: this pair is being checked further up
        return
    seen.add(pair)
    rt, wt = _type(reader), _type(writer)
    if wt == "union":
        for branch in writer:
            if not _readable(reader, branch, rn, wn, seen):
                found.append(
                    _Issue("MISSING_UNION_BRANCH", path, _describe(reader), _describe(_resolve(branch, wn)))
                )
        return
    if rt == "union":
        if not any(_readable(branch, writer, rn, wn, seen) for branch in reader):
            found.append(_Issue("TYPE_MISMATCH", path, _describe(reader), _describe(writer)))
        return
    if rt != wt:
        if (wt, rt) not in PROMOTIONS:
            found.append(_Issue("TYPE_MISMATCH", path, _describe(reader), _describe(writer)))
        return
    if rt in ("record", "enum", "fixed") and not _names_match(reader, writer):
        found.append(
            _Issue("NAME_MISMATCH", path or reader["name"], f"`{reader['name']}`", f"`{writer['name']}`")
        )
        return
    if rt == "record":
        writer_fields = {f["name"]: f for f in writer["fields"]}
        for f in reader["fields"]:
            here = f"{path}.{f['name']}" if path else f["name"]
            match = writer_fields.get(f["name"]) or next(
                (writer_fields[a] for a in f.get("aliases", ()) if a in writer_fields), None
            )
            if match is None:
                if "default" not in f:
                    found.append(_Issue("READER_FIELD_MISSING_DEFAULT_VALUE", here))
            else:
                _check(f["type"], match["type"], rn, wn, here, found, seen)
    elif rt == "enum":
        missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if missing and "default" not in reader:
            found.append(
                _Issue("MISSING_ENUM_SYMBOLS", path or _short(reader["name"]), detail=tuple(missing))
            )
    elif rt == "fixed":
        if reader["size"] != writer["size"]:
            found.append(_Issue("FIXED_SIZE_MISMATCH", path, str(reader["size"]), str(writer["size"])))
    elif rt == "array":
        _check(reader["items"], writer["items"], rn, wn, f"{path}[]", found, seen)
    elif rt == "map":
        _check(reader["values"], writer["values"], rn, wn, f"{path}{{}}", found, seen)


def _readable(
    reader: Any, writer: Any, rn: dict[str, Any], wn: dict[str, Any], seen: set[tuple[int, int]]
) -> bool:
    found: list[_Issue] = []
    _check(reader, writer, rn, wn, "", found, set(seen))
    return not found
