"""The Connect panel, driven as a user drives it, against the workbench's own Connect
worker (its REST API on a free port) on a seeded in-memory cluster: connectors created
over the REST API as another client would, then watched, paused, resumed, restarted and
deleted from the panel's keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.connect import NO_CONNECT, ConnectPanel
from tests.tui.conftest import SIZE, until


def make_connect_app(*, connect: bool = True, hosts: list[ServiceHost] | None = None) -> KafkaTuiApp:
    """The workbench on a fresh cluster with a Connect worker beside it (as the
    workbench runs it), or none; its listeners go into `hosts` for a test to stop."""

    async def factory() -> EmbeddedBackend:
        defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
        cluster = await Cluster.open(None, brokers=1, clock=ManualClock(), seed=7, defaults=defaults)
        backend = EmbeddedBackend(cluster)
        if connect:
            services = ServiceHost(cluster)
            await services.listen_connect(0, backend=backend)
            if hosts is not None:
                hosts.append(services)
            backend.attach_listeners(services)
        return backend

    return KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)


def screen_text(app: KafkaTuiApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def panel(app: KafkaTuiApp) -> ConnectPanel:
    return app.panel("connect")  # type: ignore[return-value]


async def rest(app: KafkaTuiApp, method: str, path: str, body: Any = None) -> Any:
    """What another Connect client does, over the worker's REST API."""
    assert app.backend is not None
    url = app.backend.connect_url()
    assert url is not None
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        answer = await http.request(method, path, json=body)
        assert answer.status_code < 400, answer.text
        return answer.json() if answer.content.strip() else None


def state(app: KafkaTuiApp, name: str) -> str:
    return str(panel(app).connectors.get(name, {}).get("status", {}).get("connector", {}).get("state"))


def task_states(app: KafkaTuiApp, name: str) -> list[str]:
    tasks = panel(app).connectors.get(name, {}).get("status", {}).get("tasks", [])
    return [t["state"] for t in tasks]


async def source(app: KafkaTuiApp, tmp_path: Path, name: str, lines: int) -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text("".join(f"line {n}\n" for n in range(lines)))
    config = {"connector.class": "FileStreamSource", "file": str(path), "topic": f"{name}-topic"}
    await rest(app, "POST", "/connectors", {"name": name, "config": config})
    return path


async def show(pilot: Pilot[None]) -> None:
    await pilot.press("9")
    await pilot.pause()


async def test_without_a_worker_the_panel_says_how_to_start_one() -> None:
    app = make_connect_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot)
        await until(pilot, lambda: "Kafka Connect is not running" in screen_text(app), "the notice")
        assert app.panel("connect").query_one("#connect-none").display
        await pilot.press("p")  # no connector, no worker: said, not a traceback
        await pilot.pause()
        assert "Traceback" not in screen_text(app)


async def test_a_worker_that_stops_answering_is_said_in_place() -> None:
    hosts: list[ServiceHost] = []
    app = make_connect_app(hosts=hosts)
    async with app.run_test(size=SIZE) as pilot:
        await show(pilot)
        await until(pilot, lambda: "No connectors yet" in screen_text(app), "the empty worker")
        assert hosts[0].connect is not None
        await hosts[0].connect.http.close()  # its REST API gone: connection refused
        await until(pilot, lambda: "does not answer" in screen_text(app), "the refused connection")
        assert NO_CONNECT.split(".")[0] in screen_text(app)


async def test_a_source_runs_and_its_records_are_counted(tmp_path: Path) -> None:
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        await source(app, tmp_path, "files", 25)
        await show(pilot)
        await until(pilot, lambda: task_states(app, "files") == ["RUNNING"], "the task RUNNING", rounds=1500)
        text = screen_text(app)
        assert "files" in text and "source" in text and "RUNNING" in text
        seen = panel(app).throughput
        await until(pilot, lambda: (seen["files"].total or 0) == 25, "25 records in", rounds=1500)
        await until(pilot, lambda: "(25 so far)" in screen_text(app), "the count shown", rounds=500)
        # The source's offsets (GET .../offsets): where it resumes in its file.
        await until(pilot, lambda: "Source offsets" in screen_text(app), "its offsets", rounds=1500)


async def test_pause_resume_restart_and_delete_from_the_keys(tmp_path: Path) -> None:
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        await source(app, tmp_path, "files", 3)
        await show(pilot)
        await until(pilot, lambda: task_states(app, "files") == ["RUNNING"], "RUNNING", rounds=1500)
        panel(app).query_one("#connect-connectors").focus()
        await pilot.press("p")
        await until(pilot, lambda: state(app, "files") == "PAUSED", "PAUSED", rounds=1500)
        await until(pilot, lambda: "PAUSED" in screen_text(app), "PAUSED shown", rounds=500)
        assert (await rest(app, "GET", "/connectors/files/status"))["connector"]["state"] == "PAUSED"
        await pilot.press("r")
        await until(pilot, lambda: state(app, "files") == "RUNNING", "RUNNING again", rounds=1500)
        await pilot.press("R")
        await until(pilot, lambda: task_states(app, "files") == ["RUNNING"], "restarted", rounds=1500)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # the confirm screen: no, it stays
        await pilot.pause()
        assert "files" in await rest(app, "GET", "/connectors")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: "files" not in panel(app).connectors, "deleted", rounds=1500)
        assert await rest(app, "GET", "/connectors") == []
        await until(pilot, lambda: "No connectors yet" in screen_text(app), "the empty notice", rounds=500)


async def test_a_failed_task_shows_its_trace(tmp_path: Path) -> None:
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        config = {"connector.class": "FileStreamSource", "file": str(tmp_path), "topic": "t"}  # a directory
        await rest(app, "POST", "/connectors", {"name": "broken", "config": config})
        await show(pilot)
        await until(pilot, lambda: task_states(app, "broken") == ["FAILED"], "FAILED", rounds=1500)
        await until(pilot, lambda: "task 0 FAILED on" in screen_text(app), "the trace", rounds=500)
        trace = panel(app).connectors["broken"]["status"]["tasks"][0]["trace"]
        assert trace.splitlines()[0][:40] in screen_text(app)
