"""Tests for kafkatui.common.errors: Kafka's protocol error codes and KafkaError."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.errors import ErrorCode, KafkaError

# (name, code) pairs straight from Kafka's Errors.java.
WELL_KNOWN = [
    ("UNKNOWN_SERVER_ERROR", -1),
    ("NONE", 0),
    ("OFFSET_OUT_OF_RANGE", 1),
    ("CORRUPT_MESSAGE", 2),
    ("UNKNOWN_TOPIC_OR_PARTITION", 3),
    ("NOT_LEADER_OR_FOLLOWER", 6),
    ("MESSAGE_TOO_LARGE", 10),
    ("INVALID_TOPIC_EXCEPTION", 17),
    ("NOT_ENOUGH_REPLICAS", 19),
    ("REBALANCE_IN_PROGRESS", 27),
    ("INVALID_TIMESTAMP", 32),
    ("TOPIC_ALREADY_EXISTS", 36),
    ("INVALID_REPLICATION_FACTOR", 38),
    ("INVALID_CONFIG", 40),
    ("INVALID_PRODUCER_EPOCH", 47),
    ("PRODUCER_FENCED", 90),
    ("UNKNOWN_TOPIC_ID", 100),
    ("INVALID_REGULAR_EXPRESSION", 128),
    ("SHARE_SESSION_LIMIT_REACHED", 133),
]

# Retriable when Kafka's exception class extends RetriableException.
RETRIABLE = [
    "CORRUPT_MESSAGE",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER",
    "REQUEST_TIMED_OUT",
    "NOT_ENOUGH_REPLICAS",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "NOT_COORDINATOR",
    "KAFKA_STORAGE_ERROR",
    "UNKNOWN_TOPIC_ID",
    "SHARE_SESSION_LIMIT_REACHED",
]
NOT_RETRIABLE = [
    "UNKNOWN_SERVER_ERROR",
    "NONE",
    "OFFSET_OUT_OF_RANGE",
    "BROKER_NOT_AVAILABLE",  # surprising, but BrokerNotAvailableException is a plain ApiException
    "MESSAGE_TOO_LARGE",
    "TOPIC_ALREADY_EXISTS",
    "INVALID_REPLICATION_FACTOR",
    "INVALID_CONFIG",
    "PRODUCER_FENCED",
    "REBOOTSTRAP_REQUIRED",
]


@pytest.mark.parametrize(("name", "code"), WELL_KNOWN)
def test_well_known_codes_and_names(name: str, code: int) -> None:
    assert ErrorCode[name] == code
    assert ErrorCode(code).name == name


@pytest.mark.parametrize("name", RETRIABLE)
def test_retriable_errors(name: str) -> None:
    assert ErrorCode[name].retriable


@pytest.mark.parametrize("name", NOT_RETRIABLE)
def test_non_retriable_errors(name: str) -> None:
    assert not ErrorCode[name].retriable


def test_every_code_is_unique_and_none_is_missing() -> None:
    # An IntEnum silently turns a repeated value into an alias; __members__ would still list it.
    assert len(ErrorCode.__members__) == len(list(ErrorCode))
    assert sorted(error.value for error in ErrorCode) == list(range(-1, 134))


def test_retriable_count_matches_kafka() -> None:
    assert sum(error.retriable for error in ErrorCode) == 32


def test_descriptions_are_kafkas_default_messages() -> None:
    assert (
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.description == "This server does not host this topic-partition."
    )
    assert ErrorCode.INVALID_CONFIG.description == "Configuration is invalid."
    assert ErrorCode.NOT_LEADER_OR_FOLLOWER.description == (
        "For requests intended only for the leader, this error indicates that the broker is not "
        "the current leader. For requests intended for any replica, this error indicates that the "
        "broker is not a replica of the topic partition."
    )
    assert ErrorCode.NONE.description == ""  # Kafka's NONE has a null message
    assert all(e.description.endswith(".") for e in ErrorCode if e is not ErrorCode.NONE)


@given(st.integers(min_value=-(2**15), max_value=2**15 - 1))
def test_for_code_maps_unknown_codes_to_unknown_server_error(code: int) -> None:
    error = ErrorCode.for_code(code)
    if -1 <= code <= 133:
        assert error.value == code
    else:
        assert error is ErrorCode.UNKNOWN_SERVER_ERROR


def test_kafka_error_defaults_to_the_codes_message() -> None:
    error = KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert error.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    assert error.name == "UNKNOWN_TOPIC_OR_PARTITION"
    assert error.message == "This server does not host this topic-partition."
    assert error.retriable
    assert str(error) == "UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition."


def test_kafka_error_with_a_specific_message() -> None:
    error = KafkaError(ErrorCode.INVALID_CONFIG, "Unknown topic config name: foo")
    assert str(error) == "INVALID_CONFIG: Unknown topic config name: foo"
    assert not error.retriable
    with pytest.raises(KafkaError) as caught:
        raise error
    assert caught.value.code == 40


def test_kafka_error_accepts_a_plain_code_and_pickles() -> None:
    error = KafkaError(17, "Topic name is illegal")
    assert error.code is ErrorCode.INVALID_TOPIC_EXCEPTION
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message) == (error.code, error.message)


def test_kafka_error_rejects_an_unknown_code() -> None:
    with pytest.raises(ValueError):
        KafkaError(9999)
