"""REST Proxy v3 produce over a real socket: Confluent's record shape (key and value as
{type, data}, headers, partition_id, timestamp) lands in the log, one delivery report
per record; streaming mode (many records concatenated in one chunked request) answers
each in order, read back whole by the backend's consumer; bad records get their own
error while the stream goes on, JSON that does not parse ends it, and the service
stays up whatever a client sends."""

from __future__ import annotations

import base64
import datetime
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from kafkatui.common.clients import ConsumerConfig, TopicPartition
from tests.ecosystem.rest_support import ServedRest, rest, served_rest

__all__ = ["rest", "served_rest"]

JSON = {"Content-Type": "application/json"}
GREETING = {
    "type": "record",
    "name": "Greeting",
    "namespace": "demo",
    "fields": [{"name": "text", "type": "string"}],
}


def records_path(s: ServedRest, topic: str) -> str:
    cluster_id = s.http.get("/v3/clusters").json()["data"][0]["cluster_id"]
    return f"/v3/clusters/{cluster_id}/topics/{topic}/records"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def stream(s: ServedRest, topic: str, records: list[Any], chunk: int = 7) -> list[dict[str, Any]]:
    """POST the records as one chunked body of concatenated JSON, cut every `chunk`
    bytes (so records straddle chunks); the reports, in order."""
    text = "".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode()

    def body() -> Iterator[bytes]:
        for at in range(0, len(text), chunk):
            yield text[at : at + chunk]

    answer = s.http.post(records_path(s, topic), content=body(), headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    return [json.loads(line) for line in answer.text.splitlines()]


def read_back(s: ServedRest, topic: str, partitions: int, count: int) -> dict[int, list[tuple[Any, Any]]]:
    """Every record of `topic` through the backend's consumer, per partition in order."""

    async def read() -> dict[int, list[tuple[Any, Any]]]:
        consumer = s.backend.consumer(ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False))
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        got: dict[int, list[tuple[Any, Any]]] = {p: [] for p in range(partitions)}
        try:
            for _ in range(200):
                for r in await consumer.poll(500):
                    got[r.partition].append((r.offset, r.value))
                if sum(len(v) for v in got.values()) >= count:
                    break
        finally:
            await consumer.close()
        return got

    return s.call(read(), timeout=120)


def test_one_record_in_confluents_shape(served_rest: ServedRest) -> None:
    s = served_rest
    s.create_topic("greetings", 2)
    when = "2024-05-06T07:08:09.123Z"
    record = {"partition_id": 1, "headers": [{"name": "trace", "value": b64(b"abc")}, {"name": "none"}],
              "key": {"type": "STRING", "data": "k-1"}, "value": {"type": "JSON", "data": {"hello": "v3"}},
              "timestamp": when}  # fmt: skip
    answer = s.http.post(records_path(s, "greetings"), json=record)
    assert answer.status_code == 200, answer.text
    report = json.loads(answer.text)
    cluster_id = s.cluster.metadata.cluster_id
    assert report == {
        "error_code": 200, "cluster_id": cluster_id, "topic_name": "greetings", "partition_id": 1,
        "offset": 0, "timestamp": report["timestamp"],
        "key": {"type": "STRING", "size": 3}, "value": {"type": "JSON", "size": 14},
    }  # fmt: skip
    logged = s.log("greetings", 1)[0]
    assert (logged.key, logged.value) == (b"k-1", b'{"hello":"v3"}')
    assert logged.headers == (("trace", b"abc"), ("none", None))
    if s.kind == "embedded":  # the Backend's ProducerClient.send takes no timestamp (the engine's does)
        stamp = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.UTC)
        assert report["timestamp"] == when and logged.timestamp == int(stamp.timestamp() * 1000)

    # No type: BINARY, and the side is left out of the report (as ProduceAction does).
    plain = json.loads(
        s.http.post(records_path(s, "greetings"), json={"value": {"data": b64(b"\x00\x01")}}).text
    )
    assert plain["error_code"] == 200 and "key" not in plain and "value" not in plain
    assert s.log("greetings", plain["partition_id"])[-1].value == b"\x00\x01"


