"""`kafkatui topic export` and `kafkatui topic import`: every field of every record
survives the round trip (keys, values, headers as bytes, null, timestamps, partitions),
bad lines are named and either skipped or import nothing; on both backends."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.ecosystem.browse.lines import csv_header, csv_line, ndjson_line, read_csv, read_ndjson
from tests.cli import test_consume_filters as filters
from tests.cli.test_consume_filters import Record, Side

shared, side = filters.shared, filters.side  # the same fixtures: one served cluster per module

maybe_bytes = st.none() | st.binary(max_size=40) | st.text(max_size=20).map(str.encode)
headers = st.lists(st.tuples(st.text(max_size=8), maybe_bytes), max_size=4).map(tuple)


@settings(max_examples=300, deadline=None)
@given(
    key=maybe_bytes, value=maybe_bytes, headers=headers, timestamp=st.integers(0, 2**53),
    partition=st.integers(0, 1000), offset=st.integers(0, 2**40), append=st.booleans(),
)  # fmt: skip
def test_any_bytes_survive_both_line_formats(
    key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes | None], ...], timestamp: int,
    partition: int, offset: int, append: bool,
) -> None:  # fmt: skip
    kind = TimestampType.LOG_APPEND_TIME if append else TimestampType.CREATE_TIME
    record = ConsumerRecord("t", partition, offset, timestamp, kind, key, value, headers, 0)
    for lines, read in (([ndjson_line(record)], read_ndjson), ([csv_header(), csv_line(record)], read_csv)):
        (got,) = [r for _, r in read(iter(io.StringIO("".join(lines), newline="")))]
        assert not isinstance(got, Exception), got
        assert (got.key, got.value, got.headers) == (key, value, headers)
        assert (got.timestamp, got.partition, got.offset, got.timestamp_type) == (
            timestamp, partition, offset, kind.config_name,
        )  # fmt: skip


CORPUS: list[Record] = [
    (0, b"k1", b'{"price": 12}', [("trace", b"t-1"), ("bin", b"\x00\xff"), ("empty", None)], None),
    (1, b"\xff\xfe", b"\x80\x81 not utf-8", [], None),
    (2, b"k3", None, [], None),  # a tombstone
    (0, None, b"", [("dup", b"1"), ("dup", b"2")], None),  # no key, empty value, repeated header
    (1, b"k5", "ünïcode ✓".encode(), [], None),
]


@pytest.mark.parametrize("suffix", ["ndjson", "csv"])
def test_export_then_import_keeps_every_field(side: Side, tmp_path: Path, suffix: str) -> None:
    source, copy = f"src-{side.name}-{suffix}", f"copy-{side.name}-{suffix}"
    side("topic", "create", source, "-p", "3").ok()
    side("topic", "create", copy, "-p", "3").ok()
    stamped = [(p, k, v, h, 1_700_000_000_000 + n * 1000) for n, (p, k, v, h, _) in enumerate(CORPUS)]
    side.produce(source, stamped)
    exported = tmp_path / f"{source}.{suffix}"
    run = side("topic", "export", source, "--output", str(exported)).ok()
    assert run.stderr.splitlines() == [f"scanned 5, matched 5; wrote 5 to {exported}"]
    imported = side("topic", "import", copy, str(exported), "--keep-partitions").ok()
    assert imported.stdout == f"imported 5 records into {copy} (per partition: 0: 2, 1: 2, 2: 1)\n"
    again = tmp_path / f"{copy}.{suffix}"
    side("topic", "export", copy, "--output", str(again)).ok()
    # Same partitions, offsets, timestamps, keys, values and headers: the same lines (in
    # another order across partitions, as a consumer's fetches interleave them).
    assert sorted(again.read_bytes().splitlines()) == sorted(exported.read_bytes().splitlines())
    back = {
        (r["partition"], r["offset"]): r
        for r in side("consume", copy, "-b", "-n", "5", "-f", "ndjson").json_lines()
    }
    assert back[(1, 0)]["key"] == "//4=" and back[(1, 0)]["key_encoding"] == "base64"
    assert back[(2, 0)]["value"] is None  # still a tombstone
    assert back[(0, 1)]["value"] == "" and back[(0, 1)]["key"] is None
    assert back[(0, 0)]["headers"] == [
        {"key": "trace", "value": "t-1"}, {"key": "bin", "value": "AP8=", "encoding": "base64"},
        {"key": "empty", "value": None},
    ]  # fmt: skip
    assert [back[(p, o)]["timestamp"] for p, o in sorted(back)] == [
        1_700_000_000_000, 1_700_000_003_000, 1_700_000_001_000, 1_700_000_004_000, 1_700_000_002_000,
    ]  # fmt: skip


def test_export_filters_and_import_without_partitions(side: Side, tmp_path: Path) -> None:
    source, copy = f"orders-{side.name}", f"dear-{side.name}"
    side("topic", "create", source, "-p", "2").ok()
    side("topic", "create", copy, "-p", "2").ok()
    side.produce(
        source,
        [(n % 2, f"c{n % 3}".encode(), json.dumps({"price": n}).encode(), [], None) for n in range(20)],
    )
    out = tmp_path / "dear.ndjson"
    run = side("topic", "export", source, "--output", str(out), "--filter", "select(.price >= 15)").ok()
    assert run.stderr.splitlines() == [f"scanned 20, matched 5; wrote 5 to {out}"]
    side("topic", "import", copy, str(out)).ok()
    # Without --keep-partitions the partitioner chooses: by key, so a key stays together.
    back = side("consume", copy, "-b", "-n", "5", "-f", "ndjson").ok().json_lines()
    assert sorted(json.loads(r["value"])["price"] for r in back) == [15, 16, 17, 18, 19]
    by_key: dict[str, set[int]] = {}
    for r in back:
        by_key.setdefault(r["key"], set()).add(r["partition"])
    assert all(len(parts) == 1 for parts in by_key.values())


BAD_FILE = "\n".join(
    [
        '{"key": "a", "value": "1", "timestamp": 1700000000000}',
        '{"key": "b", "value": ',  # line 2: not JSON
        '{"key": "c", "value": "3", "headers": [{"key": "h", "value": "x"}]}',
        '{"key": "d", "value": "!!", "value_encoding": "base64"}',  # line 4: not base64
        "",
        '{"key": "e"}',  # line 6: no value
        '{"key": "f", "value": "6", "timestamp_type": "Sometime"}',  # line 7
    ]
)


def test_bad_lines_abort_everything_or_are_skipped(side: Side, tmp_path: Path) -> None:
    topic = f"careful-{side.name}"
    side("topic", "create", topic, "-p", "1").ok()
    path = tmp_path / "mixed.ndjson"
    path.write_text(BAD_FILE + "\n")
    aborted = side("topic", "import", topic, str(path))
    assert aborted.exit_code == 1 and "Traceback" not in aborted.stderr
    lines = aborted.stderr.splitlines()
    assert [line.split(":", 2)[:2] for line in lines[:4]] == [["error", " INVALID_RECORD"]] * 4
    assert [line.split(" line ")[1].split(":")[0] for line in lines[:4]] == ["2", "4", "6", "7"]
    assert "not base64" in lines[1] and 'no "value"' in lines[2]
    assert lines[4] == "nothing was imported: 4 bad line(s); --on-error skip imports the rest"
    assert side("topic", "describe", topic, "--json").json()["partitions"][0]["high_watermark"] == 0
    skipped = side("topic", "import", topic, str(path), "--on-error", "skip").ok()
    assert [line.split(" line ")[1].split(":")[0] for line in skipped.stderr.splitlines()] == [
        "2",
        "4",
        "6",
        "7",
    ]
    assert all(line.endswith("(skipped)") for line in skipped.stderr.splitlines())
    assert skipped.stdout == f"imported 2 records into {topic} (per partition: 0: 2)\n"
    back = side("consume", topic, "-b", "-n", "2", "-f", "ndjson").ok().json_lines()
    assert (back[0]["key"], back[0]["value"], back[0]["timestamp"]) == ("a", "1", 1_700_000_000_000)
    assert back[1]["headers"] == [{"key": "h", "value": "x"}]


def test_import_refuses_what_the_topic_cannot_hold(side: Side, tmp_path: Path) -> None:
    topic = f"narrow-{side.name}"
    side("topic", "create", topic, "-p", "1").ok()
    path = tmp_path / "wide.ndjson"
    path.write_text('{"value": "a", "partition": 0}\n{"value": "b", "partition": 3}\n')
    side("topic", "import", topic, str(path), "--keep-partitions").assert_error(
        "UNKNOWN_TOPIC_OR_PARTITION", "line 2: partition 3", "nothing was imported"
    )
    assert side("topic", "describe", topic, "--json").json()["partitions"][0]["high_watermark"] == 0
    side("topic", "import", topic, str(tmp_path / "wide.txt")).assert_usage_error("neither .ndjson")
    side("topic", "import", topic, str(tmp_path / "missing.csv")).assert_error(
        "INVALID_REQUEST", "no such file"
    )
    side("topic", "export", topic, "--output", str(tmp_path / "x.json")).assert_usage_error("--output")


def test_import_into_log_append_time_gets_the_brokers_times(side: Side, tmp_path: Path) -> None:
    topic = f"stamped-{side.name}"
    side("topic", "create", topic, "-p", "1", "-c", "message.timestamp.type=LogAppendTime").ok()
    path = tmp_path / "old.ndjson"
    path.write_text(
        '{"key": "k", "value": "v", "timestamp": 1000000000000, "timestamp_type": "CreateTime"}\n'
    )
    run = side("topic", "import", topic, str(path)).ok()
    assert "message.timestamp.type=LogAppendTime" in run.stderr
    (record,) = side("consume", topic, "-b", "-n", "1", "-f", "ndjson").ok().json_lines()
    assert record["timestamp_type"] == "LogAppendTime" and record["timestamp"] > 1_000_000_000_000
