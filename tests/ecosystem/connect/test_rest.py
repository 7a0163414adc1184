"""The Connect REST API's paths, statuses and JSON, checked against Apache Kafka's
documented responses (connect/runtime/.../rest/resources and entities), with httpx on a
real socket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _source(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    path = tmp_path / "in.txt"
    path.touch()
    return {"connector.class": "FileStreamSource", "file": str(path), "topic": "t", **extra}


def test_root_and_plugins(connect: ServedConnect) -> None:
    root = connect.http.get("/")
    assert root.status_code == 200 and root.headers["content-type"].startswith("application/json")
    assert set(root.json()) == {"version", "commit", "kafka_cluster_id"}
    plugins = connect.http.get("/connector-plugins").json()
    assert {"class": SINK, "type": "sink", "version": "3.9.0"} in plugins
    assert {"class": SOURCE, "type": "source", "version": "3.9.0"} in plugins
    everything = connect.http.get("/connector-plugins", params={"connectorsOnly": "false"}).json()
    assert {"class": "org.apache.kafka.connect.json.JsonConverter", "type": "converter"} in everything
    config = connect.http.get("/connector-plugins/FileStreamSource/config").json()
    assert [c["name"] for c in config] == ["file", "topic", "batch.size"]
    batch = config[2]
    assert batch["type"] == "INT" and batch["default_value"] == "2000" and batch["required"] is False
    assert batch["importance"] == "LOW" and batch["documentation"]
    missing = connect.http.get("/connector-plugins/NoSuchConnector/config")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": 404, "message": "Unknown plugin NoSuchConnector."}


def test_validate_lists_every_problem_per_field(connect: ServedConnect) -> None:
    answer = connect.http.put(
        "/connector-plugins/FileStreamSourceConnector/config/validate",
        json={"connector.class": "FileStreamSource", "tasks.max": "zero", "batch.size": "0", "topic": "a,b",
              "value.converter": "NoSuchConverter", "errors.tolerance": "some"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    infos = answer.json()
    assert infos["name"] == SOURCE
    assert infos["groups"][:1] == ["Common"] and "Error Handling" in infos["groups"]
    errors = {c["value"]["name"]: c["value"]["errors"] for c in infos["configs"]}
    assert errors["name"] == ['Missing required configuration "name" which has no default value.']
    assert errors["tasks.max"] == [
        "Invalid value zero for configuration tasks.max: Expected value to be a 32-bit integer"
    ]
    assert errors["batch.size"] == ["Invalid value 0 for configuration batch.size: Value must be at least 1"]
    assert errors["topic"] == [
        "'topic' in FileStreamSourceConnector configuration requires definition of a single topic"
    ]
    assert errors["value.converter"] == [
        "Invalid value NoSuchConverter for configuration value.converter: "
        "Class NoSuchConverter could not be found."
    ]
    assert errors["errors.tolerance"] == [
        "Invalid value some for configuration errors.tolerance: String must be one of: none, all"
    ]
    # Required in the definition (no default), and the validation says so as ConfigDef does.
    assert errors["file"] == ['Missing required configuration "file" which has no default value.']
    assert errors["connector.class"] == []
    file = next(c["definition"] for c in infos["configs"] if c["definition"]["name"] == "file")
    assert file["required"] is True and file["default_value"] is None
    assert infos["error_count"] == sum(len(e) for e in errors.values()) == 7
    definition = next(c["definition"] for c in infos["configs"] if c["definition"]["name"] == "tasks.max")
    assert set(definition) == {"name", "type", "required", "default_value", "importance", "documentation",
                               "group", "width", "display_name", "dependents", "order"}  # fmt: skip
    sink = connect.http.put(
        f"/connector-plugins/{SINK}/config/validate",
        json={"connector.class": SINK, "name": "s", "file": "/tmp/x"},
    )
    sink_errors = {c["value"]["name"]: c["value"]["errors"] for c in sink.json()["configs"]}
    assert sink_errors["topics"] == ["Must configure one of topics or topics.regex"]
    wrong = connect.http.put(f"/connector-plugins/{SINK}/config/validate", json={"connector.class": SOURCE})
    assert wrong.status_code == 400
    assert wrong.json()["message"] == f"Included connector type {SOURCE} does not match request type {SINK}"


def test_validate_answers_an_unknown_plugin_as_kafka_does(connect: ServedConnect) -> None:
    """ConnectorPluginsResource.validateConfigs, then AbstractHerder.validateConnectorConfig:
    the body names its class or it is a 400; a class no plugin has is Plugins'
    ConnectException, which Connect's exception mapper answers 500 (never a bare 500
    page: Connect's error body, with the plugins there are)."""
    url = "/connector-plugins/NoSuchConnector/config/validate"
    unknown = connect.http.put(url, json={"connector.class": "NoSuchConnector", "name": "x"})
    assert unknown.status_code == 500
    body = unknown.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] == 500
    assert body["message"].startswith(
        "Failed to find any class that implements Connector and which name matches NoSuchConnector, "
        "available connectors are: "
    )
    assert SOURCE in body["message"]
    no_class = connect.http.put(url, json={"name": "x", "topic": "t"})
    assert no_class.status_code == 400
    assert no_class.json() == {
        "error_code": 400,
        "message": "Connector config {name=x, topic=t} contains no connector type",
    }
    other = connect.http.put(url, json={"connector.class": "FileStreamSource"})
    assert other.status_code == 400
    assert other.json() == {
        "error_code": 400,
        "message": "Included connector type FileStreamSource does not match request type NoSuchConnector",
    }
    # The alias and the class name of the path's plugin are one: validated, 200.
    alias = connect.http.put(
        "/connector-plugins/FileStreamSource/config/validate", json={"connector.class": SOURCE}
    )
    assert alias.status_code == 200 and alias.json()["name"] == SOURCE


