"""REST Proxy v3 admin over a real socket, on both backends: the cluster and its brokers,
topics created, reconfigured and deleted through HTTP and seen through the backend,
partitions and replicas, and a consumer group's members and lag after a real
confluent-kafka consumer commits. Shapes as Confluent's (`kind`, `metadata`, related
links, lists with `data`); errors as its v3 mappers answer them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from kafkatui.common.errors import KafkaError
from tests.ecosystem.rest_support import ServedRest, rest, served_rest

__all__ = ["rest", "served_rest"]

JSON = {"Content-Type": "application/json"}


def base(s: ServedRest) -> str:
    answer = s.http.get("/v3/clusters")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    listed = answer.json()
    assert listed["kind"] == "KafkaClusterList" and listed["metadata"]["next"] is None
    return f"/v3/clusters/{listed['data'][0]['cluster_id']}"


def get(s: ServedRest, path: str, status: int = 200) -> Any:
    answer = s.http.get(path)
    assert answer.status_code == status, answer.text
    return answer.json()


def test_cluster_and_brokers(served_rest: ServedRest) -> None:
    s = served_rest
    b = base(s)
    c = get(s, b)
    assert c["kind"] == "KafkaCluster"
    assert c["metadata"] == {"self": f"{s.rest_url}{b}", "resource_name": f"crn:///kafka={c['cluster_id']}"}
    # The id is the cluster's own (Kafka's cluster.id, as the wire's DescribeCluster has it).
    assert c["cluster_id"] == s.cluster.metadata.cluster_id
    assert c["controller"] == {"related": f"{s.rest_url}{b}/brokers/{s.backend.controller_id}"}
    assert c["topics"] == {"related": f"{s.rest_url}{b}/topics"}

    brokers = get(s, f"{b}/brokers")
    assert brokers["kind"] == "KafkaBrokerList"
    ids = [x["broker_id"] for x in brokers["data"]]
    assert ids == [v.broker_id for v in s.backend.brokers() if v.running]
    one = get(s, f"{b}/brokers/{ids[0]}")
    assert one["kind"] == "KafkaBroker" and one["configs"]["related"].endswith(f"/brokers/{ids[0]}/configs")

    configs = get(s, f"{b}/brokers/{ids[0]}/configs")
    assert configs["kind"] == "KafkaBrokerConfigList"
    by_name = {x["name"]: x for x in configs["data"]}
    assert by_name["num.partitions"]["broker_id"] == ids[0]
    assert by_name["num.partitions"]["kind"] == "KafkaBrokerConfig"
    named = get(s, f"{b}/brokers/{ids[0]}/configs/num.partitions")
    assert named["value"] == by_name["num.partitions"]["value"]
    everyone = get(s, f"{b}/brokers/-/configs")
    assert {x["broker_id"] for x in everyone["data"]} == set(ids)

    dynamic = get(s, f"{b}/broker-configs")  # none: kafkatui's brokers take settings at start-up
    assert (dynamic["kind"], dynamic["data"]) == ("KafkaClusterConfigList", [])
    assert get(s, f"{b}/brokers/99", 404) == {"error_code": 404, "message": "Broker 99 cannot be found."}
    assert get(s, f"{b}/brokers/{ids[0]}/configs/no.such", 404)["error_code"] == 404
    assert get(s, "/v3/clusters/other", 404) == {
        "error_code": 404,
        "message": "Cluster other cannot be found.",
    }


def test_topic_create_alter_delete_round_trip(served_rest: ServedRest) -> None:
    s = served_rest
    b = base(s)
    body = {"topic_name": "orders", "partitions_count": 3, "replication_factor": 1,
            "configs": [{"name": "retention.ms", "value": "3600000"}]}  # fmt: skip
    created = s.http.post(f"{b}/topics", json=body)
    assert created.status_code == 201, created.text
    topic = created.json()
    assert created.headers["Location"] == topic["metadata"]["self"] == f"{s.rest_url}{b}/topics/orders"
    assert topic["kind"] == "KafkaTopic" and topic["metadata"]["resource_name"].endswith("/topic=orders")
    assert (topic["partitions_count"], topic["replication_factor"], topic["is_internal"]) == (3, 1, False)
    described = s.backend.describe_topic("orders")
    assert len(described.partitions) == 3 and described.configs["retention.ms"] == "3600000"

    again = s.http.post(f"{b}/topics", json=body)
    assert again.status_code == 400 and again.json()["error_code"] == 40002, again.text
    assert "already exists" in again.json()["message"]
    checked = s.http.post(
        f"{b}/topics", json={"topic_name": "dry", "partitions_count": 2, "validate_only": True}
    )
    assert checked.status_code == 200 and checked.json()["partitions_count"] == 2, checked.text
    assert "dry" not in s.backend.topic_names()
    bad = s.http.post(f"{b}/topics", json={"topic_name": "no good!"})
    assert bad.status_code == 422 and bad.json()["message"] == "Payload error. Invalid topic name."

    listed = get(s, f"{b}/topics")
    assert listed["kind"] == "KafkaTopicList"
    assert {t["topic_name"]: t["is_internal"] for t in listed["data"]}["orders"] is False
    assert get(s, f"{b}/topics/orders")["partitions_count"] == 3

    config = get(s, f"{b}/topics/orders/configs/retention.ms")
    assert config["kind"] == "KafkaTopicConfig" and config["topic_name"] == "orders"
    assert (config["value"], config["source"], config["is_default"]) == (
        "3600000",
        "DYNAMIC_TOPIC_CONFIG",
        False,
    )
    put = s.http.put(f"{b}/topics/orders/configs/retention.ms", json={"value": "7200000"})
    assert put.status_code == 204, put.text
    assert s.backend.describe_topic("orders").configs["retention.ms"] == "7200000"
    batch = {"data": [{"name": "retention.ms", "operation": "DELETE"},
                      {"name": "cleanup.policy", "value": "compact"}]}  # fmt: skip
    assert s.http.post(f"{b}/topics/orders/configs:alter", json=batch).status_code == 204
    overrides = s.backend.describe_topic("orders").configs
    assert "retention.ms" not in overrides and overrides["cleanup.policy"] == "compact"
    assert get(s, f"{b}/topics/orders/configs/retention.ms")["is_default"] is True
    assert s.http.delete(f"{b}/topics/orders/configs/cleanup.policy").status_code == 204
    assert "cleanup.policy" not in s.backend.describe_topic("orders").configs
    everything = get(s, f"{b}/topics/orders/configs")
    assert everything["kind"] == "KafkaTopicConfigList" and len(everything["data"]) > 20
    unknown = s.http.put(f"{b}/topics/orders/configs/no.such.config", json={"value": "1"})
    assert unknown.status_code == 404, unknown.text

    assert s.http.delete(f"{b}/topics/orders").status_code == 204
    assert "orders" not in s.backend.topic_names()
    gone = get(s, f"{b}/topics/orders", 404)
    assert gone == {"error_code": 40403, "message": "This server does not host this topic-partition."}
    assert s.http.delete(f"{b}/topics/orders").status_code == 404


def test_partitions_replicas_and_reassignments(rest: ServedRest) -> None:
    rest.create_topic("parts", 2)
    b = base(rest)
    listed = get(rest, f"{b}/topics/parts/partitions")
    assert listed["kind"] == "KafkaPartitionList" and [p["partition_id"] for p in listed["data"]] == [0, 1]
    leader = rest.backend.describe_topic("parts").partitions[1].leader
    one = get(rest, f"{b}/topics/parts/partitions/1")
    assert one["kind"] == "KafkaPartition"
    assert one["leader"] == {"related": f"{rest.rest_url}{b}/topics/parts/partitions/1/replicas/{leader}"}
    replicas = get(rest, f"{b}/topics/parts/partitions/1/replicas")
    assert [(r["broker_id"], r["is_leader"], r["is_in_sync"]) for r in replicas["data"]] == [
        (leader, True, True)
    ]
    replica = get(rest, f"{b}/topics/parts/partitions/1/replicas/{leader}")
    assert replica["kind"] == "KafkaReplica" and replica["broker"]["related"].endswith(f"/brokers/{leader}")
    hosted = get(rest, f"{b}/brokers/{leader}/partition-replicas")
    assert hosted["kind"] == "KafkaReplicaList"
    assert {(r["topic_name"], r["partition_id"]) for r in hosted["data"]} >= {("parts", 0), ("parts", 1)}
    assert get(rest, f"{b}/brokers/42/partition-replicas", 404)["message"] == "Broker 42 cannot be found."
    assert get(rest, f"{b}/topics/parts/partitions/7", 404)["error_code"] == 40403
    assert get(rest, f"{b}/topics/parts/partitions/x", 404)["error_code"] == 40403
    none_here = get(rest, f"{b}/topics/parts/partitions/1/reassignment", 404)
    assert none_here == {"error_code": 404, "message": "HTTP 404 Not Found"}
    assert get(rest, f"{b}/topics/parts/partitions/9/reassignment", 404)["error_code"] == 40403
    for path in ("topics/-/partitions/-/reassignment", "topics/parts/partitions/-/reassignment"):
        none = get(rest, f"{b}/{path}")
        assert none["kind"] == "KafkaReassignmentList" and none["data"] == []


def test_wrong_media_types_and_bodies(rest: ServedRest) -> None:
    b = base(rest)
    xml = rest.http.post(f"{b}/topics", content=b"<topic/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415 and xml.json()["error_code"] == 415
    v2 = rest.http.get(f"{b}/topics", headers={"Accept": "application/vnd.kafka.v2+json"})
    assert v2.status_code == 406 and v2.json()["error_code"] == 406
    broken = rest.http.post(f"{b}/topics", content=b"{nope", headers=JSON)
    assert broken.status_code == 400 and broken.json()["error_code"] == 400
    empty = rest.http.post(f"{b}/topics", content=b"", headers=JSON)
    assert empty.status_code == 422, empty.text
    assert empty.json()["message"] == "Payload error. Request body is empty. Data is required."


def _wait_for_member(s: ServedRest, path: str) -> list[dict[str, Any]]:
    for _ in range(100):
        members = get(s, path)["data"]
        if members:
            return members
        time.sleep(0.1)  # the group is still forming
    raise AssertionError("the consumer never showed in its group")


def test_group_members_and_lag_after_a_wire_consumer_commits(served_rest: ServedRest) -> None:
    s = served_rest
    s.create_topic("payments", 2)
    producer = Producer({"bootstrap.servers": s.bootstrap})
    for n in range(10):
        producer.produce("payments", b"p%d" % n, partition=n % 2)
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": s.bootstrap, "group.id": "billing", "client.id": "biller",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    try:
        consumer.subscribe(["payments"])
        seen: list[Any] = []
        while len(seen) < 4:
            message = consumer.poll(1)
            if message is not None and message.error() is None and message.partition() == 0:
                seen.append(message)
        consumer.commit(message=seen[1], asynchronous=False)  # partition 0: committed 2, end 5
        b = base(s)
        groups = get(s, f"{b}/consumer-groups")
        assert groups["kind"] == "KafkaConsumerGroupList"
        group = next(g for g in groups["data"] if g["consumer_group_id"] == "billing")
        assert group["kind"] == "KafkaConsumerGroup" and group["state"] == "STABLE"
        assert (group["partition_assignor"], group["type"], group["is_simple"]) == ("range", "CLASSIC", False)
        assert get(s, f"{b}/consumer-groups/billing")["lag_summary"]["related"].endswith(
            "/billing/lag-summary"
        )

        members = _wait_for_member(s, f"{b}/consumer-groups/billing/consumers")
        assert [(m["kind"], m["client_id"]) for m in members] == [("KafkaConsumer", "biller")]
        member_id = members[0]["consumer_id"]
        assert get(s, f"{b}/consumer-groups/billing/consumers/{member_id}")["client_id"] == "biller"
        owned = get(s, f"{b}/consumer-groups/billing/consumers/{member_id}/assignments")
        assert owned["kind"] == "KafkaConsumerAssignmentList"
        assert sorted((a["topic_name"], a["partition_id"]) for a in owned["data"]) == [
            ("payments", 0),
            ("payments", 1),
        ]

        lags = get(s, f"{b}/consumer-groups/billing/lags")
        assert lags["kind"] == "KafkaConsumerLagList"
        rows = [(r["topic_name"], r["partition_id"], r["current_offset"], r["log_end_offset"], r["lag"],
                 r["consumer_id"], r["client_id"]) for r in lags["data"]]  # fmt: skip
        assert rows == [("payments", 0, 2, 5, 3, member_id, "biller")]
        one = get(s, f"{b}/consumer-groups/billing/lags/payments/partitions/0")
        assert one["kind"] == "KafkaConsumerLag" and one["lag"] == 3
        summary = get(s, f"{b}/consumer-groups/billing/lag-summary")
        assert (summary["max_lag"], summary["total_lag"], summary["max_lag_partition_id"]) == (3, 3, 0)
        assert summary["max_lag_client_id"] == "biller"
        assert summary["max_lag_consumer"]["related"].endswith(f"/consumers/{member_id}")
    finally:
        consumer.close()
    # The commit made __consumer_offsets: internal, so not listed (ListTopics' default).
    assert get(s, f"{b}/topics/__consumer_offsets")["is_internal"] is True
    assert "__consumer_offsets" not in {t["topic_name"] for t in get(s, f"{b}/topics")["data"]}
    assert (
        get(s, f"{base(s)}/consumer-groups/nobody", 404)["message"]
        == "Consumer Group nobody could not be found."
    )


def test_a_kafka_refusal_is_40002_with_kafkas_message(rest: ServedRest) -> None:
    b = base(rest)
    answer = rest.http.post(f"{b}/topics", json={"topic_name": "wide", "replication_factor": 5})
    assert answer.status_code == 400 and answer.json()["error_code"] == 40002, answer.text
    with pytest.raises(KafkaError):
        rest.backend.describe_topic("wide")
