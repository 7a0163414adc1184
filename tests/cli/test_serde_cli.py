"""`kafkatui produce --value-format ...` and `kafkatui consume` decoding by schema id, on
both backends: the data dir's own engine (a registry run inside each command over its
`_schemas` topic) and `--bootstrap-server` at a served kafkatui with its registry's
`--schema-registry-url`. Records cross over with confluent-kafka's own serializers both
ways; refusals name the line and the field and leave the log as it was."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.cli.conftest import CliFn, Run, kafkatui_command, subprocess_env
from tests.cli.test_schema_cli import Served
from tests.ecosystem.conftest import ServedRegistry

ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "price", "type": "double"}],
}
ORDER_JSON = {
    "title": "Order",
    "type": "object",
    "properties": {"id": {"type": "string"}, "price": {"type": "number"}},
    "required": ["id", "price"],
}
GEO_PROTO = """syntax = "proto3";
package geo;
message Point {
  int32 x = 1;
  int32 y = 2;
  message Label { string text = 1; }
}
message Line { Point a = 1; Point b = 2; }
"""


@pytest.fixture(scope="module")
def served() -> Iterator[ServedRegistry]:
    """One served kafkatui (cluster, wire listeners, registry) for the module's remote runs."""
    s = ServedRegistry("embedded", brokers=1)
    try:
        yield s
    finally:
        s.close()


class Kafkatui:
    """`kafkatui ...` on one backend: `run("produce", "orders", ...)`."""

    def __init__(self, name: str, cli: CliFn, served: ServedRegistry | None) -> None:
        self.name = name
        self.served = served
        self._cli = cli

    def __call__(self, *args: str, input: str | bytes | None = None) -> Run:
        if self.served is None:
            return self._cli(*args, input=input, opts=["--brokers", "1"])
        url = (
            ["--schema-registry-url", self.served.url] if args[0] in ("produce", "consume", "schema") else []
        )
        return self._cli(
            *args, *url, input=input, opts=["--bootstrap-server", self.served.bootstrap], data_dir=None
        )

    def topic(self, name: str) -> str:
        """A name of this test's own: the remote cluster is shared by the module."""
        return f"{name}-{self.name}"

    def end_offset(self, topic: str) -> int:
        return self("topic", "describe", topic, "--json").json()["partitions"][0]["high_watermark"]


@pytest.fixture(params=["embedded", "remote"])
def run(request: pytest.FixtureRequest, cli: CliFn, served: ServedRegistry) -> Kafkatui:
    return Kafkatui(request.param, cli, served if request.param == "remote" else None)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {
        "order.avsc": json.dumps(ORDER),
        "order.json": json.dumps(ORDER_JSON),
        "geo.proto": GEO_PROTO,
        "key.avsc": json.dumps(
            {
                "type": "record",
                "name": "OrderKey",
                "namespace": "shop",
                "fields": [{"name": "shop", "type": "int"}],
            }
        ),
    }.items():
        (tmp_path / name).write_text(text)
        out[name] = tmp_path / name
    return out


def lines(*values: object) -> str:
    return "".join(json.dumps(v) + "\n" for v in values)