def test_connector_lifecycle(connect: ServedConnect, tmp_path: Path) -> None:
    config = _source(tmp_path)
    created = connect.create("src", **config)
    assert created.status_code == 201, created.text
    info = created.json()
    tasks = [{"connector": "src", "task": 0}]
    assert info == {"name": "src", "config": {**config, "name": "src"}, "tasks": tasks, "type": "source"}
    again = connect.create("src", **config)
    assert again.status_code == 409 and again.json() == {
        "error_code": 409,
        "message": "Connector src already exists",
    }
    assert connect.http.get("/connectors").json() == ["src"]
    assert connect.http.get("/connectors/src").json() == info
    assert connect.http.get("/connectors/src/config").json() == {**config, "name": "src"}
    status = connect.until_state("src", "RUNNING")
    assert status["name"] == "src" and status["type"] == "source"
    assert status["connector"] == {"state": "RUNNING", "worker_id": connect.worker.config.worker_id}
    assert status["tasks"] == [{"id": 0, "state": "RUNNING", "worker_id": connect.worker.config.worker_id}]
    assert connect.http.get("/connectors/src/tasks/0/status").json() == status["tasks"][0]
    tasks = connect.http.get("/connectors/src/tasks").json()
    assert tasks[0]["id"] == {"connector": "src", "task": 0}
    assert tasks[0]["config"]["task.class"] == "org.apache.kafka.connect.file.FileStreamSourceTask"
    expanded = connect.http.get("/connectors", params=[("expand", "status"), ("expand", "info")]).json()
    assert expanded["src"]["info"] == info and expanded["src"]["status"]["connector"]["state"] == "RUNNING"
    assert set(connect.http.get("/connectors", params={"expand": "status"}).json()["src"]) == {"status"}

    updated = connect.http.put("/connectors/src/config", json={**config, "batch.size": "10"})
    assert updated.status_code == 200 and updated.json()["config"]["batch.size"] == "10"
    made = connect.http.put("/connectors/other/config", json=config)
    assert made.status_code == 201 and made.json()["name"] == "other"
    mismatch = connect.http.put("/connectors/src/config", json={**config, "name": "else"})
    assert mismatch.status_code == 400
    assert (
        mismatch.json()["message"]
        == "Connector name configuration (else) doesn't match connector name in the URL (src)"
    )

    assert connect.http.delete("/connectors/other").status_code == 204
    gone = connect.http.get("/connectors/other")
    assert gone.status_code == 404 and gone.json() == {
        "error_code": 404,
        "message": "Connector other not found",
    }
    for method, path in (("GET", "status"), ("GET", "tasks"), ("PUT", "pause"), ("POST", "restart"),
                         ("GET", "offsets"), ("GET", "topics"), ("DELETE", "")):  # fmt: skip
        answer = connect.http.request(method, f"/connectors/other/{path}".rstrip("/"))
        assert answer.status_code == 404, (method, path)
        assert answer.json()["message"] == "Connector other not found"
    assert connect.http.get("/connectors/src/tasks/7/status").status_code == 404


