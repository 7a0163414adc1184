"""`kafkatui consume`'s search: --filter (jq), --grep, --from-time/--to-time, --output,
--format ndjson|csv|raw, and --follow; on both backends (the data dir's engine, and
`--bootstrap-server` to a served cluster)."""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kafkatui.common.clients import ProducerConfig
from tests.cli.conftest import CliFn, Run, kafkatui_command, subprocess_env
from tests.wire.conftest import ServedCluster

Record = tuple[int, bytes | None, bytes | None, Sequence[tuple[str, bytes | None]], int | None]


@pytest.fixture(scope="module")
def shared() -> Iterator[ServedCluster]:
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


class Side:
    """`kafkatui ...` on one backend, and a producer that sets what the CLI cannot (a
    tombstone, a chosen CreateTime)."""

    def __init__(self, name: str, cli: CliFn, data_dir: Path, served: ServedCluster | None) -> None:
        self.name, self._cli, self.data_dir, self.served = name, cli, data_dir, served

    def __call__(self, *args: str, input: str | None = None) -> Run:
        if self.served is None:
            return self._cli(*args, input=input, opts=["--seed", "4"])
        return self._cli(
            *args, input=input, opts=["--bootstrap-server", self.served.bootstrap], data_dir=None
        )

    def produce(self, topic: str, records: Sequence[Record]) -> None:
        """(partition, key, value, headers, timestamp) each, in order, acks=all."""
        asyncio.run(self._produce(topic, records))

    async def _produce(self, topic: str, records: Sequence[Record]) -> None:
        if self.served is None:
            from kafkatui.backends.embedded import EmbeddedBackend

            backend = await EmbeddedBackend.open(self.data_dir, seed=4)
        else:
            from kafkatui.backends.remote import RemoteBackend

            backend = await RemoteBackend.connect(self.served.bootstrap)
        try:
            async with backend.producer(ProducerConfig(linger_ms=0)) as producer:
                for partition, key, value, headers, timestamp in records:
                    await producer.send_and_wait(
                        topic, value, key=key, headers=headers, partition=partition, timestamp=timestamp
                    )
        finally:
            await backend.close()


@pytest.fixture(params=["embedded", "remote"])
def side(request: pytest.FixtureRequest, cli: CliFn, data_dir: Path, shared: ServedCluster) -> Side:
    return Side(request.param, cli, data_dir, shared if request.param == "remote" else None)


CORPUS: list[Record] = [
    (0, b"a", b'{"price": 12, "name": "tea"}', [("trace", b"t-1")], None),  # 0: matches
    (0, b"b", b'{"price": 3}', [], None),  # 1: valid, no match
    (0, b"c", b"not json at all", [], None),  # 2: not JSON
    (0, b"d", b"", [], None),  # 3: empty value: not JSON
    (0, b"e", None, [], None),  # 4: a tombstone: null to jq
    (0, b"\xff\x00k", b'{"price": 20}', [("bin", b"\x01\xfe")], None),  # 5: binary key: matches
    (0, b"g", b'{"price":', [], None),  # 6: broken JSON
    (0, b"h", b'"just a string"', [], None),  # 7: JSON, but .price on a string fails
    (0, b"i", b"\xc3\x28", [], None),  # 8: not UTF-8
]


def test_jq_filter_keeps_matches_and_counts_what_it_cannot_read(side: Side) -> None:
    topic = f"corpus-{side.name}"
    side("topic", "create", topic, "-p", "1").ok()
    side.produce(topic, CORPUS)
    run = side("consume", topic, "--filter", "select(.price > 10)", "-f", "ndjson").ok()
    found = run.json_lines()
    assert [r["offset"] for r in found] == [0, 5]
    assert found[1]["key"] == "/wBr" and found[1]["key_encoding"] == "base64"  # b"\xff\x00k"
    assert found[1]["headers"] == [{"key": "bin", "value": "Af4=", "encoding": "base64"}]
    assert run.stderr.splitlines() == [
        "scanned 9, matched 2 (4 not JSON, 1 made the filter fail: skipped by --filter)"
    ]
    # The same program as a condition, not a select; and tombstones are null to it.
    assert [
        r["offset"] for r in side("consume", topic, "--filter", ".price > 10", "-f", "ndjson").json_lines()
    ] == [0, 5]
    tombstones = side("consume", topic, "--filter", ". == null").ok()
    assert tombstones.stdout == "partition=0 offset=4 key=e value=(null)\n"
    # --max counts what is kept, and the summary only what was looked at.
    first = side("consume", topic, "--filter", ".price > 1", "--max", "1", "-f", "json").ok()
    assert [r["offset"] for r in first.json_lines()] == [0]
    assert first.stderr.splitlines() == ["scanned 1, matched 1"]


