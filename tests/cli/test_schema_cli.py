"""`kafkatui schema ...` against a real registry, both ways a user meets one: attached to
the registry of a served kafkatui that owns the data dir, and started inside the command
over the data dir's own cluster. Confluent's REST semantics, --json shapes, one-line
errors naming Confluent's codes, exit codes."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from tests.cli.conftest import CliFn, Run, kafkatui_command, subprocess_env
from tests.ecosystem.conftest import ServedRegistry
from tests.wire.conftest import ServedCluster

MODES = ["in-process", "attached"]


def order(*extra: dict[str, object], price: str = "double") -> str:
    fields = [{"name": "id", "type": "string"}, {"name": "price", "type": price}, *extra]
    return json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": fields})


QTY_DEFAULT = {"name": "qty", "type": "int", "default": 1}
QTY = {"name": "qty", "type": "int"}


class Served:
    """`kafkatui serve` on the data dir, its registry on a free port: the owner."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
             "--group-initial-rebalance-delay-ms", "0", "--no-rest-proxy", "--no-connect", "--no-ksql",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=subprocess_env(data_dir),
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.bootstrap = self.url = None
        for line in self.proc.stdout:
            if line.startswith("bootstrap servers: "):
                self.bootstrap = line.removeprefix("bootstrap servers: ").strip()
                if "--no-schema-registry" in args:
                    break
            if line.startswith("schema registry: "):
                self.url = line.removeprefix("schema registry: ").strip()
                break
        assert self.bootstrap is not None, self.stop()

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        return err


@pytest.fixture(params=MODES)
def schema(request: pytest.FixtureRequest, cli: CliFn, data_dir: Path, tmp_path: Path) -> Iterator[CliFn]:
    """`schema("register", ...)`: `kafkatui schema ...` in this process, with the registry
    of a served owner (attached) or one of its own over the data dir (in-process)."""
    served = Served(data_dir, "--schema-registry-port", "0") if request.param == "attached" else None

    def run(*args: str, input: str | None = None) -> Run:
        opts = ["--brokers", "1"] if served is None else []
        result = cli("schema", *args, input=input, opts=opts)
        if served is not None and result.stderr.startswith("attached to "):
            notice, _, rest = result.stderr.partition("\n")
            owner = f"the kafkatui process {served.proc.pid}"
            assert (
                notice == f"attached to the Schema Registry of {owner} at {served.url} (it owns {data_dir})"
            )
            result.stderr = rest
        return result

    try:
        yield run
    finally:
        if served is not None:
            served.stop()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {
        "v1.avsc": order(),
        "v2.avsc": order(QTY_DEFAULT),
        "no-default.avsc": order(QTY),
        "price-text.avsc": order(QTY_DEFAULT, price="string"),
        "broken.avsc": '{"type": "record", "name": "Order", "fields": [{"name": "id"}]}',
        "point.proto": 'syntax = "proto3";\npackage geo;\nmessage Point { int32 x = 1; int32 y = 2; }\n',
        "person.json": json.dumps({"type": "object", "properties": {"name": {"type": "string"}}}),
    }.items():
        (tmp_path / name).write_text(text)
        out[name] = tmp_path / name
    return out


