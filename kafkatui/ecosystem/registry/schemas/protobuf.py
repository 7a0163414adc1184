"""Protobuf schemas. A schema arrives as .proto text (curl, Java clients) or as a
base64 `FileDescriptorProto` (confluent-kafka's Python serializer); either way it is
compiled by the real protoc (grpcio-tools' bundled compiler, run in-process on a
scratch directory holding the file and its references under their import names), and
stored as .proto text printed from the descriptor, so both spellings of one schema
compare equal (Confluent's canonicalString is likewise its own printing). Compatibility
follows Protobuf's wire rules as Confluent's `ProtobufSchema` checks them
(`protobuf_diff.py`)."""

from __future__ import annotations

import ast
import base64
import binascii
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from kafkatui.ecosystem.registry.schemas import protobuf_diff
from kafkatui.ecosystem.registry.schemas.base import Incompatibility, InvalidSchema, ParsedSchema, SchemaType

FieldProto = descriptor_pb2.FieldDescriptorProto
MAIN_FILE = "kafkatui_schema.proto"  # the scratch name of the schema being compiled

_SCALARS = {
    FieldProto.TYPE_DOUBLE: "double",
    FieldProto.TYPE_FLOAT: "float",
    FieldProto.TYPE_INT64: "int64",
    FieldProto.TYPE_UINT64: "uint64",
    FieldProto.TYPE_INT32: "int32",
    FieldProto.TYPE_FIXED64: "fixed64",
    FieldProto.TYPE_FIXED32: "fixed32",
    FieldProto.TYPE_BOOL: "bool",
    FieldProto.TYPE_STRING: "string",
    FieldProto.TYPE_BYTES: "bytes",
    FieldProto.TYPE_UINT32: "uint32",
    FieldProto.TYPE_SFIXED32: "sfixed32",
    FieldProto.TYPE_SFIXED64: "sfixed64",
    FieldProto.TYPE_SINT32: "sint32",
    FieldProto.TYPE_SINT64: "sint64",
}


@dataclass
class ProtobufSchema:
    descriptor: descriptor_pb2.FileDescriptorProto
    text: str
    references: dict[str, ProtobufSchema]
    schema_type: SchemaType = SchemaType.PROTOBUF

    def canonical(self) -> str:
        return self.text

    def normalized(self) -> ProtobufSchema:
        # Printing from the descriptor already drops comments, layout and import order
        # (imports are printed sorted); that is Confluent's normal form too.
        return self

    def serialized(self) -> str:
        """base64 of the FileDescriptorProto (`?format=serialized`, which
        confluent-kafka's Python deserializer asks for)."""
        return base64.standard_b64encode(self.descriptor.SerializeToString()).decode("ascii")

    def message_names(self) -> list[str]:
        return [name for name, _ in _messages(self.descriptor.message_type, "")]

    def incompatibilities(self, writer: ParsedSchema, *, reader_is_new: bool) -> list[Incompatibility]:
        if not isinstance(writer, ProtobufSchema):
            return [Incompatibility("TYPE_CHANGED", "", "the schema type changed (it is no longer Protobuf)")]
        # Confluent diffs the writer's schema (original) against the reader's (update).
        return protobuf_diff.differences(writer, self, original_is_old=reader_is_new)


def parse(text: str, references: Mapping[str, ParsedSchema]) -> ProtobufSchema:
    refs: dict[str, ProtobufSchema] = {}
    for name, ref in references.items():
        if not isinstance(ref, ProtobufSchema):
            raise InvalidSchema(f"Invalid schema: reference {name} is not a Protobuf schema")
        refs[name] = ref
    source = _from_base64(text)
    if source is None:
        source = text
    descriptor = compile_proto(source, refs)
    return ProtobufSchema(descriptor, print_proto(descriptor), refs)


def _from_base64(text: str) -> str | None:
    """The .proto text of a base64 FileDescriptorProto, or None if `text` is not one."""
    stripped = text.strip()
    if not stripped or any(c.isspace() for c in stripped) or "{" in stripped or ";" in stripped:
        return None
    try:
        raw = base64.b64decode(stripped, validate=True)
        descriptor = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (binascii.Error, ValueError, DecodeError):
        return None
    if not (descriptor.message_type or descriptor.enum_type or descriptor.syntax or descriptor.package):
        return None
    return print_proto(descriptor)


@cache
def _include_dir() -> str:
    import grpc_tools

    return str(Path(grpc_tools.__file__).parent / "_proto")


