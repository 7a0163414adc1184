"""Distributed mode, two workers of one Connect group in one process over the embedded
backend: they share a connector's tasks, a stopped worker's tasks move to the other
(after the session timeout and scheduled.rebalance.max.delay.ms) and the pipeline still
delivers every line; a config change asked of the non-leader is forwarded and lands; the
group is a classic group of protocol type "connect"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kafkatui.ecosystem.connect.service import ConnectService
from tests.ecosystem.connect.conftest import ServedConnect, lines_in, write_lines

DISTRIBUTED: dict[str, Any] = dict(
    distributed=True,
    session_timeout_ms=6_000,  # the broker's group.min.session.timeout.ms
    heartbeat_interval_ms=200,
    rebalance_timeout_ms=5_000,
    scheduled_rebalance_max_delay_ms=1_000,
)


class TwoWorkers(ServedConnect):
    def __init__(self) -> None:
        super().__init__("embedded", **DISTRIBUTED)
        self.second = ConnectService(self.backend, self.worker_config)
        self.second_url = self.call(self.second.start(0))
        self.http2 = httpx.Client(base_url=self.second_url, timeout=30)

    def workers(self) -> list[ConnectService]:
        return [self.service, self.second]

    def running(self) -> dict[str, set[tuple[str, int]]]:
        return {s.worker.config.worker_id: set(s.worker.tasks) for s in self.workers() if s.worker.started}

    def close(self) -> None:
        self.http2.close()
        if self.second.worker.started:
            self.call(self.second.close())
        super().close()


@pytest.fixture
def two() -> Iterator[TwoWorkers]:
    s = TwoWorkers()
    try:
        yield s
    finally:
        s.close()


def _leader_and_follower(two: TwoWorkers) -> tuple[ConnectService, ConnectService]:
    def settled() -> bool:
        groups = [s.worker.group for s in two.workers()]
        return all(g is not None and not g.rebalancing and g.leader_url for g in groups)

    two.until(settled, "both workers in the group")
    leader = next(s for s in two.workers() if s.worker.group and s.worker.group.is_leader)
    return leader, next(s for s in two.workers() if s is not leader)


def test_two_workers_share_four_tasks_two_each_and_a_stopped_ones_move(
    two: TwoWorkers, tmp_path: Path
) -> None:
    _leader_and_follower(two)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.touch()
    two.call(two.backend.create_topic("lines", 4, 1, {}))
    answer = two.create(
        "file-source", **{"connector.class": "FileStreamSource", "file": str(source), "topic": "lines"}
    )
    assert answer.status_code == 201, answer.text
    answer = two.create(
        "file-sink",
        **{"connector.class": "FileStreamSink", "file": str(sink), "topics": "lines", "tasks.max": "4"},
    )
    assert answer.status_code in (201, 409), answer.text
    if answer.status_code == 409:  # asked during the rebalance the first one started: Connect's 409
        two.until(lambda: two.create("file-sink", **{"connector.class": "FileStreamSink", "file": str(sink),
                                                     "topics": "lines", "tasks.max": "4"}).status_code == 201,
                  "file-sink created")  # fmt: skip

    def shared() -> bool:
        sinks = {w: {t for t in tasks if t[0] == "file-sink"} for w, tasks in two.running().items()}
        return sorted(len(t) for t in sinks.values()) == [2, 2]

    two.until(shared, "four sink tasks split 2 + 2")
    each = Counter({s.worker.config.worker_id: 2 for s in two.workers()})
    status = _status_until(two, "file-sink", lambda s: Counter(t["worker_id"] for t in s["tasks"]) == each)
    assert all(t["state"] == "RUNNING" for t in status["tasks"])
    first = write_lines(source, 0, 2_000)
    two.until(lambda: len(set(lines_in(sink))) >= 2_000, "the first 2,000 lines in the sink")

    # Stop the second worker without a clean leave (its group member is cancelled, as a
    # killed process's would be): its tasks move after the session timeout + delay.
    gone = two.second.worker.config.worker_id
    two.call(_crash(two.second))
    more = write_lines(source, 2_000, 4_000)

    def moved() -> bool:
        tasks = two.running().get(two.service.worker.config.worker_id, set())
        return len({t for t in tasks if t[0] == "file-sink"}) == 4 and ("file-source", 0) in tasks

    two.until(moved, "every task on the surviving worker")
    two.until(lambda: set(first + more) <= set(lines_in(sink)), "every line in the sink")
    status = _status_until(two, "file-sink", lambda s: all(t["worker_id"] != gone for t in s["tasks"]))
    assert {t["state"] for t in status["tasks"]} == {"RUNNING"}


def _asked(two: TwoWorkers, ask: Callable[[], httpx.Response]) -> httpx.Response:
    """Ask again while Connect answers 409 (a rebalance in progress), as its clients do."""
    answers: list[httpx.Response] = []

    def answered() -> bool:
        answers.append(ask())
        return answers[-1].status_code != 409

    two.until(answered, "an answer other than 409")
    return answers[-1]


def _status_until(two: TwoWorkers, name: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        status = two.state(name)
        return status if check(status) else None

    return two.until(reached, f"{name}'s status")


async def _crash(service: ConnectService) -> None:
    """Gone without LeaveGroup: the member stops heartbeating, its tasks stop."""
    worker = service.worker
    assert worker.group is not None
    if worker.group._loop is not None:
        worker.group._loop.cancel()
    await service.http.close()
    for name in {c for c, _ in worker.tasks} | set(worker.connectors):
        await worker._stop_connector(name)
    for store in (worker.status, worker.offsets, worker.configs):
        await store.log.close()
    worker.started = False


def _past_rebalance(two: TwoWorkers, request: Callable[[], httpx.Response]) -> httpx.Response:
    """`request`'s answer once it is not 409 (a rebalance in the way)."""
    answers: list[httpx.Response] = []
    two.until(lambda: answers.append(request()) or answers[-1].status_code != 409, "no rebalance in the way")
    return answers[-1]


def test_a_config_change_through_the_non_leader_lands(two: TwoWorkers, tmp_path: Path) -> None:
    leader, follower = _leader_and_follower(two)
    client = httpx.Client(base_url=follower.url or "", timeout=30)
    source = tmp_path / "in.txt"
    source.touch()
    try:
        config = {"connector.class": "FileStreamSource", "file": str(source), "topic": "t1"}
        answer = client.post("/connectors", json={"name": "src", "config": config})
        assert answer.status_code == 201, answer.text
        assert answer.json()["name"] == "src"
        two.until(lambda: "src" in follower.worker.configs.state.connectors, "the follower reads the config")
        # The new connector's rebalance may still run: Connect answers 409 meanwhile and a
        # client tries again (Kafka's RebalanceNeededException / REBALANCE_IN_PROGRESS).
        changed = {**config, "topic": "t2"}
        answer = _past_rebalance(two, lambda: client.put("/connectors/src/config", json=changed))
        assert answer.status_code == 200, answer.text
        two.until(
            lambda: leader.worker.configs.state.connectors["src"]["topic"] == "t2", "the change at the leader"
        )
        answer = _past_rebalance(two, lambda: client.delete("/connectors/src"))
        assert answer.status_code == 204, answer.text
        two.until(lambda: "src" not in leader.worker.configs.state.connectors, "deleted at the leader")
    finally:
        client.close()


def test_the_group_is_a_classic_group_of_protocol_type_connect(two: TwoWorkers) -> None:
    _leader_and_follower(two)
    group = two.call(two.backend.describe_group("connect-cluster"))
    assert group.protocol_type == "connect"
    assert group.protocol == "sessioned"
    assert len(group.members) == 2