def test_register_list_show_and_diff(schema: CliFn, files: dict[str, Path]) -> None:
    first = schema("register", "orders-value", str(files["v1.avsc"])).ok()
    assert first.stdout == "Registered orders-value version 1: schema id 1\n"
    again = schema("register", "orders-value", str(files["v1.avsc"]), "--json").json()
    assert again == {
        "subject": "orders-value",
        "version": 1,
        "id": 1,
        "schemaType": "AVRO",
        "registered": False,
    }
    assert (
        "already has this schema: schema id 1"
        in schema("register", "orders-value", str(files["v1.avsc"])).ok().stdout
    )
    second = schema("register", "orders-value", str(files["v2.avsc"]), "--json").json()
    assert (second["version"], second["id"], second["registered"]) == (2, 2, True)
    # The same schema under another subject keeps its global id, with its own version 1.
    other = schema("register", "archive-value", str(files["v2.avsc"]), "--json").json()
    assert (other["version"], other["id"]) == (1, 2)

    listed = schema("list", "--json").json()
    assert listed == [
        {"subject": "archive-value", "versions": [1], "latest": {"version": 1, "id": 2},
         "schemaType": "AVRO"},
        {"subject": "orders-value", "versions": [1, 2], "latest": {"version": 2, "id": 2},
         "schemaType": "AVRO"},
    ]  # fmt: skip
    assert "orders-value  versions 1, 2  latest id 2  AVRO" in schema("list").ok().stdout
    assert [r["subject"] for r in schema("list", "--prefix", "ord", "--json").json()] == ["orders-value"]

    latest = schema("show", "orders-value", "--json").json()  # Confluent's shape for a version
    assert latest == {"subject": "orders-value", "version": 2, "id": 2, "schema": json.dumps(
        json.loads(order(QTY_DEFAULT)), separators=(",", ":"))}  # fmt: skip
    shown = schema("show", "orders-value", "1").ok().stdout.splitlines()
    assert shown[0] == "orders-value version 1 · schema id 1 · AVRO"
    assert json.loads("\n".join(shown[1:])) == json.loads(order())  # indented, whole
    by_id = schema("show", "--id", "2", "--json").json()
    assert by_id["versions"] == [
        {"subject": "archive-value", "version": 1},
        {"subject": "orders-value", "version": 2},
    ]
    assert (
        "used by archive-value version 1, orders-value version 2" in schema("show", "--id", "2").ok().stdout
    )

    diff = schema("diff", "orders-value", "--json").json()
    assert diff["old"] == {"version": 1, "id": 1} and diff["new"] == {"version": 2, "id": 2}
    assert diff["diff"][:2] == ["--- orders-value version 1 (id 1)", "+++ orders-value version 2 (id 2)"]
    added = [line for line in diff["diff"] if line.startswith("+") and not line.startswith("+++")]
    assert '+      "name": "qty",' in added and '+      "default": 1' in added
    assert not [line for line in diff["diff"] if line.startswith("-") and not line.startswith("---")]
    text = schema("diff", "orders-value", "1", "2").ok().stdout
    assert text.splitlines() == diff["diff"]
    same = schema("diff", "orders-value", "2", "latest").ok().stdout
    assert same == "orders-value versions 2 and 2 have the same schema (id 2)\n"
    schema("diff", "archive-value").assert_error("VERSION_NOT_FOUND", "no version before 1")


