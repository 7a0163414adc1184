"""The HTTP sink against a small local HTTP server (the standard library's, on its own
thread): batches as JSON arrays or joined values, the configured method and headers,
retries through a target's errors, and a target that is down: retried, then the task
FAILED naming the URL and the error."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kafkatui.backends.base import ProduceRequest
from tests.ecosystem.connect.conftest import ServedConnect

SINK = "io.confluent.connect.http.HttpSinkConnector"


class Target:
    """Records every request; answers `failures` 503s first, then 200s (or `status`)."""

    def __init__(self, failures: int = 0, status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures, self.status = failures, status
        target = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                failing = target.failures > 0
                target.failures -= 1
                self.send_response(503 if failing else target.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def target() -> Iterator[Target]:
    t = Target()
    yield t
    t.close()


def produce(connect: ServedConnect, topic: str, payloads: list[Any]) -> None:
    schema = {"type": "struct", "optional": False, "fields": [
        {"field": "client_id", "type": "string", "optional": False},
        {"field": "price", "type": "float64", "optional": False},
    ]}  # fmt: skip
    for payload in payloads:
        value = json.dumps({"schema": schema, "payload": payload})
        connect.call(connect.backend.produce(ProduceRequest(topic, value)))


SALES = [{"client_id": f"c{i:04d}", "price": 10.0 + i} for i in range(5)]


def test_batches_go_as_json_arrays_with_the_method_and_headers(
    connect: ServedConnect, target: Target
) -> None:
    connect.call(connect.backend.create_topic("sales", 1, 1))
    produce(connect, "sales", SALES)
    answer = connect.create(
        "http", **{"connector.class": SINK, "topics": "sales", "http.api.url": target.url,
                   "request.method": "PUT", "batch.max.size": "2", "batch.json.as.array": "true",
                   "headers": "Authorization:Bearer abc|X-Source:kafkatui"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    connect.until(lambda: sum(len(json.loads(r["body"])) for r in target.requests) >= 5, "5 records posted")
    assert [json.loads(r["body"]) for r in target.requests] == [SALES[0:2], SALES[2:4], SALES[4:5]]
    first = target.requests[0]
    assert first["method"] == "PUT" and first["path"] == "/events"
    assert first["headers"]["Authorization"] == "Bearer abc" and first["headers"]["X-Source"] == "kafkatui"
    assert first["headers"]["Content-Type"] == "application/json"


def test_values_joined_between_prefix_and_suffix(connect: ServedConnect, target: Target) -> None:
    connect.call(connect.backend.create_topic("sales", 1, 1))
    produce(connect, "sales", SALES[:3])
    connect.create("http", **{"connector.class": "HttpSink", "topics": "sales", "http.api.url": target.url,
                              "batch.max.size": "3", "batch.prefix": "[", "batch.suffix": "]"})  # fmt: skip
    connect.until(lambda: target.requests, "a request")
    assert target.requests[0]["method"] == "POST"
    assert json.loads(target.requests[0]["body"]) == SALES[:3]


def test_a_target_that_errs_is_retried_until_it_answers(connect: ServedConnect) -> None:
    flaky = Target(failures=3)
    try:
        connect.call(connect.backend.create_topic("sales", 1, 1))
        produce(connect, "sales", SALES[:1])
        connect.create("http", **{"connector.class": SINK, "topics": "sales", "http.api.url": flaky.url,
                                  "max.retries": "5", "retry.backoff.ms": "20"})  # fmt: skip
        connect.until(lambda: len(flaky.requests) >= 4, "the fourth attempt")
        assert [json.loads(r["body"]) for r in flaky.requests] == [SALES[0]] * 4  # the same batch each time
        assert connect.state("http")["tasks"][0]["state"] == "RUNNING"
    finally:
        flaky.close()


def test_a_refusal_outside_retry_on_status_codes_fails_at_once(connect: ServedConnect) -> None:
    refusing = Target(status=400)
    try:
        connect.call(connect.backend.create_topic("sales", 1, 1))
        produce(connect, "sales", SALES[:1])
        connect.create("http", **{"connector.class": SINK, "topics": "sales", "http.api.url": refusing.url,
                                  "retry.on.status.codes": "500-"})  # fmt: skip
        trace = connect.until_state("http", "FAILED")["tasks"][0]["trace"]
        assert f"POST {refusing.url} refused 1 record(s) (not in retry.on.status.codes): HTTP 400" in trace
        assert len(refusing.requests) == 1
    finally:
        refusing.close()


def test_a_target_that_is_down_is_retried_then_the_task_fails(connect: ServedConnect) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/events"
    connect.call(connect.backend.create_topic("sales", 1, 1))
    produce(connect, "sales", SALES[:1])
    connect.create("http", **{"connector.class": SINK, "topics": "sales", "http.api.url": url,
                              "max.retries": "3", "retry.backoff.ms": "10"})  # fmt: skip
    status = connect.until_state("http", "FAILED")
    trace = status["tasks"][0]["trace"]
    assert f"Exceeded max retries (3) sending 1 record(s) to POST {url} (4 attempts): ConnectError" in trace
    assert status["connector"]["state"] == "RUNNING"  # the task failed, not the worker


def test_validation_lists_every_problem(connect: ServedConnect) -> None:
    answer = connect.http.put(
        f"/connector-plugins/{SINK}/config/validate",
        json={"connector.class": SINK, "name": "h", "topics": "t", "http.api.url": "ftp://x",
              "request.method": "DELETE", "batch.max.size": "0", "max.retries": "-1",
              "headers": "no-colon", "retry.on.status.codes": "abc"},
    )  # fmt: skip
    errors = {
        c["value"]["name"]: c["value"]["errors"] for c in answer.json()["configs"] if c["value"]["errors"]
    }
    assert set(errors) == {"http.api.url", "request.method", "batch.max.size", "max.retries", "headers",
                           "retry.on.status.codes"}  # fmt: skip
    assert errors["http.api.url"] == [
        "Invalid value ftp://x for configuration http.api.url: must be an http:// or https:// URL"
    ]
    assert errors["headers"] == ["Invalid header 'no-colon': expected Name:value"]
    assert answer.json()["error_count"] == 6
