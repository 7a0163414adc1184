"""Protobuf compatibility as Confluent's registry decides it (`protobuf/diff/`:
SchemaDiff, MessageSchemaDiff, FieldSchemaDiff, EnumSchemaDiff). The two schemas are
walked side by side and each difference gets Confluent's `Difference.Type`; the ones
outside `SchemaDiff.COMPATIBLE_CHANGES` refuse the schema.

The walk has a direction: `original` is the schema the data was written with and
`update` the one reading it, as in Confluent's `isBackwardCompatible(previous)`, which
BACKWARD calls on the new schema and FORWARD on the old one (so under FORWARD a message
added to the new schema is a MESSAGE_REMOVED: old readers have no such type).

Confluent's model of a field, which these rules follow:
- an enum field is a scalar read as a varint, like int32/uint32/int64/uint64/bool;
- the scalar groups that share a wire encoding may replace each other;
- labels are compared only when both sides have one: a proto3 field without `optional`
  and a oneof member have none, so `int32 x` may become `repeated int32 x`, while
  `optional int32` to `repeated int32` changes a numeric label (packed vs varint);
- a message-typed field compares the two messages when their names match.
There is no Difference for `syntax` itself: proto2 to proto3 is judged by the fields'
labels and required-ness."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from google.protobuf import descriptor_pb2

from kafkatui.ecosystem.registry.schemas.base import Incompatibility

FieldProto = descriptor_pb2.FieldDescriptorProto
MessageProto = descriptor_pb2.DescriptorProto
EnumProto = descriptor_pb2.EnumDescriptorProto

# Confluent's SchemaDiff.COMPATIBLE_CHANGES; every other Difference.Type is refused:
# PACKAGE_CHANGED, MESSAGE_REMOVED, FIELD_KIND_CHANGED, FIELD_SCALAR_KIND_CHANGED,
# FIELD_NAMED_TYPE_CHANGED, FIELD_NUMERIC_LABEL_CHANGED, REQUIRED_FIELD_ADDED,
# REQUIRED_FIELD_REMOVED, ONEOF_FIELD_REMOVED, MULTIPLE_FIELDS_MOVED_TO_ONEOF and
# FIELD_MOVED_TO_EXISTING_ONEOF.
COMPATIBLE_CHANGES = frozenset(
    {
        "MESSAGE_ADDED",
        "MESSAGE_MOVED",
        "ENUM_ADDED",
        "ENUM_REMOVED",
        "ENUM_CONST_ADDED",
        "ENUM_CONST_CHANGED",
        "ENUM_CONST_REMOVED",
        "FIELD_ADDED",
        "FIELD_REMOVED",
        "FIELD_NAME_CHANGED",
        "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
        "ONEOF_ADDED",
        "ONEOF_REMOVED",
        "ONEOF_FIELD_ADDED",
        "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
    }
)

_SCALAR_KINDS = {
    FieldProto.TYPE_INT32: "GENERAL_NUMBER",
    FieldProto.TYPE_INT64: "GENERAL_NUMBER",
    FieldProto.TYPE_UINT32: "GENERAL_NUMBER",
    FieldProto.TYPE_UINT64: "GENERAL_NUMBER",
    FieldProto.TYPE_BOOL: "GENERAL_NUMBER",
    FieldProto.TYPE_ENUM: "GENERAL_NUMBER",
    FieldProto.TYPE_SINT32: "SIGNED_NUMBER",
    FieldProto.TYPE_SINT64: "SIGNED_NUMBER",
    FieldProto.TYPE_STRING: "STRING_OR_BYTES",
    FieldProto.TYPE_BYTES: "STRING_OR_BYTES",
    FieldProto.TYPE_FIXED32: "FIXED32",
    FieldProto.TYPE_SFIXED32: "FIXED32",
    FieldProto.TYPE_FIXED64: "FIXED64",
    FieldProto.TYPE_SFIXED64: "FIXED64",
    FieldProto.TYPE_FLOAT: "FLOAT",
    FieldProto.TYPE_DOUBLE: "DOUBLE",
}
_TYPE_NAMES = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in FieldProto.Type.items()
    if value not in (FieldProto.TYPE_GROUP, FieldProto.TYPE_MESSAGE, FieldProto.TYPE_ENUM)
}


class ProtoFile(Protocol):
    """What the diff needs of a parsed schema (protobuf.ProtobufSchema)."""

    @property
    def descriptor(self) -> descriptor_pb2.FileDescriptorProto: ...

    @property
    def references(self) -> Mapping[str, ProtoFile]: ...


@dataclass(frozen=True)
class _Named:
    """A message or enum known to one side: where it is defined and in which file."""

    proto: MessageProto | EnumProto
    package: str
    file: bytes  # the defining file, so one imported file on both sides is compared once

    @property
    def is_map(self) -> bool:
        return isinstance(self.proto, MessageProto) and self.proto.options.map_entry


def _types(schema: ProtoFile) -> dict[str, _Named]:
    """Every message and enum of the schema and its references, by full name (protoc's
    `.pkg.Outer.Inner`)."""
    table: dict[str, _Named] = {}
    pending = [schema]
    while pending:
        current = pending.pop()
        fd = current.descriptor
        key = fd.SerializeToString(deterministic=True)
        scope = f".{fd.package}" if fd.package else ""
        for name, proto in _named(fd.message_type, fd.enum_type, scope):
            table[name] = _Named(proto, fd.package, key)
        pending.extend(current.references.values())
    return table


def _named(
    messages: Iterable[MessageProto], enums: Iterable[EnumProto], scope: str
) -> Iterator[tuple[str, MessageProto | EnumProto]]:
    for e in enums:
        yield f"{scope}.{e.name}", e
    for m in messages:
        yield f"{scope}.{m.name}", m
        yield from _named(m.nested_type, m.enum_type, f"{scope}.{m.name}")


def _label(f: FieldProto, syntax: str, in_oneof: bool) -> str | None:
    """The field's label as Confluent's ProtobufSchema prints it (its `label()`)."""
    if in_oneof:
        return None
    if f.proto3_optional:
        return "optional"
    if f.label == FieldProto.LABEL_REPEATED:
        return "repeated"
    if syntax == "proto3":
        return None
    return "required" if f.label == FieldProto.LABEL_REQUIRED else "optional"


def _real_oneof(f: FieldProto) -> bool:
    return f.HasField("oneof_index") and not f.proto3_optional


class _Side:
    def __init__(self, schema: ProtoFile) -> None:
        self.syntax = schema.descriptor.syntax or "proto2"
        self.types = _types(schema)

    def local(self, full_name: str) -> str:
        named = self.types.get(full_name)
        name = full_name.lstrip(".")
        if named is not None and named.package:
            return name.removeprefix(named.package + ".")
        return name


def differences(original: ProtoFile, update: ProtoFile, *, original_is_old: bool) -> list[Incompatibility]:
    """Confluent's incompatible differences reading `original`'s data with `update`,
    worded with old and new as `original_is_old` says."""
    walk = _Diff(_Side(original), _Side(update), original_is_old)
    walk.file(original.descriptor, update.descriptor)
    seen: set[tuple[str, str]] = set()
    unique = []
    for issue in walk.found:
        if (issue.kind, issue.path) not in seen and issue.kind not in COMPATIBLE_CHANGES:
            seen.add((issue.kind, issue.path))
            unique.append(issue)
    return unique


class _Diff:
    def __init__(self, original: _Side, update: _Side, original_is_old: bool) -> None:
        self.sides = (original, update)
        self.original_is_old = original_is_old
        self.found: list[Incompatibility] = []
        # message pairs compared (True: found incompatible) or being compared, which
        # Confluent's SchemaScope takes as compatible to end recursive types
        self.done: dict[tuple[int, int], bool] = {}
        self.compared: list[tuple[MessageProto, MessageProto]] = []  # keeps those ids unique
        old, new = ("old", "new") if original_is_old else ("new", "old")
        self.original_name, self.update_name = f"the {old} schema", f"the {new} schema"

    def add(self, kind: str, path: str, text: str) -> None:
        self.found.append(Incompatibility(kind, path, text))

    def old_new(self, original: str, update: str) -> tuple[str, str]:
        return (original, update) if self.original_is_old else (update, original)

    def file(
        self, original: descriptor_pb2.FileDescriptorProto, update: descriptor_pb2.FileDescriptorProto
    ) -> None:
        if original.package != update.package:
            old, new = self.old_new(original.package, update.package)
            self.add("PACKAGE_CHANGED", "", f"the package changed from `{old}` to `{new}`")
        self.types(original.message_type, update.message_type, "")

    def types(self, original: Iterable[MessageProto], update: Iterable[MessageProto], scope: str) -> None:
        # Enums are left out: every enum difference (ENUM_ADDED/REMOVED,
        # ENUM_CONST_ADDED/CHANGED/REMOVED) is compatible, an unknown number being kept.
        # Moving or reordering a message is too (MESSAGE_MOVED): a record's message
        # indexes are read against the schema of its own id.
        updates = {m.name: m for m in update}
        for m in original:
            name = f"{scope}.{m.name}" if scope else m.name
            other = updates.get(m.name)
            if other is not None:
                self.message(m, other, name)
            elif not m.options.map_entry:
                self.add(
                    "MESSAGE_REMOVED",
                    name,
                    f"message `{name}` is in {self.original_name} but not in {self.update_name}, "
                    f"so {self.update_name} cannot read records of that type",
                )

    def message(self, original: MessageProto, update: MessageProto, name: str) -> bool:
        """Compare two messages; True if an incompatible difference was found."""
        pair = (id(original), id(update))
        if pair in self.done:
            return self.done[pair]
        self.done[pair] = False
        self.compared.append((original, update))
        before = len(self.found)
        self.fields(original, update, name)
        self.types(original.nested_type, update.nested_type, name)
        incompatible = any(i.kind not in COMPATIBLE_CHANGES for i in self.found[before:])
        self.done[pair] = incompatible
        return incompatible

    def fields(self, original: MessageProto, update: MessageProto, name: str) -> None:
        o_fields, u_fields = {f.number: f for f in original.field}, {f.number: f for f in update.field}
        o_oneof = {
            f.number: original.oneof_decl[f.oneof_index].name for f in original.field if _real_oneof(f)
        }
        u_oneof = {f.number: update.oneof_decl[f.oneof_index].name for f in update.field if _real_oneof(f)}
        u_oneofs = set(u_oneof.values())
        # A oneof gone by name with none of its members left anywhere was deleted
        # whole, which Confluent takes as compatible (ONEOF_REMOVED).
        deleted = {
            oneof
            for oneof in set(o_oneof.values()) - u_oneofs
            if not any(n in u_fields for n, o in o_oneof.items() if o == oneof)
        }
        self.new_exclusions(name, o_fields, o_oneof, u_oneof)
        for number in sorted(o_fields.keys() | u_fields.keys()):
            f, g = o_fields.get(number), u_fields.get(number)
            if g is None:
                assert f is not None
                path = f"{name}.{f.name}"
                if number in o_oneof and o_oneof[number] not in deleted:
                    self.add(
                        "ONEOF_FIELD_REMOVED",
                        f"{name}.{o_oneof[number]}",
                        f"field `{path}` (number {number}) of oneof `{o_oneof[number]}` is in "
                        f"{self.original_name} but not in {self.update_name}: a record that set it "
                        "would read as if the oneof were unset",
                    )
                elif number not in o_oneof and f.label == FieldProto.LABEL_REQUIRED:
                    self.add(
                        "REQUIRED_FIELD_REMOVED",
                        path,
                        f"required field `{path}` (number {number}) is in {self.original_name} but "
                        f"not in {self.update_name}, whose readers would find it missing",
                    )
            elif f is None:
                if number not in u_oneof and g.label == FieldProto.LABEL_REQUIRED:
                    path = f"{name}.{g.name}"
                    self.add(
                        "REQUIRED_FIELD_ADDED",
                        path,
                        f"required field `{path}` (number {number}) is in {self.update_name} but not "
                        f"in {self.original_name}, whose records do not have it",
                    )
            else:
                self.field(f, g, f"{name}.{g.name}", number in o_oneof, number in u_oneof)

    def new_exclusions(
        self, name: str, o_fields: dict[int, FieldProto], o_oneof: dict[int, str], u_oneof: dict[int, str]
    ) -> None:
        """A oneof of the update whose existing members came from more than one group of
        the original (a oneof, or a top-level field each) makes independent fields
        mutually exclusive: a record that set two of them reads as only one."""
        for oneof in sorted(set(u_oneof.values())):
            groups: set[str] = set()
            moved_in = 0
            for number, o in u_oneof.items():
                if o != oneof:
                    continue
                if number in o_oneof:
                    groups.add("oneof:" + o_oneof[number])
                elif number in o_fields:
                    groups.add(f"field:{number}")
                    moved_in += 1
            if len(groups) <= 1:
                continue
            path = f"{name}.{oneof}"
            if moved_in > 1:
                self.add(
                    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                    path,
                    f"{moved_in} fields of `{name}` that are independent in {self.original_name} "
                    f"are in oneof `{oneof}` in {self.update_name}: a record that set several of them "
                    "would keep only one",
                )
            else:
                self.add(
                    "FIELD_MOVED_TO_EXISTING_ONEOF",
                    path,
                    f"a field of `{name}` outside any oneof in {self.original_name} is in oneof "
                    f"`{oneof}` with other fields in {self.update_name}: a record that set it and "
                    "one of them would keep only one",
                )

    def field(self, f: FieldProto, g: FieldProto, path: str, f_in_oneof: bool, g_in_oneof: bool) -> None:
        original, update = self.sides
        self.labels_and_types(
            _label(f, original.syntax, f_in_oneof), _label(g, update.syntax, g_in_oneof), f, g, path, f.number
        )

    def shape(self, f: FieldProto, side: int) -> tuple[str, MessageProto | None]:
        """Confluent's field kind (SCALAR, MAP, MESSAGE) and the map entry if a map."""
        if f.type != FieldProto.TYPE_MESSAGE and f.type != FieldProto.TYPE_GROUP:
            return "SCALAR", None
        named = self.sides[side].types.get(f.type_name)
        if named is not None and named.is_map:
            assert isinstance(named.proto, MessageProto)
            return "MAP", named.proto
        return "MESSAGE", None

    def labels_and_types(
        self, o_label: str | None, u_label: str | None, f: FieldProto, g: FieldProto, path: str, number: int
    ) -> None:
        (o_kind, o_map), (u_kind, u_map) = self.shape(f, 0), self.shape(g, 1)
        if o_kind != u_kind:
            old, new = self.old_new(self.describe(f, o_label, 0), self.describe(g, u_label, 1))
            self.add(
                "FIELD_KIND_CHANGED",
                path,
                f"field `{path}` (number {number}) changed from {old} to {new}, which is read "
                "differently on the wire",
            )
        elif o_kind == "SCALAR":
            self.scalars(o_label, u_label, f, g, path, number)
        elif o_kind == "MESSAGE":
            self.named_types(f, g, path, number)
        else:
            assert o_map is not None and u_map is not None
            for o, u, part in zip(o_map.field, u_map.field, ("key", "value"), strict=True):
                self.labels_and_types(None, None, o, u, f"{path}.{part}", number)

    def scalars(
        self, o_label: str | None, u_label: str | None, f: FieldProto, g: FieldProto, path: str, number: int
    ) -> None:
        o_kind, u_kind = _SCALAR_KINDS[f.type], _SCALAR_KINDS[g.type]
        if o_kind != u_kind:
            old, new = self.old_new(self.describe(f, None, 0), self.describe(g, None, 1))
            self.add(
                "FIELD_SCALAR_KIND_CHANGED",
                path,
                f"field `{path}` (number {number}) changed type from {old} to {new}, "
                "which is encoded differently on the wire",
            )
        elif o_label is not None and u_label is not None and o_label != u_label:
            if o_kind == "STRING_OR_BYTES":
                self.add("FIELD_STRING_OR_BYTES_LABEL_CHANGED", path, "")
            else:
                old, new = self.old_new(o_label, u_label)
                self.add(
                    "FIELD_NUMERIC_LABEL_CHANGED",
                    path,
                    f"numeric field `{path}` (number {number}) changed from {old} to {new}: "
                    "repeated numbers are packed on the wire, single ones are not",
                )

    def named_types(self, f: FieldProto, g: FieldProto, path: str, number: int) -> None:
        original, update = self.sides
        o_local, u_local = original.local(f.type_name), update.local(g.type_name)
        if o_local != u_local:
            old, new = self.old_new(o_local, u_local)
            self.add(
                "FIELD_NAMED_TYPE_CHANGED",
                path,
                f"field `{path}` (number {number}) changed type from message {old} to message {new}",
            )
            return
        o_type, u_type = original.types.get(f.type_name), update.types.get(g.type_name)
        if o_type is None or u_type is None or o_type.file == u_type.file:
            return  # a well-known type, or one imported file on both sides
        assert isinstance(o_type.proto, MessageProto) and isinstance(u_type.proto, MessageProto)
        if self.message(o_type.proto, u_type.proto, o_local):
            self.add(
                "FIELD_NAMED_TYPE_CHANGED",
                path,
                f"field `{path}` (number {number}) is a message {o_local} whose two versions "
                "do not fit (see the other reasons)",
            )

    def describe(self, f: FieldProto, label: str | None, side: int) -> str:
        kind, _ = self.shape(f, side)
        if kind == "MAP":
            base = "a map"
        elif f.type == FieldProto.TYPE_ENUM:
            base = f"enum {self.sides[side].local(f.type_name)}"
        elif kind == "MESSAGE":
            base = f"message {self.sides[side].local(f.type_name)}"
        else:
            base = _TYPE_NAMES[f.type]
        return f"{label} {base}" if label else base
