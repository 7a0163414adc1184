"""v2 consumer instances: the whole life cycle over HTTP, instances as real members of
their group, committed offsets that a confluent-kafka consumer of the group continues
from, seeks, manual assignment, patterns, and expiry after consumer.instance.timeout.ms."""

from __future__ import annotations

import time

from confluent_kafka import Consumer

from tests.ecosystem.rest_support import BINARY, JSON, V2, ServedRest, rest, served_rest

__all__ = ["rest", "served_rest"]


def _values(records: list[dict]) -> list:
    return [r["value"] for r in records]


def test_life_cycle(rest: ServedRest) -> None:
    rest.create_topic("orders")
    rest.produce("orders", [{"value": {"n": n}} for n in range(5)])
    answer = rest.http.post("/consumers/billing", json={"name": "one", "format": "json",
                            "auto.offset.reset": "earliest", "auto.commit.enable": "false"},
                            headers={"Content-Type": V2})  # fmt: skip
    assert answer.status_code == 200
    instance = "/consumers/billing/instances/one"
    assert answer.json() == {"instance_id": "one", "base_uri": f"{rest.rest_url}{instance}"}
    again = rest.http.post("/consumers/billing", json={"name": "one"}, headers={"Content-Type": V2})
    assert (again.status_code, again.json()["error_code"]) == (409, 40902)

    assert rest.post(f"{instance}/subscription", {"topics": ["orders"]}).status_code == 204
    assert rest.http.get(f"{instance}/subscription").json() == {"topics": ["orders"]}
    assert _values(rest.read_until(instance, 5)) == [{"n": n} for n in range(5)]
    assigned = rest.http.get(f"{instance}/assignments").json()
    assert assigned == {"partitions": [{"topic": "orders", "partition": 0}]}

    # The instance is a member of its group, named after itself.
    group = rest.call(rest.backend.describe_group("billing"))
    assert [m.client_id for m in group.members] == ["one"]

    # Commit what was read; the group's committed offset is the next one to read.
    assert rest.post(f"{instance}/offsets").status_code == 200
    asked = {"partitions": [{"topic": "orders", "partition": 0}]}
    committed = rest.http.request("GET", f"{instance}/offsets", json=asked, headers={"Content-Type": V2})
    assert committed.json() == {"offsets": [{"topic": "orders", "partition": 0, "offset": 5, "metadata": ""}]}
    # An explicit commit names the last record processed (committed: that offset + 1).
    rest.post(f"{instance}/offsets", {"offsets": [{"topic": "orders", "partition": 0, "offset": 1}]})
    committed = rest.http.request("GET", f"{instance}/offsets", json=asked, headers={"Content-Type": V2})
    assert committed.json()["offsets"][0]["offset"] == 2

    # Seek: to an offset, to the beginning, to the end.
    tp = {"topic": "orders", "partition": 0}
    assert rest.post(f"{instance}/positions", {"offsets": [{**tp, "offset": 3}]}).status_code == 204
    assert _values(rest.read_until(instance, 2)) == [{"n": 3}, {"n": 4}]
    assert rest.post(f"{instance}/positions/beginning", {"partitions": [tp]}).status_code == 204
    assert _values(rest.read_until(instance, 5))[0] == {"n": 0}
    rest.post(f"{instance}/positions/end", {"partitions": [tp]})
    rest.produce("orders", [{"value": "after the end"}])
    assert _values(rest.read_until(instance, 1)) == ["after the end"]

    # Unsubscribe: out of the group; then gone for good.
    assert rest.http.delete(f"{instance}/subscription").status_code == 204
    assert rest.http.get(f"{instance}/subscription").json() == {"topics": []}
    assert rest.call(rest.backend.describe_group("billing")).members == ()
    assert rest.http.delete(instance).status_code == 204
    gone = rest.http.get(f"{instance}/subscription")
    assert (gone.status_code, gone.json()["error_code"]) == (404, 40403)


