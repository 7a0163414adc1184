"""Each API a principal without ACLs is refused, with the code Kafka's KafkaApis answers:
one request per API, as raw frames, to a cluster with an authorizer and no ACLs (so
User:ANONYMOUS on PLAINTEXT may do nothing), and the same request allowed once a super
user asks (the check is the authorizer's, not a request mistake)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kio.static.constants import EntityType

from kafkatui.backends.kio_frames import ask, kio_entity
from kafkatui.common.errors import ErrorCode
from kafkatui.engine.metadata.authorizer import AuthorizerConfig
from tests.wire.conftest import ServedCluster

TOPIC, GROUP, TXN = "ledger", "billing", "loader"
SECOND = datetime.timedelta(seconds=1)
TAF, GAF = ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED
CAF, TXAF = ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


@pytest.fixture(scope="module")
def served() -> Iterator[ServedCluster]:
    s = ServedCluster(brokers=1)
    s.server.authorizer = AuthorizerConfig()
    s.call(s.cluster.create_topic(TOPIC, 1, 1))
    try:
        yield s
    finally:
        s.close()


def nested(api: tuple[int, int], entity: str, /, **fields: Any) -> Any:
    return kio_entity(api, EntityType.request, entity)(**fields)


Case = tuple[
    str, tuple[int, int], Callable[[tuple[int, int]], dict[str, Any]], Callable[[Any], list[int]], ErrorCode
]

CASES: list[Case] = [
    ("ListOffsets", (2, 6), lambda a: {"replica_id": -1, "isolation_level": 0, "topics": (
        nested(a, "ListOffsetsTopic", name=TOPIC, partitions=(
            nested(a, "ListOffsetsPartition", partition_index=0, timestamp=-1),)),)},
     lambda r: [p.error_code for t in r.topics for p in t.partitions], TAF),
    ("OffsetForLeaderEpoch", (23, 4), lambda a: {"topics": (
        nested(a, "OffsetForLeaderTopic", topic=TOPIC, partitions=(
            nested(a, "OffsetForLeaderPartition", partition=0, leader_epoch=0),)),)},
     lambda r: [p.error_code for t in r.topics for p in t.partitions], TAF),
    ("CreatePartitions", (37, 3), lambda a: {"timeout": SECOND, "validate_only": True, "topics": (
        nested(a, "CreatePartitionsTopic", name=TOPIC, count=2, assignments=None),)},
     lambda r: [t.error_code for t in r.results], TAF),
    ("DeleteRecords", (21, 2), lambda a: {"timeout": SECOND, "topics": (
        nested(a, "DeleteRecordsTopic", name=TOPIC, partitions=(
            nested(a, "DeleteRecordsPartition", partition_index=0, offset=0),)),)},
     lambda r: [p.error_code for t in r.topics for p in t.partitions], TAF),
    ("ElectLeaders", (43, 2), lambda a: {"election_type": 0, "topic_partitions": None, "timeout": SECOND},
     lambda r: [r.error_code], CAF),
    ("DescribeGroups", (15, 5), lambda a: {"groups": (GROUP,), "include_authorized_operations": False},
     lambda r: [g.error_code for g in r.groups], GAF),
    ("DeleteGroups", (42, 2), lambda a: {"groups_names": (GROUP,)},
     lambda r: [g.error_code for g in r.results], GAF),
    ("Heartbeat", (12, 4), lambda a: {"group_id": GROUP, "generation_id": 1, "member_id": "m",
                                      "group_instance_id": None},
     lambda r: [r.error_code], GAF),
    ("FindCoordinator group", (10, 4), lambda a: {"key_type": 0, "coordinator_keys": (GROUP,)},
     lambda r: [c.error_code for c in r.coordinators], GAF),
    ("FindCoordinator transaction", (10, 4), lambda a: {"key_type": 1, "coordinator_keys": (TXN,)},
     lambda r: [c.error_code for c in r.coordinators], TXAF),
    ("InitProducerId transactional", (22, 4),
     lambda a: {"transactional_id": TXN, "transaction_timeout": SECOND},
     lambda r: [r.error_code], TXAF),
    ("InitProducerId idempotent", (22, 4),
     lambda a: {"transactional_id": None, "transaction_timeout": SECOND},
     lambda r: [r.error_code], CAF),
    ("AddPartitionsToTxn", (24, 3), lambda a: {
        "v3_and_below_transactional_id": TXN, "v3_and_below_producer_id": 1, "v3_and_below_producer_epoch": 0,
        "v3_and_below_topics": (nested(a, "AddPartitionsToTxnTopic", name=TOPIC, partitions=(0,)),)},
     lambda r: [p.partition_error_code
                for t in r.results_by_topic_v3_and_below for p in t.results_by_partition],
     TXAF),
    ("EndTxn", (26, 3), lambda a: {"transactional_id": TXN, "producer_id": 1, "producer_epoch": 0,
                                   "committed": True},
     lambda r: [r.error_code], TXAF),
    ("TxnOffsetCommit", (28, 3), lambda a: {
        "transactional_id": TXN, "group_id": GROUP, "producer_id": 1, "producer_epoch": 0,
        "group_instance_id": None,
        "topics": (nested(a, "TxnOffsetCommitRequestTopic", name=TOPIC, partitions=(
            nested(a, "TxnOffsetCommitRequestPartition", partition_index=0, committed_offset=1,
                   committed_leader_epoch=-1, committed_metadata=None),)),)},
     lambda r: [p.error_code for t in r.topics for p in t.partitions], TXAF),
    ("DescribeTransactions", (65, 0), lambda a: {"transactional_ids": ("never-started",)},
     lambda r: [t.error_code for t in r.transaction_states], TXAF),
    ("DescribeUserScramCredentials", (50, 0), lambda a: {"users": None},
     lambda r: [r.error_code], CAF),
    # last: the super user's request deletes the topic
    ("DeleteTopics", (20, 6), lambda a: {"timeout": SECOND, "topics": (
        nested(a, "DeleteTopicState", name=TOPIC, topic_id=None),)},
     lambda r: [t.error_code for t in r.responses], TAF),
]  # fmt: skip


def _ask(served: ServedCluster, api: tuple[int, int], fields: dict[str, Any]) -> Any:
    host, port = served.server.addresses[1]
    return served.call(ask(f"{host}:{port}", api, "acl-refusals", 10, **fields))


@pytest.mark.parametrize(("name", "api", "fields", "errors", "expected"), CASES, ids=[c[0] for c in CASES])
def test_refused_without_acls_and_allowed_for_a_super_user(
    served: ServedCluster,
    name: str,
    api: tuple[int, int],
    fields: Callable[[tuple[int, int]], dict[str, Any]],
    errors: Callable[[Any], list[int]],
    expected: ErrorCode,
) -> None:
    refused = errors(_ask(served, api, fields(api)))
    assert refused and {int(e) for e in refused} == {int(expected)}, f"{name}: {refused}"
    served.server.authorizer = AuthorizerConfig(super_users=frozenset({"User:ANONYMOUS"}))
    try:
        answered = errors(_ask(served, api, fields(api)))
    finally:
        served.server.authorizer = AuthorizerConfig()
    authorization_codes = {int(c) for c in (TAF, GAF, CAF, TXAF)}
    assert not {int(e) for e in answered} & authorization_codes, f"{name}: {answered}"
