"""The `kafkatui` command line as a user meets it: output, exit codes, errors, persistence.

Most tests run the Typer app in-process (CliRunner); the few that need real processes (data
surviving between invocations, the data-dir lock, Ctrl-C) run the installed console script.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env

PRODUCED = re.compile(r"^produced to (\S+) partition (\d+) at offset (\d+)$")
RECORD_FIELDS = {"topic", "partition", "offset", "key", "value", "headers", "timestamp"}


def produced(stdout: str) -> list[tuple[int, int]]:
    """(partition, offset) of every `produced to ...` line, checking each line has that form."""
    found = []
    for line in stdout.splitlines():
        match = PRODUCED.match(line)
        assert match, f"unexpected produce output line: {line!r}"
        found.append((int(match[2]), int(match[3])))
    return found


def describe(cli: CliFn, topic: str) -> dict:
    return cli("topic", "describe", topic, "--json").ok().json()


def consume_all(cli: CliFn, topic: str, *extra: str) -> list[dict]:
    return (
        cli("consume", topic, "--from-beginning", "--timeout", "0.2", "--format", "json", *extra)
        .ok()
        .json_lines()
    )


# --------------------------------------------------------------------------------------------
# 1. The walkthrough, one real process per command, all on one data dir.
# --------------------------------------------------------------------------------------------


def test_walkthrough_persists_between_processes(kafkatui: CliFn, data_dir: Path) -> None:
    created = kafkatui("--seed", "1", "topic", "create", "sales", "--partitions", "3").ok()
    assert "Created topic sales with 3 partition(s)" in created.stdout
    assert data_dir.is_dir()

    first = kafkatui("produce", "sales", "--key", "client-1", "--value", '{"price": 10}').ok()
    [(client1_partition, first_offset)] = produced(first.stdout)
    assert first_offset == 0  # the topic's very first record

    piped = kafkatui(
        "produce", "sales", "--key-separator", ":", input='client-1:{"price":11}\nclient-2:{"price":7}\n'
    ).ok()
    from_stdin = produced(piped.stdout)
    assert len(from_stdin) == 2
    assert from_stdin[0] == (client1_partition, 1)  # same key, same partition, next offset

    kafkatui("produce", "sales", "--value", "no key").ok()

    consumed = kafkatui("consume", "sales", "--from-beginning", "--max", "4", "--format", "json").ok()
    lines = consumed.stdout.splitlines()
    assert len(lines) == 4, str(consumed)
    records = [json.loads(line) for line in lines]
    for record in records:
        assert record.keys() >= RECORD_FIELDS, record
        assert record["topic"] == "sales"
        assert isinstance(record["timestamp"], int) and record["timestamp"] > 0
        assert record["headers"] == []
    client1 = [r for r in records if r["key"] == "client-1"]
    assert {r["partition"] for r in client1} == {client1_partition}
    assert sorted(r["offset"] for r in client1) == [0, 1]
    assert sorted(json.loads(r["value"])["price"] for r in client1) == [10, 11]
    by_value = {r["value"]: r for r in records}
    assert by_value['{"price":7}']["key"] == "client-2"
    assert by_value["no key"]["key"] is None
    # Within a partition, records come out in offset order.
    per_partition = defaultdict(list)
    for r in records:
        per_partition[r["partition"]].append(r["offset"])
    assert all(offsets == sorted(offsets) for offsets in per_partition.values())

    desc = json.loads(kafkatui("topic", "describe", "sales", "--json").ok().stdout)
    assert desc["name"] == "sales"
    assert desc["record_count"] == 4
    assert desc["partition_count"] == 3
    assert len(desc["partitions"]) == 3
    assert sorted(p["leader"] for p in desc["partitions"]) == [1, 2, 3]
    assert sum(p["high_watermark"] for p in desc["partitions"]) == 4


def test_bad_topic_name_in_a_real_process(kafkatui: CliFn) -> None:
    result = kafkatui("topic", "create", "bad name!")
    result.assert_error("INVALID_TOPIC_EXCEPTION", "bad name!")
    assert result.stdout == ""


# --------------------------------------------------------------------------------------------
# 2. Errors: one line on stderr, `error: NAME: message`, exit code != 0, never a traceback.
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sales(cli: CliFn) -> str:
    cli("topic", "create", "sales", "--partitions", "3").ok()
    return "sales"


def test_invalid_topic_name(cli: CliFn) -> None:
    cli("topic", "create", "bad name!").assert_error("INVALID_TOPIC_EXCEPTION", '"bad name!"')
    assert cli("topic", "list", "--json").ok().json() == []


@pytest.mark.parametrize(
    "command",
    [
        "consume nosuch --timeout 0.1",
        "consume nosuch --partition 0 --timeout 0.1",
        "topic describe nosuch",
        "topic delete nosuch",
        "topic alter nosuch --partitions 5",
    ],
)
def test_unknown_topic(cli: CliFn, command: str) -> None:
    cli(*command.split()).assert_error("UNKNOWN_TOPIC_OR_PARTITION", "nosuch")


def test_duplicate_topic(cli: CliFn, sales: str) -> None:
    cli("topic", "create", "sales").assert_error("TOPIC_ALREADY_EXISTS", "sales")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("retention.ms=soon", "retention.ms"),
        ("nosuch=1", "nosuch"),
        ("cleanup.policy=never", "cleanup.policy"),
    ],
)
def test_invalid_config_on_create(cli: CliFn, config: str, key: str) -> None:
    cli("topic", "create", "t", "--config", config).assert_error("INVALID_CONFIG", key)
    assert cli("topic", "list", "--json").ok().json() == []  # nothing half-created


def test_invalid_config_on_alter(cli: CliFn, sales: str) -> None:
    cli("topic", "alter", "sales", "--config", "retention.ms=soon").assert_error(
        "INVALID_CONFIG", "retention.ms"
    )
    cli("topic", "alter", "sales", "--config", "nosuch=1").assert_error("INVALID_CONFIG", "nosuch")
    assert describe(cli, "sales")["configs"] == {}


@pytest.mark.parametrize("command", ["create", "alter"])
def test_config_without_equals_is_a_clear_error(cli: CliFn, sales: str, command: str) -> None:
    cli("topic", command, "sales", "--config", "nokv").assert_error("INVALID_CONFIG", "nokv")


@pytest.mark.parametrize("partitions", ["0", "-1"])
def test_invalid_partition_count(cli: CliFn, partitions: str) -> None:
    cli("topic", "create", "t", "--partitions", partitions).assert_error("INVALID_PARTITIONS")


def test_replication_factor_larger_than_brokers(cli: CliFn, tmp_path: Path) -> None:
    cli("topic", "create", "t", "--replication-factor", "4").assert_error(
        "INVALID_REPLICATION_FACTOR", "4", "3"
    )
    single = tmp_path / "single"
    cli("topic", "create", "t", "-r", "2", opts=["--brokers", "1"], data_dir=single).assert_error(
        "INVALID_REPLICATION_FACTOR", "2", "1"
    )


def test_produce_to_missing_partition(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--partition", "9", "--value", "x").assert_error(
        "UNKNOWN_TOPIC_OR_PARTITION", "9"
    )
    assert describe(cli, "sales")["record_count"] == 0


def test_consume_missing_partition(cli: CliFn, sales: str) -> None:
    cli("consume", "sales", "--partition", "5", "--timeout", "0.1").assert_error(
        "UNKNOWN_TOPIC_OR_PARTITION", "5"
    )


def test_message_too_large(cli: CliFn, sales: str) -> None:
    big = "x" * 2_000_000
    cli("produce", "sales", "--value", big).assert_error("MESSAGE_TOO_LARGE", "1048576")
    cli("produce", "sales", input=big + "\n").assert_error("MESSAGE_TOO_LARGE")
    assert describe(cli, "sales")["record_count"] == 0


@pytest.mark.parametrize("partitions", ["2", "3"])
def test_alter_cannot_lower_partitions(cli: CliFn, sales: str, partitions: str) -> None:
    cli("topic", "alter", "sales", "--partitions", partitions).assert_error("INVALID_PARTITIONS")
    assert describe(cli, "sales")["partition_count"] == 3


def test_alter_with_nothing_to_change(cli: CliFn, sales: str) -> None:
    cli("topic", "alter", "sales").assert_usage_error("nothing to change")


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        ("produce sales --header nokv --value x", ["--header", "nokv"]),
        ("produce sales --header =v --value x", ["--header"]),
        ("produce sales --count -1", ["--count"]),
        ("produce sales --count 3 --rate 0", ["--rate"]),
        ("produce sales --partition x --value x", ["--partition"]),
        ("consume sales --offset abc", ["--offset", "abc"]),
        ("consume sales --offset -1", ["--offset"]),
        ("consume sales --max -1", ["--max"]),
        ("consume sales --format xml", ["xml"]),
        ("topic create", ["Missing argument"]),
        ("topic frobnicate", ["frobnicate"]),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_usage_errors(cli: CliFn, data_dir: Path, command: str, mentions: list[str]) -> None:
    cli(*command.split()).assert_usage_error(*mentions)
    assert not data_dir.exists()  # rejected before any cluster is opened


def test_bad_acks_is_a_clear_error(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--acks", "2", "--value", "x").assert_error("INVALID_CONFIG", "acks")


def test_acks_values(cli: CliFn, sales: str) -> None:
    fire_and_forget = cli("produce", "sales", "--acks", "0", "--value", "a").ok()
    assert re.fullmatch(
        r"sent to sales partition \d \(acks=0: no offset is returned\)\n", fire_and_forget.stdout
    )
    leader_only = cli("produce", "sales", "--acks", "1", "--value", "b", "--json").ok().json()
    assert leader_only["offset"] >= 0
    cli("produce", "sales", "--acks", "all", "--value", "c").ok()
    cli("produce", "sales", "--acks", "-1", "--value", "d").ok()
    assert sorted(r["value"] for r in consume_all(cli, "sales")) == ["a", "b", "c", "d"]


# --------------------------------------------------------------------------------------------
# 3. The data dir is locked while another process uses it.
# --------------------------------------------------------------------------------------------


def _start_holder(data_dir: Path, topic: str) -> subprocess.Popen[str]:
    """A `consume` that keeps the cluster open, waiting for more records."""
    return subprocess.Popen(
        [*kafkatui_command(), "consume", topic, "--from-beginning", "--format", "json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(data_dir),
        # A shell may start pytest with SIGINT ignored, which children would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _first_line(proc: subprocess.Popen[str], timeout: float = 15) -> str:
    """The holder's first stdout line (proof it has the cluster open), without hanging."""
    assert proc.stdout is not None
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert box and box[0], f"holder printed nothing within {timeout}s (exit code {proc.poll()})"
    return box[0]


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


