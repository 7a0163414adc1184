"""`kafkatui produce --idempotent/--no-idempotent` and `kafkatui demo idempotence`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kafkatui.cli.main import app
from tests.cli.conftest import CliFn

runner = CliRunner()


def test_produce_is_idempotent_by_default_and_either_flag_works(cli: CliFn) -> None:
    cli("topic", "create", "sales").ok()
    cli("produce", "sales", "--value", "a", "--partition", "0").ok()
    cli("produce", "sales", "--value", "b", "--partition", "0", "--idempotent").ok()
    out = cli("produce", "sales", "--value", "c", "--partition", "0", "--no-idempotent", "--json").ok()
    assert out.json()["offset"] == 2
    cli("produce", "sales", "--value", "d", "--partition", "0", "--acks", "1").ok()  # silently off
    assert cli("produce", "sales", "--count", "5", "--json").ok().json()["idempotent"] is True
    summary = cli("produce", "sales", "--count", "5", "--acks", "1", "--json").ok().json()
    assert summary["idempotent"] is False and summary["acked"] == 5


def test_idempotent_with_acks_1_is_a_config_error(cli: CliFn) -> None:
    cli("topic", "create", "sales").ok()
    result = cli("produce", "sales", "--value", "a", "--acks", "1", "--idempotent")
    result.assert_error("INVALID_CONFIG", "acks", "enable.idempotence=true")


def test_demo_idempotence_json_counts() -> None:
    result = runner.invoke(app, ["demo", "idempotence", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    off, on = report["off"], report["on"]
    lost = len(report["lost_ack_records"])
    assert lost > 0 and off["acks_lost"] == on["acks_lost"] == lost
    assert off["sent"] == off["acked"] == on["sent"] == on["acked"] == report["records"]
    assert off["records_in_log"] == report["records"] + lost and off["duplicates_in_log"] == lost
    assert off["duplicates_dropped"] == 0
    assert on["records_in_log"] == report["records"] and on["duplicates_in_log"] == 0
    assert on["duplicates_dropped"] == lost
    again = runner.invoke(app, ["demo", "idempotence", "--seed", "3", "--json"])
    assert json.loads(again.stdout) == report  # deterministic per seed


def test_demo_idempotence_narrates_both_runs() -> None:
    result = runner.invoke(app, ["demo", "idempotence"])
    assert result.exit_code == 0, result.output
    assert "enable.idempotence=false" in result.stdout and "enable.idempotence=true" in result.stdout
    assert "is lost on its way back" in result.stdout and "duplicate dropped" in result.stdout
