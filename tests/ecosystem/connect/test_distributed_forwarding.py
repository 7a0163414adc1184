"""Distributed mode's leader duties and forwarding: task configs are written by the
leader only (a follower running a Connector object sends them with POST
/connectors/{c}/tasks); a task restart goes to the worker that runs the task, a restart
with includeTasks to the leader, which writes a restart request every worker acts on
(KIP-745, 202 with the plan); and `kafkatui group describe connect-cluster` describes the
Connect group over the wire too."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import kafkatui_command
from tests.ecosystem.connect.conftest import ServedConnect
from tests.ecosystem.connect.test_distributed import DISTRIBUTED, TwoWorkers, _asked, _leader_and_follower

__all__ = ["two"]


@pytest.fixture
def two() -> Iterator[TwoWorkers]:
    s = TwoWorkers()
    try:
        yield s
    finally:
        s.close()


def _sink(path: Path, tasks: int) -> dict[str, str]:
    return {
        "connector.class": "FileStreamSink",
        "file": str(path),
        "topics": "lines",
        "tasks.max": str(tasks),
    }


def _everything_running(two: TwoWorkers, names: list[str], tasks: int) -> bool:
    for name in names:
        status = two.http.get(f"/connectors/{name}/status").json()
        if status.get("connector", {}).get("state") != "RUNNING" or len(status.get("tasks", [])) != tasks:
            return False
        if any(t["state"] != "RUNNING" for t in status["tasks"]):
            return False
    return True


def test_task_configs_are_written_by_the_leader_only(two: TwoWorkers, tmp_path: Path) -> None:
    leader, follower = _leader_and_follower(two)
    written: list[str] = []

    async def refuse(name: str, configs: list[dict[str, str]]) -> None:
        written.append(name)
        raise AssertionError("a follower wrote task configs")

    follower.worker.configs.put_task_configs = refuse  # type: ignore[method-assign]
    names = [f"sink{n}" for n in range(4)]
    for name in names:
        answer = _asked(two, lambda name=name: two.create(name, **_sink(tmp_path / f"{name}.txt", 2)))
        assert answer.status_code == 201, answer.text
    two.until(lambda: _everything_running(two, names, 2), "every connector and task running")
    assert set(follower.worker.connectors), "no Connector object runs on the follower"
    assert written == []
    for name in follower.worker.connectors:  # their task configs came through the leader
        assert len(leader.worker.configs.state.tasks[name]) == 2


def _owner(two: TwoWorkers, name: str, task: int) -> Any:
    return next(s for s in two.workers() if (name, task) in s.worker.tasks)


def test_restarts_are_forwarded_to_the_owner_and_the_leader(two: TwoWorkers, tmp_path: Path) -> None:
    leader, follower = _leader_and_follower(two)
    assert _asked(two, lambda: two.create("snk", **_sink(tmp_path / "out.txt", 4))).status_code == 201

    def split() -> bool:
        return _everything_running(two, ["snk"], 4) and all(len(s.worker.tasks) == 2 for s in two.workers())

    two.until(split, "four tasks, two on each worker")
    number = next(n for n in range(4) if ("snk", n) in leader.worker.tasks)
    before = leader.worker.tasks[("snk", number)]
    answer = _asked(two, lambda: two.http2.post(f"/connectors/snk/tasks/{number}/restart"))  # of the follower
    assert answer.status_code == 204, answer.text
    two.until(lambda: leader.worker.tasks.get(("snk", number)) not in (None, before), "the task restarted")

    old = {key: _owner(two, *key).worker.tasks[key] for key in [("snk", n) for n in range(4)]}
    answer = _asked(two, lambda: two.http2.post("/connectors/snk/restart", params={"includeTasks": "true"}))
    assert answer.status_code == 202, answer.text
    plan = answer.json()
    assert plan["connector"]["state"] == "RESTARTING"
    assert [t["state"] for t in plan["tasks"]] == ["RESTARTING"] * 4

    def all_restarted() -> bool:
        current = {}
        for key in old:
            owner = next((s for s in two.workers() if key in s.worker.tasks), None)
            if owner is None:
                return False
            current[key] = owner.worker.tasks[key]
        return all(current[k] is not old[k] for k in old) and _everything_running(two, ["snk"], 4)

    two.until(all_restarted, "every task restarted on its worker")
    # a request that was already forwarded is not forwarded again
    number = next(n for n in range(4) if ("snk", n) in follower.worker.tasks)
    answer = two.http.post(f"/connectors/snk/tasks/{number}/restart", headers={"X-Kafkatui-Forwarded": "1"})
    assert answer.status_code == 409


def test_group_describe_connect_cluster_over_the_wire() -> None:
    remote = ServedConnect("remote", **DISTRIBUTED)
    try:
        remote.until(lambda: remote.worker.group and not remote.worker.group.rebalancing, "the group joined")
        group = remote.call(remote.backend.describe_group("connect-cluster"))
        assert group.protocol_type == "connect" and group.protocol == "sessioned"
        assert group.state == "Stable" and len(group.members) == 1 and group.coordinator >= 0
        assert group.members[0].member_id == remote.worker.group.member.member_id
        done = subprocess.run(
            [*kafkatui_command(), "--bootstrap-server", remote.bootstrap,
             "group", "describe", "connect-cluster", "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        described = json.loads(done.stdout)
        assert described["state"] == "Stable" and described["protocol"] == "sessioned"
        assert [m["member_id"] for m in described["members"]] == [group.members[0].member_id]
    finally:
        remote.close()