def test_data_dir_locked_by_another_process(cli: CliFn, data_dir: Path) -> None:
    cli("topic", "create", "sales").ok()
    cli("produce", "sales", "--value", "first").ok()
    holder = _start_holder(data_dir, "sales")
    try:
        assert json.loads(_first_line(holder))["value"] == "first"
        for args in (
            ["topic", "list"],
            ["produce", "sales", "--value", "second"],
            ["topic", "create", "other"],
        ):
            message = cli(*args).assert_error("DATA_DIR_LOCKED", f"pid {holder.pid}")
            assert str(data_dir) in message
            assert "kafkatui consume" in message  # says which command holds it
        # An in-memory cluster does not need the lock.
        cli("topic", "create", "scratch", opts=["--memory"]).ok()
    finally:
        _stop(holder)
    # The OS drops the lock with the process, even when it is killed.
    assert describe(cli, "sales")["record_count"] == 1
    cli("produce", "sales", "--value", "second").ok()


def test_ctrl_c_stops_a_waiting_consumer_cleanly(cli: CliFn, data_dir: Path) -> None:
    cli("topic", "create", "sales").ok()
    cli("produce", "sales", "--value", "v").ok()
    holder = _start_holder(data_dir, "sales")
    try:
        _first_line(holder)
        holder.send_signal(signal.SIGINT)
        _, stderr = holder.communicate(timeout=10)
        assert holder.returncode == 130
        assert "Traceback" not in stderr
    finally:
        _stop(holder)
    cli("topic", "list").ok()  # and the lock is released


