"""`kafkatui topic compact`, segments in `topic describe`, `demo compaction`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kafkatui.cli.main import app
from tests.cli.conftest import CliFn


def test_topic_compact_keeps_the_latest_record_per_key(cli: CliFn) -> None:
    cli(
        "topic", "create", "addresses", "--config", "cleanup.policy=compact", "--config", "segment.bytes=200"
    ).ok()
    for i in range(8):
        cli("produce", "addresses", "--key", f"k{i % 2}", "--value", f"v{i}").ok()
    described = cli("topic", "describe", "addresses", "--json").ok().json()
    partition = described["partitions"][0]
    assert len(partition["segments"]) >= 3 and partition["dirty_ratio"] == 1.0
    active = partition["segments"][-1]["base_offset"]

    compacted = cli("topic", "compact", "addresses", "--json").ok().json()
    assert [r["cleaned_offsets"] for r in compacted] == [[0, active]]
    assert compacted[0]["records_after"] < compacted[0]["records_before"]
    records = (
        cli("consume", "addresses", "--from-beginning", "--timeout", "0", "--format", "json").ok().stdout
    )
    offsets = [json.loads(line)["offset"] for line in records.splitlines()]
    assert offsets[-1] == 7 and offsets == sorted(offsets) and len(offsets) < 8  # gaps, same offsets
    text = cli("topic", "describe", "addresses").ok().stdout
    assert "Segments" in text and "DirtyRatio" in text and "0.00" in text  # clean now

    human = cli("topic", "compact", "addresses").ok().stdout
    assert "addresses-0 on broker" in human
    cli("topic", "create", "plain").ok()
    message = cli("topic", "compact", "plain").assert_error("INVALID_CONFIG", "cleanup.policy=delete")
    assert "compact" in message


def test_demo_compaction_counts_and_narrates() -> None:
    result = CliRunner().invoke(app, ["demo", "compaction", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records_before"] == 12
    assert report["records_after_cleaning"] < 12
    assert report["records_after_delete_retention"] == report["records_after_cleaning"] - 1
    assert "carla" not in report["latest_value_per_key"]  # deleted by its tombstone
    assert report["latest_value_per_key"]["ana"] == "Rua I, 9"
    offsets = report["surviving_offsets"]
    assert offsets == sorted(offsets) and offsets[-1] == 11 and len(offsets) < 12
    story = CliRunner().invoke(app, ["demo", "compaction"]).stdout
    assert "tombstone" in story and "active segment" in story


def test_delete_records_moves_the_log_start(cli: CliFn) -> None:
    cli("topic", "create", "events").ok()
    for i in range(5):
        cli("produce", "events", "--value", f"e{i}").ok()
    assert cli("topic", "delete-records", "events", "-p", "0", "--offset", "3", "--json").ok().json() == {
        "topic": "events",
        "partition": 0,
        "low_watermark": 3,
    }
    records = cli("consume", "events", "--from-beginning", "--timeout", "0", "--format", "json").ok().stdout
    assert [json.loads(line)["value"] for line in records.splitlines()] == ["e3", "e4"]
    cli("topic", "delete-records", "events", "-p", "0", "--offset", "9").assert_error(
        "OFFSET_OUT_OF_RANGE", "high watermark"
    )
    assert (
        "starts at offset 5"
        in cli("topic", "delete-records", "events", "-p", "0", "--offset", "-1").ok().stdout
    )
