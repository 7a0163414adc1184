"""v2 metadata resources, and bad input: each answered with Confluent's status and
error code in a JSON body, nothing of a refused batch written, the service still up."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from tests.ecosystem.rest_support import AVRO, BINARY, JSON, V2, ServedRest, rest, served_rest

__all__ = ["rest", "served_rest"]

RECORD = {"type": "record", "name": "R", "fields": [{"name": "n", "type": "int"}]}


def _error(answer: httpx.Response) -> tuple[int, int]:
    assert answer.headers["Content-Type"].startswith("application/"), answer.headers
    body = answer.json()
    assert "Traceback" not in body["message"]
    return answer.status_code, body["error_code"]


def test_topics_partitions_offsets_and_brokers(served_rest: ServedRest) -> None:
    served_rest.create_topic("sales", 2)
    served_rest.produce("sales", [{"value": n} for n in range(3)], path="/topics/sales/partitions/1")
    http = served_rest.http
    assert http.get("/").json() == {}
    assert "sales" in http.get("/topics").json()
    topic = http.get("/topics/sales").json()
    assert topic["name"] == "sales" and topic["configs"]["cleanup.policy"] == "delete"
    assert [p["partition"] for p in topic["partitions"]] == [0, 1]
    one = http.get("/topics/sales/partitions/1").json()
    assert one["leader"] == 1 and one["replicas"] == [{"broker": 1, "leader": True, "in_sync": True}]
    assert http.get("/topics/sales/partitions").json() == topic["partitions"]
    assert http.get("/topics/sales/partitions/1/offsets").json() == {"beginning_offset": 0, "end_offset": 3}
    assert http.get("/brokers").json() == {"brokers": [1]}
    assert _error(http.get("/topics/nope")) == (404, 40401)
    assert _error(http.get("/topics/nope/partitions")) == (404, 40401)
    assert _error(http.get("/topics/sales/partitions/9")) == (404, 40402)
    assert _error(http.get("/topics/sales/partitions/9/offsets")) == (404, 40402)
    assert _error(http.get("/topics/sales/partitions/x")) == (404, 40402)


def _post(rest: ServedRest, path: str, raw: bytes | str, content_type: str | None = JSON) -> httpx.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return rest.http.post(path, content=raw, headers=headers)


BAD_BATCHES = [
    (JSON, b'{"records": [{"value": 1}', (400, 400)),  # not JSON
    (JSON, b'{"records": []}', (422, 422)),
    (JSON, b"{}", (422, 422)),
    (JSON, b'{"records": "many"}', (400, 400)),
    (JSON, b'{"records": [{"value": 1, "partition": "first"}]}', (400, 400)),
    (BINARY, b'{"records": [{"value": "aGk="}, {"value": "not base64!"}]}', (400, 400)),
    (BINARY, b'{"records": [{"value": "aGk="}, {"value": {"not": "text"}}]}', (400, 400)),
    (JSON, b'{"records": [{"value": 1}, {"value": 2, "partition": 5}]}', (404, 40402)),
    (AVRO, b'{"records": [{"value": {"n": 1}}]}', (422, 42202)),
    (AVRO, b'{"value_schema": "\\"int\\"", "records": [{"key": "k", "value": 1}]}', (422, 42201)),
    (AVRO, b'{"value_schema": "{\\"type\\": \\"recrod\\"}", "records": [{"value": 1}]}', (422, 42205)),
    (AVRO, json.dumps({"value_schema": json.dumps(RECORD),
                       "records": [{"value": {"n": 1}}, {"value": {"n": "one"}}]}).encode(), (422, 42203)),
    (AVRO, b'{"value_schema_id": 999, "records": [{"value": 1}]}', (422, 42207)),
    ("text/plain", b'{"records": [{"value": 1}]}', (415, 415)),
    (V2, b'{"records": [{"value": 1}]}', (415, 415)),
]  # fmt: skip


@pytest.mark.parametrize(("content_type", "raw", "expected"), BAD_BATCHES)
def test_a_bad_batch_is_refused_whole(rest: ServedRest, content_type: str, raw: bytes,
                                      expected: tuple[int, int]) -> None:  # fmt: skip
    rest.create_topic("ledger")
    answer = _post(rest, "/topics/ledger", raw, content_type)
    assert _error(answer) == expected, answer.text
    assert rest.log("ledger") == []  # not even the good records before the bad one
    # ...and the service is still up.
    assert rest.produce("ledger", [{"value": "fine"}]).json()["offsets"][0]["offset"] == 0


def test_produce_to_a_missing_topic_without_auto_create_is_40401(rest: ServedRest) -> None:
    rest.cluster.defaults = dataclasses.replace(rest.cluster.defaults, auto_create_topics_enable=False)
    assert _error(rest.produce("ghost", [{"value": 1}])) == (404, 40401)
    assert _error(rest.produce("ghost", [{"value": 1}], path="/topics/ghost/partitions/0")) == (404, 40401)
    assert "ghost" not in rest.http.get("/topics").json()


def test_a_body_without_content_type_is_binary(rest: ServedRest) -> None:
    """Jersey matches a request without Content-Type to any method; binary weighs most."""
    rest.create_topic("raw")
    answer = _post(rest, "/topics/raw", b'{"records": [{"value": "aGk="}]}', None)
    assert answer.status_code == 200, answer.text
    assert rest.log("raw")[0].value == b"hi"


def test_an_oversized_body_is_413_and_the_service_stays_up() -> None:
    served = ServedRest("embedded", max_body=4096)
    try:
        served.create_topic("t")
        big = {"records": [{"value": "x" * 5000}]}
        answer = served.http.post("/topics/t", json=big, headers={"Content-Type": JSON})
        assert _error(answer) == (413, 413)
        assert served.log("t") == []
        assert served.produce("t", [{"value": "small"}]).status_code == 200
    finally:
        served.close()


def test_a_record_kafka_refuses_gets_its_own_error(rest: ServedRest) -> None:
    """Past max.message.bytes: the batch is answered, that record with Kafka's error."""
    rest.call(rest.backend.create_topic("small", 1, 1, {"max.message.bytes": "2000"}))
    answer = rest.produce("small", [{"value": "ok"}, {"value": "y" * 5000}])
    assert answer.status_code == 200
    first, second = answer.json()["offsets"]
    assert (first["offset"], first["error_code"]) == (0, None)
    assert second["partition"] is None and second["error_code"] == 50002
    assert "MESSAGE_TOO_LARGE" in second["error"] or "RECORD" in second["error"]


