"""The Streams assignor's messages inside the consumer protocol: a subscription and an
assignment read back as written, still readable as the consumer protocol's (topics,
partitions), with their user data a versioned JSON object."""

from __future__ import annotations

import json
import struct

import pytest

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.streams.protocol import (
    AssignmentInfo,
    SubscriptionInfo,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)


def test_a_subscription_reads_back_with_its_lags() -> None:
    info = SubscriptionInfo("p-1", "a.local:1", ["0_0"], ["0_1"], {"0_0": -2, "0_1": 1234})
    data = encode_subscription(["words", "counts-repartition"], info)
    topics, back = decode_subscription(data)
    assert topics == ["counts-repartition", "words"] and back == info
    assert struct.unpack_from(">h", data)[0] == 0  # ConsumerProtocolSubscription v0


def test_an_assignment_reads_back_with_partitions_by_host() -> None:
    info = AssignmentInfo(["0_1"], ["0_0"], {"a.local:1": [("words", 1)]}, {"a.local:1": [("words", 0)]})
    data = encode_assignment([("words", 1), ("more", 1)], info)
    partitions, back = decode_assignment(data)
    assert sorted(partitions) == [("more", 1), ("words", 1)] and back == info
    user = data[data.index(b"{") :]  # the user data: the assignment's last field
    assert struct.unpack_from(">i", data, len(data) - len(user) - 4)[0] == len(user)
    assert json.loads(user)["version"] == 1 and json.loads(user)["standby_tasks"] == ["0_0"]


def test_user_data_of_another_assignor_is_refused() -> None:
    foreign = struct.pack(">hi", 0, 0) + struct.pack(">i", 3) + b"\x00\x01\x02"
    with pytest.raises(KafkaError) as refused:
        decode_subscription(foreign)
    assert refused.value.code is ErrorCode.INCONSISTENT_GROUP_PROTOCOL
