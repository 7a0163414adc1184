"""The CLI's cluster commands on both backends: the data dir's own engine, and
`--bootstrap-server` to a served kafkatui cluster (RemoteBackend over confluent-kafka).
Every test runs on both and expects the same answers; what only kafkatui's own cluster
can do answers FEATURE_UNAVAILABLE with its reason over the wire."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.conftest import CliFn, Run
from tests.wire.conftest import ServedCluster


@pytest.fixture(scope="module")
def shared() -> Iterator[ServedCluster]:
    """One served cluster for the module's remote runs (each test uses its own names)."""
    s = ServedCluster()
    try:
        yield s
    finally:
        s.close()


class Kafkatui:
    """`kafkatui ...` on one side: `run("topic", "list")`."""

    def __init__(self, name: str, cli: CliFn, served: ServedCluster | None) -> None:
        self.name = name
        self.served = served
        self._cli = cli

    def __call__(self, *args: str, input: str | None = None) -> Run:
        if self.served is None:
            return self._cli(*args, input=input, opts=["--seed", "4"])
        return self._cli(
            *args, input=input, opts=["--bootstrap-server", self.served.bootstrap], data_dir=None
        )

    @property
    def remote(self) -> bool:
        return self.served is not None


@pytest.fixture(params=["embedded", "remote"])
def run(request: pytest.FixtureRequest, cli: CliFn, shared: ServedCluster) -> Kafkatui:
    return Kafkatui(request.param, cli, shared if request.param == "remote" else None)


def test_broker_list_and_describe(run: Kafkatui) -> None:
    listed = run("broker", "list", "--json").json()
    assert [(b["broker_id"], b["running"], b["state"]) for b in listed] == [
        (1, True, "running"), (2, True, "running"), (3, True, "running"),
    ]  # fmt: skip
    assert sum(b["controller"] for b in listed) == 1
    assert "Brokers" in run("broker", "list").ok().stdout
    described = run("broker", "describe", "2", "--json").json()
    assert described["broker_id"] == 2 and described["state"] == "running"
    assert described["configs"]["node.id"] == "2"
    assert described["configs"]["broker.session.timeout.ms"] == "9000"  # Kafka's default
    table = run("broker", "describe", "2").ok().stdout
    assert "Broker 2: running" in table and "num.partitions" in table and "STATIC_BROKER_CONFIG" in table
    run("broker", "describe", "9").assert_error("BROKER_NOT_AVAILABLE", "no broker 9")


def test_topic_configs_partitions_and_delete_records(run: Kafkatui) -> None:
    topic = f"orders-{run.name}"
    run("topic", "create", topic, "-p", "2", "-r", "2").ok()
    run("topic", "alter", topic, "-p", "3", "-c", "retention.ms=60000", "-c", "cleanup.policy=compact").ok()
    run("topic", "alter", topic, "--delete-config", "cleanup.policy").ok()
    described = run("topic", "describe", topic, "--json").json()
    assert len(described["partitions"]) == 3 and described["configs"] == {"retention.ms": "60000"}
    run("topic", "alter", topic, "-p", "2").assert_error("INVALID_PARTITIONS")

    run("produce", topic, "-p", "0", input="".join(f"v{n}\n" for n in range(5))).ok()
    low = run("topic", "delete-records", topic, "-p", "0", "--offset", "3", "--json").json()
    assert low == {"topic": topic, "partition": 0, "low_watermark": 3}
    partition = run("topic", "describe", topic, "--json").json()["partitions"][0]
    assert (partition["log_start_offset"], partition["high_watermark"]) == (3, 5)
    everything = run("topic", "delete-records", topic, "-p", "0", "--offset", "-1").ok()
    assert f"{topic}-0: the log now starts at offset 5" in everything.stdout
    run("topic", "delete-records", topic, "-p", "0", "--offset", "99").assert_error("OFFSET_OUT_OF_RANGE")
    read = run("consume", topic, "-p", "0", "--from-beginning", "--timeout", "1", "-f", "json").ok()
    assert read.stdout == ""  # nothing below the new log start is left to read


def test_elect_leaders(run: Kafkatui) -> None:
    topic = f"votes-{run.name}"
    run("topic", "create", topic, "-p", "3", "-r", "3").ok()
    rows = run("topic", "elect-leaders", topic, "--json").json()
    assert [(r["partition"], r["error"]) for r in rows] == [(p, "ELECTION_NOT_NEEDED") for p in range(3)]
    leaders = {
        p["partition"]: p["replicas"][0]
        for p in run("topic", "describe", topic, "--json").json()["partitions"]
    }
    assert {r["partition"]: r["leader"] for r in rows} == leaders
    text = run("topic", "elect-leaders", topic, "-p", "1").ok().stdout
    assert "0 partition(s) got a new leader; 1 already had the preferred leader." in text
    assert "0 partition(s) got a new leader." in run("topic", "elect-leaders").ok().stdout
    unclean = run("topic", "elect-leaders", topic, "--election-type", "unclean", "--json").json()
    assert {r["error"] for r in unclean} == {"ELECTION_NOT_NEEDED"}  # every partition has a leader
    run("topic", "elect-leaders", topic, "-p", "7").assert_error(
        "UNKNOWN_TOPIC_OR_PARTITION", "no partition 7"
    )