def test_grep_searches_keys_values_and_headers_as_bytes(side: Side) -> None:
    topic = f"grep-{side.name}"
    side("topic", "create", topic, "-p", "1").ok()
    side.produce(topic, CORPUS)

    def offsets(pattern: str) -> list[int]:
        return [
            r["offset"] for r in side("consume", topic, "--grep", pattern, "-f", "ndjson").ok().json_lines()
        ]

    assert offsets("price") == [0, 1, 5, 6]
    assert offsets("^t-") == [0]  # a header's value
    assert offsets(r"\xff\x00") == [5]  # a binary key's bytes
    assert offsets("^bin$") == [5]  # a header's name
    assert offsets("tea|at all") == [0, 2]
    both = side("consume", topic, "--grep", "price", "--filter", ".price < 15", "-f", "ndjson").ok()
    assert [r["offset"] for r in both.json_lines()] == [0, 1]
    assert both.stderr.splitlines() == ["scanned 9, matched 2 (1 not JSON: skipped by --filter)"]


def test_bad_programs_regexes_and_times_are_one_line(cli: CliFn) -> None:
    cli("topic", "create", "t").ok()
    message = cli("consume", "t", "--filter", "select(.a >").assert_error(
        "INVALID_REQUEST", "jq: syntax error"
    )
    assert "line 1, column" in message
    cli("consume", "t", "--grep", "(unclosed").assert_error("INVALID_REQUEST", "regex '(unclosed'")
    cli("consume", "t", "--from-time", "yesterday").assert_error(
        "INVALID_REQUEST", "'yesterday' is not a time"
    )
    cli("consume", "t", "--follow", "--to-time", "-1h").assert_usage_error("--to-time")
    cli("consume", "t", "-b", "--from-time", "-1h").assert_usage_error("--from-time")
    cli("consume", "t", "--print-key").assert_usage_error("--print-key")


def test_seek_by_create_time_across_partitions(side: Side) -> None:
    topic = f"times-{side.name}"
    side("topic", "create", topic, "-p", "3").ok()
    base = (int(time.time()) - 3600) * 1000  # an hour ago, to the second
    side.produce(
        topic,
        [
            (0, b"p0-a", b"1", [], base + 1000), (0, b"p0-b", b"2", [], base + 2000),
            (0, b"p0-c", b"3", [], base + 3000), (1, b"p1-a", b"4", [], base + 1500),
            (1, b"p1-b", b"5", [], base + 2500), (2, b"p2-a", b"6", [], base + 500),
        ],
    )  # fmt: skip

    def keys(*args: str) -> list[str]:
        run = side("consume", topic, *args, "-f", "ndjson").ok()
        return sorted(r["key"] for r in run.json_lines())

    assert keys("--from-time", str(base + 2000)) == ["p0-b", "p0-c", "p1-b"]
    iso = datetime.datetime.fromtimestamp((base + 1500) / 1000, datetime.UTC).isoformat(
        timespec="milliseconds"
    )
    assert keys("--from-time", iso, "--to-time", str(base + 2500)) == ["p0-b", "p1-a", "p1-b"]
    assert keys("--to-time", str(base + 1000)) == ["p0-a", "p2-a"]
    assert keys("--from-time", "-10m") == []  # every record is an hour old
    assert keys("--from-time", "-2h", "-p", "1") == ["p1-a", "p1-b"]


def test_seek_by_log_append_time(side: Side) -> None:
    """A LogAppendTime topic: the broker's clock stamps each record (what the producer
    said is replaced), and ListOffsets searches those times."""
    topic = f"appended-{side.name}"
    side("topic", "create", topic, "-p", "2", "-c", "message.timestamp.type=LogAppendTime").ok()
    long_ago = 1_000_000_000_000
    side.produce(topic, [(0, b"old-0", b"x", [], long_ago), (1, b"old-1", b"y", [], long_ago)])
    first = side("consume", topic, "-b", "-n", "2", "-f", "ndjson").ok().json_lines()
    assert {r["timestamp_type"] for r in first} == {"LogAppendTime"}
    assert min(r["timestamp"] for r in first) > long_ago
    time.sleep(0.01)  # the next records are appended at a later millisecond
    side.produce(topic, [(0, b"new-0", b"z", [], long_ago), (1, b"new-1", b"w", [], long_ago)])
    later = max(r["timestamp"] for r in first) + 1
    found = side("consume", topic, "--from-time", str(later), "-f", "ndjson").ok().json_lines()
    assert sorted(r["key"] for r in found) == ["new-0", "new-1"]
    before = side("consume", topic, "--to-time", str(later - 1), "-f", "ndjson").ok().json_lines()
    assert sorted(r["key"] for r in before) == ["old-0", "old-1"]


