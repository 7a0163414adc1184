"""Connect with real Kafka clients: a confluent-kafka consumer reads, over the wire
listener, what a source wrote; a sink writes out what a confluent-kafka producer sent;
and a worker over the RemoteBackend (any Kafka, `--bootstrap-server`) runs the same
pipeline and resumes at its committed offset after a restart."""

from __future__ import annotations

import json
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer

from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines

STRING = "org.apache.kafka.connect.storage.StringConverter"


def test_a_confluent_consumer_reads_what_the_source_wrote(connect: ServedConnect, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    written = write_lines(source, 0, 500)
    answer = connect.create(
        "src",
        **{
            "connector.class": "FileStreamSource",
            "file": str(source),
            "topic": "text",
            "value.converter": STRING,
        },
    )
    assert answer.status_code == 201, answer.text
    consumer = Consumer(
        {"bootstrap.servers": connect.bootstrap, "group.id": "reader", "auto.offset.reset": "earliest"}
    )
    try:
        connect.until(lambda: "text" in connect.backend.topic_names(), "the source's topic")
        consumer.subscribe(["text"])
        got: list[str] = []
        deadline = time.monotonic() + 60
        while len(got) < 500 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                assert message.key() is None
                got.append(message.value().decode())
    finally:
        consumer.close()
    assert got == written


def test_a_sink_writes_what_a_confluent_producer_sent(connect: ServedConnect, tmp_path: Path) -> None:
    connect.call(connect.backend.create_topic("events", 1, 1))
    producer = Producer({"bootstrap.servers": connect.bootstrap})
    for i in range(200):
        producer.produce("events", json.dumps({"n": i}).encode())
    assert producer.flush(30) == 0
    sink = tmp_path / "out.txt"
    connect.create(
        "snk", **{"connector.class": "FileStreamSink", "file": str(sink), "topics": "events",
                  "value.converter": "JsonConverter", "value.converter.schemas.enable": "false"},
    )  # fmt: skip
    connect.until(lambda: len(lines_in(sink)) >= 200, "200 lines in the sink")
    assert lines_in(sink) == [str({"n": i}) for i in range(200)]


def test_the_pipeline_on_each_backend_resumes_after_a_restart(
    connect_on: ServedConnect, tmp_path: Path
) -> None:
    connect = connect_on
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    first = write_lines(source, 0, 1_000)
    connect.create("src", **{"connector.class": "FileStreamSource", "file": str(source), "topic": "lines"})
    connect.create("snk", **{"connector.class": "FileStreamSink", "file": str(sink), "topics": "lines"})
    connect.until(lambda: len(lines_in(sink)) >= 1_000, "1,000 lines in the sink")
    connect.restart_worker()
    second = write_lines(source, 1_000, 2_000)
    connect.until(lambda: len(lines_in(sink)) >= 2_000, "2,000 lines in the sink")
    assert lines_in(sink) == first + second
    expected = [{"partition": {"filename": str(source)}, "offset": {"position": source.stat().st_size}}]
    connect.until(
        lambda: connect.http.get("/connectors/src/offsets").json()["offsets"] == expected,
        "the source's offset at the end of the file",
    )