def test_group_reset_offsets_describe_and_delete(run: Kafkatui) -> None:
    topic, group = f"sales-{run.name}", f"billing-{run.name}"
    run("topic", "create", topic, "-p", "2").ok()
    run("produce", topic, "-K", ":", input="".join(f"k{n}:v{n}\n" for n in range(10))).ok()
    ends = {
        p["partition"]: p["high_watermark"]
        for p in run("topic", "describe", topic, "--json").json()["partitions"]
    }

    def reset(*args: str) -> dict[int, tuple[int, int]]:
        planned = run("group", "reset-offsets", group, "--topic", topic, *args, "--json").json()
        return {p["partition"]: (p["old"], p["new"]) for p in planned["partitions"]}

    def moved(*args: str) -> dict[int, int]:
        return {p: new for p, (_, new) in reset(*args).items()}

    assert reset("--to-latest") == {0: (-1, ends[0]), 1: (-1, ends[1])}
    assert reset("--to-latest", "--dry-run") == {0: (-1, ends[0]), 1: (-1, ends[1])}
    assert group not in run("group", "list", "--json").json()  # a dry run commits nothing
    done = run("group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute").ok()
    assert f"Committed 2 offset(s) for group {group}." in done.stdout
    assert reset("--shift-by", "2", "--execute") == {0: (0, min(2, ends[0])), 1: (0, min(2, ends[1]))}
    assert reset("--to-offset", "1") == {
        0: (min(2, ends[0]), min(1, ends[0])),
        1: (min(2, ends[1]), min(1, ends[1])),
    }
    assert moved("--to-datetime", "2001-01-01T00:00:00+00:00") == {0: 0, 1: 0}
    assert moved("--to-datetime", "2999-01-01T00:00:00") == ends  # nothing that recent
    assert moved("--by-duration", "PT1H") == {0: 0, 1: 0}  # everything is from the last hour
    one = run("group", "reset-offsets", group, "--topic", f"{topic}:1", "--to-latest", "--json").json()
    assert [(p["partition"], p["new"]) for p in one["partitions"]] == [(1, ends[1])]

    described = run("group", "describe", group, "--json").json()
    assert described["state"] == "Empty" and described["members"] == []
    rows = {
        p["partition"]: (p["committed_offset"], p["log_end_offset"], p["lag"])
        for p in described["partitions"]
    }
    assert rows == {p: (min(2, end), end, end - min(2, end)) for p, end in ends.items()}
    assert described["total_lag"] == sum(lag for _, _, lag in rows.values())
    assert group in run("group", "list", "--json").json()

    deleted = run("group", "delete", group).ok()
    assert f"Deleted group {group} (2 committed offset(s))." in deleted.stdout
    run("group", "delete", group).assert_error("GROUP_ID_NOT_FOUND")
    run("group", "describe", group).assert_error("GROUP_ID_NOT_FOUND")


def test_reset_offsets_arguments_as_kafka_takes_them(run: Kafkatui) -> None:
    topic = f"ledger-{run.name}"
    run("topic", "create", topic).ok()
    reset = ("group", "reset-offsets", "g", "--topic", topic)
    run(*reset, "--to-latest", "--dry-run", "--execute").assert_usage_error("not both")
    run(*reset, "--by-duration", "15 minutes").assert_usage_error("PnDTnHnMnS")
    run(*reset, "--by-duration", "P1DT").assert_usage_error("PnDTnHnMnS")
    run(*reset, "--to-latest", "--by-duration", "PT1M").assert_usage_error("exactly one")
    run(*reset, "--shift-by", "1").assert_error("INVALID_REQUEST", f"no committed offset on {topic}-0")
    run("group", "reset-offsets", "g", "--topic", "nope", "--to-latest").assert_error(
        "UNKNOWN_TOPIC_OR_PARTITION"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("broker", "stop", "2"),
        ("broker", "stop", "2", "--crash"),
        ("broker", "start", "2"),
        ("topic", "compact", "t"),
    ],
)
def test_engine_only_commands_over_the_wire_say_why(
    cli: CliFn, shared: ServedCluster, args: tuple[str, ...]
) -> None:
    run = Kafkatui("remote", cli, shared)
    message = run(*args).assert_error("FEATURE_UNAVAILABLE", "needs kafkatui's own cluster", shared.bootstrap)
    assert message.startswith(("stopping, crashing or restarting a broker", "running the log cleaner"))
    assert all(b.running for b in shared.cluster.brokers.values())  # nothing was stopped


def test_engine_only_commands_on_the_embedded_cluster(cli: CliFn) -> None:
    def run(*args: str) -> Run:
        return cli(*args, opts=["--seed", "4"])

    run(
        "topic",
        "create",
        "t",
        "-p",
        "3",
        "-r",
        "3",
        "-c",
        "cleanup.policy=compact",
        "-c",
        "segment.bytes=200",
    ).ok()
    for n in range(8):
        run("produce", "t", "-p", "0", "--key", f"k{n % 2}", "--value", f"v{n}").ok()
    compacted = run("topic", "compact", "t", "--json").json()
    assert compacted and all(r["records_after"] < r["records_before"] for r in compacted)
    assert "Broker 2 stopped." in run("broker", "stop", "2").ok().stdout
    assert [b["state"] for b in run("broker", "list", "--json").json()] == ["running", "stopped", "running"]
    assert "Broker 2 started." in run("broker", "start", "2").ok().stdout
    assert [b["state"] for b in run("broker", "list", "--json").json()] == ["running"] * 3
