"""`kafkatui demo rest-proxy`: the REST Proxy lesson, told in English and Portuguese over
real HTTP to a REST Proxy on an in-memory cluster: a POST's records in the log, a
consumer instance reading them back and being a member of its group, its commit, its
delete, each request an event, and the curl line that sends each request."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from typing import Any

import pytest
from typer.testing import CliRunner

from kafkatui.cli.main import app
from kafkatui.lessons.rest_proxy import JSON_RECORDS, TEXTS, V2, curl
from tests.cli.conftest import Run
from tests.ecosystem.rest_support import ServedRest

runner = CliRunner()


def demo(*args: str) -> Run:
    result = runner.invoke(app, ["demo", "rest-proxy", *args])
    escaped = None if isinstance(result.exception, SystemExit | None) else result.exception
    return Run(args, result.exit_code, result.stdout, result.stderr, escaped)


def report(*args: str) -> dict[str, Any]:
    return demo(*args, "--json").ok().json()


def test_the_story_in_english() -> None:
    lines = demo("--seed", "1", "--language", "en").ok().stdout.splitlines()
    text = "\n".join(lines)
    assert "   → 200: partition 0, offset 0" in text and "   → 200: partition 0, offset 1" in text
    assert '   offset 0: key "order-1" value {"product":' in text  # the log's bytes
    assert "   → 200: instance reader-1, base URI $REST/consumers/shipping/instances/reader-1" in text
    assert (
        "6. The instance is a real member of group shipping (Stable): client id reader-1, reading orders-0"
        in text
    )
    assert "the group's committed offset on orders-0 is now 2" in text
    assert "   → 204; group shipping is Empty with 0 member(s)" in text
    assert "Each of the 6 requests was an event (RestRequestServed)" in text
    assert lines[-1].startswith("HTTP in, Kafka records out: 2 records produced and 2 consumed")


def test_the_story_in_portuguese() -> None:
    text = demo("--seed", "1", "--language", "pt").ok().stdout
    assert "1. Produzir 2 pedidos com uma requisição HTTP" in text
    assert "6. A instância é um membro de verdade do grupo shipping (Stable)" in text
    assert "o offset confirmado do grupo em orders-0 agora é 2" in text
    assert "HTTP entra, registros Kafka saem: 2 registros produzidos e 2 consumidos" in text
    assert "Produce " not in text and "Delete the instance" not in text


def test_what_went_in_over_http_came_out_over_http() -> None:
    data = report("--seed", "3", "--language", "en")
    assert data["produced"] == [{"partition": 0, "offset": 0}, {"partition": 0, "offset": 1}]
    # The log holds the records as the json format writes them: JSON text, key and value.
    logged = [(r["offset"], json.loads(r["key"]), json.loads(r["value"])) for r in data["log"]]
    consumed = [(r["offset"], r["key"], r["value"]) for r in data["consumed"]]
    assert logged == consumed and len(consumed) == 2
    assert data["member_client_ids"] == ["reader-1"]
    assert (data["committed_offset"], data["members_after_delete"]) == (2, 0)
    requests = [(r["method"], r["path"].split("?")[0], r["status"]) for r in data["requests"]]
    instance = "/consumers/shipping/instances/reader-1"
    assert requests[:3] == [
        ("POST", "/topics/orders", 200),
        ("POST", "/consumers/shipping", 200),
        ("POST", f"{instance}/subscription", 204),
    ]
    assert requests[-2:] == [("POST", f"{instance}/offsets", 200), ("DELETE", instance, 204)]
    assert {r for r in requests[3:-2]} == {("GET", f"{instance}/records", 200)}


def test_the_same_seed_tells_the_same_story_and_another_seed_other_orders() -> None:
    def told(seed: str) -> list[str]:
        lines = demo("--seed", seed, "--language", "en").ok().stdout.splitlines()
        # The free port the REST Proxy found is the one thing that may differ.
        return [line for line in lines if "127.0.0.1:" not in line]

    first = told("5")
    assert first == told("5")
    assert first != told("6")


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_line_of_the_story_has_both_languages(language: str) -> None:
    assert set(TEXTS[language]) == set(TEXTS["en"])


def test_the_curl_lines_are_shell_commands_that_send_the_same_request() -> None:
    body = {"records": [{"key": "k", "value": {"it's": "quoted?"}}]}
    line = curl("POST", "/topics/orders", content_type="application/vnd.kafka.json.v2+json", body=body)
    words = shlex.split(line.removeprefix("   $ ").replace("$REST", "http://host"))
    assert words[:4] == ["curl", "-s", "-X", "POST"]
    assert words[words.index("-H") + 1] == "Content-Type: application/vnd.kafka.json.v2+json"
    assert json.loads(words[words.index("--data") + 1]) == body
    assert words[-1] == "http://host/topics/orders"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_curl_lines_work_against_a_live_rest_proxy() -> None:
    served = ServedRest("embedded")
    try:
        served.create_topic("orders")
        body = {"records": [{"key": "order-1", "value": {"product": "desk's lamp", "quantity": 1}}]}
        env = {**os.environ, "REST": served.rest_url}

        def shell(line: str) -> Any:
            done = subprocess.run(["bash", "-c", line.removeprefix("   $ ")], env=env, capture_output=True,
                                  text=True, timeout=30, check=True)  # fmt: skip
            return json.loads(done.stdout) if done.stdout else None

        produced = shell(curl("POST", "/topics/orders", content_type=JSON_RECORDS, body=body))
        assert produced["offsets"] == [{"partition": 0, "offset": 0, "error_code": None, "error": None}]
        config = {"name": "r", "format": "json", "auto.offset.reset": "earliest"}
        assert shell(curl("POST", "/consumers/g", content_type=V2, body=config))["instance_id"] == "r"
        shell(
            curl(
                "POST", "/consumers/g/instances/r/subscription", content_type=V2, body={"topics": ["orders"]}
            )
        )
        records = served.read_until("/consumers/g/instances/r", 1)
        assert [(r["key"], r["value"]) for r in records] == [("order-1", body["records"][0]["value"])]
        assert shell(curl("DELETE", "/consumers/g/instances/r", content_type=V2)) is None
    finally:
        served.close()
