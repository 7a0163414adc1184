"""Connect's group protocol bytes (Kafka's ConnectProtocol and
IncrementalCooperativeConnectProtocol) and the leader's incremental cooperative assignor."""

from __future__ import annotations

import struct

from kafkatui.ecosystem.connect import protocol
from kafkatui.ecosystem.connect.assignor import AssignorState, assign
from kafkatui.ecosystem.connect.protocol import Assignment, WorkerState


def test_v0_metadata_is_version_url_and_config_offset() -> None:
    raw = protocol.encode_metadata(WorkerState("http://h:8083/", 42, version=0))
    url = b"http://h:8083/"
    assert raw == struct.pack(">hh", 0, len(url)) + url + struct.pack(">q", 42)
    assert protocol.decode_metadata(raw) == WorkerState("http://h:8083/", 42, (), 0)


def test_v2_metadata_carries_the_members_assignment() -> None:
    state = WorkerState("http://h:8084/", 7, (("a", -1), ("a", 0), ("b", 3)), 2)
    assert protocol.decode_metadata(protocol.encode_metadata(state)) == state


def test_assignment_bytes_in_kafkas_layout() -> None:
    a = Assignment("m1", "http://l/", 9, (("c", -1), ("c", 1)), (("d", 0),), 500, version=1)
    raw = protocol.encode_assignment(a)
    # version, error, leader, leader url, offset, [connector, [tasks]], revoked, delay
    expected = (
        struct.pack(">hh", 1, 0) + struct.pack(">h", 2) + b"m1" + struct.pack(">h", 9) + b"http://l/"
        + struct.pack(">q", 9) + struct.pack(">i", 1) + struct.pack(">h", 1) + b"c"
        + struct.pack(">iii", 2, -1, 1)
        + struct.pack(">i", 1) + struct.pack(">h", 1) + b"d" + struct.pack(">ii", 1, 0)
        + struct.pack(">i", 500)
    )  # fmt: skip
    assert raw == expected
    assert protocol.decode_assignment(raw) == a
    assert a.connectors() == ["c"] and a.tasks() == [("c", 1)]
    assert protocol.decode_assignment(b"") is None


def test_offers_sessioned_compatible_and_default() -> None:
    offered = protocol.protocols(WorkerState("u", 1))
    assert [name for name, _ in offered] == ["sessioned", "compatible", "default"]
    assert [struct.unpack_from(">h", raw)[0] for _, raw in offered] == [2, 1, 0]


WORK = [("c", -1), ("c", 0), ("c", 1), ("c", 2), ("c", 3)]


def test_a_new_member_gets_half_the_tasks_after_the_surplus_is_revoked() -> None:
    state = AssignorState()
    first = assign({"w1": []}, WORK, state, 0, 1000)
    assert sorted(first.assigned["w1"]) == WORK and not first.revoked
    # w2 joins: w1 keeps what it runs but gives two tasks up ...
    second = assign({"w1": WORK, "w2": []}, WORK, state, 10, 1000)
    assert len(second.revoked["w1"]) == 2 and second.assigned["w2"] == []
    # ... and the follow-up rebalance hands them to w2 at once (not lost: revoked).
    kept = second.assigned["w1"]
    third = assign({"w1": kept, "w2": []}, WORK, state, 20, 1000)
    assert third.delay_ms == 0 and not third.revoked
    assert sorted(third.assigned["w2"]) == sorted(second.revoked["w1"])
    assert len([w for w in third.assigned["w1"] if w[1] >= 0]) == 2


def test_lost_work_waits_for_the_scheduled_delay() -> None:
    state = AssignorState()
    assign({"w1": WORK[:3], "w2": WORK[3:]}, WORK, state, 0, 1000)
    gone = assign({"w1": WORK[:3]}, WORK, state, 100, 1000)  # w2 left: its tasks are lost
    assert gone.delay_ms == 1000 and gone.assigned["w1"] == WORK[:3]
    later = assign({"w1": WORK[:3]}, WORK, state, 600, 1000)
    assert later.delay_ms == 500
    due = assign({"w1": WORK[:3]}, WORK, state, 1100, 1000)
    assert due.delay_ms == 0 and sorted(due.assigned["w1"]) == WORK


def test_deleted_and_duplicated_work_is_revoked() -> None:
    plan = assign({"a": [("c", 0), ("gone", 0)], "b": [("c", 0)]}, [("c", 0)], AssignorState(), 0, 0)
    assert plan.revoked == {"a": [("gone", 0)], "b": [("c", 0)]}
    assert plan.assigned == {"a": [("c", 0)], "b": []}