# --------------------------------------------------------------------------------------------
# 4. Managing topics.
# --------------------------------------------------------------------------------------------


def test_topic_list(cli: CliFn) -> None:
    empty = cli("topic", "list").ok()
    assert "No topics yet" in empty.stdout
    assert cli("topic", "list", "--json").ok().json() == []

    cli("topic", "create", "sales", "--partitions", "3").ok()
    cli("topic", "create", "audit").ok()
    cli("produce", "sales", "--value", "x").ok()

    table = cli("topic", "list").ok().stdout
    assert "sales" in table and "audit" in table
    row = next(line for line in table.splitlines() if "sales" in line)
    assert re.search(r"\bsales\b.*\b3\b.*\b1\b.*\b1\b", row), table

    listed = {t["name"]: t for t in cli("topic", "list", "--json").ok().json()}
    assert set(listed) == {"sales", "audit"}
    assert listed["sales"]["partitions"] == 3
    assert listed["sales"]["replication_factor"] == 1
    assert listed["sales"]["record_count"] == 1
    assert listed["sales"]["size_bytes"] > 0
    assert listed["audit"] == {
        "name": "audit",
        "partitions": 1,
        "replication_factor": 1,
        "record_count": 0,
        "size_bytes": 0,
    }


def test_topic_create_output(cli: CliFn) -> None:
    text = cli("topic", "create", "sales", "-p", "3", "-r", "2").ok().stdout
    lines = text.splitlines()
    assert lines[0] == "Created topic sales with 3 partition(s), replication factor 2."
    assert len(lines) == 4
    for i, line in enumerate(lines[1:]):
        assert re.fullmatch(rf"  partition {i}: leader broker [123], followers [123]", line), text

    desc = cli("topic", "create", "audit", "--config", "retention.ms=60000", "--json").ok().json()
    assert desc["name"] == "audit"
    assert desc["partition_count"] == 1
    assert desc["configs"] == {"retention.ms": "60000"}


