"""The Connect panel, driven as a user drives it, against the workbench's own Connect
worker (its REST API on a free port) on a seeded in-memory cluster: connectors created
from the panel's form or pasted JSON, or over the REST API as another client would, then
watched, paused, resumed, restarted and deleted from the panel's keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from textual.events import Paste
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TextArea

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings
from kafkatui.tui.panels.connect import NO_CONNECT, ConnectPanel
from kafkatui.tui.screens.new_connector import NewConnectorScreen, parse
from kafkatui.tui.widgets.sparkline import Sparkline
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
        await until(pilot, lambda: "25 so far" in screen_text(app), "the count shown", rounds=500)
        # The source's offsets (GET .../offsets): where it resumes in its file, committed
        # once offset.flush.interval.ms (a minute) of cluster time has passed.
        assert app.backend is not None and isinstance(app.backend.clock, ManualClock)
        await app.backend.clock.advance(60_000)
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


FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def dialog(app: KafkaTuiApp) -> NewConnectorScreen:
    assert isinstance(app.screen, NewConnectorScreen), type(app.screen).__name__
    return app.screen


async def open_dialog(pilot: Pilot[None], plugin: str | None = FILE_SOURCE) -> NewConnectorScreen:
    """9, n, and the plugin picked from the worker's `GET /connector-plugins`."""
    app = pilot.app
    assert isinstance(app, KafkaTuiApp)
    await show(pilot)
    await until(pilot, lambda: not panel(app).unavailable("create"), "the worker answering", rounds=1500)
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewConnectorScreen), "the dialog")
    screen = dialog(app)
    await until(pilot, lambda: bool(screen.kinds), "the plugins", rounds=1500)
    if plugin is not None:
        screen.query_one("#connect-plugin", Select).value = plugin
        await until(
            pilot, lambda: "file" in [f.name for f in screen.fields], "the plugin's fields", rounds=1500
        )
        await pilot.pause()
    return screen


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    entry = pilot.app.screen.query_one(selector, Input)
    entry.focus()
    await pilot.pause()
    await pilot.press(*text)


async def fill_field(pilot: Pilot[None], name: str, text: str) -> None:
    screen = dialog(pilot.app)  # type: ignore[arg-type]
    await type_into(pilot, f"#field-{[f.name for f in screen.fields].index(name)}", text)


def field_error(app: KafkaTuiApp, name: str) -> str:
    screen = dialog(app)
    beside = screen.query_one(f"#error-{[f.name for f in screen.fields].index(name)}", Static)
    return str(beside.render()) if beside.display else ""


async def topic_records(app: KafkaTuiApp, topic: str) -> int:
    assert app.backend is not None
    if topic not in app.backend.topic_names():
        return 0
    return sum(p.log_end_offset for p in app.backend.describe_topic(topic).partitions)


async def test_n_creates_a_file_source_from_the_form(tmp_path: Path) -> None:
    lines = tmp_path / "in.txt"
    lines.write_text("".join(f"line {n}\n" for n in range(7)))
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        names = [f.name for f in screen.fields]
        assert names.index("file") < names.index("topic") < names.index("batch.size")  # required first
        assert "default: 2000" in str(
            screen.query_one(f"#field-{names.index('batch.size')}", Input).placeholder
        )
        await type_into(pilot, "#connect-name", "from-form")
        await fill_field(pilot, "file", str(lines))
        await fill_field(pilot, "topic", "lines")
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: not isinstance(app.screen, NewConnectorScreen), "the dialog closed", rounds=1500
        )
        await until(pilot, lambda: task_states(app, "from-form") == ["RUNNING"], "RUNNING", rounds=1500)
        assert panel(app).selected == "from-form"
        config = await rest(app, "GET", "/connectors/from-form/config")
        assert config["file"] == str(lines) and config["topic"] == "lines"
        assert "batch.size" not in config  # an empty field takes the worker's default
        await until(pilot, lambda: "RUNNING" in screen_text(app), "RUNNING shown", rounds=500)
        for _ in range(1500):
            if await topic_records(app, "lines") == 7:
                break
            await pilot.pause(0.02)
        assert await topic_records(app, "lines") == 7


async def test_a_pasted_json_config_creates_the_connector(tmp_path: Path) -> None:
    lines = tmp_path / "in.txt"
    lines.write_text("a\nb\n")
    body = {"name": "pasted", "config": {"connector.class": "FileStreamSource", "file": str(lines),
                                         "topic": "pasted-topic", "tasks.max": 1}}  # fmt: skip
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, plugin=None)
        screen.query_one(TabbedContent).active = "connect-tab-json"
        await pilot.pause()
        editor = screen.query_one(TextArea)
        editor.focus()
        editor.text = ""
        await pilot.pause()
        app.post_message(Paste(json.dumps(body, indent=2)))  # what a terminal's paste sends
        await pilot.pause()
        assert parse(editor.text) == ("pasted", {**body["config"], "tasks.max": "1"}), editor.text
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: not isinstance(app.screen, NewConnectorScreen), "the dialog closed", rounds=1500
        )
        await until(pilot, lambda: task_states(app, "pasted") == ["RUNNING"], "RUNNING", rounds=1500)
        listed = await rest(app, "GET", "/connectors/pasted")
        assert listed["config"]["topic"] == "pasted-topic" and listed["config"]["tasks.max"] == "1"