def value_bytes(record: dict[str, object]) -> bytes:
    """A record's value from `consume --json`: text, or base64 when it is not UTF-8."""
    value = str(record["value"])
    return base64.b64decode(value) if record.get("value_encoding") == "base64" else value.encode()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("schema_file", "schema_type"),
    [("order.avsc", "AVRO"), ("order.json", "JSON"), ("geo.proto", "PROTOBUF")],
    ids=["avro", "json-schema", "protobuf"],
)
def test_values_round_trip_in_every_format(
    run: Kafkatui, files: dict[str, Path], schema_file: str, schema_type: str
) -> None:
    topic = run.topic(f"rt-{schema_type.lower()}")
    if schema_type == "PROTOBUF":
        values = [{"x": 1, "y": 2}, {"x": -3}, {}]
    else:
        values = [{"id": "o-1", "price": 1.5}, {"id": "o-2", "price": 20.25}]
    produced = (
        run("produce", topic, "--value-schema", str(files[schema_file]), "--json", input=lines(*values))
        .ok()
        .json_lines()
    )
    assert [p["offset"] for p in produced] == list(range(len(values)))
    assert len({p["value_schema_id"] for p in produced}) == 1
    schema_id = produced[0]["value_schema_id"]

    read = run("consume", topic, "-b", "-t", "2", "--json").ok().json_lines()
    assert [r["value"] for r in read] == values
    assert read[0]["value_schema"] == {
        "id": schema_id,
        "type": schema_type,
        "subject": f"{topic}-value",
        "version": 1,
        **({"message": "geo.Point", "message_indexes": [0]} if schema_type == "PROTOBUF" else {}),
    }
    text = run("consume", topic, "-b", "-t", "2").ok().stdout.splitlines()
    assert text[0].endswith("value=" + json.dumps(values[0], separators=(",", ":")))
    # The bytes in the log are Confluent's framing: magic byte 0, then the id.
    raw = run("consume", topic, "-b", "-t", "2", "--value-format", "raw", "--json").ok().json_lines()
    framed = value_bytes(raw[0])
    assert framed[0] == 0 and int.from_bytes(framed[1:5], "big") == schema_id
    # The same schema again reuses its id (auto.register.schemas finds it), no new version.
    again = (
        run("produce", topic, "--value-schema", str(files[schema_file]), "--json", input=lines(values[0]))
        .ok()
        .json()
    )
    assert again["value_schema_id"] == schema_id
    assert run("schema", "list", "--prefix", topic, "--json").json()[0]["versions"] == [1]