def test_streaming_ten_thousand_records_none_lost_or_reordered(served_rest: ServedRest) -> None:
    s = served_rest
    s.create_topic("stream", 3)
    records = [
        {"partition_id": n % 3, "value": {"type": "BINARY", "data": b64(b"r%05d" % n)}} for n in range(10_000)
    ]
    reports = stream(s, "stream", records, chunk=4096)
    assert len(reports) == 10_000 and all(r["error_code"] == 200 for r in reports)
    assert [r["partition_id"] for r in reports] == [n % 3 for n in range(10_000)]
    for p in range(3):  # in each partition, the offsets follow the records' order
        assert [r["offset"] for r in reports if r["partition_id"] == p] == list(
            range(len(range(p, 10_000, 3)))
        )
    got = read_back(s, "stream", 3, 10_000)
    for p in range(3):
        assert [v for _, v in got[p]] == [b"r%05d" % n for n in range(p, 10_000, 3)]


def test_a_bad_record_gets_its_own_error_and_the_stream_goes_on(rest: ServedRest) -> None:
    rest.create_topic("mixed", 2)
    good = {"value": {"type": "BINARY", "data": b64(b"ok")}, "partition_id": 0}
    reports = stream(rest, "mixed", [
        good,
        {"value": {"type": "BINARY", "data": "not base64!"}},
        {"value": {"type": "BINARY", "data": b64(b"x")}, "partition_id": 9},
        {"value": {"type": "STRING", "data": 5}},
        {"headers": [{"name": "h", "value": "%%%"}], "value": {"type": "BINARY", "data": b64(b"x")}},
        {"value": {"type": "XML", "data": "<x/>"}},
        [1, 2],
        {"value": {"type": "STRING", "data": "second"}, "partition_id": 0},
    ])  # fmt: skip
    codes = [r["error_code"] for r in reports]
    assert codes == [200, 400, 40402, 400, 400, 400, 400, 200], reports
    assert reports[1]["message"] == 'Bad Request: data="not base64!" is not a valid base64 string.'
    assert reports[2] == {"error_code": 40402, "message": "Partition not found."}
    assert reports[3]["message"] == "Bad Request: data=5 is not a string."
    assert [r.value for r in rest.log("mixed", 0)] == [b"ok", b"second"]
    assert rest.log("mixed", 1) == []


def test_a_record_the_broker_refuses_among_others_of_its_batch(rest: ServedRest) -> None:
    """Past the topic's max.message.bytes, in one chunk with good records: the producer
    sends that batch again a record at a time (as Kafka's does), so only that record
    gets the error and the others land, answered in order with their own offsets."""
    rest.call(rest.backend.create_topic("strict", 1, 1, {"max.message.bytes": "2000"}))
    small = [{"value": {"type": "STRING", "data": f"r{n}"}} for n in range(4)]
    large = {"value": {"type": "STRING", "data": "y" * 5000}}
    reports = stream(rest, "strict", [*small[:2], large, *small[2:]], chunk=100_000)
    assert [r["error_code"] for r in reports] == [200, 200, 413, 200, 200], reports
    assert [r["offset"] for r in reports if r["error_code"] == 200] == [0, 1, 2, 3]
    assert reports[2]["message"].startswith("The request included a message larger than")
    assert [r.value for r in rest.log("strict")] == [b"r0", b"r1", b"r2", b"r3"]


def test_json_that_does_not_parse_ends_the_stream(rest: ServedRest) -> None:
    rest.create_topic("broken", 1)
    good = json.dumps({"value": {"type": "STRING", "data": "fine"}})
    reports = stream(rest, "broken", [good, good, '{"value": {"type": "STRING", "data": nope}}', good])
    assert [r["error_code"] for r in reports] == [200, 200, 400]
    assert "record 3" in reports[2]["message"]
    assert [r.value for r in rest.log("broken")] == [b"fine", b"fine"]
    cut = stream(rest, "broken", [good, '{"value": {"type": "STRING", "da'])  # the body ends mid-record
    assert [r["error_code"] for r in cut] == [200, 400]
    assert len(rest.log("broken")) == 3
    assert rest.http.get("/v3/clusters").status_code == 200