def test_committed_offsets_carry_over_to_a_wire_consumer(served_rest: ServedRest) -> None:
    served_rest.create_topic("ledger")
    served_rest.produce("ledger", [{"value": f"entry {n}"} for n in range(6)])
    instance = served_rest.consumer("accounts", format="json", **{"auto.offset.reset": "earliest",
                                                                  "auto.commit.enable": "false"})  # fmt: skip
    served_rest.post(f"{instance}/subscription", {"topics": ["ledger"]})
    read = served_rest.read_until(instance, 6, limit_s=30)
    assert len(read) == 6
    # The client processed four of them and says so.
    served_rest.post(f"{instance}/offsets", {"offsets": [{"topic": "ledger", "partition": 0, "offset": 3}]})
    assert served_rest.http.delete(instance).status_code == 204  # leaves the group

    consumer = Consumer({"bootstrap.servers": served_rest.bootstrap, "group.id": "accounts",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    try:
        consumer.subscribe(["ledger"])
        seen = []
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                seen.append((message.offset(), message.value()))
    finally:
        consumer.close()
    assert seen == [(4, b'"entry 4"'), (5, b'"entry 5"')]


def test_two_instances_share_a_group(rest: ServedRest) -> None:
    rest.create_topic("jobs", 2)
    first = rest.consumer("workers", name="w1", format="binary")
    second = rest.consumer("workers", name="w2", format="binary")
    for instance in (first, second):
        rest.post(f"{instance}/subscription", {"topics": ["jobs"]})
    # Both must poll to join; each then owns one of the two partitions.
    deadline = time.monotonic() + 30
    owned: dict[str, list] = {}
    while time.monotonic() < deadline:
        for instance in (first, second):
            rest.records(instance, BINARY, timeout=200)
            owned[instance] = rest.http.get(f"{instance}/assignments").json()["partitions"]
        if all(len(p) == 1 for p in owned.values()):
            break
    assert sorted(p[0]["partition"] for p in owned.values()) == [0, 1]
    group = rest.call(rest.backend.describe_group("workers"))
    assert sorted(m.client_id for m in group.members) == ["w1", "w2"]


def test_assignment_and_subscription_exclude_each_other(rest: ServedRest) -> None:
    rest.create_topic("a")
    instance = rest.consumer("manual", format="json")
    a0 = {"partitions": [{"topic": "a", "partition": 0}]}
    assert rest.post(f"{instance}/assignments", a0).status_code == 204
    refused = rest.post(f"{instance}/subscription", {"topics": ["a"]})
    assert (refused.status_code, refused.json()["error_code"]) == (409, 40903)
    missing = rest.post(f"{instance}/assignments", {"partitions": [{"topic": "a", "partition": 7}]})
    assert missing.json()["error_code"] == 40402
    other = rest.consumer("manual", format="json")
    unassigned = rest.post(f"{other}/positions", {"offsets": [{"topic": "a", "partition": 0, "offset": 0}]})
    assert (unassigned.status_code, unassigned.json()["error_code"]) == (409, 40903)
    idle = rest.records(other)
    assert (idle.status_code, idle.json()["error_code"]) == (409, 40903)


def test_topic_pattern_subscribes_to_the_matching_topics(rest: ServedRest) -> None:
    for name in ("metrics.cpu", "metrics.disk", "logs"):
        rest.create_topic(name)
        rest.produce(name, [{"value": name}])
    instance = rest.consumer("watchers", format="json", **{"auto.offset.reset": "earliest"})
    assert rest.post(f"{instance}/subscription", {"topic_pattern": r"metrics\..*"}).status_code == 204
    assert sorted(_values(rest.read_until(instance, 2))) == ["metrics.cpu", "metrics.disk"]
    assert rest.http.get(f"{instance}/subscription").json() == {"topics": ["metrics.cpu", "metrics.disk"]}
    bad = rest.post(f"{instance}/subscription", {"topic_pattern": "metrics.(("})
    assert (bad.status_code, bad.json()["error_code"]) == (422, 422)


def test_a_read_in_another_format_is_refused(rest: ServedRest) -> None:
    instance = rest.consumer("readers", format="json")
    for accept in (BINARY, V2, "*/*"):  # the plain v2 type and */* are binary reads, as in Confluent
        refused = rest.records(instance, accept)
        assert (refused.status_code, refused.json()["error_code"]) == (406, 40601), accept
    unknown = rest.records(instance, "text/html")
    assert (unknown.status_code, unknown.json()["error_code"]) == (406, 406)


def test_max_bytes_keeps_the_rest_for_the_next_read(rest: ServedRest) -> None:
    rest.create_topic("big")
    rest.produce("big", [{"value": "x" * 100} for _ in range(5)])  # 102 bytes each as JSON text
    instance = rest.consumer("slow", format="json", **{"auto.offset.reset": "earliest"})
    rest.post(f"{instance}/assignments", {"partitions": [{"topic": "big", "partition": 0}]})
    first = rest.records(instance, JSON, timeout=1000, max_bytes=250).json()
    assert [r["offset"] for r in first] == [0, 1]
    assert [r["offset"] for r in rest.read_until(instance, 3)] == [2, 3, 4]


def test_an_idle_instance_expires_and_leaves_its_group() -> None:
    served = ServedRest("embedded", instance_timeout_ms=1_500)
    try:
        served.create_topic("t")
        instance = served.consumer("sleepy", format="binary")
        served.post(f"{instance}/subscription", {"topics": ["t"]})
        served.records(instance, BINARY, timeout=500)
        assert len(served.call(served.backend.describe_group("sleepy")).members) == 1
        # Requests keep it alive past the timeout...
        for _ in range(4):
            time.sleep(0.5)
            assert served.http.get(f"{instance}/subscription").status_code == 200
        # ...silence does not (watched from the service's side: a request would be activity).
        deadline = time.monotonic() + 15
        while served.rest.consumers.instances() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert served.http.get(f"{instance}/subscription").json()["error_code"] == 40403
        assert served.call(served.backend.describe_group("sleepy")).members == ()
    finally:
        served.close()