def test_topic_describe_text(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--partition", "1", "--value", "x").ok()
    text = cli("topic", "describe", "sales").ok().stdout
    assert "Topic: sales" in text
    assert "PartitionCount: 3" in text
    assert "ReplicationFactor: 1" in text
    assert "Configs: (defaults)" in text
    for header in ("Partition", "Leader", "Replicas", "Isr", "LogEnd", "HighWatermark"):
        assert header in text


def test_topic_alter(cli: CliFn, sales: str) -> None:
    altered = cli("topic", "alter", "sales", "--partitions", "5", "--config", "retention.ms=1000").ok()
    assert altered.stdout == "Altered topic sales: 5 partition(s), configs retention.ms=1000\n"
    desc = describe(cli, "sales")
    assert desc["partition_count"] == 5
    assert [p["partition"] for p in desc["partitions"]] == [0, 1, 2, 3, 4]
    assert desc["configs"] == {"retention.ms": "1000"}
    assert "retention.ms=1000" in cli("topic", "describe", "sales").ok().stdout

    # The new partitions can be written to and read from.
    cli("produce", "sales", "--partition", "4", "--value", "new").ok()
    assert [r["value"] for r in consume_all(cli, "sales", "--partition", "4")] == ["new"]

    reset = cli("topic", "alter", "sales", "--delete-config", "retention.ms", "--json").ok().json()
    assert reset["configs"] == {}
    assert reset["partition_count"] == 5
    assert describe(cli, "sales")["configs"] == {}
    assert "Configs: (defaults)" in cli("topic", "describe", "sales").ok().stdout


def test_topic_delete(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--value", "x").ok()
    deleted = cli("topic", "delete", "sales").ok()
    assert deleted.stdout == "Deleted topic sales.\n"
    assert cli("topic", "list", "--json").ok().json() == []
    cli("topic", "describe", "sales").assert_error("UNKNOWN_TOPIC_OR_PARTITION")
    cli("topic", "delete", "sales").assert_error("UNKNOWN_TOPIC_OR_PARTITION")
    # The name is free again, and the old records are gone.
    cli("topic", "create", "sales").ok()
    assert describe(cli, "sales")["record_count"] == 0
    assert consume_all(cli, "sales") == []


def test_create_if_not_exists(cli: CliFn, sales: str) -> None:
    before = describe(cli, "sales")
    again = cli("topic", "create", "sales", "--partitions", "5", "--if-not-exists").ok()
    assert again.stderr == ""
    after = describe(cli, "sales")
    assert after["partition_count"] == 3  # the existing topic is left alone
    assert after["topic_id"] == before["topic_id"]
    # On a new name it simply creates the topic.
    cli("topic", "create", "fresh", "--partitions", "2", "--if-not-exists").ok()
    assert describe(cli, "fresh")["partition_count"] == 2


def test_create_if_not_exists_does_not_claim_to_create(cli: CliFn, sales: str) -> None:
    again = cli("topic", "create", "sales", "--if-not-exists").ok()
    assert "Created" not in again.stdout


# --------------------------------------------------------------------------------------------
# 5. Load generation.
# --------------------------------------------------------------------------------------------


def test_produce_count_then_consume_in_order(cli: CliFn, sales: str) -> None:
    summary = cli("produce", "sales", "--count", "500", "--json").ok().json()
    assert summary["topic"] == "sales"
    assert summary["records"] == 500
    assert summary["acked"] == 500
    assert summary["failed"] == {}
    assert sum(summary["partitions"].values()) == 500
    assert set(summary["partitions"]) <= {"0", "1", "2"}

    result = cli("consume", "sales", "--from-beginning", "--timeout", "1", "--format", "json").ok()
    records = result.json_lines()
    assert len(records) == 500
    seqs: dict[int, list[int]] = defaultdict(list)
    offsets: dict[int, list[int]] = defaultdict(list)
    for record in records:
        value = json.loads(record["value"])
        seqs[record["partition"]].append(value["seq"])
        offsets[record["partition"]].append(record["offset"])
    for partition, numbers in seqs.items():
        assert numbers == sorted(numbers), f"partition {partition} out of order"
        assert offsets[partition] == list(range(len(numbers)))
    assert sorted(n for numbers in seqs.values() for n in numbers) == list(range(500))
    assert {str(p): len(n) for p, n in seqs.items()} == summary["partitions"]


def test_produce_count_text_summary_and_options(cli: CliFn, sales: str) -> None:
    text = cli("produce", "sales", "--count", "20", "--partition", "2", "--record-size", "50").ok().stdout
    assert text.startswith("20 records to sales in ")
    assert "per partition: 2: 20" in text
    records = consume_all(cli, "sales")
    assert len(records) == 20
    assert {r["partition"] for r in records} == {2}
    assert all(len(r["value"]) == 50 for r in records)

    fixed = cli("produce", "sales", "-n", "3", "--key", "k", "--value", "same", "--json").ok().json()
    assert fixed["acked"] == 3 and len(fixed["partitions"]) == 1  # one key, one partition

    # --rate throttles (how closely: bench/produce_rate.py); here only that it is taken.
    throttled = cli("produce", "sales", "--count", "6", "--rate", "100", "--json").ok().json()
    assert throttled["acked"] == 6 and throttled["elapsed_s"] > 0


# --------------------------------------------------------------------------------------------
# 6. Consuming: partitions, offsets, timeouts, keys, headers, stdin.
# --------------------------------------------------------------------------------------------


@pytest.fixture
def four_in_p1(cli: CliFn, sales: str) -> str:
    """sales with a, b, c, d at offsets 0..3 of partition 1 and one record in partition 0."""
    for value in "abcd":
        cli("produce", "sales", "--partition", "1", "--value", value).ok()
    cli("produce", "sales", "--partition", "0", "--value", "other").ok()
    return sales


def _values(records: list[dict]) -> list[str]:
    return [r["value"] for r in records]


def test_consume_partition_and_offset(cli: CliFn, four_in_p1: str) -> None:
    def consume(*args: str) -> list[dict]:
        return cli("consume", "sales", "--timeout", "0.2", "--format", "json", *args).ok().json_lines()

    from_2 = consume("--partition", "1", "--offset", "2")
    assert [(r["partition"], r["offset"], r["value"]) for r in from_2] == [(1, 2, "c"), (1, 3, "d")]
    assert _values(consume("--partition", "1", "--offset", "beginning")) == ["a", "b", "c", "d"]
    assert consume("--partition", "1", "--offset", "end") == []
    assert _values(consume("--partition", "0", "--from-beginning")) == ["other"]
    # Without a partition, --offset beginning reads every partition.
    assert sorted(_values(consume("--offset", "beginning"))) == ["a", "b", "c", "d", "other"]
    # Like kafka-console-consumer, the default is only new records.
    assert consume() == []
    assert _values(consume("--partition", "1", "--offset", "1", "--max", "2")) == ["b", "c"]


def test_consume_timeout_with_no_records(cli: CliFn, sales: str) -> None:
    result = cli("consume", "sales", "--from-beginning", "--timeout", "0.2").ok()
    assert result.stdout == ""
    assert cli("consume", "sales", "--from-beginning", "--max", "0").ok().stdout == ""


def test_consume_text_format(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "-p", "2", "-k", "k1", "-v", "hello", "-H", "a=1").ok()
    cli("produce", "sales", "-p", "2", "-v", "[not markup]").ok()
    text = cli("consume", "sales", "-p", "2", "-b", "-t", "0.2").ok().stdout
    assert text.splitlines() == [
        "partition=2 offset=0 key=k1 value=hello  headers=a=1",
        "partition=2 offset=1 key=(null) value=[not markup]",
    ]


def test_headers_round_trip(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--header", "a=1", "--header", "b=2", "--value", "x").ok()
    cli("produce", "sales", "-H", "url=http://x/?q=1", "-H", "empty=", "--value", "y").ok()
    records = {r["value"]: r for r in consume_all(cli, "sales")}
    assert records["x"]["headers"] == [["a", "1"], ["b", "2"]]
    assert records["y"]["headers"] == [["url", "http://x/?q=1"], ["empty", ""]]


def test_produce_json_per_record(cli: CliFn, sales: str) -> None:
    result = cli("produce", "sales", "--key", "k", "--json", input="one\ntwo\n").ok()
    acks = result.json_lines()
    assert [a["key"] for a in acks] == ["k", "k"]
    assert acks[0]["partition"] == acks[1]["partition"]
    assert [a["offset"] for a in acks] == [0, 1]
    assert all(a["topic"] == "sales" and a["timestamp"] > 0 for a in acks)


def test_produce_stdin_lines(cli: CliFn, sales: str) -> None:
    text = "a:1\r\nplain\n\nb:x:y\n:novalue-key\n"
    result = cli("produce", "sales", "-K", ":", "--key", "dflt", input=text).ok()
    assert len(produced(result.stdout)) == 4  # the blank line is skipped
    got = sorted((r["key"], r["value"]) for r in consume_all(cli, "sales"))
    assert got == sorted([("a", "1"), ("dflt", "plain"), ("b", "x:y"), ("", "novalue-key")])


def test_produce_stdin_without_separator_keeps_whole_lines(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", input="k:v\nplain\n").ok()
    got = sorted((r["key"], r["value"]) for r in consume_all(cli, "sales"))
    assert got == [(None, "k:v"), (None, "plain")]


def test_non_ascii_values(cli: CliFn, sales: str) -> None:
    cli("produce", "sales", "--key", "clé", "--value", "prix: 10 €").ok()
    [record] = consume_all(cli, "sales")
    assert (record["key"], record["value"]) == ("clé", "prix: 10 €")


# --------------------------------------------------------------------------------------------
# Global options: --memory, --brokers, $KAFKATUI_DATA_DIR, where, --version.
# --------------------------------------------------------------------------------------------


def test_memory_cluster_saves_nothing(cli: CliFn, data_dir: Path) -> None:
    cli("topic", "create", "t", opts=["--memory"]).ok()
    cli("topic", "describe", "t", opts=["--memory"]).assert_error("UNKNOWN_TOPIC_OR_PARTITION")
    assert cli("topic", "list", "--json", opts=["--memory"]).ok().json() == []
    assert not data_dir.exists()
    assert cli("where", opts=["--memory"]).ok().stdout == "(in memory)\n"


def test_data_dir_from_environment(cli: CliFn, data_dir: Path) -> None:
    assert cli("where", data_dir=None).ok().stdout == f"{data_dir}\n"
    cli("topic", "create", "t", data_dir=None).ok()
    assert data_dir.is_dir()
    assert [t["name"] for t in cli("topic", "list", "--json").ok().json()] == ["t"]
    other = data_dir.parent / "other"
    assert cli("where", data_dir=other).ok().stdout == f"{other}\n"  # --data-dir wins
    assert cli("topic", "list", "--json", data_dir=other).ok().json() == []


def test_brokers_option(cli: CliFn) -> None:
    desc = cli("topic", "create", "wide", "-p", "5", "--json", opts=["--brokers", "5"]).ok().json()
    assert sorted(p["leader"] for p in desc["partitions"]) == [1, 2, 3, 4, 5]
    # The cluster remembers its brokers, and never drops any.
    cli("topic", "create", "rf5", "-r", "5").ok()
    cli("topic", "list", opts=["--brokers", "3"]).assert_error("INVALID_REQUEST", "5 brokers")


def test_version(cli: CliFn) -> None:
    assert re.fullmatch(r"kafkatui \d+\.\d+\.\d+\S*\n", cli("--version", data_dir=None).ok().stdout)


# --------------------------------------------------------------------------------------------
# 7. Help.
# --------------------------------------------------------------------------------------------


HELP_MENTIONS = {
    "": ["--data-dir", "--memory", "--brokers", "--seed", "--version", "topic", "produce", "consume"],
    "topic": ["create", "list", "describe", "alter", "delete"],
    "topic create": ["--partitions", "--replication-factor", "--config", "--if-not-exists", "--json"],
    "topic list": ["--json", "--internal"],
    "topic describe": ["--json"],
    "topic alter": ["--partitions", "--config", "--delete-config", "--json"],
    "topic delete": ["Delete a topic"],
    "produce": [
        "--value",
        "--key",
        "--header",
        "--partition",
        "--acks",
        "--key-separator",
        "--count",
        "--json",
    ],
    "consume": ["--from-beginning", "--partition", "--offset", "--max", "--timeout", "--format"],
    "where": ["data dir"],
}


@pytest.mark.parametrize("command", list(HELP_MENTIONS), ids=lambda c: c or "root")
def test_help(cli: CliFn, data_dir: Path, command: str) -> None:
    for flag in ("--help", "-h"):
        result = cli(*command.split(), flag, data_dir=None).ok()
        assert "Usage:" in result.stdout
        for text in HELP_MENTIONS[command]:
            assert text in result.stdout, f"`kafkatui {command} {flag}` does not mention {text}\n{result}"
    assert not data_dir.exists()  # help never opens a cluster


def test_topics_created_by_different_processes_with_one_seed_get_different_ids(cli: CliFn) -> None:
    """A regression: each process restarts the seeded RNG, so ids once repeated and the
    second topic's logs collided with the first's."""
    for name in ("a", "b"):
        cli("topic", "create", name, opts=["--seed", "4"]).ok()
    assert describe(cli, "a")["topic_id"] != describe(cli, "b")["topic_id"]
