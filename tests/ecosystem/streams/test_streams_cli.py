"""`kafkatui streams describe|run APP`: the topology in Kafka's text, a run on the data
dir's cluster with --duration (state, output, the summary), and one-line errors."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CliFn
from tests.ecosystem.streams.test_describe import WORD_COUNT

APP = """
from kafkatui.ecosystem.streams import Serdes

CONFIG = {"application.id": "upper", "commit.interval.ms": 200}


def topology(builder):
    stream = builder.stream("words")
    stream.map_values(str.upper).to("upper")
    stream.group_by_key().count("per-key").to_stream().to("counts", value_serde=Serdes.long())
"""


def test_describe_prints_kafkas_text(cli: CliFn) -> None:
    run = cli("streams", "describe", "kafkatui.ecosystem.streams.examples.word_count", data_dir=None).ok()
    assert run.stdout == WORD_COUNT


def test_describe_a_file(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(APP)
    run = cli("streams", "describe", str(path), data_dir=None).ok()
    assert "Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])" in run.stdout
    assert "Processor: KSTREAM-AGGREGATE-0000000003 (stores: [per-key])" in run.stdout


def test_a_module_without_a_topology_is_one_line(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("X = 1\n")
    cli("streams", "describe", str(path), data_dir=None).assert_error("INVALID_CONFIG", "topology(builder)")
    cli("streams", "run", str(tmp_path / "missing.py")).assert_error("INVALID_CONFIG", "no such file")


def test_run_processes_the_topic_and_reports(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(APP)
    cli("topic", "create", "words", "--partitions", "2").ok()
    cli("produce", "words", "--key", "a", "--value", "x").ok()
    cli("produce", "words", "--key", "a", "--value", "y").ok()
    cli("produce", "words", "--key", "b", "--value", "z").ok()
    state = tmp_path / "state"
    run = cli("streams", "run", str(path), "--state-dir", str(state), "--duration", "8").ok()
    assert "streams upper: NOT_RUNNING; tasks 0_0, 0_1" in run.stdout
    assert "processed 3 records, dropped 0" in run.stdout
    assert list(state.glob("upper/0_*/state.db"))
    out = cli("consume", "upper", "--from-beginning", "--timeout", "1", "--json").ok()
    assert sorted((r["key"], r["value"]) for r in out.json_lines()) == [("a", "X"), ("a", "Y"), ("b", "Z")]
    counts = cli("consume", "counts", "--from-beginning", "--timeout", "1", "--json").ok()
    # LongSerde's 8 bytes big-endian, as the consumer prints raw bytes (one char per byte).
    latest = {r["key"]: int.from_bytes(r["value"].encode("latin-1"), "big") for r in counts.json_lines()}
    assert latest == {"a": 2, "b": 1}


def test_run_with_a_bad_setting_is_one_line(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(APP)
    cli("topic", "create", "words").ok()
    cli("streams", "run", str(path), "-c", "processing.guarantee=exactly_once_v3").assert_error(
        "INVALID_CONFIG", "processing.guarantee"
    )
    cli("streams", "run", str(path), "-c", "nonsense").assert_error("INVALID_CONFIG", "key=value")


JOIN = """
def topology(builder):
    clicks = builder.stream("clicks")
    users = builder.table("users")
    clicks.join(users, lambda click, user: f"{click} by {user}").to("clicks-by-user")
"""


def test_describe_refuses_a_join_of_topics_not_co_partitioned(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "join.py"
    path.write_text(JOIN)
    cli("topic", "create", "clicks", "--partitions", "2").ok()
    cli("topic", "create", "users", "--partitions", "3").ok()
    refused = cli("streams", "describe", str(path))
    message = refused.assert_error("STREAMS_EXCEPTION", "clicks=2, users=3", "clicks has 2 partitions")
    assert "do not have the same number of partitions" in message and "users has 3" in message
    assert "Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])" in refused.stdout  # printed first
    # --no-check reads no cluster: the topology alone.
    cli("streams", "describe", str(path), "--no-check", data_dir=None).ok()


def test_describe_passes_co_partitioned_topics_and_names_those_not_there(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "join.py"
    path.write_text(JOIN)
    cli("topic", "create", "clicks", "--partitions", "3").ok()
    run = cli("streams", "describe", str(path)).ok()
    assert run.stderr.strip() == "note: not on the cluster yet, so not checked: users"
    cli("topic", "create", "users", "--partitions", "3").ok()
    run = cli("streams", "describe", str(path)).ok()
    assert run.stderr == "" and "(topics: [clicks])" in run.stdout
