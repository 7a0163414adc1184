"""`kafkatui streams list|status|reset`: an application seen from outside, as Kafka's
tools see it, on both backends; the reset refused while the application runs, and after
it the application counts its input from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkatui.backends.offset_reset import ResetStrategy
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder
from kafkatui.ecosystem.streams.admin import (
    application,
    applications,
    execute_application_reset,
    is_internal_topic,
    plan_application_reset,
)
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from tests.cli.conftest import CliFn
from tests.ecosystem.streams.conftest import Served, close_served, open_served, until

APP_ID = "clicks"
CHANGELOG = f"{APP_ID}-per-page-changelog"


def counting_app(served: Served, state_dir: Path) -> KafkaStreams:
    builder = StreamsBuilder()
    builder.stream("page-views").group_by_key().count("per-page").to_stream().to(
        "page-counts", value_serde=Serdes.long()
    )
    config = {"application.id": APP_ID, "state.dir": str(state_dir), "commit.interval.ms": 100}
    return KafkaStreams(builder.build(), config, served.backend)


async def latest_counts(served: Served) -> dict[bytes, int]:
    counts: dict[bytes, int] = {}
    for partition in range(len(served.backend.describe_topic("page-counts").partitions)):
        for record in await served.backend.read_log("page-counts", partition, 0, 10_000):
            if not record.batch.is_control and record.key is not None:
                counts[record.key] = int.from_bytes(record.value, "big")
    return counts


async def run_once(served: Served, state_dir: Path) -> KafkaStreams:
    streams = counting_app(served, state_dir)
    await streams.start()
    await until(lambda: served.caught_up(streams, "page-views"), "the application to commit its input")
    return streams


def test_the_reset_tools_rule_for_internal_topics() -> None:
    assert is_internal_topic("clicks", "clicks-per-page-changelog")
    assert is_internal_topic("clicks", "clicks-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition")
    assert is_internal_topic(
        "clicks", "clicks-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-subscription-registration-topic"
    )
    assert not is_internal_topic("clicks", "other-per-page-changelog")
    assert not is_internal_topic("clicks", "clicks-output")


@pytest.mark.parametrize("kind", ["embedded", "remote"])
async def test_list_status_and_a_reset_that_counts_from_scratch(kind: str, tmp_path: Path) -> None:
    served = await open_served(kind)
    try:
        await served.backend.create_topic("page-views", 2, 1)
        await served.produce("page-views", [(b"home", b"1"), (b"home", b"2"), (b"about", b"3")])
        streams = await run_once(served, tmp_path / "state")

        running = await applications(served.backend)
        assert [(a.application_id, a.members, a.input_topics) for a in running] == [
            (APP_ID, 1, ("page-views",))
        ]
        with pytest.raises(KafkaError) as refused:
            await plan_application_reset(served.backend, APP_ID)
        assert refused.value.code is ErrorCode.NON_EMPTY_GROUP
        assert (
            "is still active and has following members: "
            f"[clicks-{streams.process_id}-StreamThread-1-consumer]" in str(refused.value)
        )
        await streams.close()

        found, _ = await application(served.backend, APP_ID)
        assert found.internal_topics == (CHANGELOG,) and found.lag == 0
        assert await latest_counts(served) == {b"home": 2, b"about": 1}

        dry = await plan_application_reset(served.backend, APP_ID, state_dir=tmp_path / "state")
        assert dry.inferred_inputs and dry.input_topics == ["page-views"]
        assert {(r.topic, r.partition, r.new) for r in dry.offsets} == {
            ("page-views", 0, 0),
            ("page-views", 1, 0),
        }
        assert dry.delete_topics == [CHANGELOG]
        assert CHANGELOG in served.backend.topic_names()  # planning changes nothing
        await execute_application_reset(served.backend, dry)
        await until(lambda: CHANGELOG not in served.backend.topic_names(), "the changelog to be deleted")
        assert not (tmp_path / "state" / APP_ID).exists()
        view = await served.backend.describe_group(APP_ID)
        assert {p.committed for p in view.partitions if p.topic == "page-views"} <= {0}

        # Reprocessed from the start, with empty stores: the same counts again, not doubled.
        again = await run_once(served, tmp_path / "state")
        await again.close()
        assert await latest_counts(served) == {b"home": 2, b"about": 1}
    finally:
        await close_served(served)


async def test_bad_resets_change_nothing(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic("page-views", 1, 1)
    await served.produce("page-views", [(b"home", b"1")])
    await (await run_once(served, tmp_path)).close()
    for kwargs, code, words in [
        ({"input_topics": ["nosuch"]}, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic 'nosuch' does not exist"),
        ({"input_topics": [CHANGELOG]}, ErrorCode.INVALID_REQUEST, "internal topics"),
        ({"internal_topics": ["page-views"]}, ErrorCode.INVALID_REQUEST, "Invalid topic specified"),
        ({"strategy": ResetStrategy.TO_OFFSET}, ErrorCode.INVALID_REQUEST, "needs a value"),
    ]:
        with pytest.raises(KafkaError) as refused:
            await plan_application_reset(served.backend, APP_ID, **kwargs)  # type: ignore[arg-type]
        assert refused.value.code is code and words in str(refused.value)
    with pytest.raises(KafkaError) as unknown:
        await application(served.backend, "nosuch")
    assert unknown.value.code is ErrorCode.GROUP_ID_NOT_FOUND and "(applications: clicks)" in str(
        unknown.value
    )
    assert CHANGELOG in served.backend.topic_names()


APP = """
from kafkatui.ecosystem.streams import Serdes

