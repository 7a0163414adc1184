"""`kafkatui demo schema-registry`: the story (ids in the framing bytes, a bad record and
two incompatible changes refused with their reasons, a compatible evolution read back
with the default), in English and Portuguese, the same for the same seed."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest
from typer.testing import CliRunner

from kafkatui.cli.main import app
from kafkatui.lessons.schema_registry import TEXTS, V1
from tests.cli.conftest import Run

runner = CliRunner()


def demo(*args: str, env: dict[str, str] | None = None) -> Run:
    result = runner.invoke(app, ["demo", "schema-registry", *args], env=env)
    escaped = None if isinstance(result.exception, SystemExit | None) else result.exception
    return Run(args, result.exit_code, result.stdout, result.stderr, escaped)


def report(*args: str) -> dict[str, Any]:
    return demo(*args, "--json").ok().json()


def test_the_story_in_english() -> None:
    lines = demo("--seed", "1", "--language", "en").ok().stdout.splitlines()
    text = "\n".join(lines)
    assert "→ registered orders-value version 1: schema id 1" in text
    assert "→ registered orders-value version 2: schema id 2" in text
    # The framing of offset 0: magic byte 0, the id in 4 bytes, then the Avro payload.
    assert any(line.strip().startswith("magic byte  00 ") for line in lines), text
    assert any(line.strip().startswith("schema id   00 00 00 01 ") for line in lines), text
    assert 'refused before it was sent: `shop.Order.price` cannot be "10,50"' in text
    assert "(the topic still has 3 records)" in text
    assert "(1 request(s) to the registry for 3 records)" in text  # by id, once, then cached
    assert "refused (INCOMPATIBLE_SCHEMA, 409): `price` changed type from `double` to `string`" in text
    assert "Under BACKWARD that is allowed (compatible)" in text
    assert "refused (INCOMPATIBLE_SCHEMA, 409): field `product` was removed without a default" in text
    assert lines[-1].startswith("orders-value keeps versions 1, 2 (ids 1, 2)")


def test_the_report_shows_real_bytes_and_every_refusal() -> None:
    data = report("--seed", "1", "--language", "en")
    assert data["versions"] == [{"version": 1, "id": 1}, {"version": 2, "id": 2}]
    framing = data["framing"]
    assert (framing["magic"], framing["schema_id"], framing["schema_id_hex"]) == (0, 1, "00 00 00 01")
    # The payload is Avro without field names: it decodes with version 1 to the first order.
    payload = bytes.fromhex(framing["payload_hex"].replace(" ", ""))
    assert len(payload) == framing["payload_bytes"]
    decoded = fastavro.schemaless_reader(io.BytesIO(payload), fastavro.parse_schema(json.loads(V1)), None)
    first = data["records"][0]
    assert {**decoded, "quantity": 1} == first["value"]
    # Old records read with version 2 get the default; new ones carry their own.
    assert [(r["offset"], r["schema_id"]) for r in data["records"]] == [
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 2),
    ]
    assert [r["value"]["quantity"] for r in data["records"][:3]] == [1, 1, 1]
    assert all(r["value"]["quantity"] > 1 for r in data["records"][3:])
    refused = {r["what"]: r for r in data["refused"]}
    assert list(refused) == ["bad_record", "type_change", "field_removed"]
    assert refused["bad_record"]["error_code"] is None and "price" in refused["bad_record"]["reasons"][0]
    assert (refused["type_change"]["error_code"], refused["type_change"]["compatibility"]) == (
        409,
        "BACKWARD",
    )
    assert (refused["field_removed"]["error_code"], refused["field_removed"]["compatibility"]) == (
        409,
        "FULL",
    )
    assert data["removal_allowed_under_backward"] is True
    assert data["registry_requests_to_decode"] == 1
    assert data["schemas_topic_records"] >= 3  # two schemas and a config, in Kafka's own topic


def test_portuguese_tells_the_same_story() -> None:
    text = demo("--seed", "1", "--language", "pt").ok().stdout
    assert "byte mágico     00" in text and "id de esquema   00 00 00 01" in text
    assert "recusado antes de ser enviado: `shop.Order.price`" in text
    assert "recusada (INCOMPATIBLE_SCHEMA, 409): field `product` was removed without a default" in text
    assert "Em BACKWARD isso é permitido (compatível)" in text
    english, portuguese = report("--seed", "1", "--language", "en"), report("--seed", "1", "--language", "pt")
    assert portuguese.pop("language") == "pt" and english.pop("language") == "en"
    assert portuguese == english
    assert set(TEXTS["pt"]) == set(TEXTS["en"])


def test_the_locale_chooses_the_language() -> None:
    told = demo(env={"LC_ALL": "pt_BR.UTF-8"}).ok().stdout
    assert told.startswith("Um Schema Registry guarda o formato")


@pytest.mark.parametrize("seed", [1, 2])
def test_same_seed_same_story(seed: int) -> None:
    once = demo("--seed", str(seed), "--language", "en").ok().stdout
    assert demo("--seed", str(seed), "--language", "en").ok().stdout == once
    assert report("--seed", str(seed)) == report("--seed", str(seed))


def test_another_seed_other_orders() -> None:
    one, two = report("--seed", "1"), report("--seed", "2")
    assert [r["value"] for r in one["records"]] != [r["value"] for r in two["records"]]
    assert one["versions"] == two["versions"] and one["refused"] == two["refused"]


def test_bad_options() -> None:
    demo("--language", "fr").assert_usage_error("'fr' is not one of 'en', 'pt'")
    remote = runner.invoke(app, ["--bootstrap-server", "127.0.0.1:1", "demo", "schema-registry"])
    assert (
        remote.exit_code == 1 and "error: FEATURE_UNAVAILABLE: kafkatui demo schema-registry" in remote.stderr
    )
