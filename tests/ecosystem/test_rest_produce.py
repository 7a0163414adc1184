"""v2 produce over a real socket: binary, json and the schema formats land in the log as
a Kafka client would write them, each record answered with its partition and offset,
and read back by a REST consumer instance in the same format."""

from __future__ import annotations

import base64
import json

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kafkatui.common.utils import murmur2, to_positive
from tests.ecosystem.rest_support import (
    AVRO,
    BINARY,
    JSON,
    JSONSCHEMA,
    PROTOBUF,
    ServedRest,
    rest,
    served_rest,
)

__all__ = ["rest", "served_rest"]

GREETING = {"type": "record", "name": "Greeting", "namespace": "demo",
            "fields": [{"name": "text", "type": "string"}, {"name": "lang", "type": ["null", "string"]}]}  # fmt: skip # noqa: E501
GREETING_JSON = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
GREETING_PROTO = 'syntax = "proto3"; package demo; message Greeting { string text = 1; int32 times = 2; }'


def test_binary_round_trip_with_offsets_per_record(served_rest: ServedRest) -> None:
    served_rest.create_topic("raw", 3)
    keyed = to_positive(murmur2(b"k1")) % 3  # Kafka's default partitioner for a keyed record
    other = (keyed + 1) % 3
    records = [{"key": base64.b64encode(b"k1").decode(), "value": base64.b64encode(b"\x00\xff").decode()},
               {"value": base64.b64encode(b"second").decode(), "partition": other},
               {"value": None, "partition": other}]  # fmt: skip
    answer = served_rest.produce("raw", records, BINARY)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/vnd.kafka.v2+json"
    body = answer.json()
    assert body["key_schema_id"] is None and body["value_schema_id"] is None
    assert [(o["partition"], o["offset"], o["error_code"]) for o in body["offsets"]] == [
        (keyed, 0, None), (other, 0, None), (other, 1, None)
    ]  # fmt: skip
    logged = served_rest.log("raw", keyed)
    assert (logged[0].key, logged[0].value) == (b"k1", b"\x00\xff")
    assert [r.value for r in served_rest.log("raw", other)] == [b"second", None]

    instance = served_rest.consumer("raw-readers", format="binary", **{"auto.offset.reset": "earliest"})
    assert served_rest.post(f"{instance}/subscription", {"topics": ["raw"]}).status_code == 204
    got = served_rest.read_until(instance, 3, BINARY)
    by_offset = {(r["partition"], r["offset"]): r for r in got}
    assert by_offset[(keyed, 0)]["key"] == base64.b64encode(b"k1").decode()
    assert base64.b64decode(by_offset[(keyed, 0)]["value"]) == b"\x00\xff"
    assert by_offset[(other, 1)]["value"] is None


def test_json_round_trip_to_a_partition(served_rest: ServedRest) -> None:
    served_rest.create_topic("events", 2)
    values = [{"n": 1, "tags": ["a", "é"]}, "plain text", 42, None]
    path = "/topics/events/partitions/1"
    answer = served_rest.produce("events", [{"value": v} for v in values], JSON, path=path)
    assert answer.status_code == 200, answer.text
    offsets = [(o["partition"], o["offset"]) for o in answer.json()["offsets"]]
    assert offsets == [(1, 0), (1, 1), (1, 2), (1, 3)]
    raw = [r.value for r in served_rest.log("events", 1)]
    assert raw[:3] == [b'{"n":1,"tags":["a","\xc3\xa9"]}', b'"plain text"', b"42"] and raw[3] is None

    instance = served_rest.consumer("event-readers", format="json", **{"auto.offset.reset": "earliest"})
    one = {"partitions": [{"topic": "events", "partition": 1}]}
    assigned = served_rest.post(f"{instance}/assignments", one)
    assert assigned.status_code == 204
    got = served_rest.read_until(instance, 4)
    assert [r["value"] for r in got] == values
    assert {(r["topic"], r["partition"]) for r in got} == {("events", 1)}


def test_avro_registers_the_schema_and_reads_back_in_avro_json(served_rest: ServedRest) -> None:
    served_rest.create_topic("greetings")
    records = [{"key": "en", "value": {"text": "hello", "lang": {"string": "en"}}},
               {"value": {"text": "hi", "lang": None}}]  # fmt: skip
    answer = served_rest.produce("greetings", records, AVRO, key_schema='"string"',
                                 value_schema=json.dumps(GREETING))  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    client = SchemaRegistryClient({"url": served_rest.url})
    assert client.get_latest_version("greetings-value").schema_id == body["value_schema_id"]
    assert client.get_latest_version("greetings-key").schema_id == body["key_schema_id"]
    # The records are in Confluent's wire format: any Avro deserializer reads them.
    framed = served_rest.log("greetings")[0].value
    assert framed[0] == 0 and int.from_bytes(framed[1:5], "big") == body["value_schema_id"]
    decoded = AvroDeserializer(client)(framed, SerializationContext("greetings", MessageField.VALUE))
    assert decoded == {"text": "hello", "lang": "en"}

    # A second batch by id needs no schema text.
    again = served_rest.produce("greetings", [{"value": {"text": "ola", "lang": None}}], AVRO,
                                value_schema_id=body["value_schema_id"])  # fmt: skip
    assert again.json()["offsets"][0]["offset"] == 2

    instance = served_rest.consumer("greeters", format="avro", **{"auto.offset.reset": "earliest"})
    served_rest.post(f"{instance}/subscription", {"topics": ["greetings"]})
    got = served_rest.read_until(instance, 3, AVRO)
    assert [(r["key"], r["value"]) for r in got] == [
        ("en", {"text": "hello", "lang": {"string": "en"}}),
        (None, {"text": "hi", "lang": None}),
        (None, {"text": "ola", "lang": None}),
    ]


def test_json_schema_and_protobuf_round_trips(rest: ServedRest) -> None:
    rest.create_topic("notes")
    answer = rest.produce("notes", [{"value": {"text": "remember"}}], JSONSCHEMA,
                          value_schema=json.dumps(GREETING_JSON))  # fmt: skip
    assert answer.status_code == 200, answer.text
    instance = rest.consumer("note-readers", format="jsonschema", **{"auto.offset.reset": "earliest"})
    rest.post(f"{instance}/subscription", {"topics": ["notes"]})
    assert [r["value"] for r in rest.read_until(instance, 1, JSONSCHEMA)] == [{"text": "remember"}]

    rest.create_topic("protos")
    greeting = {"text": "hey", "times": 3}
    answer = rest.produce("protos", [{"value": greeting}], PROTOBUF, value_schema=GREETING_PROTO)
    assert answer.status_code == 200, answer.text
    framed = rest.log("protos")[0].value
    assert framed[5] == 0  # message indexes [0]: the first message, one zero byte
    instance = rest.consumer("proto-readers", format="protobuf", **{"auto.offset.reset": "earliest"})
    rest.post(f"{instance}/subscription", {"topics": ["protos"]})
    assert [r["value"] for r in rest.read_until(instance, 1, PROTOBUF)] == [{"text": "hey", "times": 3}]


def test_a_missing_topic_is_created_as_a_producer_would(rest: ServedRest) -> None:
    """auto.create.topics.enable (on here): the producer's Metadata request creates it."""
    answer = rest.produce("fresh", [{"value": {"first": True}}])
    assert answer.status_code == 200, answer.text
    assert "fresh" in rest.http.get("/topics").json()