CONFIG = {"application.id": "clicks", "commit.interval.ms": 200}


def topology(builder):
    builder.stream("page-views").group_by_key().count("per-page").to_stream().to(
        "page-counts", value_serde=Serdes.long()
    )
"""


def test_the_cli_lists_shows_and_resets(cli: CliFn, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(APP)
    assert "No Streams applications yet" in cli("streams", "list").ok().stdout
    cli("topic", "create", "page-views", "--partitions", "2").ok()
    cli("produce", "page-views", "--key", "home", "--value", "1").ok()
    state = tmp_path / "state"
    cli("streams", "run", str(path), "--state-dir", str(state), "--duration", "6").ok()

    listed = cli("streams", "list", "--json").ok().json()
    assert listed == [
        {"application_id": "clicks", "state": "Empty", "members": 0, "input_topics": ["page-views"],
         "internal_topics": [CHANGELOG], "lag": 0}
    ]  # fmt: skip
    status = cli("streams", "status", "clicks").ok()
    assert "Application clicks  state: Empty  members: 0  lag: 0" in status.stdout
    assert CHANGELOG in status.stdout

    dry = cli("streams", "reset", "clicks", "--dry-run").ok()
    assert dry.stdout.startswith("----Dry run displays the actions")
    assert "Topic: page-views Partition: 0 Offset: 0" in dry.stdout
    assert f"Deleting inferred internal topics [{CHANGELOG}]" in dry.stdout
    assert "Local state not deleted" in dry.stdout
    assert CHANGELOG in cli("topic", "list").ok().stdout

    done = cli("streams", "reset", "clicks", "--to-latest", "--state-dir", str(state)).ok()
    assert "Reset-offsets for input topics [page-views]" in done.stdout
    assert f"Deleting local state {state / 'clicks'}" in done.stdout
    assert CHANGELOG not in cli("topic", "list").ok().stdout
    assert not (state / "clicks").exists()

    cli("streams", "status", "nosuch").assert_error("GROUP_ID_NOT_FOUND", "no Streams application 'nosuch'")
    cli("streams", "reset", "clicks", "--to-earliest", "--to-latest").assert_usage_error("exactly one of")