def test_bad_consumer_requests(rest: ServedRest) -> None:
    http = rest.http
    bad_reset = http.post(
        "/consumers/g", json={"auto.offset.reset": "sideways"}, headers={"Content-Type": V2}
    )
    assert _error(bad_reset) == (422, 42204)
    assert _error(http.post("/consumers/g", json={"format": "xml"}, headers={"Content-Type": V2})) == (
        422,
        422,
    )
    assert _error(http.post("/consumers/g", content=b"{oops", headers={"Content-Type": V2})) == (400, 400)
    no_body = http.post("/consumers/g", headers={"Content-Type": V2})  # an empty body: all defaults
    assert no_body.status_code == 200 and no_body.json()["instance_id"].startswith("rest-consumer-")
    instance = rest.consumer("g", name="c")
    assert _error(rest.post(f"{instance}/subscription", {"topics": ["nope"]})) == (404, 40401)
    assert _error(rest.post(f"{instance}/subscription", {})) == (422, 422)
    assert _error(rest.post(f"{instance}/positions")) == (422, 422)
    assert _error(rest.http.get("/consumers/g/instances/who/records")) == (404, 40403)
    assert _error(rest.http.delete("/consumers/g/instances/who")) == (404, 40403)
    assert _error(http.get("/consumers/g/instances/c/records", params={"timeout": "soon"},
                           headers={"Accept": BINARY})) == (400, 400)  # fmt: skip
