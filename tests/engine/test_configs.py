"""Tests for kafkatui.engine.log.configs (Kafka's topic configs, their validation and a
topic's view) and for the broker's own settings by their Kafka names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.admin import ConfigSource, ConfigType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.topic import parse_config_assignment
from kafkatui.engine.log.configs import TOPIC_CONFIGS, ConfigDef, Range, TopicConfig, validate_topic_configs
from kafkatui.engine.server.config import BrokerDefaults

MIN_LONG, MAX_LONG = -(2**63), 2**63 - 1


def invalid(configs: dict[str, str | None]) -> str:
    """The INVALID_CONFIG message Kafka gives for these overrides."""
    with pytest.raises(KafkaError) as caught:
        validate_topic_configs(configs)
    assert caught.value.code is ErrorCode.INVALID_CONFIG
    return caught.value.message


def test_the_topic_configs_of_kafka_3_9() -> None:
    assert set(TOPIC_CONFIGS) == {
        "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
        "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
        "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
        "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
        "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
        "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
        "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
        "min.insync.replicas", "preallocate", "remote.log.copy.disable",
        "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes",
        "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
        "unclean.leader.election.enable",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("cleanup.policy", "delete"),
        ("compression.type", "producer"),
        ("max.message.bytes", "1048588"),
        ("message.timestamp.type", "CreateTime"),
        ("min.cleanable.dirty.ratio", "0.5"),
        ("min.insync.replicas", "1"),
        ("retention.bytes", "-1"),
        ("retention.ms", "604800000"),
        ("segment.bytes", "1073741824"),
        ("segment.ms", "604800000"),
        ("delete.retention.ms", "86400000"),
        ("flush.messages", str(MAX_LONG)),
        ("unclean.leader.election.enable", "false"),
        ("leader.replication.throttled.replicas", ""),
    ],
)
def test_defaults_as_kafka_describes_them(name: str, default: str) -> None:
    assert TOPIC_CONFIGS[name].default == default
    assert TopicConfig().entries()[sorted(TOPIC_CONFIGS).index(name)].value == default


@pytest.mark.parametrize("definition", TOPIC_CONFIGS.values(), ids=lambda d: d.name)
def test_every_default_is_valid_and_already_normalized(definition: ConfigDef) -> None:
    assert definition.default is not None
    assert definition.normalize(definition.default) == definition.default
    assert definition.doc.endswith(".")


def test_typed_values() -> None:
    config = TopicConfig()
    assert config.get("retention.ms") == 604800000
    assert config.get("min.cleanable.dirty.ratio") == 0.5
    assert config.get("preallocate") is False
    assert config.get("cleanup.policy") == ["delete"]
    assert config.get("leader.replication.throttled.replicas") == []
    assert config.get("message.timestamp.type") == "CreateTime"
    assert (config.max_message_bytes, config.min_insync_replicas) == (1048588, 1)
    assert (config.retention_ms, config.retention_bytes) == (604800000, -1)
    assert (config.segment_bytes, config.cleanup_policy) == (1073741824, ["delete"])
    assert config.message_timestamp_type == "CreateTime"
    assert config.message_timestamp_before_max_ms == config.message_timestamp_after_max_ms == MAX_LONG


@pytest.mark.parametrize(
    ("name", "raw", "normalized"),
    [
        ("cleanup.policy", "compact, delete", "compact,delete"),
        ("cleanup.policy", " compact ", "compact"),
        ("cleanup.policy", "", ""),
        ("preallocate", "TRUE", "true"),
        ("retention.ms", " 1000 ", "1000"),
        ("retention.ms", "+007", "7"),
        ("retention.bytes", "-5", "-5"),
        ("min.cleanable.dirty.ratio", "1", "1.0"),
        ("min.cleanable.dirty.ratio", "0.50", "0.5"),
        ("min.cleanable.dirty.ratio", "1e-5", "1.0E-5"),
        ("message.timestamp.type", " LogAppendTime", "LogAppendTime"),
        ("leader.replication.throttled.replicas", "0:1 , 1:2", "0:1,1:2"),
        ("follower.replication.throttled.replicas", "*", "*"),
        ("compression.gzip.level", "-1", "-1"),
        ("segment.bytes", "14", "14"),  # Kafka 3.x's minimum
    ],
)
def test_values_are_normalized_as_describe_configs_shows_them(name: str, raw: str, normalized: str) -> None:
    assert validate_topic_configs({name: raw}) == {name: normalized}


def test_unknown_config_name() -> None:
    assert invalid({"retention.ms": "1000", "foo": "1"}) == "Unknown topic config name: foo"
    with pytest.raises(KafkaError, match="Unknown topic config name: bar"):
        TopicConfig().get("bar")


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        # Type errors, from ConfigDef.parseType.
        ("retention.ms", "abc", "Invalid value abc for configuration retention.ms: "
         "Not a number of type LONG"),
        ("retention.ms", "1.5", "Not a number of type LONG"),
        ("retention.ms", str(MAX_LONG + 1), "Not a number of type LONG"),
        ("max.message.bytes", "3000000000", "Not a number of type INT"),
        ("min.cleanable.dirty.ratio", "half", "Not a number of type DOUBLE"),
        ("preallocate", "yes", "Invalid value yes for configuration preallocate: "
         "Expected value to be either true or false"),
        # Range: at least / no more than / gzip's extra allowed value.
        ("segment.bytes", "13", "Invalid value 13 for configuration segment.bytes: "
         "Value must be at least 14"),
        ("retention.ms", "-2", "Value must be at least -1"),
        ("min.insync.replicas", "0", "Value must be at least 1"),
        ("min.cleanable.dirty.ratio", "1.5", "Invalid value 1.5 for configuration "
         "min.cleanable.dirty.ratio: Value must be no more than 1"),
        ("compression.gzip.level", "0", "Value must be between 1 and 9 or equal to -1"),
        # ValidString is case-sensitive, as in Kafka.
        ("message.timestamp.type", "createtime", "Invalid value createtime for configuration "
         "message.timestamp.type: String must be one of: CreateTime, LogAppendTime"),
        ("compression.type", "brotli", "String must be one of: uncompressed, zstd, lz4, snappy, "
         "gzip, producer"),
        # ValidList reports the first item that is not allowed.
        ("cleanup.policy", "compact,foo", "Invalid value foo for configuration cleanup.policy: "
         "String must be one of: compact, delete"),
        ("leader.replication.throttled.replicas", "0:a", "Invalid value [0:a] for configuration "
         "leader.replication.throttled.replicas: leader.replication.throttled.replicas must be "
         "the literal '*'"),
    ],
)  # fmt: skip
def test_invalid_values_are_rejected_naming_the_key(name: str, raw: str, message: str) -> None:
    text = invalid({name: raw})
    assert message in text
    assert f"for configuration {name}:" in text


def test_compaction_lags_must_be_ordered() -> None:
    assert invalid({"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}) == (
        "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"
    )
    config = TopicConfig({"max.compaction.lag.ms": "100"})
    with pytest.raises(KafkaError, match="conflict topic config setting"):
        config.with_changes({"min.compaction.lag.ms": "200"})


def test_none_means_delete_and_passes_through() -> None:
    assert validate_topic_configs({"retention.ms": None, "preallocate": "True"}) == {
        "retention.ms": None,
        "preallocate": "true",
    }


def test_overrides_show_up_in_describe() -> None:
    config = TopicConfig({"retention.ms": "1000", "cleanup.policy": "compact, delete"})
    entries = config.entries()
    assert [entry.name for entry in entries] == sorted(TOPIC_CONFIGS)
    by_name = {entry.name: entry for entry in entries}
    retention = by_name["retention.ms"]
    assert (retention.value, retention.source, retention.is_default) == (
        "1000",
        ConfigSource.DYNAMIC_TOPIC_CONFIG,
        False,
    )
    assert retention.source == "DYNAMIC_TOPIC_CONFIG" and retention.type is ConfigType.LONG
    assert by_name["cleanup.policy"].value == "compact,delete"
    segment = by_name["segment.bytes"]
    assert (segment.value, segment.source, segment.is_default) == (
        "1073741824",
        "DEFAULT_CONFIG",
        True,
    )
    assert not any(entry.read_only or entry.sensitive for entry in entries)


def test_with_changes_sets_and_removes_overrides() -> None:
    original = TopicConfig({"retention.ms": "1000", "segment.bytes": "1048576"})
    changed = original.with_changes({"retention.ms": None, "max.message.bytes": "2000000"})
    assert changed.overrides == {"segment.bytes": "1048576", "max.message.bytes": "2000000"}
    assert changed.retention_ms == 604800000  # back to Kafka's default
    assert changed.max_message_bytes == 2000000
    assert original.overrides == {"retention.ms": "1000", "segment.bytes": "1048576"}
    assert changed.with_changes({}) == changed
    with pytest.raises(KafkaError, match=r"retention\.ms"):
        original.with_changes({"retention.ms": "-7"})
    assert original.retention_ms == 1000


def test_get_returns_a_copy_of_lists() -> None:
    config = TopicConfig({"cleanup.policy": "compact"})
    config.get("cleanup.policy").append("delete")  # type: ignore[attr-defined]
    config.cleanup_policy.append("delete")
    assert config.get("cleanup.policy") == ["compact"]


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("retention.ms=1000", ("retention.ms", "1000")),
        ("cleanup.policy = compact,delete", ("cleanup.policy", "compact,delete")),
    ],
)
def test_parse_config_assignment(text: str, pair: tuple[str, str]) -> None:
    assert parse_config_assignment(text) == pair


@pytest.mark.parametrize("text", ["retention.ms", "retention.ms=", "a=b=c", ""])
def test_parse_config_assignment_needs_one_equals_sign(text: str) -> None:
    with pytest.raises(KafkaError) as caught:
        parse_config_assignment(text)
    assert caught.value.code is ErrorCode.INVALID_CONFIG
    assert 'in the format "key=val"' in caught.value.message


LONG_RANGES = sorted(
    name for name, d in TOPIC_CONFIGS.items() if d.type is ConfigType.LONG and isinstance(d.validator, Range)
)


@given(st.sampled_from(LONG_RANGES), st.data())
def test_any_long_within_the_range_round_trips(name: str, data: st.DataObject) -> None:
    validator = TOPIC_CONFIGS[name].validator
    assert isinstance(validator, Range)
    low = MIN_LONG if validator.min is None else validator.min
    high = MAX_LONG if validator.max is None else validator.max
    value = data.draw(st.integers(min_value=low, max_value=high))
    assert TopicConfig({name: str(value)}).get(name) == value
    assert validate_topic_configs({name: f" {value} "}) == {name: str(value)}


@given(st.sampled_from(LONG_RANGES), st.data())
def test_any_long_outside_the_range_is_rejected(name: str, data: st.DataObject) -> None:
    validator = TOPIC_CONFIGS[name].validator
    assert isinstance(validator, Range) and validator.min is not None
    value = data.draw(st.integers(max_value=validator.min - 1) | st.integers(min_value=MAX_LONG + 1))
    message = invalid({name: str(value)})
    assert message.startswith(f"Invalid value {value} for configuration {name}: ")


@given(st.floats(min_value=0, max_value=1))
def test_dirty_ratio_floats_round_trip_through_javas_notation(ratio: float) -> None:
    shown = validate_topic_configs({"min.cleanable.dirty.ratio": repr(ratio)})
    assert float(str(shown["min.cleanable.dirty.ratio"])) == ratio  # Python reads "1.0E-5" too


def test_broker_settings_by_their_kafka_names() -> None:
    """server.properties names over Kafka's defaults (how a lesson scales the timers
    down); leader.imbalance.check.interval.seconds is in seconds, as in Kafka."""
    defaults = BrokerDefaults.from_properties(
        {
            "broker.heartbeat.interval.ms": 10,
            "broker.session.timeout.ms": "90",
            "auto.create.topics.enable": "false",
            "leader.imbalance.check.interval.seconds": 3,
        }
    )
    assert (defaults.broker_heartbeat_interval_ms, defaults.broker_session_timeout_ms) == (10, 90)
    assert defaults.auto_create_topics_enable is False
    assert defaults.leader_imbalance_check_interval_ms == 3_000
    assert defaults.replica_lag_time_max_ms == BrokerDefaults().replica_lag_time_max_ms


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"broker.session.timeout": 5}, "Unknown broker configuration broker.session.timeout"),
        ({"leader.imbalance.check.interval.ms": 5}, "Unknown broker configuration leader.imbalance"),
        ({"broker.session.timeout.ms": "soon"}, "Invalid value soon for configuration broker.session"),
        ({"auto.create.topics.enable": "yes"}, "Invalid value yes for configuration auto.create"),
        ({"broker.session.timeout.ms": 1}, "broker.heartbeat.interval.ms must be less than"),
    ],
)
def test_broker_settings_kafka_would_refuse(properties: dict[str, object], message: str) -> None:
    with pytest.raises(KafkaError) as caught:
        BrokerDefaults.from_properties(properties)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INVALID_CONFIG and caught.value.message.startswith(message)