async def test_a_bad_config_shows_each_problem_beside_its_field_and_creates_nothing() -> None:
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        await type_into(pilot, "#connect-name", "bad")
        await fill_field(pilot, "tasks.max", "0")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(screen.problems), "the worker's validation", rounds=1500)
        assert "Value must be at least 1" in field_error(app, "tasks.max")
        assert 'Missing required configuration "topic"' in field_error(app, "topic")
        assert 'Missing required configuration "file"' in field_error(app, "file")
        assert field_error(app, "batch.size") == ""
        assert isinstance(app.screen, NewConnectorScreen)  # still open to fix it
        assert await rest(app, "GET", "/connectors") == []
        # The JSON tab lists the same problems by field name.
        screen.query_one(TabbedContent).active = "connect-tab-json"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "✘ topic:" in screen_text(app), "the problems listed", rounds=1500)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NewConnectorScreen), "cancelled")
        assert await rest(app, "GET", "/connectors") == []
        assert "Traceback" not in screen_text(app)


async def test_a_taken_name_and_a_worker_gone_are_one_line_each(tmp_path: Path) -> None:
    hosts: list[ServiceHost] = []
    app = make_connect_app(hosts=hosts)
    async with app.run_test(size=SIZE) as pilot:
        await source(app, tmp_path, "taken", 1)
        screen = await open_dialog(pilot)
        await until(
            pilot, lambda: "taken" in panel(app).connectors, "the other client's connector", rounds=1500
        )
        await type_into(pilot, "#connect-name", "taken")
        await fill_field(pilot, "file", str(tmp_path / "taken.txt"))
        await fill_field(pilot, "topic", "t")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "already exists" in screen_text(app), "the 409", rounds=1500)
        assert "Connector taken already exists (HTTP 409)" in str(
            screen.query_one("#connect-problems", Static).render()
        )
        assert hosts[0].connect is not None
        await hosts[0].connect.http.close()
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: "No Connect worker answers at" in screen_text(app), "worker down", rounds=1500
        )
        shown = str(screen.query_one("#connect-problems", Static).render())
        assert len(shown.splitlines()) == 1 and "Traceback" not in screen_text(app)


async def test_records_per_second_are_sampled_on_the_cluster_clock(tmp_path: Path) -> None:
    app = make_connect_app()
    async with app.run_test(size=SIZE) as pilot:
        path = await source(app, tmp_path, "rated", 25)
        await show(pilot)
        seen = panel(app).throughput
        await until(
            pilot, lambda: "rated" in seen and seen["rated"].total == 25, "25 records in", rounds=1500
        )
        await pilot.pause(0.2)
        assert not seen["rated"].rates  # a ManualClock standing still: no sample, however many ticks
        assert app.backend is not None
        clock = app.backend.clock
        assert isinstance(clock, ManualClock)
        await clock.advance(1000)
        await until(pilot, lambda: len(seen["rated"].rates) == 1, "the first second's sample", rounds=1500)
        with path.open("a") as more:
            more.write("".join(f"more {n}\n" for n in range(10)))
        await until(pilot, lambda: seen["rated"].total == 35, "10 more records", rounds=1500)
        await clock.advance(1000)
        await until(pilot, lambda: len(seen["rated"].rates) == 2, "the second second's sample", rounds=1500)
        assert list(seen["rated"].rates)[-1] == 10.0
        await pilot.pause()
        assert panel(app).query_one("#connect-sparkline", Sparkline).data[-1] == 10.0
        assert "records in/s" in screen_text(app) and " 10/s" in screen_text(app)
        tasks = panel(app).query_one("#connect-tasks", DataTable)
        assert tasks.get_row_at(0)[0] == "rated"  # the Tasks table names its connector


async def test_attached_to_a_served_cluster_the_panel_shows_its_worker(tmp_path: Path) -> None:
    """`kafkatui` on a data dir a `kafkatui serve` owns: the worker it recorded in the
    lock file, found without --connect-url."""
    from kafkatui.cli.context import ClusterOptions, open_backend
    from kafkatui.serve.host import serve_backend

    served = await EmbeddedBackend.open(tmp_path / "data", brokers=1)
    await serve_backend(served, 0, connect_port=0)
    try:

        async def attached() -> Backend:
            backend = await open_backend(ClusterOptions(data_dir=tmp_path / "data"), "test", announce=False)
            assert isinstance(backend, RemoteBackend)
            backend.watch(0.2)
            return backend

        app = KafkaTuiApp(attached, settings=Settings(), language="en", welcome=False, event_interval=0.05)
        async with app.run_test(size=SIZE) as pilot:
            await show(pilot)
            await until(pilot, lambda: "No connectors yet" in screen_text(app), "its worker", rounds=1500)
            assert app.backend is not None and app.backend.connect_url() == served.connect_url()
    finally:
        await served.close()