def test_check_says_why_and_exits_1(schema: CliFn, files: dict[str, Path]) -> None:
    schema("register", "orders-value", str(files["v1.avsc"])).ok()
    fine = schema("check", "orders-value", str(files["v2.avsc"])).ok()
    assert fine.stdout.startswith("Compatible with orders-value under BACKWARD against version 1: ")
    bad = schema("check", "orders-value", str(files["price-text.avsc"]))
    bad.assert_error(
        "INCOMPATIBLE_SCHEMA", "orders-value would refuse the schema under BACKWARD", "error code 409"
    )
    assert bad.exit_code == 1
    lines = bad.stdout.splitlines()
    assert lines[0].startswith("Not compatible with orders-value under BACKWARD")
    assert (
        lines[1].startswith("  - `price` changed type from `double` to `string`")
        and "(against version 1)" in lines[1]
    )
    data = schema("check", "orders-value", str(files["no-default.avsc"]), "--json")
    assert data.exit_code == 1
    answer = json.loads(data.stdout)
    assert answer["is_compatible"] is False and answer["compatibility"] == "BACKWARD"
    assert answer["checked_versions"] == [1]
    [reason] = answer["reasons"]
    assert reason["errorType"] == "READER_FIELD_MISSING_DEFAULT_VALUE" and reason["version"] == 1
    assert "field `qty` was added without a default" in reason["description"]
    assert any(m.startswith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'") for m in answer["messages"])
    # Registering it is refused the same way, and nothing is stored.
    refused = schema("register", "orders-value", str(files["no-default.avsc"]))
    refused.assert_error("INCOMPATIBLE_SCHEMA", "orders-value refuses the schema under BACKWARD",
                         "field `qty` was added without a default", "error code 409")  # fmt: skip
    assert schema("list", "--json").json()[0]["versions"] == [1]
    # Against one version only, and a subject with nothing yet.
    assert schema("check", "orders-value", str(files["v2.avsc"]), "--version", "1", "--json").json()[
        "checked_versions"
    ] == ["1"]
    empty = schema("check", "new-value", str(files["no-default.avsc"])).ok()
    assert "(nothing to check it against)" in empty.stdout


def test_config_per_subject_and_global(schema: CliFn, files: dict[str, Path]) -> None:
    schema("register", "orders-value", str(files["v1.avsc"])).ok()
    own = schema("config", "orders-value", "--json").json()
    assert own == {"subject": "orders-value", "compatibilityLevel": "BACKWARD", "source": "global"}
    assert "orders-value: compatibility BACKWARD (the global level; the subject sets none)" in schema(
        "config", "orders-value").ok().stdout  # fmt: skip
    assert schema("config", "orders-value", "--compatibility", "full", "--json").json() == {
        "subject": "orders-value", "compatibilityLevel": "FULL"}  # fmt: skip
    assert schema("config", "orders-value", "--json").json()["source"] == "subject"
    # FULL now refuses what BACKWARD took: removing a field without a default.
    id_only = files["v1.avsc"].parent / "id-only.avsc"
    id_only.write_text(json.dumps({"type": "record", "name": "Order", "namespace": "shop",
                                   "fields": [{"name": "id", "type": "string"}]}))  # fmt: skip
    refused = schema("check", "orders-value", str(id_only))
    assert "field `price` was removed without a default" in refused.stdout and refused.exit_code == 1
    schema("config", "orders-value", "--compatibility", "SOMETIMES").assert_error(
        "INVALID_COMPATIBILITY_LEVEL", "SOMETIMES", "error code 42203"
    )
    removed = schema("config", "orders-value", "--delete", "--json").json()
    assert removed == {
        "subject": "orders-value",
        "compatibilityLevel": "BACKWARD",
        "source": "global",
        "deleted": "FULL",
    }
    assert (
        schema("config", "--compatibility", "NONE")
        .ok()
        .stdout.startswith("global: compatibility set to NONE")
    )
    assert schema("config", "--json").json() == {
        "subject": None,
        "compatibilityLevel": "NONE",
        "source": "global",
    }
    assert schema("config", "orders-value", "--json").json()["compatibilityLevel"] == "NONE"
    schema("config", "--compatibility", "FULL", "--delete").assert_usage_error("not both")


def test_soft_then_permanent_delete(schema: CliFn, files: dict[str, Path]) -> None:
    for name in ("v1.avsc", "v2.avsc"):
        schema("register", "orders-value", str(files[name])).ok()
    schema("delete", "orders-value", "--permanent").assert_error(
        "SUBJECT_NOT_SOFT_DELETED", "delete it without --permanent first", "error code 40405"
    )
    gone = schema("delete", "orders-value", "1", "--json").json()
    assert gone == {"subject": "orders-value", "versions": [1], "permanent": False}
    schema("show", "orders-value", "1").assert_error("VERSION_NOT_FOUND", "error code 40402")
    assert schema("show", "orders-value", "1", "--deleted", "--json").json()["version"] == 1
    schema("delete", "orders-value", "1").assert_error("SCHEMAVERSION_SOFT_DELETED", "--permanent", "40406")
    listed = schema("list", "--deleted", "--json").json()
    assert listed[0]["versions"] == [2] and listed[0]["deleted_versions"] == [1] and not listed[0]["deleted"]
    soft = schema("delete", "orders-value").ok().stdout
    assert soft.startswith("Soft-deleted orders-value version 2: hidden from list and show")
    assert schema("list", "--json").json() == []
    assert "No subjects yet" in schema("list").ok().stdout
    assert schema("list", "--deleted", "--json").json()[0]["deleted"] is True
    # A soft-deleted schema's id still decodes old records.
    assert schema("show", "--id", "1", "--json").json()["id"] == 1
    schema("show", "orders-value").assert_error("SUBJECT_NOT_FOUND", "error code 40401")
    # Registering again continues the numbering; the soft-deleted version 1 with the same
    # schema (id 1) goes for good, as in Confluent's registry (one version per id).
    again = schema("register", "orders-value", str(files["v1.avsc"]), "--json").json()
    assert (again["version"], again["id"]) == (3, 1)
    schema("delete", "orders-value").ok()
    final = schema("delete", "orders-value", "--permanent", "--json").json()
    assert final == {"subject": "orders-value", "versions": [2, 3], "permanent": True}
    assert schema("list", "--deleted", "--json").json() == []


def test_errors_name_confluents_codes(schema: CliFn, files: dict[str, Path], tmp_path: Path) -> None:
    schema("show", "nobody").assert_error(
        "SUBJECT_NOT_FOUND", "Subject 'nobody' not found", "error code 40401"
    )
    schema("register", "orders-value", str(files["v1.avsc"])).ok()
    schema("show", "orders-value", "9").assert_error("VERSION_NOT_FOUND", "error code 40402")
    schema("show", "orders-value", "nine").assert_error("INVALID_VERSION", "'nine'", "error code 42202")
    schema("show", "--id", "99").assert_error("SCHEMA_NOT_FOUND", "error code 40403")
    schema("register", "orders-value", str(files["broken.avsc"])).assert_error(
        "INVALID_SCHEMA", "error code 42201"
    )
    schema("register", "orders-value", str(tmp_path / "missing.avsc")).assert_usage_error(
        "cannot read", "missing.avsc", "No such file or directory"
    )
    schema("show", "orders-value", "--id", "1").assert_usage_error("not both")
    schema("register", "x", str(files["v1.avsc"]), "--reference", "nonsense").assert_usage_error(
        "NAME=SUBJECT:VERSION"
    )
    assert schema("list", "--json").json()[0]["versions"] == [1]  # nothing refused was stored


def test_protobuf_json_schema_stdin_and_references(
    schema: CliFn, files: dict[str, Path], tmp_path: Path
) -> None:
    proto = schema("register", "points-value", str(files["point.proto"]), "--json").json()
    assert proto["schemaType"] == "PROTOBUF"
    shown = schema("show", "points-value").ok().stdout
    assert "schema id 1 · PROTOBUF" in shown and "message Point {" in shown
    person = schema("register", "people-value", str(files["person.json"]), "--json").json()
    assert person["schemaType"] == "JSON"
    typed = schema("register", "raw-value", "-", "--type", "avro", "--json", input='"string"').json()
    assert (typed["schemaType"], typed["id"]) == ("AVRO", 3)
    # An Avro schema that names another subject's record.
    money = {"type": "record", "name": "Money", "namespace": "shop",
             "fields": [{"name": "cents", "type": "long"}]}  # fmt: skip
    schema("register", "money-value", "-", input=json.dumps(money)).ok()
    sale_schema = {"type": "record", "name": "Sale", "namespace": "shop",
                   "fields": [{"name": "total", "type": "shop.Money"}]}  # fmt: skip
    (tmp_path / "sale.avsc").write_text(json.dumps(sale_schema))
    schema("register", "sales-value", str(tmp_path / "sale.avsc")).assert_error(
        "INVALID_SCHEMA", "shop.Money"
    )
    sale = schema(
        "register", "sales-value", str(tmp_path / "sale.avsc"), "--reference", "shop.Money=money-value:1"
    ).ok()
    assert "Registered sales-value version 1" in sale.stdout
    shown = schema("show", "sales-value").ok().stdout
    assert "  refers to shop.Money: money-value version 1" in shown


def test_the_served_registry_is_recorded_and_outlives_its_owner(
    cli: CliFn, data_dir: Path, files: dict[str, Path]
) -> None:
    served = Served(data_dir, "--schema-registry-port", "0")
    try:
        owner = json.loads((data_dir / "kafkatui.lock").read_text())
        assert owner["schema_registry"] == served.url and owner["listeners"] == served.bootstrap
        cli("schema", "register", "orders-value", str(files["v1.avsc"])).ok()
        # A real client of the served registry sees what the command registered.
        client = SchemaRegistryClient({"url": served.url})
        assert client.get_latest_version("orders-value").schema_id == 1
        assert client.register_schema("orders-value", Schema(order(QTY_DEFAULT), "AVRO")) == 2
        assert cli("schema", "list", "--json").json()[0]["versions"] == [1, 2]
    finally:
        served.stop()
    # The owner gone, a registry started by the command reads the same _schemas topic.
    assert cli("schema", "show", "orders-value", "--json").ok().json()["id"] == 2


def test_an_owner_without_a_registry_is_used_over_the_wire(
    cli: CliFn, data_dir: Path, files: dict[str, Path]
) -> None:
    served = Served(data_dir, "--no-schema-registry")
    try:
        assert "schema_registry" not in json.loads((data_dir / "kafkatui.lock").read_text())
        run = cli("schema", "register", "orders-value", str(files["v1.avsc"])).ok()
        assert run.stderr.startswith(
            f"attached to the kafkatui process {served.proc.pid} at {served.bootstrap}"
        )
        assert run.stdout == "Registered orders-value version 1: schema id 1\n"
    finally:
        served.stop()
    assert cli("schema", "list", "--json").json()[0]["subject"] == "orders-value"


def test_any_registry_url(cli: CliFn, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    remote = ServedRegistry("embedded", brokers=1)
    try:
        run = cli(
            "schema", "register", "orders-value", str(files["v1.avsc"]), "--schema-registry-url", remote.url
        )
        assert run.ok().stdout == "Registered orders-value version 1: schema id 1\n" and run.stderr == ""
        monkeypatch.setenv("KAFKATUI_SCHEMA_REGISTRY_URL", remote.url)
        assert cli("schema", "list", "--json", data_dir=None).json()[0]["subject"] == "orders-value"
    finally:
        remote.close()
    unreachable = cli("schema", "list", "--schema-registry-url", remote.url)
    unreachable.assert_error("NETWORK_EXCEPTION", f"the Schema Registry at {remote.url} cannot be reached")


def test_over_any_kafka_the_registry_lives_in_its_schemas_topic(cli: CliFn, files: dict[str, Path]) -> None:
    """With --bootstrap-server and no registry URL, the command runs a registry over that
    cluster: what it registers is a record in the cluster's `_schemas`, which the next
    command (another registry) reads back."""
    kafka = ServedCluster(brokers=1)
    try:

        def run(*args: str) -> Run:
            return cli("schema", *args, opts=["--bootstrap-server", kafka.bootstrap], data_dir=None)

        assert run("register", "orders-value", str(files["v1.avsc"]), "--json").json()["id"] == 1
        assert run("register", "orders-value", str(files["v2.avsc"]), "--json").json()["id"] == 2
        assert "_schemas" in kafka.cluster.topic_names(include_internal=True)
        assert run("show", "orders-value", "1", "--json").json()["schema"] == json.dumps(
            json.loads(order()), separators=(",", ":")
        )
    finally:
        kafka.close()


def test_a_url_that_is_not_a_registry(cli: CliFn) -> None:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        def log_message(self, *args: object) -> None:
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Page) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            run = cli("schema", "list", "--schema-registry-url", url)
        finally:
            server.shutdown()
    run.assert_error("NOT_FOUND", f"{url} answered HTTP 404 with a body that is not JSON")