def _write_tree(root: Path, refs: Mapping[str, ProtobufSchema]) -> None:
    for name, ref in refs.items():
        if name.startswith("google/protobuf/"):
            continue  # protoc's own well-known types
        path = root / name
        if root.resolve() not in path.resolve().parents:
            raise InvalidSchema(f"Invalid schema: reference name {name!r} leaves the schema tree")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ref.text)
        _write_tree(root, ref.references)


def compile_proto(text: str, refs: Mapping[str, ProtobufSchema]) -> descriptor_pb2.FileDescriptorProto:
    """protoc's FileDescriptorProto for `text`, its imports resolved from `refs`."""
    from grpc_tools import _protoc_compiler

    with tempfile.TemporaryDirectory(prefix="kafkatui-proto-") as scratch:
        root = Path(scratch)
        _write_tree(root, refs)
        (root / MAIN_FILE).write_text(text)
        try:
            generated = _protoc_compiler.get_protos(
                MAIN_FILE.encode(), [scratch.encode(), _include_dir().encode()]
            )
        except _protoc_compiler.ProtocErrors as errors:
            lines = [f"line {e.line + 1}:{e.column + 1}: {_text(e.message)}" for e in errors.errors()]
            raise InvalidSchema("Invalid schema: " + "; ".join(lines)) from None
    module = MAIN_FILE.removesuffix(".proto") + "_pb2.py"
    code = next(code for name, code in generated if name.decode().replace(os.sep, "/") == module)
    descriptor = descriptor_pb2.FileDescriptorProto.FromString(_serialized_descriptor(code.decode()))
    return descriptor


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def _serialized_descriptor(code: str) -> bytes:
    """The bytes protoc's Python generator passes to `AddSerializedFile(...)`: the
    compiled FileDescriptorProto (grpcio-tools offers the generated module, not the
    descriptor set, without writing files and messages to stderr)."""
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            return node.args[0].value
    raise InvalidSchema("Invalid schema: protoc produced no descriptor")  # pragma: no cover


def _messages(
    messages: Iterator[descriptor_pb2.DescriptorProto] | list[descriptor_pb2.DescriptorProto], prefix: str
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto]]:
    for m in messages:
        name = f"{prefix}.{m.name}" if prefix else m.name
        yield name, m
        yield from _messages(list(m.nested_type), name)


def message_indexes(descriptor: descriptor_pb2.FileDescriptorProto, full_name: str) -> list[int]:
    """Confluent's message indexes: the path of a message among the file's (nested)
    messages, e.g. [1, 0] for the first message nested in the second."""
    name = full_name.removeprefix(descriptor.package + ".") if descriptor.package else full_name
    parts = name.split(".")
    indexes: list[int] = []
    level = list(descriptor.message_type)
    for part in parts:
        position = next((i for i, m in enumerate(level) if m.name == part), None)
        if position is None:
            raise KeyError(full_name)
        indexes.append(position)
        level = list(level[position].nested_type)
    return indexes


def message_at(descriptor: descriptor_pb2.FileDescriptorProto, indexes: list[int]) -> str:
    """The full name of the message at Confluent's message indexes."""
    level = list(descriptor.message_type)
    names: list[str] = []
    for index in indexes or [0]:
        if not 0 <= index < len(level):
            raise KeyError(indexes)
        names.append(level[index].name)
        level = list(level[index].nested_type)
    return ".".join(([descriptor.package] if descriptor.package else []) + names)


# --- printing -----------------------------------------------------------------------


def print_proto(fd: descriptor_pb2.FileDescriptorProto) -> str:
    out: list[str] = [f'syntax = "{fd.syntax or "proto2"}";']
    if fd.package:
        out.append(f"package {fd.package};")
    for dep in sorted(fd.dependency):
        out.append(f'import "{dep}";')
    out.extend(_options(fd.options, ""))
    for m in fd.message_type:
        out.extend(_message(m, fd, ""))
    for e in fd.enum_type:
        out.extend(_enum(e, ""))
    for s in fd.service:
        out.append(f"service {s.name} {{")
        for rpc in s.method:
            client = "stream " if rpc.client_streaming else ""
            server = "stream " if rpc.server_streaming else ""
            out.append(f"  rpc {rpc.name}({client}{rpc.input_type}) returns ({server}{rpc.output_type});")
        out.append("}")
    return "\n".join(out) + "\n"