def test_keys_and_values_with_schemas_and_a_tombstone(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("keyed")
    given = '{"shop": 7}|{"id": "o-1", "price": 3}\n{"shop": 7}|null\n'
    produced = (
        run(
            "produce",
            topic,
            "-K",
            "|",
            "--key-schema",
            str(files["key.avsc"]),
            "--value-schema",
            str(files["order.avsc"]),
            "--json",
            input=given,
        )
        .ok()
        .json_lines()
    )
    assert [p["key"] for p in produced] == ['{"shop": 7}', '{"shop": 7}']  # as given
    assert produced[0]["key_schema_id"] != produced[0]["value_schema_id"]
    read = run("consume", topic, "-b", "-t", "2", "--json").ok().json_lines()
    assert [(r["key"], r["value"]) for r in read] == [
        ({"shop": 7}, {"id": "o-1", "price": 3.0}),
        ({"shop": 7}, None),
    ]
    assert read[0]["key_schema"]["subject"] == f"{topic}-key"
    assert "value_schema" not in read[1]  # a tombstone has no value to frame
    # The same key schema gives the same bytes, so both records went to one partition.
    assert read[0]["partition"] == read[1]["partition"]


def test_a_value_that_does_not_fit_is_refused_naming_line_and_field(
    run: Kafkatui, files: dict[str, Path]
) -> None:
    topic = run.topic("refused")
    run(
        "produce", topic, "--value-schema", str(files["order.avsc"]), input=lines({"id": "a", "price": 1})
    ).ok()
    bad = run(
        "produce",
        topic,
        "--value-schema",
        str(files["order.avsc"]),
        input=lines({"id": "b", "price": 2}, {"id": "c", "price": 3}, {"id": "d", "price": "abc"}),
    )
    bad.assert_error("INVALID_RECORD", "stdin line 3", "price", '"abc"', "double", "nothing was produced")
    assert bad.stdout == ""
    assert run.end_offset(topic) == 1  # the two good lines before it were not sent either

    run(
        "produce", topic, "--value-schema", str(files["order.avsc"]), input='{"id": "e", oops}\n'
    ).assert_error("INVALID_RECORD", "stdin line 1 is not JSON", "nothing was produced")
    run("produce", topic, "--value-format", "avro", "--value", '{"id": 5, "price": 1}').assert_error(
        "INVALID_RECORD", "the record does not fit", f"{topic}-value", "`shop.Order.id` cannot be 5"
    )
    json_topic = run.topic("refused-json")
    run(
        "produce",
        json_topic,
        "--value-schema",
        str(files["order.json"]),
        input=lines({"id": "a", "price": 1}, {"id": "b"}),
    ).assert_error("INVALID_RECORD", "stdin line 2", "'price' is a required property")
    proto_topic = run.topic("refused-proto")
    run(
        "produce",
        proto_topic,
        "--value-schema",
        str(files["geo.proto"]),
        input=lines({"x": 1}, {"x": "left"}),
    ).assert_error("INVALID_RECORD", "stdin line 2", "x field")
    topics = run("topic", "list", "--json").json()
    assert not {json_topic, proto_topic} & {t["name"] for t in topics}  # never even created
    assert run.end_offset(topic) == 1


def test_a_stdin_left_open_stops_at_the_value_that_does_not_fit(
    data_dir: Path, kafkatui: CliFn, files: dict[str, Path]
) -> None:
    """A stream cannot be held: each value is serialized as its line arrives, and the bad
    one stops the command, saying what was sent before it."""
    kafkatui("--brokers", "1", "topic", "create", "stream").ok()
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "produce", "stream", "--value-schema",
         str(files["order.avsc"])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(data_dir),
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(lines({"id": "a", "price": 1}).encode())
        proc.stdin.flush()
        assert proc.stdout.readline().decode().startswith("produced to stream partition 0 at offset 0")
        proc.stdin.write(lines({"id": "b", "price": 2}, {"id": "c"}, {"id": "d", "price": 4}).encode())
        proc.stdin.close()
        proc.stdin = None  # so communicate() leaves it alone
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1
    error = stderr.decode().splitlines()[-1]
    assert error.startswith("error: INVALID_RECORD: stdin line 3 does not fit the value schema (stream-value")
    assert "`shop.Order.price` cannot be null" in error
    assert "the 2 record(s) before it were produced, nothing from line 3 on" in error
    assert stdout.decode().count("produced to stream") == 1  # "b"; "d" never sent
    read = kafkatui("consume", "stream", "-b", "-t", "2", "--json").ok().json_lines()
    assert [r["value"]["id"] for r in read] == ["a", "b"]


def test_a_registered_version_by_subject(run: Kafkatui, files: dict[str, Path], tmp_path: Path) -> None:
    topic = run.topic("versions")
    subject = f"{topic}-value"
    with_qty = {**ORDER, "fields": [*ORDER["fields"], {"name": "qty", "type": "int", "default": 1}]}
    (tmp_path / "v2.avsc").write_text(json.dumps(with_qty))
    v1 = run("schema", "register", subject, str(files["order.avsc"]), "--json").json()
    v2 = run("schema", "register", subject, str(tmp_path / "v2.avsc"), "--json").json()

    # --value-format alone: the topic's subject, latest version (use.latest.version).
    latest = (
        run(
            "produce",
            topic,
            "--value-format",
            "avro",
            "--json",
            input=lines({"id": "a", "price": 1, "qty": 3}),
        )
        .ok()
        .json()
    )
    assert latest["value_schema_id"] == v2["id"]
    pinned = (
        run(
            "produce",
            topic,
            "--subject",
            subject,
            "--version",
            "1",
            "--json",
            input=lines({"id": "b", "price": 2}),
        )
        .ok()
        .json()
    )
    assert pinned["value_schema_id"] == v1["id"]
    read = run("consume", topic, "-b", "-t", "2", "--json").ok().json_lines()
    assert [(r["value"], r["value_schema"]["version"]) for r in read] == [
        ({"id": "a", "price": 1.0, "qty": 3}, 2),
        ({"id": "b", "price": 2.0}, 1),
    ]
    run(
        "produce", topic, "--value-subject", subject, "--value-format", "protobuf", "--value", "{}"
    ).assert_error("INVALID_SCHEMA", "AVRO", "not protobuf")


def test_an_unknown_subject_sends_nothing(run: Kafkatui) -> None:
    topic = run.topic("nobody")
    run("produce", topic, "--value-subject", "nobody-value", "--value", "{}").assert_error(
        "SUBJECT_NOT_FOUND", "nobody-value", "error code 40401", "--value-schema FILE"
    )
    run("produce", topic, "--value-format", "json-schema", "--value", "{}").assert_error(
        "SUBJECT_NOT_FOUND", f"{topic}-value", "error code 40401"
    )
    assert topic not in {t["name"] for t in run("topic", "list", "--json").json()}


def test_subject_name_strategies(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("strategies")
    for strategy in ("record", "topic-record"):
        run(
            "produce",
            topic,
            "--value-schema",
            str(files["order.avsc"]),
            "--subject-name-strategy",
            strategy,
            input=lines({"id": "a", "price": 1}),
        ).ok()
    subjects = {s["subject"] for s in run("schema", "list", "--json").json()}
    assert {"shop.Order", f"{topic}-shop.Order"} <= subjects
    assert f"{topic}-value" not in subjects
    run(
        "produce", topic, "--value-format", "avro", "--subject-name-strategy", "record", "--value", "{}"
    ).assert_usage_error("names the subject after the record")


def test_protobuf_message_indexes(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("geo")
    proto = str(files["geo.proto"])
    run(
        "produce",
        topic,
        "--value-schema",
        proto,
        "--value-message",
        "Line",
        input=lines({"a": {"x": 1}, "b": {"y": 2}}),
    ).ok()
    run(
        "produce",
        topic,
        "--value-schema",
        proto,
        "--value-message",
        "geo.Point.Label",
        input=lines({"text": "origin"}),
    ).ok()
    run("produce", topic, "--value-schema", proto, input=lines({"x": 9})).ok()  # the first message
    read = run("consume", topic, "-b", "-t", "2", "--json").ok().json_lines()
    assert [
        (r["value_schema"]["message"], r["value_schema"]["message_indexes"], r["value"]) for r in read
    ] == [
        ("geo.Line", [1], {"a": {"x": 1}, "b": {"y": 2}}),
        ("geo.Point.Label", [0, 0], {"text": "origin"}),
        ("geo.Point", [0], {"x": 9}),
    ]
    raw = run("consume", topic, "-b", "-t", "2", "--value-format", "raw", "--json").ok().json_lines()
    payloads = [value_bytes(r)[5:] for r in raw]
    # Confluent's indexes: a zigzag count then each index; [0] is the single byte 0.
    # Then the message: its first field's tag (field 1: 0x0a a length-delimited one, 0x08 a varint).
    assert [p[:4] for p in payloads] == [b"\x02\x02\x0a\x02", b"\x04\x00\x00\x0a", b"\x00\x08\x09"]
    run(
        "produce", topic, "--value-schema", proto, "--value-message", "Polygon", "--value", "{}"
    ).assert_usage_error("no message Polygon", "Point, Point.Label, Line")


def test_an_unknown_schema_id_is_one_error_line_per_record(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("unknown-id")
    run(
        "produce", topic, "--value-schema", str(files["order.avsc"]), input=lines({"id": "a", "price": 1})
    ).ok()
    foreign = b"\x00" + (999_999).to_bytes(4, "big") + b"\x02a"
    run("produce", topic, "--input", "raw", input=foreign + b"\nplain text\n" + foreign + b"\n").ok()
    read = run("consume", topic, "-b", "-t", "2")
    assert read.exit_code == 1 and "Traceback" not in read.stderr
    shown = read.stdout.splitlines()
    assert len(shown) == 4 and shown[0].endswith('value={"id":"a","price":1.0}')
    assert shown[2].endswith("value=plain text")
    errors = read.stderr.splitlines()
    assert len(errors) == 2
    for line, offset in zip(errors, (1, 3), strict=True):
        assert line.startswith(f"error: SCHEMA_NOT_FOUND: {topic} partition 0 offset {offset}: the value "), (
            line
        )
        assert "schema id 999999" in line and "error code 40403" in line and "shown as it is" in line
    # Asking for another format than the record's is an error line too.
    as_json = run("consume", topic, "-b", "-n", "1", "-t", "2", "--value-format", "json-schema")
    as_json.assert_error("INVALID_RECORD", "offset 0", "is AVRO, not json-schema")


def test_an_unreachable_registry_is_one_line(run: Kafkatui, files: dict[str, Path], cli: CliFn) -> None:
    topic = run.topic("unreachable")
    url = f"http://127.0.0.1:{closed_port()}"
    opts = ["--brokers", "1"] if run.served is None else ["--bootstrap-server", run.served.bootstrap]
    data = {} if run.served is None else {"data_dir": None}

    def bare(*args: str, input: str | None = None) -> Run:  # no registry URL of the fixture's
        return cli(*args, "--schema-registry-url", url, input=input, opts=opts, **data)  # type: ignore[arg-type]

    bare(
        "produce", topic, "--value-schema", str(files["order.avsc"]), input=lines({"id": "a", "price": 1})
    ).assert_error("NETWORK_EXCEPTION", f"the Schema Registry at {url} cannot be reached")
    assert topic not in {t["name"] for t in run("topic", "list", "--json").json()}
    run(
        "produce", topic, "--value-schema", str(files["order.avsc"]), input=lines({"id": "a", "price": 1})
    ).ok()
    reading = bare("consume", topic, "-b", "-t", "2")
    reading.assert_error("NETWORK_EXCEPTION", f"the Schema Registry at {url} cannot be reached")
    assert reading.stdout == ""
    assert bare("consume", topic, "-b", "-t", "2", "--value-format", "raw").ok().stdout.count("\n") == 1


def test_usage_errors(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("usage")
    avsc = str(files["order.avsc"])
    run("produce", topic, "--value-schema", avsc, "--value-subject", "x").assert_usage_error("not both")
    run("produce", topic, "--value-format", "avro", "-n", "3").assert_usage_error("give the one --value")
    run("produce", topic, "--value-subject", "x", "--value-version", "first").assert_usage_error(
        "'first' is not a version number"
    )
    run("produce", topic, "--value-schema", avsc, "--value-message", "Order").assert_usage_error(
        "names a Protobuf message"
    )
    run("produce", topic, "--value-schema", str(files["order.avsc"].parent / "nope.avsc")).assert_usage_error(
        "cannot read", "nope.avsc"
    )
    broken = files["order.avsc"].parent / "broken.avsc"
    broken.write_text('{"type": "record", "name": "Order", "fields": [{"name": "id"}]}')
    run("produce", topic, "--value-schema", str(broken), "--value", "{}").assert_error(
        "INVALID_SCHEMA", "broken.avsc is not a valid avro schema"
    )


def test_count_serializes_its_one_value(run: Kafkatui, files: dict[str, Path]) -> None:
    topic = run.topic("count")
    summary = (
        run(
            "produce",
            topic,
            "--value-schema",
            str(files["order.avsc"]),
            "-n",
            "5",
            "--value",
            '{"id": "same", "price": 1}',
            "--json",
        )
        .ok()
        .json()
    )
    assert summary["acked"] == 5
    read = run("consume", topic, "-b", "-t", "2", "--json").ok().json_lines()
    assert [r["value"] for r in read] == [{"id": "same", "price": 1.0}] * 5


# --- with confluent-kafka's own serializers ------------------------------------------------


def test_kafkatui_avro_is_read_by_confluents_deserializer_and_back(
    cli: CliFn, served: ServedRegistry, files: dict[str, Path]
) -> None:
    """Both ways over `--bootstrap-server` and `--schema-registry-url`: what kafkatui
    produces, AvroDeserializer reads; what AvroSerializer produces, kafkatui decodes."""

    def remote(*args: str, input: str | None = None) -> Run:
        return cli(
            *args,
            "--schema-registry-url",
            served.url,
            input=input,
            opts=["--bootstrap-server", served.bootstrap],
            data_dir=None,
        )

    orders = [{"id": f"o-{n}", "price": n * 1.25} for n in range(5)]
    remote("produce", "interop-ours", "--value-schema", str(files["order.avsc"]), input=lines(*orders)).ok()
    client = SchemaRegistryClient({"url": served.url})
    deserialize = AvroDeserializer(client)
    consumer = Consumer(
        {"bootstrap.servers": served.bootstrap, "group.id": "interop", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["interop-ours"])
    back = []
    try:
        while len(back) < len(orders):
            message = consumer.poll(10)
            assert message is not None and message.error() is None, message and message.error()
            back.append(
                deserialize(message.value(), SerializationContext("interop-ours", MessageField.VALUE))
            )
    finally:
        consumer.close()
    assert back == orders

    serialize = AvroSerializer(client, json.dumps(ORDER))
    producer = Producer({"bootstrap.servers": served.bootstrap})
    for order in orders:
        producer.produce(
            "interop-theirs", serialize(order, SerializationContext("interop-theirs", MessageField.VALUE))
        )
    assert producer.flush(30) == 0
    read = remote("consume", "interop-theirs", "-b", "-t", "2", "--json").ok().json_lines()
    assert [r["value"] for r in read] == orders
    # Confluent's serializer registered the same schema kafkatui did: one global id.
    assert {r["value_schema"]["id"] for r in read} == {
        client.get_latest_version("interop-ours-value").schema_id
    }
    assert read[0]["value_schema"]["subject"] == "interop-theirs-value"


def test_attached_to_a_served_owner_its_registry_is_used(
    cli: CliFn, data_dir: Path, files: dict[str, Path]
) -> None:
    """`kafkatui serve` owns the data dir: produce and consume attach to its listeners and
    to the registry it recorded in the lock file, where confluent-kafka's clients meet it."""
    served = Served(data_dir, "--schema-registry-port", "0")
    try:
        orders = [{"id": "o-1", "price": 2.5}]
        produced = cli(
            "produce", "owned", "--value-schema", str(files["order.avsc"]), input=lines(*orders)
        ).ok()
        assert (
            f"attached to the Schema Registry of the kafkatui process {served.proc.pid} at {served.url}"
            in produced.stderr
        )
        client = SchemaRegistryClient({"url": served.url})
        assert client.get_latest_version("owned-value").schema_id == 1
        producer = Producer({"bootstrap.servers": served.bootstrap})
        serialize = AvroSerializer(client, json.dumps(ORDER))
        producer.produce(
            "owned", serialize({"id": "o-2", "price": 4.0}, SerializationContext("owned", MessageField.VALUE))
        )
        assert producer.flush(30) == 0
        read = cli("consume", "owned", "-b", "-t", "2", "--json").ok().json_lines()
        assert [r["value"] for r in read] == [*orders, {"id": "o-2", "price": 4.0}]
    finally:
        served.stop()


def test_without_any_registry_framed_bytes_are_shown_as_they_are(cli: CliFn) -> None:
    """A cluster with no `_schemas` topic: nothing was ever registered, so `auto` shows the
    bytes (saying why once) and starts no registry; an explicit format is one error line."""
    framed = b"\x00\x00\x00\x00\x01\x02a"
    cli("produce", "bare", "--input", "whole", input=framed, opts=["--brokers", "1"]).ok()
    read = cli("consume", "bare", "-b", "-t", "1", "--json").ok()
    assert value_bytes(read.json()) == framed and "value_schema" not in read.json()
    assert read.stderr.startswith("note: records look Confluent-framed") and read.stderr.count("\n") == 1
    cli("consume", "bare", "-b", "-t", "1", "--value-format", "avro").assert_error(
        "SCHEMA_NOT_FOUND", "no _schemas topic", "--schema-registry-url"
    )
    assert "_schemas" not in {t["name"] for t in cli("topic", "list", "--json").json()}