def test_output_file_and_the_other_formats(side: Side, tmp_path: Path) -> None:
    topic = f"formats-{side.name}"
    side("topic", "create", topic, "-p", "1").ok()
    side.produce(topic, [(0, b"k1", b"v1", [("h", b"1")], None), (0, None, b"v2", [], None)])
    out = tmp_path / f"found-{side.name}.csv"
    run = side("consume", topic, "--grep", "v", "--output", str(out)).ok()
    assert run.stdout == ""
    assert run.stderr.splitlines() == [f"scanned 2, matched 2; wrote 2 to {out}"]
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["key"], r["key_encoding"], r["value"], json.loads(r["headers"])) for r in rows] == [
        ("k1", "", "v1", [{"key": "h", "value": "1"}]), ("", "null", "v2", []),
    ]  # fmt: skip
    raw = side("consume", topic, "-b", "-n", "2", "-f", "raw", "--print-key", "--print-headers").ok()
    assert raw.stdout == "h=1\tk1\tv1\n\t\tv2\n"
    assert side("consume", topic, "-b", "-n", "2", "-f", "raw").ok().stdout == "v1\nv2\n"


def test_follow_filters_new_records_until_ctrl_c(data_dir: Path, tmp_path: Path) -> None:
    """A real `kafkatui serve`, a real `consume --follow` against it, records produced
    while it follows, and SIGINT: what matched is printed, then the summary."""
    from tests.cli.test_serve_cli import start_serve

    serve, bootstrap = start_serve(data_dir, "--brokers", "1", "--port-base", "0")
    follower = None
    try:
        base = [*kafkatui_command(), "--bootstrap-server", bootstrap]
        subprocess.run(
            [*base, "topic", "create", "live", "-p", "2"], check=True, capture_output=True, timeout=60
        )
        follower = subprocess.Popen(
            [*base, "consume", "live", "--follow", "--filter", "select(.n % 2 == 0)", "-f", "ndjson"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=subprocess_env(tmp_path / "unused"),
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(follower.stdout or []), daemon=True)
        reader.start()
        values = "".join(json.dumps({"n": n}) + "\n" for n in range(10)) + "not json\n"
        deadline = time.monotonic() + 60
        while len(lines) < 5 and time.monotonic() < deadline:
            # Records sent before the follower is at the end are not new to it: send until
            # it has printed the five even ones of one round.
            subprocess.run(
                [*base, "produce", "live", "-k", "same"], input=values, check=True, capture_output=True,
                text=True, timeout=60,
            )  # fmt: skip
            time.sleep(1)
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate(timeout=30)
        reader.join(10)
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)
    assert follower.returncode == 130, err  # the shell's code for Ctrl-C
    assert "Traceback" not in err
    found = [json.loads(line) for line in lines]
    assert len(found) >= 5 and len(found) % 5 == 0
    assert [json.loads(r["value"])["n"] for r in found[:5]] == [0, 2, 4, 6, 8]
    rounds = len(found) // 5
    summary = err.strip().splitlines()[-1]
    assert summary == f"scanned {11 * rounds}, matched {5 * rounds} ({rounds} not JSON: skipped by --filter)"


def test_the_readme_example(side: Side) -> None:
    """README's `kafkatui consume orders --filter 'select(.price > 10)' --from-time -15m`."""
    topic = f"orders-{side.name}"
    side("topic", "create", topic, "-p", "2").ok()
    now = int(time.time() * 1000)
    side.produce(
        topic,
        [
            (0, b"old", b'{"price": 99}', [], now - 3_600_000),  # an hour ago: before -15m
            (0, b"cheap", b'{"price": 5}', [], now),
            (1, b"dear", b'{"price": 15}', [], now),
        ],
    )
    run = side("consume", topic, "--filter", "select(.price > 10)", "--from-time", "-15m").ok()
    assert run.stdout == 'partition=1 offset=0 key=dear value={"price": 15}\n'
    assert run.stderr.splitlines() == ["scanned 2, matched 1"]


def test_jq_reads_a_value_decoded_by_its_schema(cli: CliFn, tmp_path: Path) -> None:
    """An Avro value is JSON to jq once decoded by its schema id; with --value-format raw
    it is the framed bytes, not JSON."""
    schema = tmp_path / "order.avsc"
    schema.write_text('{"type": "record", "name": "Order", "fields": [{"name": "price", "type": "int"}]}')
    cli("produce", "avro-orders", "--value-schema", str(schema), "--value-format", "avro",
        input='{"price": 5}\n{"price": 50}\n').ok()  # fmt: skip
    decoded = cli("consume", "avro-orders", "--filter", "select(.price > 10)").ok()
    assert decoded.stdout == 'partition=0 offset=1 key=(null) value={"price":50}\n'
    assert decoded.stderr.splitlines() == ["scanned 2, matched 1"]
    raw = cli("consume", "avro-orders", "--filter", "select(.price > 10)", "--value-format", "raw").ok()
    assert raw.stdout == "" and raw.stderr.splitlines() == [
        "scanned 2, matched 0 (2 not JSON: skipped by --filter)"
    ]