def test_pause_resume_stop_and_restart(connect: ServedConnect, tmp_path: Path) -> None:
    config = _source(tmp_path)
    connect.create("src", **config)
    connect.until_state("src", "RUNNING")
    assert connect.http.put("/connectors/src/pause").status_code == 202
    connect.until_state("src", "PAUSED")
    assert connect.state("src")["connector"]["state"] == "PAUSED"
    assert connect.http.put("/connectors/src/resume").status_code == 202
    connect.until_state("src", "RUNNING")
    assert connect.http.put("/connectors/src/stop").status_code == 202
    stopped = connect.until_state("src", "STOPPED", task=None)
    assert stopped["tasks"] == [] and connect.http.get("/connectors/src/tasks").json() == []
    assert connect.http.put("/connectors/src/resume").status_code == 202
    connect.until_state("src", "RUNNING")

    assert connect.http.post("/connectors/src/restart").status_code == 204
    plan = connect.http.post("/connectors/src/restart", params={"includeTasks": "true"})
    assert plan.status_code == 202
    assert (
        plan.json()["connector"]["state"] == "RESTARTING" and plan.json()["tasks"][0]["state"] == "RESTARTING"
    )
    connect.until_state("src", "RUNNING")
    none_failed = connect.http.post(
        "/connectors/src/restart", params={"includeTasks": "true", "onlyFailed": "true"}
    )
    assert none_failed.status_code == 202
    assert none_failed.json()["connector"]["state"] == "RUNNING"
    assert none_failed.json()["tasks"][0]["state"] == "RUNNING"
    assert connect.http.post("/connectors/src/tasks/0/restart").status_code == 204
    connect.until_state("src", "RUNNING")
    assert connect.http.post("/connectors/src/tasks/3/restart").status_code == 404


def test_topics_and_offsets(connect: ServedConnect, tmp_path: Path) -> None:
    config = _source(tmp_path)
    connect.create("src", **config)
    sink_file = tmp_path / "out.txt"
    connect.create("snk", **{"connector.class": "FileStreamSink", "file": str(sink_file), "topics": "t"})
    write_lines(Path(config["file"]), 0, 3)
    connect.until(lambda: len(lines_in(sink_file)) == 3, "3 lines in the sink")
    assert connect.http.get("/connectors/src/topics").json() == {"src": {"topics": ["t"]}}
    size = Path(config["file"]).stat().st_size

    def source_offsets() -> Any:
        got = connect.http.get("/connectors/src/offsets").json()
        return got if got["offsets"] and got["offsets"][0]["offset"] == {"position": size} else None

    assert connect.until(source_offsets, "the source's offsets") == {
        "offsets": [{"partition": {"filename": config["file"]}, "offset": {"position": size}}]
    }

    def sink_offsets() -> Any:
        got = connect.http.get("/connectors/snk/offsets").json()
        return got if got["offsets"] else None

    assert connect.until(sink_offsets, "the sink's offsets") == {
        "offsets": [{"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 3}}]
    }


def test_bad_requests(connect: ServedConnect, tmp_path: Path) -> None:
    no_class = connect.http.post("/connectors", json={"name": "x", "config": {"file": "/tmp/x"}})
    assert no_class.status_code == 400 and "contains no connector type" in no_class.json()["message"]
    unknown = connect.create("x", **{"connector.class": "com.example.Nothing"})
    assert unknown.status_code == 500
    assert unknown.json()["message"].startswith(
        "Failed to find any class that implements Connector and which name matches com.example.Nothing"
    )
    invalid = connect.create("x", **{"connector.class": "FileStreamSink", "tasks.max": "0"})
    assert invalid.status_code == 400
    message = invalid.json()["message"]
    assert message.startswith("Connector configuration is invalid and contains the following 4 error(s):\n")
    assert "Invalid value 0 for configuration tasks.max: Value must be at least 1" in message
    assert "Must configure one of topics or topics.regex" in message
    assert message.endswith("`/connector-plugins/{connectorType}/config/validate`")
    assert connect.http.get("/connectors").json() == []
    not_json = connect.http.post("/connectors", content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["error_code"] == 400
    assert connect.http.get("/nowhere").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
