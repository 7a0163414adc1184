"""KIP-458's `consumer.override.*` in a sink connector's config: its tasks' consumers
take the group timers from it (the rest of the consumer config stays Connect's), and a
value that is not a number fails the task with Kafka's INVALID_CONFIG message."""

from __future__ import annotations

from pathlib import Path

from kafkatui.common.clients import ConsumerConfig
from kafkatui.ecosystem.connect.overrides import with_consumer_overrides
from tests.ecosystem.connect.conftest import ServedConnect


def test_the_overrides_set_the_sink_consumers_timers() -> None:
    connect_defaults = ConsumerConfig(group_id="connect-snk", enable_auto_commit=False)
    got = with_consumer_overrides(
        connect_defaults,
        {
            "consumer.override.session.timeout.ms": "6000",
            "consumer.override.heartbeat.interval.ms": "300",
            "producer.override.linger.ms": "5",  # a producer's: not the consumer's business
        },
    )
    assert (got.session_timeout_ms, got.heartbeat_interval_ms) == (6000, 300)
    assert (got.group_id, got.enable_auto_commit, got.max_poll_interval_ms) == ("connect-snk", False, 300_000)
    assert with_consumer_overrides(connect_defaults, {"topics": "t"}) == connect_defaults


def test_an_override_that_is_not_a_number_fails_the_task(connect: ServedConnect, tmp_path: Path) -> None:
    config = {
        "connector.class": "FileStreamSink", "file": str(tmp_path / "out.txt"), "topics": "t",
        "consumer.override.session.timeout.ms": "soon",
    }  # fmt: skip
    assert connect.create("snk", **config).status_code == 201
    trace = connect.until_state("snk", "FAILED")["tasks"][0]["trace"]
    assert "Invalid value soon for configuration session.timeout.ms: Not a number of type INT" in trace