def _literal(field: object, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None and isinstance(value, int):
        return enum_type.values_by_number[value].name
    return str(value)


def _options(options: object, indent: str, skip: frozenset[str] = frozenset()) -> list[str]:
    return [
        f"{indent}option {field.name} = {_literal(field, value)};"
        for field, value in options.ListFields()  # type: ignore[attr-defined]
        if field.name not in skip and field.type != field.TYPE_MESSAGE and not _repeated(field)
    ]


def _repeated(field: object) -> bool:
    # protobuf 7's descriptors dropped `label` for `is_repeated`, which 5 lacks.
    is_repeated = getattr(field, "is_repeated", None)
    return field.label == field.LABEL_REPEATED if is_repeated is None else bool(is_repeated)  # type: ignore[attr-defined]


def _field_type(f: FieldProto) -> str:
    return _SCALARS.get(f.type) or f.type_name


def _field(
    f: FieldProto, fd: descriptor_pb2.FileDescriptorProto, maps: dict[str, descriptor_pb2.DescriptorProto]
) -> str:
    entry = maps.get(f.type_name)
    if entry is not None:
        key, value = entry.field[0], entry.field[1]
        head = f"map<{_field_type(key)}, {_field_type(value)}>"
    else:
        label = ""
        if f.label == FieldProto.LABEL_REPEATED:
            label = "repeated "
        elif f.label == FieldProto.LABEL_REQUIRED:
            label = "required "
        elif fd.syntax != "proto3" or f.proto3_optional:
            label = "optional "
        head = f"{label}{_field_type(f)}"
    extras = []
    if f.HasField("default_value"):
        quoted = f.type in (FieldProto.TYPE_STRING, FieldProto.TYPE_BYTES)
        extras.append(f"default = {_literal(None, f.default_value) if quoted else f.default_value}")
    extras += [o.removeprefix("option ").rstrip(";") for o in _options(f.options, "")]
    tail = f" [{', '.join(extras)}]" if extras else ""
    return f"{head} {f.name} = {f.number}{tail};"


def _message(
    m: descriptor_pb2.DescriptorProto, fd: descriptor_pb2.FileDescriptorProto, indent: str
) -> list[str]:
    inner = indent + "  "
    out = [f"{indent}message {m.name} {{"]
    out.extend(_options(m.options, inner, frozenset({"map_entry"})))
    prefix = f".{fd.package}." if fd.package else "."
    maps = {f"{prefix}{_path(m, fd)}.{n.name}": n for n in m.nested_type if n.options.map_entry}
    synthetic = {f.oneof_index for f in m.field if f.proto3_optional and f.HasField("oneof_index")}
    for f in m.field:
        if not f.HasField("oneof_index") or f.oneof_index in synthetic:
            out.append(inner + _field(f, fd, maps))
    for index, oneof in enumerate(m.oneof_decl):
        if index in synthetic:
            continue
        out.append(f"{inner}oneof {oneof.name} {{")
        out.extend(
            inner + "  " + _field(f, fd, maps)
            for f in m.field
            if f.HasField("oneof_index") and f.oneof_index == index and not f.proto3_optional
        )
        out.append(f"{inner}}}")
    for r in m.reserved_range:
        out.append(f"{inner}reserved {r.start}" + (f" to {r.end - 1}" if r.end - 1 > r.start else "") + ";")
    if m.reserved_name:
        out.append(f"{inner}reserved {', '.join(_literal(None, n) for n in m.reserved_name)};")
    for n in m.nested_type:
        if not n.options.map_entry:
            out.extend(_message(n, fd, inner))
    for e in m.enum_type:
        out.extend(_enum(e, inner))
    out.append(f"{indent}}}")
    return out


def _path(m: descriptor_pb2.DescriptorProto, fd: descriptor_pb2.FileDescriptorProto) -> str:
    for name, candidate in _messages(list(fd.message_type), ""):
        if candidate is m:
            return name
    return m.name  # pragma: no cover


def _enum(e: descriptor_pb2.EnumDescriptorProto, indent: str) -> list[str]:
    inner = indent + "  "
    out = [f"{indent}enum {e.name} {{"]
    out.extend(_options(e.options, inner))
    out.extend(f"{inner}{v.name} = {v.number};" for v in e.value)
    for r in e.reserved_range:
        out.append(f"{inner}reserved {r.start}" + (f" to {r.end}" if r.end > r.start else "") + ";")
    out.append(f"{indent}}}")
    return out