def test_refused_requests(rest: ServedRest) -> None:
    rest.create_topic("t", 1)
    path = records_path(rest, "t")
    record = json.dumps({"value": {"type": "STRING", "data": "x"}}).encode()
    wrong = rest.http.post(
        path, content=record, headers={"Content-Type": "application/vnd.kafka.binary.v2+json"}
    )
    assert wrong.status_code == 415 and wrong.json() == {
        "error_code": 415,
        "message": "HTTP 415 Unsupported Media Type",
    }
    empty = rest.http.post(path, content=b"  ", headers=JSON)
    assert (
        empty.status_code == 422
        and empty.json()["message"] == "Payload error. Request body is empty. Data is required."
    )
    # A name no topic can have: the producer's Metadata request cannot create it.
    unknown = rest.http.post(records_path(rest, "no%20good"), content=record, headers=JSON)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json() == {
        "error_code": 40403,
        "message": "This server does not host this topic-partition.",
    }
    elsewhere = rest.http.post("/v3/clusters/other/topics/t/records", content=record, headers=JSON)
    assert elsewhere.status_code == 404 and elsewhere.json()["message"] == "Cluster other cannot be found."
    assert rest.log("t") == []


def test_oversized_bodies_and_records() -> None:
    s = ServedRest("embedded", max_body=4096)
    try:
        s.create_topic("big", 1)
        path = records_path(s, "big")
        large = json.dumps({"value": {"type": "STRING", "data": "x" * 5000}})
        answer = s.http.post(path, content=large.encode(), headers=JSON)
        assert answer.status_code == 413 and answer.json()["error_code"] == 413, answer.text
        small = json.dumps({"value": {"type": "STRING", "data": "small"}})
        reports = stream(s, "big", [small, large, small], chunk=1000)
        assert [r["error_code"] for r in reports] == [200, 413]
        assert reports[1]["message"].startswith("The request included a message larger than")
        assert [r.value for r in s.log("big")] == [b"small"]
        assert s.http.get("/v3/clusters").status_code == 200
    finally:
        s.close()


def test_avro_by_raw_schema_then_by_id(rest: ServedRest) -> None:
    rest.create_topic("greet", 1)
    schema = json.dumps(GREETING)
    first = stream(rest, "greet", [{"value": {"type": "AVRO", "schema": schema, "data": {"text": "hi"}}}])[0]
    assert first["error_code"] == 200, first
    value = first["value"]
    assert (value["type"], value["subject"]) == ("AVRO", "greet-value") and value["schema_id"] > 0
    by_id = {"value": {"schema_id": value["schema_id"], "data": {"text": "again"}}}
    latest = {"value": {"type": "AVRO", "data": {"text": "latest"}}}
    wrong = {"value": {"schema_id": value["schema_id"], "data": {"text": 5}}}
    reports = stream(rest, "greet", [by_id, latest, wrong])
    assert [r["error_code"] for r in reports] == [200, 200, 42203]
    assert reports[1]["value"]["schema_version"] == 1
    logged = rest.log("greet")
    assert len(logged) == 3 and all(
        r.value[:5] == b"\x00" + value["schema_id"].to_bytes(4, "big") for r in logged
    )


def test_a_client_that_goes_away_mid_stream(rest: ServedRest) -> None:
    rest.create_topic("gone", 1)
    url = urlsplit(rest.rest_url)
    records = "".join(json.dumps({"value": {"type": "STRING", "data": f"n{n}"}}) for n in range(3))
    body = records + '{"value": {"type": "STRING", "data": "half'
    with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
        head = (f"POST {records_path(rest, 'gone')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        raw.sendall(head.encode() + f"{len(body):x}\r\n{body}\r\n".encode())
        seen = b""
        while seen.count(b'"error_code":200') < 3:
            seen += raw.recv(65536)
    assert rest.http.get("/v3/clusters").status_code == 200
    assert [r.value for r in rest.log("gone")] == [b"n0", b"n1", b"n2"]
