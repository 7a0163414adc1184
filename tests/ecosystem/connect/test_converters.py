"""The converters named by Kafka's class names (and their aliases), with their settings
under the connector config's key.converter. / value.converter. prefixes."""

from __future__ import annotations

import json

import pytest

from kafkatui.ecosystem.connect.converters import make_converter
from kafkatui.ecosystem.connect.data import STRING_SCHEMA, DataException, Schema

JSON = "org.apache.kafka.connect.json.JsonConverter"


def test_json_with_schemas_writes_and_reads_the_envelope() -> None:
    converter = make_converter(JSON, {}, is_key=False)
    raw = converter.from_connect("t", STRING_SCHEMA, "hello")
    assert json.loads(raw) == {"schema": {"type": "string", "optional": False}, "payload": "hello"}
    assert converter.to_connect("t", raw) == (STRING_SCHEMA, "hello")
    struct = Schema("struct", fields=(("id", Schema("int64")), ("data", Schema("bytes", optional=True))))
    raw = converter.from_connect("t", struct, {"id": 7, "data": b"\x00\x01"})
    assert json.loads(raw)["payload"] == {"id": 7, "data": "AAE="}
    assert json.loads(raw)["schema"]["fields"][0] == {"type": "int64", "optional": False, "field": "id"}
    assert converter.to_connect("t", raw) == (struct, {"id": 7, "data": b"\x00\x01"})
    assert converter.from_connect("t", None, None) is None  # a tombstone stays one
    with pytest.raises(DataException, match='requires "schema" and "payload" fields'):
        converter.to_connect("t", b'{"id": 1}')


def test_json_without_schemas_is_plain_json() -> None:
    converter = make_converter("JsonConverter", {"value.converter.schemas.enable": "false"}, is_key=False)
    assert converter.from_connect("t", None, {"a": [1, 2]}) == b'{"a":[1,2]}'
    assert converter.to_connect("t", b'{"a": [1, 2]}') == (None, {"a": [1, 2]})
    keys = make_converter(JSON, {"key.converter.schemas.enable": "false"}, is_key=True)
    assert keys.from_connect("t", STRING_SCHEMA, "k") == b'"k"'
    with pytest.raises(DataException):
        converter.to_connect("t", b"not json")


def test_string_and_bytearray_converters() -> None:
    string = make_converter("org.apache.kafka.connect.storage.StringConverter", {}, is_key=False)
    assert string.from_connect("t", None, 42) == b"42"
    assert string.to_connect("t", "é".encode()) == (Schema("string", optional=True), "é")
    raw = make_converter("org.apache.kafka.connect.converters.ByteArrayConverter", {}, is_key=False)
    assert raw.from_connect("t", None, b"\xff") == b"\xff"
    assert raw.to_connect("t", b"\xff")[1] == b"\xff"
    with pytest.raises(DataException, match="not compatible with objects of type str"):
        raw.from_connect("t", None, "text")
    with pytest.raises(DataException, match="could not be found"):
        make_converter("com.example.AvroConverter", {}, is_key=False)


def test_json_envelope_bytes_are_the_same_with_schemas_written_once() -> None:
    """The schema JSON is remembered per schema (as JsonConverter's caches do): the bytes
    are still exactly json.dumps of the envelope, and a UTF-16 message still reads."""
    converter = make_converter(JSON, {}, is_key=False)
    named = Schema("string", optional=True, name="com.example.Name", version=2, doc="a name")
    struct = Schema("struct", name="person", fields=(("id", Schema("int64")), ("name", named)))
    for schema, value in ((STRING_SCHEMA, "a"), (named, None), (struct, {"id": 1, "name": "b"}), (None, [1])):
        for _ in range(2):
            raw = converter.from_connect("t", schema, value)
            envelope = {"schema": None if schema is None else schema.to_json(), "payload": value}
            assert raw == json.dumps(envelope, separators=(",", ":")).encode()
            assert converter.to_connect("t", raw) == (schema, value)
    utf16 = json.dumps({"schema": {"type": "string", "optional": False}, "payload": "é"}).encode("utf-16")
    assert converter.to_connect("t", utf16) == (STRING_SCHEMA, "é")
